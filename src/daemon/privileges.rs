//! Who the daemon runs as and how it leaves a trace: the `exabgp.daemon.*` settings (user and
//! privilege drop, umask, PID file, daemonising) applied at start-up in ExaBGP's order.
//!
//! The user database is read from `/etc/passwd` directly (no NSS), so the drop works the
//! same in a fully static binary.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::sys;

/// The account to switch to: its uid and primary gid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    pub uid: u32,
    pub gid: u32,
}

/// The account named `user` in passwd-format `text` (`name:pw:uid:gid:gecos:home:shell`).
/// A line that does not parse is skipped, as libc skips it.
pub fn find_account(text: &str, user: &str) -> Option<Account> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let mut fields = line.split(':');
            if fields.next()? != user {
                return None;
            }
            let _password = fields.next()?;
            let uid = fields.next()?.trim().parse().ok()?;
            let gid = fields.next()?.trim().parse().ok()?;
            Some(Account { uid, gid })
        })
}

/// The gid of the group named `group` in group-format `text` (`name:pw:gid:members`).
pub fn find_group(text: &str, group: &str) -> Option<u32> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let mut fields = line.split(':');
            if fields.next()? != group {
                return None;
            }
            let _password = fields.next()?;
            fields.next()?.trim().parse().ok()
        })
}

/// The uid of user `name` (or, with `group`, the gid of group `name`) from `/etc/passwd`
/// or `/etc/group`; `None` when there is no such name.
pub fn lookup_id(name: &str, group: bool) -> io::Result<Option<u32>> {
    if group {
        let text = std::fs::read_to_string("/etc/group")?;
        Ok(find_group(&text, name))
    } else {
        let text = std::fs::read_to_string("/etc/passwd")?;
        Ok(find_account(&text, name).map(|account| account.uid))
    }
}

/// Why start-up could not set the process up as configured.
#[derive(Debug)]
pub enum PrivilegeError {
    /// `/etc/passwd` could not be read.
    UserDatabase(io::Error),
    /// `exabgp.daemon.user` names no account.
    NoSuchUser(String),
    /// The switch itself failed; rexa refuses to go on as root.
    Drop { user: String, error: sys::DropError },
}

impl fmt::Display for PrivilegeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrivilegeError::UserDatabase(error) => {
                write!(f, "cannot read the user database /etc/passwd: {error}")
            }
            PrivilegeError::NoSuchUser(user) => write!(
                f,
                "exabgp.daemon.user '{user}' does not exist (refusing to run as root; set \
                 exabgp.daemon.user to an existing account, or exabgp.daemon.user=root to keep root)"
            ),
            PrivilegeError::Drop { user, error } => write!(
                f,
                "could not drop privileges to '{user}': {error} (refusing to run as root)"
            ),
        }
    }
}

impl std::error::Error for PrivilegeError {}

/// Switches to `user` when running as root (uid or gid 0), as ExaBGP does; a no-op for any
/// other account. Returns the account switched to, if any.
pub fn drop_to(user: &str) -> Result<Option<Account>, PrivilegeError> {
    let (uid, _, gid, _) = sys::ids();
    if uid != 0 && gid != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(PrivilegeError::UserDatabase)?;
    let account =
        find_account(&passwd, user).ok_or_else(|| PrivilegeError::NoSuchUser(user.to_owned()))?;
    sys::drop_privileges(account.uid, account.gid).map_err(|error| PrivilegeError::Drop {
        user: user.to_owned(),
        error,
    })?;
    Ok(Some(account))
}

/// Why the PID file could not be taken.
#[derive(Debug)]
pub enum PidFileError {
    /// Another live process's id is in it.
    Running { path: PathBuf, pid: u32 },
    /// The file could not be created, read or written.
    Io { path: PathBuf, error: io::Error },
}

