//! The `exabgp.daemon.*` settings on the real binary: the privilege drop to
//! `exabgp.daemon.user` (daemon and helpers), the umask, the PID file's life, and a missing
//! user refused at start. The drop needs root: run as another user, these tests say so and
//! check only what needs no privilege.

mod support {
    pub mod interop;
}

use std::fs;
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::interop::{wait_for, Daemon};

const LIMIT: Duration = Duration::from_secs(15);

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| status_ids(&s, "Uid:"))
        .is_some_and(|ids| ids[1] == 0)
}

/// The four ids (real, effective, saved, filesystem) of a `Uid:` / `Gid:` line.
fn status_ids(status: &str, key: &str) -> Option<Vec<u32>> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    let ids: Vec<u32> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    (ids.len() == 4).then_some(ids)
}

fn status_field(status: &str, key: &str) -> Option<String> {
    status
        .lines()
        .find(|l| l.starts_with(key))
        .map(|l| l[key.len()..].trim().to_owned())
}

/// `nobody`'s uid and gid from /etc/passwd.
fn nobody() -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&"nobody"))
                .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
                .flatten()
        })
        .expect("a nobody account")
}

/// A directory every user may read and enter (not under the repository, whose parents may
/// be closed to `nobody`), emptied first.
fn open_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rexa-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the test directory");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    path
}

fn rexa(dir: &Path, config: &Path, env: &[(&str, &str)]) -> Daemon {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rexa"));
    command
        .arg(config)
        .current_dir(dir)
        .env("exabgp_tcp_bind", "")
        .env("exabgp_api_cli", "false")
        .env("RUST_LOG", "info");
    for (key, value) in env {
        command.env(key, value);
    }
    Daemon::spawn("rexa", dir, &mut command)
}

/// The pids of `pid`'s children.
fn children(pid: u32) -> Vec<u32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn status_of(pid: u32) -> String {
    fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default()
}

