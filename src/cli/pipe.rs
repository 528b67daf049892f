//! The named pipes of ExaBGP's CLI (api.md §9.1): where `<pipename>.in` / `<pipename>.out` are
//! looked for, and the bridge process the daemon runs between those FIFOs and its own pipes.
//!
//! The bridge is the `rexa` binary started with `exabgp_cli_pipe=<dir>` in its environment (by
//! the daemon, as a hidden helper). It writes `enable-ack` and drops its answer, then copies
//! the lines a client writes to `<dir>/<pipename>.in` to its stdout (commands for the daemon)
//! and the lines of its stdin (the daemon's answers) to `<dir>/<pipename>.out`. Both FIFOs
//! are held open read-write, so clients come and go without end-of-file or "no reader"
//! errors. Every descriptor is non-blocking in one `mio` poll, so neither side can stall the
//! other; it ends when its stdin closes (the daemon is gone).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mio::unix::pipe::{Receiver, Sender};
use mio::{Events, Interest, Poll, Token};

/// Set by the daemon for its CLI bridge: the directory holding the FIFOs.
pub const CLI_PIPE_VAR: &str = "exabgp_cli_pipe";
/// rexa's own addition for its bridge: `IN,OUT`, the descriptors of the two FIFOs, opened by
/// the daemon before it dropped its privileges and inherited by the bridge (which may then
/// run as a user that could not open them).
pub const CLI_FDS_VAR: &str = "rexa_cli_pipe_fds";
/// rexa's own override of the directory search: this directory is tried first (ExaBGP has no
/// such setting; its installation-root variants of the search list are not supported).
pub const CLI_DIR_VAR: &str = "REXA_CLI_DIR";
/// The base name of the FIFOs when `exabgp.api.pipename` is not set.
pub const DEFAULT_PIPENAME: &str = "exabgp";

/// The longest command line the bridge forwards (ExaBGP's limit); longer ones are dropped.
const MAX_LINE: usize = 1024 * 1024;
/// Bytes waiting in either direction above which the oldest waiting lines are dropped.
const MAX_BACKLOG: usize = 16 * 1024 * 1024;

/// The two FIFOs of a CLI, found in one directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fifos {
    pub dir: PathBuf,
    /// Commands: the CLI client writes, the bridge reads.
    pub input: PathBuf,
    /// Answers: the bridge writes, the CLI client reads.
    pub output: PathBuf,
}

impl Fifos {
    pub fn in_dir(dir: &Path, pipename: &str) -> Fifos {
        Fifos {
            dir: dir.to_path_buf(),
            input: dir.join(format!("{pipename}.in")),
            output: dir.join(format!("{pipename}.out")),
        }
    }

    /// Whether both paths are FIFOs.
    pub fn exist(&self) -> bool {
        is_fifo(&self.input) && is_fifo(&self.output)
    }
}

fn is_fifo(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

/// The directories searched, in order: `$REXA_CLI_DIR` when set, then ExaBGP's `/run/exabgp`,
/// `/run/<uid>`, `/run`, `/var/run/exabgp`, `/var/run/<uid>`, `/var/run`.
pub fn search_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os(CLI_DIR_VAR).filter(|d| !d.is_empty()) {
        dirs.push(PathBuf::from(dir));
    }
    // The owner of /proc/self is our (effective) user: no unsafe getuid() needed.
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    for base in ["/run", "/var/run"] {
        dirs.push(Path::new(base).join("exabgp"));
        if let Some(uid) = uid {
            dirs.push(Path::new(base).join(uid.to_string()));
        }
        dirs.push(PathBuf::from(base));
    }
    dirs
}

/// The first directory of [`search_dirs`] holding both FIFOs, or every directory scanned.
pub fn locate(pipename: &str) -> Result<Fifos, Vec<PathBuf>> {
    let dirs = search_dirs();
    dirs.iter()
        .map(|dir| Fifos::in_dir(dir, pipename))
        .find(Fifos::exist)
        .ok_or(dirs)
}

/// Whether some process (another daemon's bridge) already reads `fifos.input`.
pub fn has_reader(fifos: &Fifos) -> bool {
    // A write-only open without blocking succeeds only when a reader exists (else ENXIO).
    open_fifo(&fifos.input, false, true).is_ok()
}

/// The commands that make the FIFOs, one per line, for a log or an error message.
pub fn mkfifo_advice(pipename: &str) -> Vec<String> {
    let dir = "/run/exabgp";
    let mut lines = vec![
        format!("mkdir -p {dir}"),
        format!("mkfifo {dir}/{pipename}.in {dir}/{pipename}.out"),
        format!("chmod 600 {dir}/{pipename}.in {dir}/{pipename}.out"),
    ];
    if let Ok(meta) = std::fs::metadata("/proc/self") {
        if meta.uid() != 0 {
            lines.push(format!(
                "chown {}:{} {dir}/{pipename}.in {dir}/{pipename}.out",
                meta.uid(),
                meta.gid()
            ));
        }
    }
    lines
}

