//! `rexa cli [--socket|--pipe] [--pipename NAME] [--env FILE] WORDS...`: one API command sent
//! to the running daemon through its control socket or its named pipes, its answer printed
//! (ExaBGP's `exabgp cli`, api.md §9.1 and §9.2).
//!
//! The words may be abbreviated as ExaBGP's client allows (`s n s` is `show neighbor
//! summary`); the expanded command is echoed as `command: <text>`. The answer ends with
//! `done` (exit 0), `error` (exit 1) or the daemon's shutdown (exit 1); five seconds of silence
//! end it too, with a warning that acks may be disabled (exit 0).

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mio::unix::pipe::{Receiver, Sender};
use mio::{Events, Interest, Poll, Token};

use super::pipe::{self, Fifos};
use super::socket;
use crate::config::env::Env;

const HELP: &str = "\
Usage: rexa cli [--socket | --pipe] [--socketname NAME] [--pipename NAME] [--env FILE]
                [COMMAND WORDS...]

Sends one API command (e.g. `show neighbor summary`, `announce route 10.0.0.0/24 next-hop
self`) to the running rexa daemon through its control socket, or its named pipes when there
is no socket, and prints the answer.
Without a command, `help` is sent. Words may be abbreviated: `rexa cli s n s`.

Options:
  --socket           use the control socket only
  --pipe             use the named pipes only
  --socketname NAME  the base name of the socket NAME.sock
                     (default: exabgp.api.socketname, itself `exabgp` by default)
  --pipename NAME    the base name of the pipes NAME.in / NAME.out
                     (default: exabgp.api.pipename, itself `exabgp` by default)
  -e, --env FILE     read exabgp.* settings from FILE (also --env-file, EXABGP_ENVFILE)
  -h, --help         this text

The socket and the pipes are looked for in $REXA_CLI_DIR (rexa only), then /run/exabgp,
/run/<uid>, /run, /var/run/exabgp, /var/run/<uid>, /var/run. The daemon creates the socket
in the first of these directories that exists; it never creates the pipes; make them with
  mkfifo /run/exabgp/exabgp.in /run/exabgp/exabgp.out; chmod 600 /run/exabgp/exabgp.*

Exit status: 0 when the command succeeded (`done`), 1 on `error`, when the daemon is not
running (no reader on the pipe within 5 s, nobody on the socket) or shuts down.
";

/// How long stale answers of an earlier client are drained before the command is sent.
const DRAIN_LIMIT: Duration = Duration::from_millis(1500);
/// How long the client waits for a reader on `.in` (ExaBGP's open timeout).
const OPEN_LIMIT: Duration = Duration::from_secs(5);
/// How often it looks for one meanwhile.
const OPEN_RETRY: Duration = Duration::from_millis(50);
/// How long writing the command may take (the daemon reads its pipe continuously).
const WRITE_LIMIT: Duration = Duration::from_secs(5);
/// Silence after which the client stops waiting for the end of the answer.
const ANSWER_SILENCE: Duration = Duration::from_secs(5);

const ANSWERS: Token = Token(0);
const COMMANDS: Token = Token(1);

/// How the command reaches the daemon.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Transport {
    /// The socket when there is one, else the pipes.
    #[default]
    Any,
    Socket,
    Pipe,
}

/// What the command line asked for.
#[derive(Debug, Default, PartialEq)]
struct Options {
    transport: Transport,
    socketname: Option<String>,
    pipename: Option<String>,
    env_file: Option<PathBuf>,
    words: Vec<String>,
}