impl fmt::Display for PidFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PidFileError::Running { path, pid } => write!(
                f,
                "PID file {} names process {pid}, which is running (another rexa?)",
                path.display()
            ),
            PidFileError::Io { path, error } => {
                write!(f, "cannot write the PID file {}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for PidFileError {}

/// The PID file (`exabgp.daemon.pid`), held open from start to exit. It is created before
/// the privilege drop; at exit it is removed, or emptied when the dropped user may not
/// remove it (an empty file counts as stale at the next start).
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    file: File,
}

impl PidFile {
    /// Takes `path` for process `pid`: a new file, or one naming a process that is gone.
    pub fn create(path: &Path, pid: u32) -> Result<PidFile, PidFileError> {
        let io_error = |error| PidFileError::Io {
            path: path.to_path_buf(),
            error,
        };
        let mut options = OpenOptions::new();
        options.read(true).write(true).mode(0o644);
        let mut file = match options.clone().create_new(true).open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                let mut file = options.open(path).map_err(io_error)?;
                let mut text = String::new();
                // A file too large or not UTF-8 is no PID file of ours: stale.
                let _ = (&mut file).take(64).read_to_string(&mut text);
                if let Ok(old) = text.trim().parse::<u32>() {
                    if old != pid && sys::process_alive(old) {
                        return Err(PidFileError::Running {
                            path: path.to_path_buf(),
                            pid: old,
                        });
                    }
                }
                log::info!(target: "daemon", "replacing the stale PID file {}", path.display());
                file.set_len(0).map_err(io_error)?;
                file.rewind().map_err(io_error)?;
                file
            }
            Err(error) => return Err(io_error(error)),
        };
        file.write_all(format!("{pid}\n").as_bytes())
            .map_err(io_error)?;
        log::info!(target: "daemon", "PID file {} holds {pid}", path.display());
        Ok(PidFile {
            path: path.to_path_buf(),
            file,
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        match std::fs::remove_file(&self.path) {
            Ok(()) => log::debug!("PID file {} removed", self.path.display()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => {
                // Dropped privileges may forbid removing it from a root-owned directory.
                if self.file.set_len(0).is_err() {
                    log::warn!(
                        "cannot remove the PID file {}: {error}",
                        self.path.display()
                    );
                } else {
                    log::debug!(
                        "PID file {} emptied (cannot remove it: {error})",
                        self.path.display()
                    );
                }
            }
        }
    }
}

/// Whether `exabgp.daemon.daemonize` may fork here: not when logs go to the terminal (they
/// would be lost, ExaBGP refuses too), not when already supervised (parent is init, or stdin
/// is a socket as under inetd or systemd socket activation).
pub fn may_daemonize(log_destination: &str) -> Result<(), &'static str> {
    let destination = log_destination.to_ascii_lowercase();
    if destination.is_empty() || destination == "stdout" || destination == "stderr" {
        return Err("logs go to stdout/stderr (set exabgp.log.destination to syslog or a file)");
    }
    if sys::parent_pid() == 1 {
        return Err("already supervised (the parent is init)");
    }
    if sys::is_socket(0) {
        return Err("stdin is a socket (started by a supervisor)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "\
root:x:0:0:root:/root:/bin/bash
# a comment
broken line
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
bgp:x:1001:not-a-number:::
exa:x:1002:1003::/home/exa:/bin/sh
";

    #[test]
    fn accounts_are_found_by_name() {
        assert_eq!(
            find_account(PASSWD, "nobody"),
            Some(Account {
                uid: 65534,
                gid: 65534
            })
        );
        assert_eq!(
            find_account(PASSWD, "exa"),
            Some(Account {
                uid: 1002,
                gid: 1003
            })
        );
        assert_eq!(
            find_account(PASSWD, "root"),
            Some(Account { uid: 0, gid: 0 })
        );
        // Malformed entries and absent names find nothing; a prefix is not a match.
        assert_eq!(find_account(PASSWD, "bgp"), None);
        assert_eq!(find_account(PASSWD, "nob"), None);
        assert_eq!(find_account(PASSWD, "missing"), None);
        assert_eq!(find_account("", "root"), None);
    }

    #[test]
    fn groups_are_found_by_name() {
        let group = "root:x:0:\nnogroup:x:65534:\nbgp:x:oops:\nexa:x:1003:alice,bob\n";
        assert_eq!(find_group(group, "nogroup"), Some(65534));
        assert_eq!(find_group(group, "exa"), Some(1003));
        assert_eq!(find_group(group, "bgp"), None);
        assert_eq!(find_group(group, "missing"), None);
        assert_eq!(lookup_id("root", false).unwrap(), Some(0));
        assert_eq!(lookup_id("root", true).unwrap(), Some(0));
        assert_eq!(lookup_id("no-such-user-rexa", false).unwrap(), None);
    }

    #[test]
    fn pid_file_is_created_replaced_when_stale_and_removed() {
        let dir = std::env::temp_dir().join(format!("rexa-pidfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rexa.pid");
        let own = std::process::id();
        {
            let _pid = PidFile::create(&path, own).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{own}\n"));
        }
        assert!(!path.exists(), "removed when dropped");
        // A pid no process has (above the kernel's pid_max) is stale, as is garbage.
        for stale in ["4194305\n", "garbage", ""] {
            std::fs::write(&path, stale).unwrap();
            let pid = PidFile::create(&path, own).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{own}\n"));
            drop(pid);
        }
        // A live process's file is refused, and left alone.
        std::fs::write(&path, "1\n").unwrap();
        match PidFile::create(&path, own) {
            Err(PidFileError::Running { pid: 1, .. }) => {}
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn daemonizing_is_refused_with_logs_on_the_terminal() {
        assert!(may_daemonize("stdout").is_err());
        assert!(may_daemonize("STDERR").is_err());
        assert!(may_daemonize("").is_err());
    }
}
