//! The named pipes of ExaBGP's CLI (api.md §9.1): where `<pipename>.in` / `<pipename>.out` are
//! looked for, and the bridge process the daemon runs between those FIFOs and its own pipes.
//!
//! The bridge is the `rexa` binary started with `exabgp_cli_pipe=<dir>` in its environment (by
//! the daemon, as a hidden helper). It writes `enable-ack` and drops its answer, then copies
//! the lines a client writes to `<dir>/<pipename>.in` to its stdout (commands for the daemon)
//! and the lines of its stdin (the daemon's answers) to `<dir>/<pipename>.out`. Both FIFOs
//! are held open read-write, so clients come and go without end-of-file or "no reader"
//! errors. Every descriptor is non-blocking in one `mio` poll, so neither side can stall the
//! other; it ends when its stdin closes (the daemon is gone). Commands tagged `@ID` get their
//! answers tagged, and ack controls are kept by the bridge, as on the control socket
//! ([`super::socket`]); FIFOs writable by everyone or owned by another user are refused.

use std::collections::VecDeque;
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
    /// A FIFO anyone may write to, or owned by a user other than root and the daemon's:
    /// its commands could come from anybody.
    Unsafe { path: PathBuf, reason: String },
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
            BridgeError::Unsafe { path, reason } => write!(
                f,
                "refusing the named pipe {}: {reason} (make it mode 600, owned by root or \
                 the daemon's user)",
                path.display()
            ),
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
    /// Opens both FIFOs, refusing them unless each is owned by one of `owners` and not
    /// writable by everyone (checked on the opened descriptors: no race with a rename).
    pub fn open(fifos: Fifos, owners: &[u32]) -> Result<OpenFifos, BridgeError> {
        let open = |path: &Path| {
            let file = open_fifo(path, true, true).map_err(|error| BridgeError::Open {
                path: path.to_path_buf(),
                error,
            })?;
            let meta = file.metadata().map_err(|error| BridgeError::Open {
                path: path.to_path_buf(),
                error,
            })?;
            check_fifo(&meta, owners).map_err(|reason| BridgeError::Unsafe {
                path: path.to_path_buf(),
                reason,
            })?;
            Ok(OwnedFd::from(file))
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

    /// The descriptors the bridge inherits.
    pub fn inherited(&self) -> Vec<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        vec![self.commands.as_raw_fd(), self.answers.as_raw_fd()]
    }

    /// The environment of the bridge helper on these FIFOs.
    pub fn bridge_env(&self, pipename: &str) -> Vec<(String, String)> {
        let mut dir = self.fifos.dir.to_string_lossy().into_owned();
        // ExaBGP's bridge is given the directory with its trailing slash.
        if !dir.ends_with('/') {
            dir.push('/');
        }
        vec![
            (CLI_PIPE_VAR.to_owned(), dir),
            ("exabgp_api_pipename".to_owned(), pipename.to_owned()),
            (CLI_FDS_VAR.to_owned(), self.fds_value()),
        ]
    }
}