fn parse_args(args: Vec<OsString>) -> Result<Option<Options>, String> {
    use lexopt::prelude::*;
    let mut options = Options::default();
    let mut parser = lexopt::Parser::from_args(args);
    let text = |value: OsString| {
        value
            .into_string()
            .map_err(|bad| format!("argument is not valid UTF-8: {bad:?}"))
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => return Ok(None),
            Long("socket") => options.transport = Transport::Socket,
            Long("pipe") => options.transport = Transport::Pipe,
            Long("socketname") => {
                options.socketname = Some(text(parser.value().map_err(|e| e.to_string())?)?);
            }
            Long("pipename") => {
                options.pipename = Some(text(parser.value().map_err(|e| e.to_string())?)?);
            }
            Short('e') | Long("env") | Long("env-file") => {
                options.env_file = Some(parser.value().map_err(|e| e.to_string())?.into());
            }
            // ExaBGP 6's colour switch: our output has no colour.
            Long("no-color") => {}
            Value(first) => {
                // The command starts here: every later word is part of it, dashes or not.
                options.words.push(text(first)?);
                let rest = parser.raw_args().map_err(|e| e.to_string())?;
                for word in rest {
                    options.words.push(text(word)?);
                }
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(Some(options))
}

/// Why the client stopped before an answer.
#[derive(Debug)]
enum ClientError {
    /// No directory of the search list holds both pipes.
    NotFound {
        pipename: String,
        scanned: Vec<PathBuf>,
    },
    /// No directory of the search list holds the socket (`--socket`).
    NoSocket {
        socketname: String,
        scanned: Vec<PathBuf>,
    },
    /// The daemon does not read `.in` (not running, or without a CLI).
    NotRunning { path: PathBuf },
    /// The control socket could not be connected to, written or read.
    Socket { path: PathBuf, error: io::Error },
    /// Writing the command did not finish in time.
    WriteTimeout { path: PathBuf },
    /// A pipe could not be opened, read or written.
    Pipe { path: PathBuf, error: io::Error },
    /// The poll failed.
    Poll(io::Error),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::NotFound { pipename, scanned } => {
                write!(
                    f,
                    "could not find rexa's named pipes ({pipename}.in and {pipename}.out); \
                     scanned:"
                )?;
                for dir in scanned {
                    write!(f, "\n - {}", dir.display())?;
                }
                write!(f, "\nthe daemon never creates them; make them with:")?;
                for line in pipe::mkfifo_advice(pipename) {
                    write!(f, "\n > {line}")?;
                }
                Ok(())
            }
            ClientError::NoSocket {
                socketname,
                scanned,
            } => {
                write!(
                    f,
                    "could not find rexa's control socket {socketname}.sock; scanned:"
                )?;
                for dir in scanned {
                    write!(f, "\n - {}", dir.display())?;
                }
                Ok(())
            }
            ClientError::Socket { path, error } => {
                write!(
                    f,
                    "cannot use the control socket {}: {error}",
                    path.display()
                )
            }
            ClientError::NotRunning { path } => {
                write!(f, "rexa is not running (no reader on {})", path.display())
            }
            ClientError::WriteTimeout { path } => write!(
                f,
                "rexa does not read its commands (timeout writing to {})",
                path.display()
            ),
            ClientError::Pipe { path, error } => {
                write!(f, "cannot use the named pipe {}: {error}", path.display())
            }
            ClientError::Poll(error) => write!(f, "poll failed: {error}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// `rexa cli ...`.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let options = match parse_args(args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("rexa cli: {error}\n\n{HELP}");
            return ExitCode::from(1);
        }
    };
    let (pipename, socketname) = match (options.pipename, options.socketname) {
        (Some(pipe), Some(socket)) => (pipe, socket),
        (pipe, socket) => match Env::from_process(options.env_file.as_deref()) {
            Ok(env) => (
                pipe.unwrap_or(env.api.pipename),
                socket.unwrap_or(env.api.socketname),
            ),
            Err(error) => {
                eprintln!("rexa cli: {error}");
                return ExitCode::from(1);
            }
        },
    };
    let mut words = options.words;
    if words.is_empty() {
        eprintln!("rexa cli: no command provided, sending \"help\"");
        words.push("help".to_owned());
    }
    let typed = words.join(" ");
    let command = expand(&words).join(" ");
    let mut stdout = io::stdout().lock();
    if command != typed {
        let _ = writeln!(stdout, "command: {command}");
    }
    let ran = match connect_socket(options.transport, &socketname) {
        Ok(Some((path, stream))) => run_socket(&path, stream, &command, &mut stdout),
        Err(error) => Err(error),
        Ok(None) => match pipe::locate(&pipename) {
            Ok(fifos) => run(&fifos, &command, &mut stdout),
            Err(scanned) => Err(ClientError::NotFound { pipename, scanned }),
        },
    };
    match ran {
        Ok(Ending::Done | Ending::NoAnswerExpected) => ExitCode::SUCCESS,
        Ok(Ending::Error) => {
            eprintln!("rexa returns an error (see rexa's logs for more information)");
            eprintln!("use help for a list of available commands");
            ExitCode::from(1)
        }
        Ok(Ending::Shutdown) => {
            eprintln!("rexa is shutting down, command aborted");
            ExitCode::from(1)
        }
        Ok(Ending::Silence) => {
            eprintln!();
            eprintln!("warning: no end of command message received");
            eprintln!(
                "warning: normal if exabgp.api.ack is set to false otherwise some data may get \
                 stuck on the pipe"
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("rexa cli: {error}");
            ExitCode::from(1)
        }
    }
}

/// How the answer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Done,
    Error,
    Shutdown,
    /// Nothing came for [`ANSWER_SILENCE`].
    Silence,
    /// `reset` is the one command the daemon never answers.
    NoAnswerExpected,
}

/// What one line of the answer means.
fn ending_of(line: &str) -> Option<Ending> {
    match line {
        "done" | r#"{ "answer": "done", "message": "command completed" }"# => Some(Ending::Done),
        "error" => Some(Ending::Error),
        _ if line.starts_with(r#"{ "answer": "error""#) => Some(Ending::Error),
        "shutdown" => Some(Ending::Shutdown),
        _ if line.starts_with(r#"{ "answer": "shutdown""#) => Some(Ending::Shutdown),
        _ => {
            // The daemon's last event in text form: `shutdown <pid> <ppid>`.
            let mut parts = line.split(' ');
            let numeric = |p: Option<&str>| {
                p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            };
            (parts.next() == Some("shutdown")
                && numeric(parts.next())
                && numeric(parts.next())
                && parts.next().is_none())
            .then_some(Ending::Shutdown)
        }
    }
}

/// The control socket, connected; `None` when the pipes are to be used instead (`--pipe`,
/// or no socket that answers and `--socket` not given).
fn connect_socket(
    transport: Transport,
    socketname: &str,
) -> Result<Option<(PathBuf, UnixStream)>, ClientError> {
    if transport == Transport::Pipe {
        return Ok(None);
    }
    let Some(path) = socket::locate(socketname) else {
        if transport == Transport::Socket {
            return Err(ClientError::NoSocket {
                socketname: socketname.to_owned(),
                scanned: pipe::search_dirs(),
            });
        }
        return Ok(None);
    };
    match UnixStream::connect(&path) {
        Ok(stream) => Ok(Some((path, stream))),
        // A stale socket file: the daemon is not running, or only with its pipes.
        Err(error)
            if transport == Transport::Any
                && matches!(
                    error.raw_os_error(),
                    Some(libc::ECONNREFUSED | libc::ENOENT)
                ) =>
        {
            Ok(None)
        }
        Err(error) => Err(ClientError::Socket { path, error }),
    }
}

/// Sends `command` over the connected control socket and prints the answer to `out`.
fn run_socket(
    path: &Path,
    mut stream: UnixStream,
    command: &str,
    out: &mut impl Write,
) -> Result<Ending, ClientError> {
    let socket_error = |error| ClientError::Socket {
        path: path.to_path_buf(),
        error,
    };
    stream
        .set_write_timeout(Some(WRITE_LIMIT))
        .and_then(|()| stream.set_read_timeout(Some(ANSWER_SILENCE)))
        .map_err(socket_error)?;
    match stream.write_all(format!("{command}\n").as_bytes()) {
        Ok(()) => {}
        // Refused (a user the bridge does not accept): its reason waits to be read.
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ) => {}
        Err(error) => return Err(socket_error(error)),
    }
    if command == "reset" {
        return Ok(Ending::NoAnswerExpected);
    }
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let text = String::from_utf8_lossy(line.get(..end).unwrap_or_default());
            let text = text.trim_end_matches('\r');
            if let Some(ending) = ending_of(text) {
                return Ok(ending);
            }
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
        match stream.read(&mut chunk) {
            // The bridge closed the connection: the daemon is gone.
            Ok(0) => return Ok(Ending::Shutdown),
            Ok(n) => buffer.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(Ending::Silence)
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if error.kind() == io::ErrorKind::ConnectionReset => {
                return Ok(Ending::Shutdown)
            }
            Err(error) => return Err(socket_error(error)),
        }
    }
}

fn open_nonblocking(path: &Path, write: bool) -> io::Result<OwnedFd> {
    OpenOptions::new()
        .read(!write)
        .write(write)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map(OwnedFd::from)
}

/// Drains stale answers, sends `command`, prints the answer to `out`.
fn run(fifos: &Fifos, command: &str, out: &mut impl Write) -> Result<Ending, ClientError> {
    let pipe_error = |path: &Path| {
        let path = path.to_path_buf();
        move |error| ClientError::Pipe { path, error }
    };
    let mut poll = Poll::new().map_err(ClientError::Poll)?;
    let mut answers =
        Receiver::from(open_nonblocking(&fifos.output, false).map_err(pipe_error(&fifos.output))?);
    poll.registry()
        .register(&mut answers, ANSWERS, Interest::READABLE)
        .map_err(ClientError::Poll)?;
    let mut events = Events::with_capacity(4);
    drain_stale(&mut poll, &mut events, &mut answers);

    // Like a blocking open with ExaBGP's 5 s alarm: a reader (the bridge) may appear in
    // the meantime, e.g. while the daemon starts or respawns its bridge.
    let opening = Instant::now();
    let commands = loop {
        match open_nonblocking(&fifos.input, true) {
            Ok(fd) => break fd,
            Err(error) if error.raw_os_error() == Some(libc::ENXIO) => {
                if opening.elapsed() >= OPEN_LIMIT {
                    return Err(ClientError::NotRunning {
                        path: fifos.input.clone(),
                    });
                }
                std::thread::sleep(OPEN_RETRY);
            }
            Err(error) => return Err(pipe_error(&fifos.input)(error)),
        }
    };
    let mut commands = Sender::from(commands);
    poll.registry()
        .register(&mut commands, COMMANDS, Interest::WRITABLE)
        .map_err(ClientError::Poll)?;
    let line = format!("{command}\n");
    let mut pending = line.as_bytes();
    let start = Instant::now();
    while !pending.is_empty() {
        match commands.write(pending) {
            Ok(n) => pending = pending.get(n..).unwrap_or_default(),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                let Some(left) = WRITE_LIMIT.checked_sub(start.elapsed()) else {
                    return Err(ClientError::WriteTimeout {
                        path: fifos.input.clone(),
                    });
                };
                wait(&mut poll, &mut events, left)?;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if error.raw_os_error() == Some(libc::EPIPE) => {
                return Err(ClientError::NotRunning {
                    path: fifos.input.clone(),
                })
            }
            Err(error) => return Err(pipe_error(&fifos.input)(error)),
        }
    }
    let _ = poll.registry().deregister(&mut commands);
    drop(commands);
    if command == "reset" {
        return Ok(Ending::NoAnswerExpected);
    }

    let mut buffer: Vec<u8> = Vec::new();
    let mut last_data = Instant::now();
    loop {
        let got = read_available(&mut answers, &mut buffer);
        if got > 0 {
            last_data = Instant::now();
        }
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let text = String::from_utf8_lossy(line.get(..end).unwrap_or_default());
            let text = text.trim_end_matches('\r');
            if let Some(ending) = ending_of(text) {
                return Ok(ending);
            }
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
        let Some(left) = ANSWER_SILENCE.checked_sub(last_data.elapsed()) else {
            return Ok(Ending::Silence);
        };
        // With no writer on `.out` a read says end-of-file at once: do not spin on it.
        let left = if got == 0 {
            left.min(Duration::from_millis(20))
        } else {
            left
        };
        wait(&mut poll, &mut events, left)?;
    }
}

fn wait(poll: &mut Poll, events: &mut Events, limit: Duration) -> Result<(), ClientError> {
    match poll.poll(events, Some(limit)) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::Interrupted => Ok(()),
        Err(error) => Err(ClientError::Poll(error)),
    }
}