#[test]
fn as_root_the_daemon_and_its_helpers_run_as_the_configured_user() {
    if !is_root() {
        eprintln!("SKIPPED: the privilege drop needs root (this test runs as root in CI)");
        return;
    }
    let (uid, gid) = nobody();
    let dir = open_dir("privileges-drop");
    let pid_path = dir.join("rexa.pid");
    // The peer's port 179 on a loopback address: only root may listen there, and rexa must
    // still connect to it (twice) after dropping root.
    let peer = Ipv4Addr::new(127, 0, 9, 2);
    let listener = TcpListener::bind(SocketAddr::from((peer, 179))).expect("listen on port 179");
    listener.set_nonblocking(true).expect("non-blocking");
    let config = write(
        &dir,
        "rexa.conf",
        "process sleeper { run /bin/sleep 120; encoder text; }\n\
         neighbor 127.0.9.2 {\n  router-id 127.0.9.1;\n  local-address 127.0.9.1;\n  \
         local-as 65000;\n  peer-as 65001;\n  family { ipv4 unicast; }\n  \
         api { processes [ sleeper ]; }\n}\n",
    );
    let pid_text = pid_path.display().to_string();
    let mut daemon = rexa(&dir, &config, &[("exabgp_daemon_pid", &pid_text)]);
    let pid = daemon.pid();

    // The daemon runs as nobody: real, effective, saved and filesystem ids, no
    // supplementary group, and ExaBGP's umask.
    let status = wait_for(LIMIT, || {
        let status = status_of(pid);
        (status_ids(&status, "Uid:") == Some(vec![uid; 4])).then_some(status)
    })
    .unwrap_or_else(|| panic!("the daemon is not running as nobody\n{}", daemon.log()));
    assert_eq!(status_ids(&status, "Gid:"), Some(vec![gid; 4]), "{status}");
    assert_eq!(
        status_field(&status, "Groups:").as_deref(),
        Some(""),
        "{status}"
    );
    assert_eq!(
        status_field(&status, "Umask:").as_deref(),
        Some("0137"),
        "{status}"
    );

    // Its helper too, once it has become `sleep` (between fork and exec the child is still
    // a copy of rexa).
    let helper_status = wait_for(LIMIT, || {
        children(pid)
            .into_iter()
            .map(status_of)
            .find(|status| status_field(status, "Name:").as_deref() == Some("sleep"))
    })
    .unwrap_or_else(|| panic!("no helper process\n{}", daemon.log()));
    assert_eq!(status_ids(&helper_status, "Uid:"), Some(vec![uid; 4]));
    assert_eq!(status_ids(&helper_status, "Gid:"), Some(vec![gid; 4]));

    // The PID file was written before the drop.
    assert_eq!(
        fs::read_to_string(&pid_path).expect("the PID file"),
        format!("{pid}\n")
    );

    // Outgoing connections work after the drop, reconnection included.
    for attempt in 1..=2 {
        let (stream, _) = wait_for(Duration::from_secs(40), || listener.accept().ok())
            .unwrap_or_else(|| panic!("connection {attempt} never came\n{}", daemon.log()));
        drop(stream);
    }

    // At exit nobody may not remove the file from a root-owned directory: it is emptied,
    // which the next start takes for stale.
    assert!(
        daemon.terminate().is_some_and(|s| s.success()),
        "{}",
        daemon.log()
    );
    assert_eq!(fs::read_to_string(&pid_path).unwrap_or_default(), "");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_pid_file_is_refused_while_its_process_lives_and_removed_at_exit() {
    let dir = open_dir("privileges-pidfile");
    let pid_path = dir.join("rexa.pid");
    let pid_text = pid_path.display().to_string();
    let config = write(
        &dir,
        "rexa.conf",
        "neighbor 127.0.9.12 {\n  router-id 127.0.9.11;\n  local-address 127.0.9.11;\n  \
         local-as 65000;\n  peer-as 65001;\n  passive;\n  family { ipv4 unicast; }\n}\n",
    );
    // Stay as we are: this test is about the file, in a directory we own.
    let env = [
        ("exabgp_daemon_pid", pid_text.as_str()),
        ("exabgp_daemon_user", "root"),
    ];
    // A stale file (a pid above the kernel's limit) is replaced.
    fs::write(&pid_path, "4194305\n").expect("write a stale PID file");
    let mut first = rexa(&dir, &config, &env);
    let written = wait_for(LIMIT, || {
        let text = fs::read_to_string(&pid_path).ok()?;
        (text == format!("{}\n", first.pid())).then_some(())
    });
    assert!(written.is_some(), "PID file not written\n{}", first.log());

    // A second daemon with the same PID file refuses to start, and leaves the file alone.
    let second = Command::new(env!("CARGO_BIN_EXE_rexa"))
        .arg(&config)
        .envs(env)
        .env("exabgp_tcp_bind", "")
        .env("exabgp_api_cli", "false")
        .stdin(Stdio::null())
        .output()
        .expect("run a second rexa");
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains(&format!("names process {}, which is running", first.pid())),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(&pid_path).expect("still there"),
        format!("{}\n", first.pid())
    );

    assert!(
        first.terminate().is_some_and(|s| s.success()),
        "{}",
        first.log()
    );
    assert!(!pid_path.exists(), "PID file removed at exit");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn as_root_an_unknown_user_is_refused_at_start() {
    if !is_root() {
        eprintln!("SKIPPED: the privilege drop needs root (this test runs as root in CI)");
        return;
    }
    let dir = open_dir("privileges-unknown");
    let config = write(
        &dir,
        "rexa.conf",
        "neighbor 127.0.9.22 {\n  router-id 127.0.9.21;\n  local-address 127.0.9.21;\n  \
         local-as 65000;\n  peer-as 65001;\n  passive;\n  family { ipv4 unicast; }\n}\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_rexa"))
        .arg(&config)
        .env("exabgp_tcp_bind", "")
        .env("exabgp_api_cli", "false")
        .env("exabgp_daemon_user", "no-such-user-for-rexa")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rexa");
    let status = wait_for(LIMIT, || child.try_wait().ok().flatten());
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("rexa kept running with an unknown user");
    }
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{stderr}");
    assert!(
        stderr.contains("exabgp.daemon.user 'no-such-user-for-rexa' does not exist"),
        "{stderr}"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn daemonize_forks_into_the_background_when_logs_go_to_a_file() {
    let dir = open_dir("privileges-daemonize");
    let pid_path = dir.join("rexa.pid");
    let log_path = dir.join("destination.log");
    let config = write(
        &dir,
        "rexa.conf",
        "neighbor 127.0.9.42 {\n  router-id 127.0.9.41;\n  local-address 127.0.9.41;\n  \
         local-as 65000;\n  peer-as 65001;\n  passive;\n  family { ipv4 unicast; }\n}\n",
    );
    let pid_text = pid_path.display().to_string();
    let log_text = log_path.display().to_string();
    // The command returns at once (the parent exits 0); the daemon lives on elsewhere.
    let status = Command::new(env!("CARGO_BIN_EXE_rexa"))
        .arg(&config)
        .env("exabgp_tcp_bind", "")
        .env("exabgp_api_cli", "false")
        .env("exabgp_daemon_user", "root")
        .env("exabgp_daemon_daemonize", "true")
        .env("exabgp_daemon_pid", &pid_text)
        .env("exabgp_log_destination", &log_text)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run rexa");
    assert!(status.success());
    let pid: u32 = wait_for(LIMIT, || {
        fs::read_to_string(&pid_path).ok()?.trim().parse().ok()
    })
    .expect("the daemon wrote its PID file");
    let status = status_of(pid);
    // A session leader's child (the second fork): its own session, not ours.
    let own_session = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let session = |stat: &str| {
        stat.rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().nth(3))
            .map(str::to_owned)
    };
    let daemon_stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(status.contains("rexa"), "{status}");
    assert_ne!(
        session(&daemon_stat),
        session(&own_session),
        "{daemon_stat}"
    );
    let logged = wait_for(LIMIT, || {
        fs::read_to_string(&log_path)
            .ok()
            .filter(|t| t.contains("neighbor 127.0.9.42: started"))
    });
    // Stop it by the pid it wrote, and wait until it is gone.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    // Gone, or a zombie waiting for whoever adopted it (init, or a subreaper) to reap it.
    let gone = wait_for(LIMIT, || {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().next());
        matches!(state, None | Some("Z") | Some("X")).then_some(())
    });
    if gone.is_none() {
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(pid.to_string())
            .status();
    }
    assert!(logged.is_some(), "the daemon logged to its file");
    assert!(gone.is_some(), "the daemon stopped on SIGTERM");
    let _ = fs::remove_dir_all(&dir);
}