/// The pipe name the bridge was started with: `exabgp_api_pipename` (set by the daemon), or
/// its dotted spelling, or the default.
fn bridge_pipename() -> String {
    ["exabgp_api_pipename", "exabgp.api.pipename"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| DEFAULT_PIPENAME.to_owned())
}

/// Why the bridge stopped on an error.
#[derive(Debug)]
pub enum BridgeError {
    /// A FIFO could not be opened.
    Open { path: PathBuf, error: io::Error },
    /// Writing to a FIFO failed.
    Write { path: PathBuf, error: io::Error },
    /// Our stdin or stdout could not be used.
    Stdio {
        what: &'static str,
        error: io::Error,
    },
    /// The poll failed.
    Poll(io::Error),
}

impl std::fmt::Display for BridgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BridgeError::Open { path, error } => {
                write!(f, "cannot open the named pipe {}: {error}", path.display())
            }
            BridgeError::Write { path, error } => {
                write!(
                    f,
                    "cannot write to the named pipe {}: {error}",
                    path.display()
                )
            }
            BridgeError::Stdio { what, error } => write!(f, "cannot use {what}: {error}"),
            BridgeError::Poll(error) => write!(f, "poll failed: {error}"),
        }
    }
}

impl std::error::Error for BridgeError {}

/// The two FIFOs opened the way the bridge uses them: read-write and non-blocking.
#[derive(Debug)]
pub struct OpenFifos {
    pub fifos: Fifos,
    /// `.in`: commands from clients.
    pub commands: OwnedFd,
    /// `.out`: answers to clients.
    pub answers: OwnedFd,
}

impl OpenFifos {
    pub fn open(fifos: Fifos) -> Result<OpenFifos, BridgeError> {
        let open = |path: &Path| {
            open_fifo(path, true, true)
                .map(OwnedFd::from)
                .map_err(|error| BridgeError::Open {
                    path: path.to_path_buf(),
                    error,
                })
        };
        let commands = open(&fifos.input)?;
        let answers = open(&fifos.output)?;
        Ok(OpenFifos {
            fifos,
            commands,
            answers,
        })
    }

    /// The value of [`CLI_FDS_VAR`] for a child that inherits both descriptors.
    pub fn fds_value(&self) -> String {
        use std::os::fd::AsRawFd;
        format!("{},{}", self.commands.as_raw_fd(), self.answers.as_raw_fd())
    }
}

/// The FIFOs handed down by the daemon through [`CLI_FDS_VAR`], if it set it.
fn inherited_fifos(fifos: &Fifos) -> Option<Result<OpenFifos, BridgeError>> {
    let value = std::env::var(CLI_FDS_VAR).ok().filter(|v| !v.is_empty())?;
    let adopt = |text: Option<&str>, path: &Path| {
        let invalid = || {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{CLI_FDS_VAR}={value}"),
            )
        };
        text.and_then(|t| t.trim().parse::<i32>().ok())
            .ok_or_else(invalid)
            .and_then(crate::sys::adopt_inherited_fd)
            .map_err(|error| BridgeError::Open {
                path: path.to_path_buf(),
                error,
            })
    };
    let mut parts = value.split(',');
    Some(adopt(parts.next(), &fifos.input).and_then(|commands| {
        adopt(parts.next(), &fifos.output).map(|answers| OpenFifos {
            fifos: fifos.clone(),
            commands,
            answers,
        })
    }))
}

/// `exabgp_cli_pipe=<dir> rexa ...`: runs the bridge until the daemon closes our stdin.
pub fn bridge_main(dir: &Path) -> ExitCode {
    let fifos = Fifos::in_dir(dir, &bridge_pipename());
    if let Some(inherited) = inherited_fifos(&fifos) {
        return match inherited
            .and_then(|open| Bridge::new(open, false))
            .and_then(|mut b| b.run())
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("rexa cli bridge: {error}");
                ExitCode::from(1)
            }
        };
    }
    if !fifos.exist() {
        eprintln!(
            "rexa cli bridge: {} and {} must both be named pipes",
            fifos.input.display(),
            fifos.output.display()
        );
        return ExitCode::from(1);
    }
    match OpenFifos::open(fifos)
        .and_then(|open| Bridge::new(open, true))
        .and_then(|mut bridge| bridge.run())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rexa cli bridge: {error}");
            ExitCode::from(1)
        }
    }
}