/// Appends what can be read now; returns the number of bytes read.
fn read_available(answers: &mut Receiver, buffer: &mut Vec<u8>) -> usize {
    let mut chunk = [0u8; 4096];
    let mut total = 0;
    loop {
        match answers.read(&mut chunk) {
            Ok(0) => return total,
            Ok(n) => {
                buffer.extend_from_slice(chunk.get(..n).unwrap_or_default());
                total += n;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return total,
        }
    }
}

/// Reads and drops what an earlier client left unread on `.out`, for at most [`DRAIN_LIMIT`]:
/// until nothing more comes or the stale data ends at the end of an answer.
fn drain_stale(poll: &mut Poll, events: &mut Events, answers: &mut Receiver) {
    let start = Instant::now();
    let mut stale: Vec<u8> = Vec::new();
    while start.elapsed() < DRAIN_LIMIT {
        if read_available(answers, &mut stale) == 0 {
            return;
        }
        let ended = stale.ends_with(b"\n")
            && stale
                .strip_suffix(b"\n")
                .and_then(|s| s.rsplit(|b| *b == b'\n').next())
                .is_some_and(|last| ending_of(&String::from_utf8_lossy(last)).is_some());
        if ended {
            return;
        }
        // Keep only the tail: the end of an answer is all that is looked for.
        if stale.len() > 4096 {
            let cut = stale.len() - 4096;
            stale.drain(..cut);
        }
        let _ = poll.poll(events, Some(Duration::from_millis(100)));
    }
}

/// Where a word may be expanded from an abbreviation.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// First word.
    First,
    /// First word, or right after `show`.
    FirstOrAfterShow,
    /// Where a command starts: first word, or after a neighbor address.
    Command,
    /// After `announce` or `withdraw`.
    AfterAction,
    /// After `announce`.
    AfterAnnounce,
    /// After `adj-rib`.
    AfterAdjRib,
    /// After `clear`, `flush` or `show`.
    AfterRibVerb,
    /// Anywhere after a `show`.
    InShow,
    /// Anywhere, and only the exact word (misspellings).
    Misspelling,
}

