//! The control socket of the CLI (ExaBGP 6's `<dir>/<socketname>.sock`, api.md §9.2): its
//! creation by the daemon, and the bridge process between its clients and the daemon.
//!
//! The daemon binds the socket while still root (mode 0600, owned by the account it drops
//! to; a stale file is replaced, a live one left alone) and hands the listening descriptor to
//! the bridge: the `rexa` binary started with `exabgp_cli_socket=<dir>`, as a hidden helper.
//! The bridge accepts clients whose credentials (`SO_PEERCRED`) are root's or the daemon
//! user's, reads their newline-ended commands, sends them to the daemon one at a time (its
//! answers end with `done` / `error`: the bridge starts with `enable-ack`), and routes each
//! answer to the client that asked. A line the daemon writes while no command runs goes to
//! every client. Everything is non-blocking in one `mio` poll, every buffer bounded.
//!
//! Reply correlation (rexa's own, opt in): a command written `@ID COMMAND` is sent as
//! `COMMAND` and every line of its answer, `done` / `error` included, comes back as
//! `@ID LINE`. No command of ExaBGP's grammar starts with `@`, so plain commands never clash.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixListener as StdUnixListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mio::net::{UnixListener, UnixStream};
use mio::unix::pipe::{Receiver, Sender};
use mio::{Events, Interest, Poll, Token};

use super::pipe::{complete_lines, daemon_pipes};

use super::pipe;

/// Set by the daemon for its socket bridge: the directory holding the socket (ExaBGP 6's
/// variable of the same name).
pub const CLI_SOCKET_VAR: &str = "exabgp_cli_socket";
/// rexa's own: the descriptor of the listening socket, bound by the daemon before it dropped
/// its privileges and inherited by the bridge.
pub const SOCKET_FD_VAR: &str = "rexa_cli_socket_fd";
/// rexa's own: the uid allowed to connect besides root (the daemon's user).
pub const SOCKET_UID_VAR: &str = "rexa_cli_socket_uid";
/// The socket's base name when `exabgp.api.socketname` is not set.
pub const DEFAULT_SOCKETNAME: &str = "exabgp";

/// The longest command line a client may send (the daemon's own limit); longer ones are
/// answered `error`.
const MAX_LINE: usize = crate::api::command::MAX_COMMAND_LEN;
/// Bytes of a client's commands waiting for their turn above which its socket is not read
/// (the kernel's buffer then holds the rest: the client's writes block, nothing is lost).
const QUEUE_HIGH: usize = 1024 * 1024;
/// Bytes of answers waiting for a client above which the daemon's answers are not read
/// (back-pressure on the daemon, which bounds its own buffer to the bridge).
const ANSWER_HIGH: usize = 1024 * 1024;
/// A client whose unread answers grow past this (lines for everyone, which are not paced)
/// is disconnected.
const ANSWER_LIMIT: usize = 64 * 1024 * 1024;
/// Clients connected at once; more are answered `error` and closed.
const MAX_CLIENTS: usize = 64;
/// The longest correlation identifier.
pub const MAX_ID: usize = 64;

/// `<dir>/<socketname>.sock`.
pub fn socket_path(dir: &Path, socketname: &str) -> PathBuf {
    dir.join(format!("{socketname}.sock"))
}