/// The bridge's first line: its answers must always end with `done` / `error`, whatever
/// `exabgp.api.ack` says (the client waits for them).
const ENABLE_ACK: &[u8] = b"enable-ack\n";

const STDIN: Token = Token(0);
const STDOUT: Token = Token(1);
const FIFO_IN: Token = Token(2);
const FIFO_OUT: Token = Token(3);

/// The bridge's descriptors and what waits in each direction.
struct Bridge {
    fifos: Fifos,
    poll: Poll,
    stdin: Receiver,
    stdout: Sender,
    /// `.in`, opened read-write so that it always has a writer: no end of file between
    /// clients, and a client finds a reader as long as the bridge runs.
    commands: Receiver,
    /// `.out`, also opened read-write: answers go into the FIFO whether a client reads it
    /// or not, and wait there (up to the pipe's capacity, then in `to_client`) for the
    /// next reader; a client drains what it did not ask for before it sends its command.
    answers: Sender,
    /// Complete command lines for the daemon, then a partial one being read.
    to_daemon: Vec<u8>,
    /// Where the partial command line starts in `to_daemon`.
    partial_command: usize,
    /// The daemon's answers for the client.
    to_client: Vec<u8>,
    /// The answer to our `enable-ack` has not been dropped yet.
    skip_first_answer: bool,
    /// `.in` may be opened again by path (false when the daemon handed it down).
    may_reopen: bool,
}