/// ExaBGP's client abbreviations, tried in this order: the first that fits wins.
const ABBREVIATIONS: &[(&str, &str, Place)] = &[
    ("a", "announce", Place::Command),
    ("a", "attributes", Place::AfterAction),
    ("c", "configuration", Place::InShow),
    ("e", "eor", Place::AfterAnnounce),
    ("e", "extensive", Place::InShow),
    ("f", "flow", Place::AfterAction),
    ("f", "flush", Place::Command),
    ("h", "help", Place::First),
    ("i", "in", Place::AfterAdjRib),
    ("n", "neighbor", Place::FirstOrAfterShow),
    ("r", "route", Place::AfterAction),
    ("rr", "route-refresh", Place::AfterAnnounce),
    ("s", "show", Place::First),
    ("t", "teardown", Place::Command),
    ("s", "summary", Place::InShow),
    ("v", "vpls", Place::AfterAction),
    ("o", "operational", Place::AfterAnnounce),
    ("o", "out", Place::AfterAdjRib),
    ("a", "adj-rib", Place::AfterRibVerb),
    ("w", "withdraw", Place::Command),
    ("w", "watchdog", Place::AfterAction),
    ("neighbour", "neighbor", Place::Misspelling),
    ("neigbour", "neighbor", Place::Misspelling),
    ("neigbor", "neighbor", Place::Misspelling),
];