fn is_socket(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// The first socket `<socketname>.sock` in the CLI's search list ([`pipe::search_dirs`]).
pub fn locate(socketname: &str) -> Option<PathBuf> {
    pipe::search_dirs()
        .iter()
        .map(|dir| socket_path(dir, socketname))
        .find(|path| is_socket(path))
}

/// Why the daemon has no control socket.
#[derive(Debug)]
pub enum SocketError {
    /// No directory of the search list exists or lets us create the socket.
    NoDirectory { tried: Vec<PathBuf> },
    /// Another process (rexa or ExaBGP 6) listens on it.
    InUse { path: PathBuf },
    /// Something that is not a socket has the socket's name.
    NotASocket { path: PathBuf },
    /// A system call failed on the path.
    Io {
        path: PathBuf,
        what: &'static str,
        error: io::Error,
    },
}

impl fmt::Display for SocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketError::NoDirectory { tried } => {
                let tried: Vec<String> = tried.iter().map(|d| d.display().to_string()).collect();
                write!(
                    f,
                    "no directory to create the control socket in (tried {})",
                    tried.join(", ")
                )
            }
            SocketError::InUse { path } => write!(
                f,
                "another process (rexa or exabgp) already listens on {}",
                path.display()
            ),
            SocketError::NotASocket { path } => write!(
                f,
                "{} exists and is not a socket; remove it to have a control socket",
                path.display()
            ),
            SocketError::Io { path, what, error } => {
                write!(f, "cannot {what} {}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for SocketError {}

/// The daemon's listening control socket; its file is removed when this is dropped (if it is
/// still ours and the process may remove it: after the privilege drop it may not, and the
/// next start replaces the stale file).
#[derive(Debug)]
pub struct ControlSocket {
    pub path: PathBuf,
    pub listener: StdUnixListener,
    /// The file's identity, so that only our own socket file is ever removed.
    dev: u64,
    ino: u64,
}

impl ControlSocket {
    /// Binds `<dir>/<socketname>.sock` in the first directory of the search list that exists
    /// and lets us create it: mode 0600, owned by `owner` (uid, gid) when given. A socket file
    /// nobody listens on is replaced; a live one is an error ([`SocketError::InUse`]).
    pub fn create(socketname: &str, owner: Option<(u32, u32)>) -> Result<Self, SocketError> {
        let mut tried = Vec::new();
        for dir in pipe::search_dirs() {
            if !dir.is_dir() {
                continue;
            }
            let path = socket_path(&dir, socketname);
            tried.push(dir);
            match Self::bind(&path, owner) {
                Ok(socket) => return Ok(socket),
                // Not ours to write to (a user without root): the next directory may be.
                Err(SocketError::Io { error, .. })
                    if matches!(
                        error.raw_os_error(),
                        Some(libc::EACCES | libc::EPERM | libc::EROFS)
                    ) => {}
                Err(error) => return Err(error),
            }
        }
        Err(SocketError::NoDirectory { tried })
    }

    /// Binds `path` (see [`ControlSocket::create`]).
    pub fn bind(path: &Path, owner: Option<(u32, u32)>) -> Result<Self, SocketError> {
        let io_error = |what: &'static str| {
            let path = path.to_path_buf();
            move |error| SocketError::Io { path, what, error }
        };
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                return Err(SocketError::NotASocket {
                    path: path.to_path_buf(),
                });
            }
            match std::os::unix::net::UnixStream::connect(path) {
                Ok(_) => {
                    return Err(SocketError::InUse {
                        path: path.to_path_buf(),
                    })
                }
                // Nobody listens: a stale file of a process that died.
                Err(error)
                    if matches!(
                        error.raw_os_error(),
                        Some(libc::ECONNREFUSED | libc::ENOENT)
                    ) =>
                {
                    std::fs::remove_file(path).map_err(io_error("remove the stale socket"))?;
                }
                Err(error) => return Err(io_error("check the socket")(error)),
            }
        }
        // Created 0600 from the start: no moment where another user could connect.
        let previous = crate::sys::set_umask(0o177);
        let bound = StdUnixListener::bind(path);
        crate::sys::set_umask(previous);
        let listener = bound.map_err(io_error("bind the control socket"))?;
        let socket = |listener| -> Result<Self, SocketError> {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(io_error("set the mode of"))?;
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(path, Some(uid), Some(gid))
                    .map_err(io_error("change the owner of"))?;
            }
            let meta = std::fs::symlink_metadata(path).map_err(io_error("read"))?;
            Ok(ControlSocket {
                path: path.to_path_buf(),
                listener,
                dev: meta.dev(),
                ino: meta.ino(),
            })
        };
        socket(listener).inspect_err(|_| {
            let _ = std::fs::remove_file(path);
        })
    }

    /// The directory holding the socket.
    pub fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
    }

    /// The environment of the bridge helper: it inherits the listening descriptor and lets
    /// `allowed_uid` (and root) in.
    pub fn bridge_env(&self, socketname: &str, allowed_uid: u32) -> Vec<(String, String)> {
        let mut dir = self.dir().to_string_lossy().into_owned();
        if !dir.ends_with('/') {
            dir.push('/');
        }
        vec![
            (CLI_SOCKET_VAR.to_owned(), dir),
            ("exabgp_api_socketname".to_owned(), socketname.to_owned()),
            (
                SOCKET_FD_VAR.to_owned(),
                self.listener.as_raw_fd().to_string(),
            ),
            (SOCKET_UID_VAR.to_owned(), allowed_uid.to_string()),
        ]
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let ours = std::fs::symlink_metadata(&self.path)
            .is_ok_and(|m| m.dev() == self.dev && m.ino() == self.ino);
        if ours {
            if let Err(error) = std::fs::remove_file(&self.path) {
                log::debug!(
                    "cli: cannot remove {} ({error}); the next start replaces it",
                    self.path.display()
                );
            }
        }
    }
}