/// Why a FIFO may not carry commands: not a FIFO, writable by everyone, or owned by a user
/// not in `owners`.
pub fn check_fifo(meta: &std::fs::Metadata, owners: &[u32]) -> Result<(), String> {
    if !meta.file_type().is_fifo() {
        return Err("not a named pipe".into());
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o002 != 0 {
        return Err(format!("it is writable by everyone (mode {mode:03o})"));
    }
    if !owners.contains(&meta.uid()) {
        return Err(format!("it is owned by uid {}", meta.uid()));
    }
    Ok(())
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

/// A bridge's two pipes to the daemon, its stdin (answers) and stdout (commands), as
/// non-blocking `mio` pipes; on failure, which one and why.
pub(crate) fn daemon_pipes() -> Result<(Receiver, Sender), (&'static str, io::Error)> {
    let owned = |fd: std::os::fd::BorrowedFd<'_>, what| {
        fd.try_clone_to_owned().map_err(|error| (what, error))
    };
    let stdin = Receiver::from(owned(io::stdin().as_fd(), "stdin")?);
    stdin.set_nonblocking(true).map_err(|e| ("stdin", e))?;
    let stdout = Sender::from(owned(io::stdout().as_fd(), "stdout")?);
    stdout.set_nonblocking(true).map_err(|e| ("stdout", e))?;
    Ok((stdin, stdout))
}

/// Splits what a reader returned into lines, for both bridges: `partial` holds the line begun
/// by earlier reads; `each` gets every line completed, without its `\n` and a `\r` before it.
pub(crate) fn complete_lines(partial: &mut Vec<u8>, bytes: &[u8], mut each: impl FnMut(&str)) {
    for piece in bytes.split_inclusive(|b| *b == b'\n') {
        match piece.strip_suffix(b"\n") {
            Some(body) => {
                partial.extend_from_slice(body);
                {
                    let text = String::from_utf8_lossy(partial);
                    each(text.strip_suffix('\r').unwrap_or(&text));
                }
                partial.clear();
            }
            None => partial.extend_from_slice(piece),
        }
    }
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
    let owners = [0, crate::sys::ids().1];
    match OpenFifos::open(fifos, &owners)
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

/// One answer the bridge waits for, in command order.
#[derive(Debug)]
enum Expected {
    /// The daemon's answer to our own `enable-ack`: dropped.
    Ours,
    /// The daemon's answer to a client's command, tagged `@ID ` when the command was.
    Daemon(Option<String>),
    /// A command the bridge answers itself (an ack control, a bad identifier), acted on
    /// when the answers before it are written.
    Local(Option<String>, super::socket::Action),
}

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
    /// A partial answer line of the daemon.
    from_daemon: Vec<u8>,
    /// The answers expected, in the order of the commands (the daemon answers in order).
    expected: VecDeque<Expected>,
    /// `done` / `error` reach the clients (`disable-ack` / `silence-ack` turn them off; the
    /// daemon's own acks stay on for the bridge, which needs them to tell answers apart).
    acks: bool,
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
        let (stdin, stdout) =
            daemon_pipes().map_err(|(what, error)| BridgeError::Stdio { what, error })?;
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
            from_daemon: Vec::new(),
            expected: VecDeque::from([Expected::Ours]),
            acks: true,
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
                    self.command_read();
                }
            } else if self.to_daemon.len() - self.partial_command > MAX_LINE {
                eprintln!(
                    "rexa cli bridge: a command longer than {MAX_LINE} bytes is being dropped"
                );
                self.to_daemon.truncate(self.partial_command);
            }
        }
    }

    /// A complete command line ends `to_daemon`: its identifier comes off, and the commands
    /// the daemon would not answer in order are answered here (see [`super::socket`]).
    fn command_read(&mut self) {
        use super::socket::{action_of, split_id, Action, Tagged};
        let start = self.partial_command;
        let line = self.to_daemon.get(start..).unwrap_or_default();
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\n').trim_end_matches('\r');
        let (id, command, action) = match split_id(text) {
            Tagged::Plain(command) => (None, command, action_of(command)),
            Tagged::Tagged { id, command } => (
                Some(id.to_owned()),
                command,
                Some(action_of(command).unwrap_or(Action::Fail)),
            ),
            Tagged::BadId => (None, "", Some(Action::Fail)),
        };
        let local = |this: &mut Self, id, action| {
            this.to_daemon.truncate(start);
            this.expected.push_back(Expected::Local(id, action));
            this.flush_local();
        };
        match action {
            // Blank: the daemon ignores it too.
            None => self.partial_command = self.to_daemon.len(),
            Some(Action::Forward) => {
                if id.is_some() {
                    let command = format!("{command}\n");
                    self.to_daemon.truncate(start);
                    self.to_daemon.extend_from_slice(command.as_bytes());
                }
                self.partial_command = self.to_daemon.len();
                self.expected.push_back(Expected::Daemon(id));
            }
            Some(Action::ForwardSilent) => {
                let command = format!("{command}\n");
                self.to_daemon.truncate(start);
                self.to_daemon.extend_from_slice(command.as_bytes());
                self.partial_command = self.to_daemon.len();
            }
            // Commands go to the daemon as they come: nothing waits here to be dropped.
            Some(Action::Reset) => self.to_daemon.truncate(start),
            Some(action) => local(self, id, action),
        }
    }

    /// Writes the bridge's own answers that are next in order.
    fn flush_local(&mut self) {
        use super::socket::Action;
        while let Some(Expected::Local(..)) = self.expected.front() {
            let Some(Expected::Local(id, action)) = self.expected.pop_front() else {
                break;
            };
            let id = id.as_deref();
            match action {
                Action::EnableAck => {
                    self.acks = true;
                    self.answer(id, "done", true);
                }
                // Answered, then silence.
                Action::DisableAck => {
                    self.answer(id, "done", true);
                    self.acks = false;
                }
                Action::SilenceAck => self.acks = false,
                _ => self.answer(id, "error", true),
            }
        }
    }

    /// Queues one answer line for the clients, tagged with `id`.
    fn answer(&mut self, id: Option<&str>, line: &str, terminal: bool) {
        if terminal && !self.acks {
            return;
        }
        if let Some(id) = id {
            self.to_client.push(b'@');
            self.to_client.extend_from_slice(id.as_bytes());
            self.to_client.push(b' ');
        }
        self.to_client.extend_from_slice(line.as_bytes());
        self.to_client.push(b'\n');
        self.trim_answers();
    }

    /// One line of the daemon: to the command it answers.
    fn route(&mut self, line: &str) {
        let terminal = super::socket::is_terminal(line);
        match self.expected.front() {
            Some(Expected::Ours) => {}
            Some(Expected::Daemon(id)) => {
                let id = id.clone();
                self.answer(id.as_deref(), line, terminal);
            }
            // A line while no command runs (the daemon's last words): as it is.
            Some(Expected::Local(..)) | None => {
                self.answer(None, line, false);
                return;
            }
        }
        if terminal {
            self.expected.pop_front();
            self.flush_local();
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
                    let bytes = chunk.get(..n).unwrap_or_default();
                    let mut partial = std::mem::take(&mut self.from_daemon);
                    complete_lines(&mut partial, bytes, |line| self.route(line));
                    self.from_daemon = partial;
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
    fn answers_are_cut_into_lines_across_reads() {
        let mut partial = Vec::new();
        let mut lines = Vec::new();
        complete_lines(&mut partial, b"first\r\nsec", |l| lines.push(l.to_owned()));
        assert_eq!(lines, ["first"]);
        assert_eq!(partial, b"sec");
        complete_lines(&mut partial, b"ond\n\ndone\n", |l| lines.push(l.to_owned()));
        assert_eq!(lines, ["first", "second", "", "done"]);
        assert!(partial.is_empty());
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

    #[test]
    fn world_writable_or_foreign_fifos_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("rexa-fifo-check-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("make the directory");
        let path = dir.join("exabgp.in");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("run mkfifo");
        assert!(status.success());
        let own = crate::sys::ids().1;
        let set_mode = |mode: u32| {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            std::fs::metadata(&path).expect("metadata")
        };
        assert_eq!(check_fifo(&set_mode(0o600), &[own]), Ok(()));
        assert_eq!(check_fifo(&set_mode(0o660), &[own]), Ok(()));
        let refused = check_fifo(&set_mode(0o622), &[own]).expect_err("world-writable");
        assert!(refused.contains("writable by everyone"), "{refused}");
        let refused = check_fifo(&set_mode(0o600), &[own + 1]).expect_err("foreign owner");
        assert!(refused.contains("owned by uid"), "{refused}");
        let file = dir.join("plain");
        std::fs::write(&file, b"").expect("write");
        let meta = std::fs::metadata(&file).expect("metadata");
        assert!(check_fifo(&meta, &[own]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