/// The command with its abbreviations expanded: a word that is the abbreviation, or a prefix
/// of the full word, becomes the full word where that word fits (api.md §9.1).
pub fn expand(words: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for (position, word) in words.iter().enumerate() {
        let previous = out.last().map(String::as_str);
        let fits = |place: Place| match place {
            Place::First => position == 0,
            Place::FirstOrAfterShow => position == 0 || previous == Some("show"),
            Place::Command => {
                position == 0 || previous.is_some_and(|p| p.parse::<IpAddr>().is_ok())
            }
            Place::AfterAction => matches!(previous, Some("announce" | "withdraw")),
            Place::AfterAnnounce => previous == Some("announce"),
            Place::AfterAdjRib => previous == Some("adj-rib"),
            Place::AfterRibVerb => matches!(previous, Some("clear" | "flush" | "show")),
            Place::InShow => position != 0 && out.iter().any(|w| w == "show"),
            Place::Misspelling => true,
        };
        let expanded = ABBREVIATIONS.iter().find(|(short, full, place)| {
            let spelled = match place {
                Place::Misspelling => word == short,
                _ => word == short || (!word.is_empty() && full.starts_with(word.as_str())),
            };
            spelled && fits(*place)
        });
        out.push(expanded.map_or_else(|| word.clone(), |(_, full, _)| (*full).to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(text: &str) -> String {
        let words: Vec<String> = text.split(' ').map(str::to_owned).collect();
        expand(&words).join(" ")
    }

    #[test]
    fn abbreviations_expand_where_they_fit() {
        assert_eq!(expanded("s n s"), "show neighbor summary");
        assert_eq!(expanded("s n e"), "show neighbor extensive");
        assert_eq!(expanded("s n c"), "show neighbor configuration");
        assert_eq!(expanded("sh neigh sum"), "show neighbor summary");
        assert_eq!(expanded("s a o"), "show adj-rib out");
        assert_eq!(expanded("s a i e"), "show adj-rib in extensive");
        assert_eq!(expanded("f a o"), "flush adj-rib out");
        assert_eq!(expanded("h"), "help");
        assert_eq!(expanded("t 2"), "teardown 2");
        assert_eq!(expanded("a e"), "announce eor");
        assert_eq!(
            expanded("a rr ipv4 unicast"),
            "announce route-refresh ipv4 unicast"
        );
        assert_eq!(
            expanded("a r 10.0.0.0/24 next-hop self"),
            "announce route 10.0.0.0/24 next-hop self"
        );
        assert_eq!(
            expanded("w r 10.0.0.0/24 next-hop 1.2.3.4"),
            "withdraw route 10.0.0.0/24 next-hop 1.2.3.4"
        );
        assert_eq!(expanded("a w dog"), "announce watchdog dog");
        assert_eq!(
            expanded("n 127.0.0.1 a r 10.0.0.0/8 next-hop self"),
            "neighbor 127.0.0.1 announce route 10.0.0.0/8 next-hop self"
        );
        assert_eq!(
            expanded("neighbour 10.0.0.1 t 4"),
            "neighbor 10.0.0.1 teardown 4"
        );
    }

    #[test]
    fn full_commands_are_left_alone() {
        for text in [
            "show neighbor summary",
            "announce route 10.0.0.0/24 next-hop self community [65000:1] split /25",
            "announce ipv4 unicast 10.0.0.0/24 next-hop 10.0.0.1",
            "announce route-refresh ipv4 unicast",
            "neighbor 10.0.0.1 local-as 65000 withdraw route 10.0.0.0/24",
            "version",
            "shutdown",
            "foo bar",
        ] {
            assert_eq!(expanded(text), text);
        }
    }

    #[test]
    fn answers_end_on_done_error_or_shutdown() {
        assert_eq!(ending_of("done"), Some(Ending::Done));
        assert_eq!(ending_of("error"), Some(Ending::Error));
        assert_eq!(ending_of("shutdown"), Some(Ending::Shutdown));
        assert_eq!(ending_of("shutdown 123 1"), Some(Ending::Shutdown));
        assert_eq!(
            ending_of(r#"{ "answer": "done", "message": "command completed" }"#),
            Some(Ending::Done)
        );
        assert_eq!(ending_of("shutdown in progress"), None);
        assert_eq!(ending_of("Peer            AS"), None);
        assert_eq!(ending_of(""), None);
    }

    fn args(text: &str) -> Vec<OsString> {
        text.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn options_come_before_the_command() {
        let options = parse_args(args("--pipename rexa -e f.env show neighbor -x"))
            .expect("valid")
            .expect("not help");
        assert_eq!(options.pipename.as_deref(), Some("rexa"));
        assert_eq!(options.env_file, Some(PathBuf::from("f.env")));
        assert_eq!(options.words, ["show", "neighbor", "-x"]);
        assert_eq!(parse_args(args("--help")).expect("valid"), None);
        assert!(parse_args(args("--bogus show")).is_err());
    }
}