fn open_fifo(path: &Path, read: bool, write: bool) -> io::Result<File> {
    OpenOptions::new()
        .read(read)
        .write(write)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

impl Bridge {
    fn new(open: OpenFifos, may_reopen: bool) -> Result<Bridge, BridgeError> {
        let OpenFifos {
            fifos,
            commands,
            answers,
        } = open;
        let stdio = |what: &'static str| move |error| BridgeError::Stdio { what, error };
        let stdin_fd = io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .map_err(stdio("stdin"))?;
        let stdout_fd = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(stdio("stdout"))?;
        let stdin = Receiver::from(stdin_fd);
        stdin.set_nonblocking(true).map_err(stdio("stdin"))?;
        let stdout = Sender::from(stdout_fd);
        stdout.set_nonblocking(true).map_err(stdio("stdout"))?;
        let commands = Receiver::from(commands);
        let answers = Sender::from(answers);
        let poll = Poll::new().map_err(BridgeError::Poll)?;
        let mut bridge = Bridge {
            fifos,
            poll,
            stdin,
            stdout,
            commands,
            answers,
            to_daemon: ENABLE_ACK.to_vec(),
            partial_command: ENABLE_ACK.len(),
            to_client: Vec::new(),
            skip_first_answer: true,
            may_reopen,
        };
        let registry = bridge.poll.registry();
        registry
            .register(&mut bridge.stdin, STDIN, Interest::READABLE)
            .and_then(|()| registry.register(&mut bridge.stdout, STDOUT, Interest::WRITABLE))
            .and_then(|()| registry.register(&mut bridge.commands, FIFO_IN, Interest::READABLE))
            .and_then(|()| registry.register(&mut bridge.answers, FIFO_OUT, Interest::WRITABLE))
            .map_err(BridgeError::Poll)?;
        Ok(bridge)
    }

    fn run(&mut self) -> Result<(), BridgeError> {
        let mut events = Events::with_capacity(8);
        loop {
            // Every pass tries every direction: readiness is edge-triggered, and trying costs
            // a system call that answers "would block" at worst.
            self.read_commands()?;
            if !self.read_answers()? {
                // The daemon is gone: what can still reach a client goes, then we end.
                self.write_answers()?;
                return Ok(());
            }
            self.write_commands()?;
            self.write_answers()?;
            match self.poll.poll(&mut events, None) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(BridgeError::Poll(error)),
            }
        }
    }

    /// Reads what clients wrote to `.in`; complete lines are queued for the daemon.
    fn read_commands(&mut self) -> Result<(), BridgeError> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.commands.read(&mut chunk) {
                // Only possible if the descriptor lost its writer: open it again.
                Ok(0) => return self.reopen_commands(),
                Ok(n) => {
                    let bytes = chunk.get(..n).unwrap_or_default();
                    self.queue_command_bytes(bytes);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return self.reopen_commands(),
            }
        }
    }

    fn reopen_commands(&mut self) -> Result<(), BridgeError> {
        if !self.may_reopen {
            // Held read-write, `.in` never loses its writer; an error here ends this bridge
            // and the daemon starts a new one on the same descriptors.
            return Err(BridgeError::Open {
                path: self.fifos.input.clone(),
                error: io::Error::new(io::ErrorKind::BrokenPipe, "inherited pipe failed"),
            });
        }
        let _ = self.poll.registry().deregister(&mut self.commands);
        let file = open_fifo(&self.fifos.input, true, true).map_err(|error| BridgeError::Open {
            path: self.fifos.input.clone(),
            error,
        })?;
        self.commands = Receiver::from(OwnedFd::from(file));
        // A line cut short by a client that went away is not a command.
        self.to_daemon.truncate(self.partial_command);
        self.poll
            .registry()
            .register(&mut self.commands, FIFO_IN, Interest::READABLE)
            .map_err(BridgeError::Poll)
    }

    fn queue_command_bytes(&mut self, bytes: &[u8]) {
        for piece in bytes.split_inclusive(|b| *b == b'\n') {
            self.to_daemon.extend_from_slice(piece);
            if piece.ends_with(b"\n") {
                let line_len = self.to_daemon.len() - self.partial_command;
                if line_len > MAX_LINE || self.to_daemon.len() > MAX_BACKLOG {
                    eprintln!("rexa cli bridge: a command of {line_len} bytes was dropped");
                    self.to_daemon.truncate(self.partial_command);
                } else {
                    self.partial_command = self.to_daemon.len();
                }
            } else if self.to_daemon.len() - self.partial_command > MAX_LINE {
                eprintln!(
                    "rexa cli bridge: a command longer than {MAX_LINE} bytes is being dropped"
                );
                self.to_daemon.truncate(self.partial_command);
            }
        }
    }

    /// Writes the complete command lines to the daemon.
    fn write_commands(&mut self) -> Result<(), BridgeError> {
        while self.partial_command > 0 {
            let pending = self
                .to_daemon
                .get(..self.partial_command)
                .unwrap_or_default();
            match self.stdout.write(pending) {
                Ok(0) => break,
                Ok(n) => {
                    self.to_daemon.drain(..n);
                    self.partial_command -= n;
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(BridgeError::Stdio {
                        what: "stdout",
                        error,
                    })
                }
            }
        }
        Ok(())
    }

    /// Reads the daemon's answers; false once the daemon closed our stdin.
    fn read_answers(&mut self) -> Result<bool, BridgeError> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.stdin.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    let mut bytes = chunk.get(..n).unwrap_or_default();
                    if self.skip_first_answer {
                        match bytes.iter().position(|b| *b == b'\n') {
                            Some(end) => {
                                self.skip_first_answer = false;
                                bytes = bytes.get(end + 1..).unwrap_or_default();
                            }
                            None => continue,
                        }
                    }
                    self.to_client.extend_from_slice(bytes);
                    self.trim_answers();
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(BridgeError::Stdio {
                        what: "stdin",
                        error,
                    })
                }
            }
        }
    }

    /// Nobody reads the answers: past the backlog limit the oldest lines go.
    fn trim_answers(&mut self) {
        if self.to_client.len() <= MAX_BACKLOG {
            return;
        }
        let excess = self.to_client.len() - MAX_BACKLOG / 2;
        let cut = self
            .to_client
            .iter()
            .skip(excess)
            .position(|b| *b == b'\n')
            .map_or(self.to_client.len(), |at| excess + at + 1);
        eprintln!("rexa cli bridge: no client reads the answers, {cut} bytes dropped");
        self.to_client.drain(..cut);
    }

    /// Writes the answers to `.out`, as much as the FIFO takes.
    fn write_answers(&mut self) -> Result<(), BridgeError> {
        while !self.to_client.is_empty() {
            match self.answers.write(&self.to_client) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    self.to_client.drain(..n);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                // We hold a read end ourselves: no EPIPE; anything else is fatal.
                Err(error) => {
                    return Err(BridgeError::Write {
                        path: self.fifos.output.clone(),
                        error,
                    })
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_list_follows_exabgp() {
        let dirs = search_dirs();
        let text: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        let run = text
            .iter()
            .position(|d| d == "/run/exabgp")
            .expect("/run/exabgp");
        assert_eq!(text.get(run + 2).map(String::as_str), Some("/run"));
        assert_eq!(
            text.get(run + 3).map(String::as_str),
            Some("/var/run/exabgp")
        );
        assert_eq!(text.last().map(String::as_str), Some("/var/run"));
    }

    #[test]
    fn fifos_are_named_after_the_pipename() {
        let fifos = Fifos::in_dir(Path::new("/tmp/x"), "rexa");
        assert_eq!(fifos.input, Path::new("/tmp/x/rexa.in"));
        assert_eq!(fifos.output, Path::new("/tmp/x/rexa.out"));
        assert!(!fifos.exist());
    }

    #[test]
    fn advice_makes_both_pipes() {
        let advice = mkfifo_advice("exabgp");
        assert!(advice
            .iter()
            .any(|l| l == "mkfifo /run/exabgp/exabgp.in /run/exabgp/exabgp.out"));
    }
}