/// A command line split into its correlation identifier (if it has one) and the command.
#[derive(Debug, PartialEq, Eq)]
pub enum Tagged<'a> {
    /// No `@` in front: the command as written.
    Plain(&'a str),
    /// `@ID COMMAND`.
    Tagged { id: &'a str, command: &'a str },
    /// An `@` not followed by a usable identifier (empty, too long, not printable ASCII).
    BadId,
}

/// Splits `@ID COMMAND` (see the module documentation); identifiers are 1 to [`MAX_ID`]
/// printable ASCII characters without spaces.
pub fn split_id(line: &str) -> Tagged<'_> {
    let Some(rest) = line.trim_start().strip_prefix('@') else {
        return Tagged::Plain(line);
    };
    let (id, command) = rest
        .split_once([' ', '\t'])
        .map_or((rest, ""), |(id, command)| (id, command));
    if id.is_empty() || id.len() > MAX_ID || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Tagged::BadId;
    }
    Tagged::Tagged {
        id,
        command: command.trim_start(),
    }
}

/// Whether a line of the daemon ends the answer to a command.
pub fn is_terminal(line: &str) -> bool {
    matches!(line, "done" | "error")
        || line.starts_with(r#"{ "answer": "done""#)
        || line.starts_with(r#"{ "answer": "error""#)
}

/// What the bridge does with one command of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Sent to the daemon, which answers it with lines ending in `done` / `error`.
    Forward,
    /// Sent to the daemon, which never answers it (`debug ...`).
    ForwardSilent,
    /// `reset`: the client's commands still waiting are dropped (when it is read); no answer.
    Reset,
    /// The client's acks, kept by the bridge (the daemon's stay on for the bridge).
    EnableAck,
    DisableAck,
    SilenceAck,
    /// Answered `error` by the bridge (a bad identifier, a line too long).
    Fail,
}

/// What the bridge does with `command` (the line without its identifier).
pub fn action_of(command: &str) -> Option<Action> {
    use crate::api::command::{self, Command};
    // The daemon's own tests, on the line as written (daemon/commands.rs).
    if command.starts_with("debug ") {
        return Some(Action::ForwardSilent);
    }
    if command.trim().is_empty() {
        return None;
    }
    Some(match command::parse(command).map(|p| p.command) {
        Ok(Command::Reset) => Action::Reset,
        Ok(Command::EnableAck) => Action::EnableAck,
        Ok(Command::DisableAck) => Action::DisableAck,
        Ok(Command::SilenceAck) => Action::SilenceAck,
        _ => Action::Forward,
    })
}

/// Why the bridge stopped on an error.
#[derive(Debug)]
pub enum BridgeError {
    /// The listening descriptor was not handed down or is unusable.
    Listener(io::Error),
    /// Our stdin or stdout could not be used.
    Stdio {
        what: &'static str,
        error: io::Error,
    },
    /// The poll failed.
    Poll(io::Error),
}

impl fmt::Display for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BridgeError::Listener(error) => write!(f, "no usable control socket: {error}"),
            BridgeError::Stdio { what, error } => write!(f, "cannot use {what}: {error}"),
            BridgeError::Poll(error) => write!(f, "poll failed: {error}"),
        }
    }
}

impl std::error::Error for BridgeError {}

/// `exabgp_cli_socket=<dir> rexa ...`: runs the bridge on the inherited listening socket
/// until the daemon closes our stdin.
pub fn bridge_main(dir: &Path) -> ExitCode {
    match bridge_setup().and_then(|mut bridge| bridge.run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rexa cli socket bridge ({}): {error}", dir.display());
            ExitCode::from(1)
        }
    }
}

fn bridge_setup() -> Result<Bridge, BridgeError> {
    let invalid = |text: String| io::Error::new(io::ErrorKind::InvalidInput, text);
    let fd_text = std::env::var(SOCKET_FD_VAR).unwrap_or_default();
    let fd = fd_text
        .trim()
        .parse::<i32>()
        .map_err(|_| invalid(format!("{SOCKET_FD_VAR}={fd_text:?}")))
        .and_then(crate::sys::adopt_inherited_fd)
        .map_err(BridgeError::Listener)?;
    if !crate::sys::is_socket(fd.as_raw_fd()) {
        return Err(BridgeError::Listener(invalid(format!(
            "{SOCKET_FD_VAR}={fd_text} is not a socket"
        ))));
    }
    let own_uid = crate::sys::ids().1;
    let allowed_uid = std::env::var(SOCKET_UID_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(own_uid);
    Bridge::new(fd, allowed_uid)
}

const STDIN: Token = Token(0);
const STDOUT: Token = Token(1);
const LISTENER: Token = Token(2);
/// Client tokens count up from here and are never reused.
const FIRST_CLIENT: usize = 3;

/// One connected client.
struct Client {
    stream: UnixStream,
    /// A command line being read.
    partial: Vec<u8>,
    /// The partial line is too long and is being skipped up to its end.
    skipping: bool,
    /// Bytes of this client's commands waiting in the bridge's queue.
    queued: usize,
    /// Answers waiting to be written.
    output: Vec<u8>,
    /// `done` / `error` reach this client (its `disable-ack` / `silence-ack` turn them off).
    acks: bool,
    /// The client closed its writing side: it sends no more commands.
    read_closed: bool,
    /// The connection failed: it is closed at the end of the pass.
    dead: bool,
}

/// One command waiting for its turn.
struct Queued {
    client: usize,
    id: Option<String>,
    line: String,
    action: Action,
    /// The bytes it took in its client's queued count.
    size: usize,
}

/// The command the daemon is answering.
struct InFlight {
    /// `None`: the bridge's own `enable-ack`.
    client: Option<usize>,
    id: Option<String>,
}

struct Bridge {
    poll: Poll,
    stdin: Receiver,
    stdout: Sender,
    listener: UnixListener,
    allowed_uid: u32,
    clients: HashMap<usize, Client>,
    next_token: usize,
    queue: VecDeque<Queued>,
    in_flight: Option<InFlight>,
    /// Command lines written (or being written) to the daemon.
    to_daemon: Vec<u8>,
    /// A partial answer line from the daemon.
    from_daemon: Vec<u8>,
}

impl Bridge {
    fn new(listener: OwnedFd, allowed_uid: u32) -> Result<Bridge, BridgeError> {
        let (stdin, stdout) =
            daemon_pipes().map_err(|(what, error)| BridgeError::Stdio { what, error })?;
        let listener = StdUnixListener::from(listener);
        listener
            .set_nonblocking(true)
            .map_err(BridgeError::Listener)?;
        let listener = UnixListener::from_std(listener);
        let poll = Poll::new().map_err(BridgeError::Poll)?;
        let mut bridge = Bridge {
            poll,
            stdin,
            stdout,
            listener,
            allowed_uid,
            clients: HashMap::new(),
            next_token: FIRST_CLIENT,
            queue: VecDeque::new(),
            // Our acks must be on whatever exabgp.api.ack says: the answer to this first
            // command is dropped.
            in_flight: Some(InFlight {
                client: None,
                id: None,
            }),
            to_daemon: b"enable-ack\n".to_vec(),
            from_daemon: Vec::new(),
        };
        let registry = bridge.poll.registry();
        registry
            .register(&mut bridge.stdin, STDIN, Interest::READABLE)
            .and_then(|()| registry.register(&mut bridge.stdout, STDOUT, Interest::WRITABLE))
            .and_then(|()| registry.register(&mut bridge.listener, LISTENER, Interest::READABLE))
            .map_err(BridgeError::Poll)?;
        Ok(bridge)
    }

    fn run(&mut self) -> Result<(), BridgeError> {
        let mut events = Events::with_capacity(64);
        loop {
            // Every pass tries every direction (readiness is edge-triggered; a try costs a
            // system call that says "would block" at worst).
            self.accept_clients();
            self.read_clients();
            if !self.read_answers()? {
                // The daemon is gone: what can still reach a client goes, then we end.
                self.write_clients();
                return Ok(());
            }
            self.dispatch();
            self.write_daemon()?;
            self.write_clients();
            self.close_finished();
            match self.poll.poll(&mut events, None) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(BridgeError::Poll(error)),
            }
        }
    }

    fn accept_clients(&mut self) {
        loop {
            let (mut stream, _) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    // Out of descriptors or memory: the client waits in the backlog.
                    eprintln!("rexa cli socket bridge: accept failed: {error}");
                    return;
                }
            };
            let refusal = match crate::sys::peer_credentials(&stream) {
                Ok((_, uid, _)) if uid == 0 || uid == self.allowed_uid => {
                    (self.clients.len() >= MAX_CLIENTS).then_some("too many clients")
                }
                Ok((pid, uid, _)) => {
                    eprintln!(
                        "rexa cli socket bridge: refused a client of uid {uid} (pid {pid}): \
                         only root and uid {} may connect",
                        self.allowed_uid
                    );
                    Some("permission denied")
                }
                Err(error) => {
                    eprintln!(
                        "rexa cli socket bridge: cannot read a client's credentials: {error}"
                    );
                    Some("permission denied")
                }
            };
            if let Some(reason) = refusal {
                // A fresh socket's buffer takes these few bytes; then it is closed. What the
                // client already sent is read first: closing on unread data would reset the
                // connection before the client reads the reason.
                let _ = stream.write(format!("error: {reason}\nerror\n").as_bytes());
                let mut sink = [0u8; 4096];
                for _ in 0..16 {
                    if !matches!(stream.read(&mut sink), Ok(n) if n > 0) {
                        break;
                    }
                }
                continue;
            }
            let token = self.next_token;
            self.next_token += 1;
            if let Err(error) = self.poll.registry().register(
                &mut stream,
                Token(token),
                Interest::READABLE | Interest::WRITABLE,
            ) {
                eprintln!("rexa cli socket bridge: cannot poll a client: {error}");
                continue;
            }
            self.clients.insert(
                token,
                Client {
                    stream,
                    partial: Vec::new(),
                    skipping: false,
                    queued: 0,
                    output: Vec::new(),
                    acks: true,
                    read_closed: false,
                    dead: false,
                },
            );
        }
    }

    /// Reads every client that may queue more; complete lines become queued commands.
    fn read_clients(&mut self) {
        let mut chunk = [0u8; 16 * 1024];
        // (client, line, the line was too long and only its start is kept)
        let mut lines: Vec<(usize, Vec<u8>, bool)> = Vec::new();
        for (&token, client) in &mut self.clients {
            while !client.dead && !client.read_closed && client.queued < QUEUE_HIGH {
                match client.stream.read(&mut chunk) {
                    Ok(0) => {
                        client.read_closed = true;
                        // A last command without its newline still counts.
                        if !client.partial.is_empty() && !client.skipping {
                            let line = std::mem::take(&mut client.partial);
                            client.queued += line.len() + 1;
                            lines.push((token, line, false));
                        }
                    }
                    Ok(n) => {
                        let bytes = chunk.get(..n).unwrap_or_default();
                        for piece in bytes.split_inclusive(|b| *b == b'\n') {
                            let (body, ended) = match piece.strip_suffix(b"\n") {
                                Some(body) => (body, true),
                                None => (piece, false),
                            };
                            if !client.skipping {
                                client.partial.extend_from_slice(body);
                            }
                            if client.partial.len() > MAX_LINE {
                                // Answered `error` in its turn, with its identifier.
                                client.partial.truncate(MAX_ID + 2);
                                let start = std::mem::take(&mut client.partial);
                                lines.push((token, start, true));
                                client.queued += 1;
                                client.skipping = true;
                            }
                            if ended {
                                if client.skipping {
                                    client.skipping = false;
                                } else {
                                    let line = std::mem::take(&mut client.partial);
                                    client.queued += line.len() + 1;
                                    lines.push((token, line, false));
                                }
                            }
                        }
                    }
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => client.dead = true,
                }
            }
        }
        for (token, line, too_long) in lines {
            self.queue_line(token, &line, too_long);
        }
    }

    /// Queues one command line of client `token` (of a line too long, only its start is
    /// given: it is answered `error`).
    fn queue_line(&mut self, token: usize, line: &[u8], too_long: bool) {
        let size = if too_long { 1 } else { line.len() + 1 };
        let queued = |id: Option<&str>, line: &str, action| Queued {
            client: token,
            id: id.map(str::to_owned),
            line: line.to_owned(),
            action,
            size,
        };
        let entry = if too_long {
            let start = String::from_utf8_lossy(line);
            let id = match split_id(&start) {
                Tagged::Tagged { id, .. } => Some(id),
                _ => None,
            };
            Some(queued(id, "", Action::Fail))
        } else {
            let text = String::from_utf8_lossy(line);
            let text = text.strip_suffix('\r').unwrap_or(&text);
            match split_id(text) {
                Tagged::Plain(command) => action_of(command).map(|a| queued(None, command, a)),
                Tagged::Tagged { id, command } => Some(match action_of(command) {
                    Some(action) => queued(Some(id), command, action),
                    None => queued(Some(id), "", Action::Fail),
                }),
                Tagged::BadId => Some(queued(None, "", Action::Fail)),
            }
        };
        match entry {
            // `reset` drops what the client queued before it, at once (what it sends after
            // stays); the command the daemon is running still gets its answer.
            Some(entry) if entry.action == Action::Reset => {
                self.queue.retain(|q| q.client != token);
                if let Some(client) = self.clients.get_mut(&token) {
                    client.queued = 0;
                }
            }
            Some(entry) => self.queue.push_back(entry),
            None => self.unqueue(token, size),
        }
    }

    /// Takes `size` bytes off client `token`'s queued count.
    fn unqueue(&mut self, token: usize, size: usize) {
        if let Some(client) = self.clients.get_mut(&token) {
            client.queued = client.queued.saturating_sub(size);
        }
    }

    /// Starts the queued commands until one waits for the daemon's answer.
    fn dispatch(&mut self) {
        while self.in_flight.is_none() {
            let Some(next) = self.queue.pop_front() else {
                return;
            };
            self.unqueue(next.client, next.size);
            if !self.clients.contains_key(&next.client) {
                continue;
            }
            let id = next.id.as_deref();
            match next.action {
                Action::Forward => {
                    self.to_daemon.extend_from_slice(next.line.as_bytes());
                    self.to_daemon.push(b'\n');
                    self.in_flight = Some(InFlight {
                        client: Some(next.client),
                        id: next.id,
                    });
                }
                Action::ForwardSilent => {
                    self.to_daemon.extend_from_slice(next.line.as_bytes());
                    self.to_daemon.push(b'\n');
                }
                // Acted on when read (see `queue_line`).
                Action::Reset => {}
                Action::EnableAck => {
                    self.set_acks(next.client, true);
                    self.answer(next.client, id, "done", true);
                }
                Action::DisableAck => {
                    // Answered, then silence (as the daemon does).
                    self.answer(next.client, id, "done", true);
                    self.set_acks(next.client, false);
                }
                Action::SilenceAck => self.set_acks(next.client, false),
                Action::Fail => self.answer(next.client, id, "error", true),
            }
        }
    }

    fn set_acks(&mut self, token: usize, on: bool) {
        if let Some(client) = self.clients.get_mut(&token) {
            client.acks = on;
        }
    }

    /// Writes `line` (with `@id ` in front when the command had one) for client `token`.
    fn answer(&mut self, token: usize, id: Option<&str>, line: &str, terminal: bool) {
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        if terminal && !client.acks {
            return;
        }
        if let Some(id) = id {
            client.output.push(b'@');
            client.output.extend_from_slice(id.as_bytes());
            client.output.push(b' ');
        }
        client.output.extend_from_slice(line.as_bytes());
        client.output.push(b'\n');
        if client.output.len() > ANSWER_LIMIT {
            eprintln!("rexa cli socket bridge: a client does not read its answers; closed");
            client.dead = true;
        }
    }

    /// Whether the daemon's answers may be read: the client they go to is not too far behind.
    fn may_read_answers(&self) -> bool {
        let target = self.in_flight.as_ref().and_then(|f| f.client);
        target
            .and_then(|token| self.clients.get(&token))
            .map_or(true, |client| {
                client.dead || client.output.len() < ANSWER_HIGH
            })
    }

    /// Reads the daemon's answers and routes them; false once the daemon closed our stdin.
    fn read_answers(&mut self) -> Result<bool, BridgeError> {
        let mut chunk = [0u8; 16 * 1024];
        while self.may_read_answers() {
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
        Ok(true)
    }

    /// Sends one line of the daemon to the client whose command it answers, or to every
    /// client when no command runs.
    fn route(&mut self, line: &str) {
        let terminal = is_terminal(line);
        match self.in_flight.take() {
            Some(InFlight { client, id }) => {
                if let Some(token) = client {
                    self.answer(token, id.as_deref(), line, terminal);
                }
                if !terminal {
                    self.in_flight = Some(InFlight { client, id });
                }
            }
            None => {
                let tokens: Vec<usize> = self.clients.keys().copied().collect();
                for token in tokens {
                    self.answer(token, None, line, false);
                }
            }
        }
    }

    /// Writes the pending command lines to the daemon.
    fn write_daemon(&mut self) -> Result<(), BridgeError> {
        while !self.to_daemon.is_empty() {
            match self.stdout.write(&self.to_daemon) {
                Ok(0) => break,
                Ok(n) => {
                    self.to_daemon.drain(..n);
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

    fn write_clients(&mut self) {
        for client in self.clients.values_mut() {
            while !client.dead && !client.output.is_empty() {
                match client.stream.write(&client.output) {
                    Ok(0) => break,
                    Ok(n) => {
                        client.output.drain(..n);
                    }
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => client.dead = true,
                }
            }
            if client.output.is_empty() && client.output.capacity() > 64 * 1024 {
                client.output.shrink_to(4096);
            }
        }
    }

    /// Closes the clients that failed, and those that said all they had to say and got all
    /// their answers.
    fn close_finished(&mut self) {
        let running = self.in_flight.as_ref().and_then(|f| f.client);
        let queue = &self.queue;
        let finished: Vec<usize> = self
            .clients
            .iter()
            .filter(|(token, c)| {
                c.dead
                    || (c.read_closed
                        && c.output.is_empty()
                        && running != Some(**token)
                        && !queue.iter().any(|q| q.client == **token))
            })
            .map(|(token, _)| *token)
            .collect();
        for token in finished {
            if let Some(mut client) = self.clients.remove(&token) {
                let _ = self.poll.registry().deregister(&mut client.stream);
            }
        }
        if self.clients.is_empty() && self.queue.capacity() > 1024 {
            self.queue.shrink_to(16);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_split_off_tagged_commands() {
        assert_eq!(
            split_id("@42 show neighbor summary"),
            Tagged::Tagged {
                id: "42",
                command: "show neighbor summary"
            }
        );
        assert_eq!(
            split_id("@job-7.a:b\tversion"),
            Tagged::Tagged {
                id: "job-7.a:b",
                command: "version"
            }
        );
        assert_eq!(
            split_id("@x"),
            Tagged::Tagged {
                id: "x",
                command: ""
            }
        );
        assert_eq!(split_id("@ version"), Tagged::BadId);
        assert_eq!(
            split_id(&format!("@{} version", "a".repeat(65))),
            Tagged::BadId
        );
        assert_eq!(split_id("@é version"), Tagged::BadId);
        // ExaBGP's grammar never starts with `@`: plain commands are left alone.
        for plain in [
            "version",
            "neighbor 10.0.0.1 announce route 10.0.0.0/24 next-hop self",
            "# a comment @1",
            "announce route 10.0.0.0/24 next-hop self community [ 1:1 ] @2",
        ] {
            assert_eq!(split_id(plain), Tagged::Plain(plain));
        }
    }

    #[test]
    fn commands_the_daemon_never_answers_are_handled_here() {
        assert_eq!(action_of("version"), Some(Action::Forward));
        assert_eq!(action_of("bogus words"), Some(Action::Forward));
        assert_eq!(action_of("debug x"), Some(Action::ForwardSilent));
        assert_eq!(action_of("reset"), Some(Action::Reset));
        assert_eq!(action_of("enable-ack"), Some(Action::EnableAck));
        assert_eq!(action_of("disable-ack"), Some(Action::DisableAck));
        assert_eq!(action_of(" silence-ack "), Some(Action::SilenceAck));
        assert_eq!(action_of("   "), None);
        assert_eq!(action_of(""), None);
    }

    #[test]
    fn answers_end_on_done_or_error() {
        assert!(is_terminal("done"));
        assert!(is_terminal("error"));
        assert!(is_terminal(
            r#"{ "answer": "done", "message": "command completed" }"#
        ));
        assert!(!is_terminal("done "));
        assert!(!is_terminal("shutdown in progress"));
    }

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rexa-socket-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("make the directory");
        dir
    }

    #[test]
    fn a_stale_socket_is_replaced_a_live_one_kept_and_ours_removed() {
        let dir = scratch_dir("stale");
        let path = socket_path(&dir, "exabgp");
        // A socket file nobody listens on.
        drop(StdUnixListener::bind(&path).expect("bind"));
        assert!(is_socket(&path));
        let socket = ControlSocket::bind(&path, None).expect("stale file replaced");
        let meta = std::fs::metadata(&path).expect("socket file");
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert!(matches!(
            ControlSocket::bind(&path, None),
            Err(SocketError::InUse { .. })
        ));
        drop(socket);
        assert!(!path.exists(), "removed with the socket");

        std::fs::write(&path, b"not a socket").expect("write");
        assert!(matches!(
            ControlSocket::bind(&path, None),
            Err(SocketError::NotASocket { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_replaced_file_is_not_removed() {
        let dir = scratch_dir("replaced");
        let path = socket_path(&dir, "exabgp");
        let socket = ControlSocket::bind(&path, None).expect("bind");
        std::fs::remove_file(&path).expect("remove");
        std::fs::write(&path, b"someone else's").expect("write");
        drop(socket);
        assert!(path.exists(), "not ours any more");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn peer_credentials_name_the_connecting_process() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().expect("pair");
        let (pid, uid, gid) = crate::sys::peer_credentials(&a).expect("SO_PEERCRED");
        let (_, euid, _, egid) = crate::sys::ids();
        assert_eq!((pid, uid, gid), (std::process::id(), euid, egid));
    }
}
