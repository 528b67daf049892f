//! The `.ci` test peer of ExaBGP's functional suite, in Rust: listens on loopback, echoes the
//! daemon's OPEN, answers with KEEPALIVEs and checks every message against the file's groups.
//!
//! Behaviour (ExaBGP's `qa/sbin/bgp`, described in `reference/api.md` §11.2):
//! * expectations are grouped by (connection letter, step) and the groups taken in order; a
//!   message must equal any one of the remaining entries of the current group;
//! * the reply to the daemon's OPEN is a byte copy of it with the router-id's last byte
//!   incremented (or the AS replaced with `option:asn`), then a KEEPALIVE;
//! * every later message is answered with a KEEPALIVE; KEEPALIVEs are not matched;
//! * `notification:` and `signal:` lines are actions run when they reach the head of the
//!   current group; a matched ROUTE-REFRESH replays every UPDATE matched so far;
//! * success as soon as nothing is left to expect; a read timeout (3 s per message unless
//!   `option:timeout`) or a message matching nothing is a failure.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use rexa::bgp::message::{self as bgp_message, Message};
use rexa::bgp::notification::Notification;
use rexa::bgp::open::Open;
use rexa::bgp::Negotiated;

use super::conformance::hex_string as hex;

use super::conformance::{CiEntry, CiFile};

/// The 16-byte all-ones marker.
const MARKER: [u8; 16] = [0xFF; 16];
const HEADER_LEN: usize = 19;
/// Per-message read timeout of ExaBGP's test peer.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(3);
/// ExaBGP's harness gives each test 20 s.
pub const DEFAULT_OVERALL_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the peer waits for each connection (the daemon starts, or reconnects).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the peer looks at the daemon while it waits for a connection.
const ACCEPT_POLL: Duration = Duration::from_millis(10);
/// Connection letters run from A to Z: no test needs more connections.
const MAX_CONNECTIONS: usize = 26;
/// The value of the unknown capability (code 66) added by `option:open:send-unknown-capability`.
const UNKNOWN_CAPABILITY_VALUE: &[u8] = b"loremipsum";
const UNKNOWN_CAPABILITY_CODE: u8 = 66;

/// The test-peer options of a `.ci` file.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerOptions {
    /// `option:asn:N`: the AS put in the OPEN reply (the router-id is then not changed).
    pub asn: Option<u16>,
    /// `option:bind:ipv6`: listen on `::1` instead of `127.0.0.1`.
    pub bind_ipv6: bool,
    /// `option:open:send-unknown-capability`: append capability 66 to the OPEN reply.
    pub send_unknown_capability: bool,
    /// `option:open:inspect-open-message`: the daemon's OPEN is checked like any message.
    pub inspect_open_message: bool,
    /// `option:open:send-unknown-message`: send a type-255 message after the KEEPALIVE.
    pub send_unknown_message: bool,
    /// `option:update:send-default-route`: send 0.0.0.0/32 after the OPEN exchange.
    pub send_default_route: bool,
    /// `option:timeout:S`: per-message read timeout.
    pub read_timeout: Duration,
    /// `option:tcp_connections:N`: outgoing connection attempts the daemon is allowed.
    pub tcp_connections: u32,
}

impl Default for PeerOptions {
    fn default() -> Self {
        PeerOptions {
            asn: None,
            bind_ipv6: false,
            send_unknown_capability: false,
            inspect_open_message: false,
            send_unknown_message: false,
            send_default_route: false,
            read_timeout: DEFAULT_READ_TIMEOUT,
            tcp_connections: 1,
        }
    }
}

impl PeerOptions {
    /// The options of `file`; an option the test peer does not know is an error.
    pub fn from_file(file: &CiFile) -> Result<PeerOptions, PeerFailure> {
        let mut options = PeerOptions::default();
        let invalid = |key: &str, value: &str, reason: &'static str| PeerFailure::InvalidFile {
            reason: format!("option:{key}:{value}: {reason}"),
        };
        for (key, value) in &file.options {
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match (key.as_str(), value.to_ascii_lowercase().as_str()) {
                ("file", _) => {}
                // Present in ExaBGP's peer but without effect.
                ("sigusr1", _) => {}
                ("tcp_connections", number) => {
                    options.tcp_connections = number
                        .parse()
                        .map_err(|_| invalid(&key, value, "not a number"))?;
                }
                ("timeout", seconds) => {
                    let seconds: f64 = seconds
                        .parse()
                        .map_err(|_| invalid(&key, value, "not a number of seconds"))?;
                    options.read_timeout = Duration::try_from_secs_f64(seconds)
                        .map_err(|_| invalid(&key, value, "not a duration"))?;
                }
                ("asn", number) => {
                    options.asn = Some(
                        number
                            .parse()
                            .map_err(|_| invalid(&key, value, "must fit 16 bits"))?,
                    );
                }
                ("bind", "ipv6") => options.bind_ipv6 = true,
                ("open", "send-unknown-capability") => options.send_unknown_capability = true,
                ("open", "inspect-open-message") => options.inspect_open_message = true,
                ("open", "send-unknown-message") => options.send_unknown_message = true,
                ("update", "send-default-route") => options.send_default_route = true,
                _ => return Err(invalid(&key, value, "unknown to the test peer")),
            }
        }
        Ok(options)
    }
}

/// One entry of a group: a message to receive or an action to perform.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A message the daemon must send. `bytes` may lack the marker (then it is compared
    /// with the received message minus its marker).
    Expect { line: usize, bytes: Vec<u8> },
    /// Send NOTIFICATION Cease/Administrative-Shutdown with this (lower-cased) text.
    Notify { line: usize, text: String },
    /// Send the daemon this signal (`SIGUSR1`, ...).
    Signal { line: usize, name: String },
}

impl Entry {
    fn line(&self) -> usize {
        match self {
            Entry::Expect { line, .. }
            | Entry::Notify { line, .. }
            | Entry::Signal { line, .. } => *line,
        }
    }

    /// The expected message with its marker, for display.
    fn full_message(bytes: &[u8]) -> Vec<u8> {
        if bytes.starts_with(&MARKER) {
            bytes.to_vec()
        } else {
            let mut full = MARKER.to_vec();
            full.extend_from_slice(bytes);
            full
        }
    }

    fn matches(&self, received: &[u8]) -> bool {
        match self {
            Entry::Expect { bytes, .. } if bytes.starts_with(&MARKER) => bytes == received,
            Entry::Expect { bytes, .. } => received.get(MARKER.len()..) == Some(bytes.as_slice()),
            _ => false,
        }
    }
}

/// The entries sharing one (connection, step).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The connection key as ExaBGP's peer computes it (see [`groups`]).
    pub connection: char,
    pub step: u32,
    pub entries: Vec<Entry>,
}

/// The groups of `file` in the order the test peer takes them. `cmd` and `json` lines are
/// not the peer's business. As in ExaBGP's peer, a lettered line is lower-cased before it is
/// grouped unless it is a notification, and an unlettered line belongs to `A`: so `A1:raw`
/// lands in group `a`, which sorts after every upper-case letter.
pub fn groups(file: &CiFile) -> Result<Vec<Group>, PeerFailure> {
    let mut groups: Vec<Group> = Vec::new();
    for line in &file.lines {
        let (entry, keeps_case) = match &line.entry {
            CiEntry::Cmd(_) | CiEntry::Json { .. } => continue,
            CiEntry::Raw { bytes, .. } => (
                Entry::Expect {
                    line: line.line,
                    bytes: bytes.clone(),
                },
                false,
            ),
            CiEntry::Other { kind, content } => match kind.to_ascii_lowercase().as_str() {
                "notification" => {
                    let lowered = content.to_lowercase();
                    let text = lowered.rsplit(':').next().unwrap_or_default().to_owned();
                    (
                        Entry::Notify {
                            line: line.line,
                            text,
                        },
                        true,
                    )
                }
                "signal" => {
                    let name: String = content.split_whitespace().collect();
                    let name = name.rsplit(':').next().unwrap_or_default().to_uppercase();
                    (
                        Entry::Signal {
                            line: line.line,
                            name,
                        },
                        false,
                    )
                }
                other => {
                    return Err(PeerFailure::InvalidFile {
                        reason: format!(
                            "line {}: `{other}` lines are unknown to the test peer",
                            line.line
                        ),
                    })
                }
            },
        };
        let connection = match line.connection {
            None => 'A',
            Some(letter) if keeps_case => letter,
            Some(letter) => letter.to_ascii_lowercase(),
        };
        match groups
            .iter_mut()
            .find(|g| g.connection == connection && g.step == line.step)
        {
            Some(group) => group.entries.push(entry),
            None => groups.push(Group {
                connection,
                step: line.step,
                entries: vec![entry],
            }),
        }
    }
    groups.sort_by_key(|g| (g.connection, g.step));
    Ok(groups)
}

/// Why a run failed. The Display is the report printed for the file.
#[derive(Debug)]
pub enum PeerFailure {
    /// The `.ci` file holds something the test peer cannot run.
    InvalidFile { reason: String },
    /// The listening socket could not be opened.
    Bind {
        address: SocketAddr,
        error: io::Error,
    },
    /// The daemon ended before the expectations were met.
    DaemonExited {
        status: String,
        connections: usize,
        outstanding: Vec<Entry>,
    },
    /// No connection (or no reconnection) within the overall time limit.
    NoConnection {
        waited: Duration,
        connections: usize,
        outstanding: Vec<Entry>,
    },
    /// Nothing arrived within the per-message read timeout.
    ReadTimeout {
        timeout: Duration,
        connection: usize,
        outstanding: Vec<Entry>,
    },
    /// The daemon kept talking (KEEPALIVEs) past the overall limit without meeting the
    /// expectations.
    OverallTimeout {
        limit: Duration,
        outstanding: Vec<Entry>,
    },
    /// The first message of a connection is not an OPEN.
    NotOpen { received: Vec<u8> },
    /// A header with a bad marker or length.
    MalformedHeader { header: Vec<u8> },
    /// A message that matches no remaining entry of the current group.
    Mismatch {
        connection: usize,
        received: Vec<u8>,
        negotiated: Option<Box<Negotiated>>,
        remaining: Vec<Entry>,
    },
    /// A message arrived after every expectation was met and it is not an EOR.
    ExtraMessage { received: Vec<u8> },
    /// A `signal:` action could not be delivered.
    Signal { name: String, reason: String },
    /// A socket error other than the daemon closing the connection.
    Io {
        context: &'static str,
        error: io::Error,
    },
    /// More connections than connection letters.
    TooManyConnections,
}

impl fmt::Display for PeerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerFailure::InvalidFile { reason } => write!(f, "invalid .ci file: {reason}"),
            PeerFailure::Bind { address, error } => {
                write!(f, "the test peer cannot listen on {address}: {error}")
            }
            PeerFailure::DaemonExited {
                status,
                connections,
                outstanding,
            } if *connections == 0 => write!(
                f,
                "the daemon exited ({status}) before connecting; {} expectation(s) not met",
                outstanding.len()
            ),
            PeerFailure::DaemonExited {
                status,
                connections,
                outstanding,
            } => {
                write!(
                    f,
                    "the daemon exited ({status}) after {connections} connection(s) with \
                     expectations outstanding"
                )?;
                write_outstanding(f, outstanding)
            }
            PeerFailure::NoConnection {
                waited,
                connections,
                outstanding,
            } => {
                write!(
                    f,
                    "no connection from the daemon within {waited:?} (after {connections} \
                     connection(s))"
                )?;
                write_outstanding(f, outstanding)
            }
            PeerFailure::ReadTimeout {
                timeout,
                connection,
                outstanding,
            } => {
                write!(
                    f,
                    "no message within {timeout:?} on connection {}",
                    connection_letter(*connection)
                )?;
                write_outstanding(f, outstanding)
            }
            PeerFailure::OverallTimeout { limit, outstanding } => {
                write!(
                    f,
                    "expectations not met within the overall limit of {limit:?}"
                )?;
                write_outstanding(f, outstanding)
            }
            PeerFailure::NotOpen { received } => {
                writeln!(f, "the first message of the connection is not an OPEN:")?;
                write!(f, "  received  {}", split_hex(received))
            }
            PeerFailure::MalformedHeader { header } => {
                write!(
                    f,
                    "malformed message header from the daemon: {}",
                    hex(header)
                )
            }
            PeerFailure::Mismatch {
                connection,
                received,
                negotiated,
                remaining,
            } => write_mismatch(f, *connection, received, negotiated.as_deref(), remaining),
            PeerFailure::ExtraMessage { received } => {
                writeln!(
                    f,
                    "received an extra message after every expectation was met:"
                )?;
                write!(f, "  received  {}", split_hex(received))
            }
            PeerFailure::Signal { name, reason } => {
                write!(f, "cannot send {name} to the daemon: {reason}")
            }
            PeerFailure::Io { context, error } => write!(f, "{context}: {error}"),
            PeerFailure::TooManyConnections => {
                write!(f, "more than {MAX_CONNECTIONS} connections from the daemon")
            }
        }
    }
}

impl std::error::Error for PeerFailure {}

fn connection_letter(index: usize) -> char {
    u8::try_from(index.saturating_sub(1))
        .ok()
        .filter(|i| *i < 26)
        .map_or('?', |i| char::from(b'A' + i))
}

fn write_outstanding(f: &mut fmt::Formatter<'_>, outstanding: &[Entry]) -> fmt::Result {
    if outstanding.is_empty() {
        return Ok(());
    }
    write!(f, "\n  {} expectation(s) outstanding:", outstanding.len())?;
    for entry in outstanding.iter().take(8) {
        match entry {
            Entry::Expect { line, bytes } => write!(
                f,
                "\n    line {line:>3}  {}",
                split_hex(&Entry::full_message(bytes))
            )?,
            Entry::Notify { line, text } => write!(f, "\n    line {line:>3}  notification:{text}")?,
            Entry::Signal { line, name } => write!(f, "\n    line {line:>3}  signal:{name}")?,
        }
    }
    if outstanding.len() > 8 {
        write!(f, "\n    ... and {} more", outstanding.len() - 8)?;
    }
    Ok(())
}

/// Hex split as the `.ci` files write it: marker:length:type:body.
pub fn split_hex(message: &[u8]) -> String {
    match (
        message.get(..16),
        message.get(16..18),
        message.get(18..19),
        message.get(19..),
    ) {
        (Some(marker), Some(length), Some(kind), Some(body)) => format!(
            "{}:{}:{}:{}",
            hex(marker),
            hex(length),
            hex(kind),
            hex(body)
        ),
        _ => hex(message),
    }
}

/// Type, declared length and actual length of a message.
fn describe(message: &[u8]) -> String {
    let declared = message
        .get(16..18)
        .map(|l| u16::from_be_bytes([l[0], l[1]]).to_string())
        .unwrap_or_else(|| "?".to_owned());
    let kind = message.get(18).copied();
    let name = kind.map_or("no type", bgp_message::kind_name);
    format!(
        "{name} (type {}), length field {declared}, {} bytes",
        kind.map_or_else(|| "?".to_owned(), |k| k.to_string()),
        message.len()
    )
}

/// The message as `rexa decode` would print it, else the codec's view of it, else the
/// decode error. One line, cut at 1,500 characters.
pub fn decoded(message: &[u8], negotiated: Option<&Negotiated>) -> String {
    use rexa::cli::decode::{decode_neighbor, write_decoded, DecodeContext, InputKind};
    let negotiated = negotiated.cloned().unwrap_or_else(|| Negotiated {
        families: rexa::cli::decode::DECODE_FAMILIES.to_vec(),
        ..Negotiated::default()
    });
    let context = DecodeContext {
        negotiated: negotiated.clone(),
        neighbor: decode_neighbor(),
        kind: InputKind::Update,
        nlri_family: rexa::bgp::Family::IPV4_UNICAST,
    };
    let envelope = rexa::api::json::Envelope {
        version: rexa::api::json::FORMAT_VERSION_5,
        time: 0.0,
        host: "test-peer",
        pid: 0,
        ppid: 0,
    };
    let mut out = Vec::new();
    let text = match write_decoded(message, &context, &envelope, &mut out) {
        Ok(()) => String::from_utf8_lossy(&out).trim().to_owned(),
        Err(json_error) => match Message::decode_message(message, &negotiated) {
            Ok(parsed) => format!("{parsed:?} (no JSON: {json_error})"),
            Err(error) => format!("does not decode: {error}"),
        },
    };
    if text.chars().count() > 1500 {
        let cut: String = text.chars().take(1500).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// The remaining expectation closest to `received`: most bytes shared at the start plus at
/// the end (so a length field that differs does not hide a matching body), then nearest length.
fn closest<'a>(received: &[u8], remaining: &'a [Entry]) -> Option<(&'a Entry, Vec<u8>)> {
    remaining
        .iter()
        .filter_map(|entry| match entry {
            Entry::Expect { bytes, .. } => Some((entry, Entry::full_message(bytes))),
            _ => None,
        })
        .max_by_key(|(_, expected)| {
            let shared = common_prefix(expected, received) + common_suffix(expected, received);
            let distance = expected.len().abs_diff(received.len());
            (shared, std::cmp::Reverse(distance))
        })
}

fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// The bytes at `offset` on both sides, with eight bytes of context before and the
/// differing bytes in brackets.
fn write_difference(
    f: &mut fmt::Formatter<'_>,
    title: &str,
    expected: &[u8],
    received: &[u8],
    offset: usize,
) -> fmt::Result {
    let window = |bytes: &[u8]| {
        let start = offset.saturating_sub(8).min(bytes.len());
        let middle = offset.min(bytes.len());
        let end = (offset + 16).min(bytes.len());
        let before = bytes.get(start..middle).unwrap_or_default();
        let after = bytes.get(middle..end).unwrap_or_default();
        format!("{} [{}]", hex(before), hex(after))
    };
    let place = offset
        .checked_sub(HEADER_LEN)
        .map_or_else(|| "in the header".to_owned(), |b| format!("body byte {b}"));
    let at = |bytes: &[u8]| {
        bytes
            .get(offset)
            .map_or_else(|| "end of message".to_owned(), |b| format!("{b:02X}"))
    };
    writeln!(
        f,
        "  {title} at byte {offset} ({place}): expected {}, received {}",
        at(expected),
        at(received)
    )?;
    writeln!(f, "    expected  ...{}", window(expected))?;
    write!(f, "    received  ...{}", window(received))
}

fn write_mismatch(
    f: &mut fmt::Formatter<'_>,
    connection: usize,
    received: &[u8],
    negotiated: Option<&Negotiated>,
    remaining: &[Entry],
) -> fmt::Result {
    writeln!(
        f,
        "unexpected message on connection {}:",
        connection_letter(connection)
    )?;
    writeln!(f, "  received  {}", split_hex(received))?;
    writeln!(f, "            {}", describe(received))?;
    writeln!(f, "            {}", decoded(received, negotiated))?;
    let Some((entry, expected)) = closest(received, remaining) else {
        write!(f, "  no raw expectation remains in the current group")?;
        return write_outstanding(f, remaining);
    };
    writeln!(
        f,
        "  closest of {} remaining entr{} of the group: line {}",
        remaining.len(),
        if remaining.len() == 1 { "y" } else { "ies" },
        entry.line()
    )?;
    writeln!(f, "  expected  {}", split_hex(&expected))?;
    writeln!(f, "            {}", describe(&expected))?;
    writeln!(f, "            {}", decoded(&expected, negotiated))?;
    let offset = common_prefix(&expected, received);
    write_difference(f, "first difference", &expected, received, offset)?;
    if offset < HEADER_LEN {
        let bodies = (expected.get(HEADER_LEN..), received.get(HEADER_LEN..));
        if let (Some(expected_body), Some(received_body)) = bodies {
            if expected_body != received_body {
                let body_offset = HEADER_LEN + common_prefix(expected_body, received_body);
                writeln!(f)?;
                write_difference(f, "first body difference", &expected, received, body_offset)?;
            }
        }
    }
    let others: Vec<&Entry> = remaining
        .iter()
        .filter(|e| e.line() != entry.line())
        .collect();
    if !others.is_empty() {
        write!(f, "\n  other remaining entries:")?;
        for other in others.iter().take(8) {
            match other {
                Entry::Expect { line, bytes } => write!(
                    f,
                    "\n    line {line:>3}  {}",
                    split_hex(&Entry::full_message(bytes))
                )?,
                Entry::Notify { line, text } => {
                    write!(f, "\n    line {line:>3}  notification:{text}")?
                }
                Entry::Signal { line, name } => write!(f, "\n    line {line:>3}  signal:{name}")?,
            }
        }
        if others.len() > 8 {
            write!(f, "\n    ... and {} more", others.len() - 8)?;
        }
    }
    Ok(())
}

/// How the run ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerSuccess {
    pub connections: usize,
    /// Non-KEEPALIVE messages matched (the OPEN included when inspected).
    pub matched: usize,
}

/// What [`CiPeer::run`] returns: the outcome and what happened, one line per event.
#[derive(Debug)]
pub struct PeerReport {
    pub outcome: Result<PeerSuccess, PeerFailure>,
    pub transcript: Vec<String>,
    pub elapsed: Duration,
}

/// What the peer needs to know about the daemon under test.
pub trait DaemonWatch {
    /// The daemon's PID, for `signal:` actions.
    fn pid(&self) -> Option<u32>;
    /// `Some(status)` once the daemon has exited.
    fn exited(&mut self) -> Option<String>;
}

/// No daemon to watch (self-tests drive the peer directly).
pub struct NoDaemon;

impl DaemonWatch for NoDaemon {
    fn pid(&self) -> Option<u32> {
        None
    }
    fn exited(&mut self) -> Option<String> {
        None
    }
}

/// How one connection ended.
enum ConnectionEnd {
    /// Every expectation met.
    Done,
    /// The daemon closed the connection with expectations outstanding.
    Closed,
}

/// Reading one message ended without a message.
enum ReadEnd {
    /// End of stream, or a reset (named).
    Closed(&'static str),
    TimedOut,
    Failed(PeerFailure),
}

/// A test peer bound to its port, ready for the daemon.
pub struct CiPeer {
    listener: TcpListener,
    port: u16,
    options: PeerOptions,
    /// Groups not yet started.
    pending: VecDeque<Group>,
    /// What is left of the current group.
    current: Vec<Entry>,
    /// Every non-EOR UPDATE matched so far, replayed after a ROUTE-REFRESH.
    matched_updates: Vec<Vec<u8>>,
    matched: usize,
    connections: usize,
    /// Negotiated from the last OPEN exchange, for decoding in reports.
    negotiated: Option<Negotiated>,
    transcript: Vec<String>,
    started: Instant,
    overall: Duration,
    connect_timeout: Duration,
}

impl CiPeer {
    /// Parses the file's options and groups and listens on `127.0.0.1:port` (`::1` with
    /// `option:bind:ipv6`). Port 0 picks a free port: read it back with [`CiPeer::port`].
    pub fn bind(file: &CiFile, port: u16) -> Result<CiPeer, PeerFailure> {
        let options = PeerOptions::from_file(file)?;
        let pending: VecDeque<Group> = groups(file)?.into();
        if pending.is_empty() {
            return Err(PeerFailure::InvalidFile {
                reason: "no expectation".to_owned(),
            });
        }
        let address: SocketAddr = if options.bind_ipv6 {
            (Ipv6Addr::LOCALHOST, port).into()
        } else {
            ([127, 0, 0, 1], port).into()
        };
        let listener =
            TcpListener::bind(address).map_err(|error| PeerFailure::Bind { address, error })?;
        let port = listener
            .local_addr()
            .map_err(|error| PeerFailure::Io {
                context: "reading the listening address",
                error,
            })?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(|error| PeerFailure::Io {
                context: "making the listener non-blocking",
                error,
            })?;
        Ok(CiPeer {
            listener,
            port,
            options,
            pending,
            current: Vec::new(),
            matched_updates: Vec::new(),
            matched: 0,
            connections: 0,
            negotiated: None,
            transcript: Vec::new(),
            started: Instant::now(),
            overall: DEFAULT_OVERALL_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        })
    }

    /// The port the peer listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn options(&self) -> &PeerOptions {
        &self.options
    }

    /// Changes the overall limit (default 20 s, ExaBGP's harness timeout).
    pub fn with_overall_timeout(mut self, overall: Duration) -> CiPeer {
        self.overall = overall;
        self
    }

    /// Changes how long each connection is waited for (default 10 s).
    pub fn with_connect_timeout(mut self, connect: Duration) -> CiPeer {
        self.connect_timeout = connect;
        self
    }

    /// Serves the daemon until the outcome is known.
    pub fn run(mut self, daemon: &mut dyn DaemonWatch) -> PeerReport {
        self.started = Instant::now();
        let outcome = self.serve(daemon);
        if let Ok(success) = &outcome {
            self.note(format!(
                "successful: {} message(s) matched on {} connection(s)",
                success.matched, success.connections
            ));
        }
        PeerReport {
            outcome,
            transcript: self.transcript,
            elapsed: self.started.elapsed(),
        }
    }

    fn note(&mut self, event: String) {
        let at = self.started.elapsed().as_secs_f64();
        self.transcript.push(format!("{at:7.3}s {event}"));
    }

    fn completed(&self) -> bool {
        self.current.is_empty() && self.pending.is_empty()
    }

    fn success(&self) -> PeerSuccess {
        PeerSuccess {
            connections: self.connections,
            matched: self.matched,
        }
    }

    fn outstanding(&self) -> Vec<Entry> {
        self.current
            .iter()
            .chain(self.pending.iter().flat_map(|g| g.entries.iter()))
            .cloned()
            .collect()
    }

    fn serve(&mut self, daemon: &mut dyn DaemonWatch) -> Result<PeerSuccess, PeerFailure> {
        let overall = self.started + self.overall;
        while self.connections < MAX_CONNECTIONS {
            let deadline = overall.min(Instant::now() + self.connect_timeout);
            let stream = self.accept(daemon, deadline)?;
            self.connections += 1;
            self.note(format!(
                "connection {} accepted",
                connection_letter(self.connections)
            ));
            if self.current.is_empty() {
                if let Some(group) = self.pending.pop_front() {
                    self.current = group.entries;
                }
            } else {
                self.note("entries of the previous connection carry over".to_owned());
            }
            match self.serve_connection(stream, daemon)? {
                ConnectionEnd::Done => return Ok(self.success()),
                ConnectionEnd::Closed if self.completed() => return Ok(self.success()),
                ConnectionEnd::Closed => {
                    self.note("connection closed with expectations outstanding".to_owned())
                }
            }
        }
        Err(PeerFailure::TooManyConnections)
    }

    fn accept(
        &mut self,
        daemon: &mut dyn DaemonWatch,
        deadline: Instant,
    ) -> Result<TcpStream, PeerFailure> {
        loop {
            match self.listener.accept() {
                Ok((stream, from)) => {
                    self.note(format!("connection from {from}"));
                    stream
                        .set_nonblocking(false)
                        .map_err(|error| PeerFailure::Io {
                            context: "making the connection blocking",
                            error,
                        })?;
                    let _ = stream.set_nodelay(true);
                    let _ = stream.set_write_timeout(Some(self.options.read_timeout));
                    return Ok(stream);
                }
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(PeerFailure::Io {
                        context: "accepting a connection",
                        error,
                    })
                }
            }
            if let Some(status) = daemon.exited() {
                return Err(PeerFailure::DaemonExited {
                    status,
                    connections: self.connections,
                    outstanding: self.outstanding(),
                });
            }
            if Instant::now() >= deadline {
                return Err(PeerFailure::NoConnection {
                    waited: self.connect_timeout.min(self.overall),
                    connections: self.connections,
                    outstanding: self.outstanding(),
                });
            }
            std::thread::sleep(ACCEPT_POLL);
        }
    }

    /// Reads one whole message, the timeout applying to the header and to the body.
    fn read_message(&self, stream: &mut TcpStream) -> Result<Vec<u8>, ReadEnd> {
        let mut header = [0u8; HEADER_LEN];
        read_within(stream, &mut header, self.options.read_timeout)?;
        let length = usize::from(u16::from_be_bytes([header[16], header[17]]));
        if header[..16] != MARKER || length < HEADER_LEN {
            return Err(ReadEnd::Failed(PeerFailure::MalformedHeader {
                header: header.to_vec(),
            }));
        }
        let mut message = header.to_vec();
        message.resize(length, 0);
        read_within(
            stream,
            &mut message[HEADER_LEN..],
            self.options.read_timeout,
        )?;
        Ok(message)
    }

    /// Sends bytes; `Ok(false)` when the daemon has closed the connection.
    fn send(
        &mut self,
        stream: &mut TcpStream,
        what: &str,
        bytes: &[u8],
    ) -> Result<bool, PeerFailure> {
        match stream.write_all(bytes) {
            Ok(()) => {
                if what != "KEEPALIVE" {
                    self.note(format!("sent {what}: {}", split_hex(bytes)));
                }
                Ok(true)
            }
            Err(e) if closed_by_peer(&e) => Ok(false),
            Err(error) => Err(PeerFailure::Io {
                context: "writing to the daemon",
                error,
            }),
        }
    }

    fn serve_connection(
        &mut self,
        mut stream: TcpStream,
        daemon: &mut dyn DaemonWatch,
    ) -> Result<ConnectionEnd, PeerFailure> {
        let open = match self.read_message(&mut stream) {
            Ok(message) => message,
            Err(end) => return self.read_ended(end),
        };
        self.note(format!("received OPEN: {}", split_hex(&open)));
        if open.get(18) != Some(&bgp_message::OPEN) {
            return Err(PeerFailure::NotOpen { received: open });
        }
        if self.options.inspect_open_message {
            self.check(&open, &mut stream, daemon)?;
            if self.completed() {
                return Ok(ConnectionEnd::Done);
            }
        }
        let reply = open_reply(&open, &self.options);
        self.negotiated = match (
            Open::decode(open.get(HEADER_LEN..).unwrap_or_default()),
            Open::decode(reply.get(HEADER_LEN..).unwrap_or_default()),
        ) {
            (Ok(local), Ok(remote)) => Some(Negotiated::from_opens(&remote, &local)),
            _ => None,
        };
        let mut greeting = reply;
        greeting.extend_from_slice(&keepalive());
        if self.options.send_unknown_message {
            greeting.extend_from_slice(&unknown_message());
        }
        if !self.send(&mut stream, "OPEN and KEEPALIVE", &greeting)? {
            return self.closed("write failed");
        }
        if !self.options.inspect_open_message {
            if !self.perform_actions(&mut stream, daemon)? {
                return self.closed("write failed");
            }
            if self.options.send_default_route
                && !self.send(&mut stream, "default route", &default_route())?
            {
                return self.closed("write failed");
            }
        }
        let overall = self.started + self.overall;
        loop {
            if Instant::now() >= overall {
                return Err(PeerFailure::OverallTimeout {
                    limit: self.overall,
                    outstanding: self.outstanding(),
                });
            }
            let message = match self.read_message(&mut stream) {
                Ok(message) => message,
                Err(end) => return self.read_ended(end),
            };
            if !self.send(&mut stream, "KEEPALIVE", &keepalive())? {
                return self.closed("write failed");
            }
            if message.get(18) == Some(&bgp_message::KEEPALIVE) {
                continue;
            }
            self.note(format!("received {}", split_hex(&message)));
            if self.completed() {
                if is_eor(&message) {
                    return Ok(ConnectionEnd::Done);
                }
                return Err(PeerFailure::ExtraMessage { received: message });
            }
            if !self.check(&message, &mut stream, daemon)? {
                return self.closed("write failed");
            }
            if self.completed() {
                if self.options.send_unknown_message {
                    return self.expect_close(&mut stream);
                }
                return Ok(ConnectionEnd::Done);
            }
        }
    }

    /// After the NOTIFICATION that refuses the unknown message, the daemon must send
    /// nothing more (no UPDATE, no End-of-RIB, no KEEPALIVE) and close the connection.
    fn expect_close(&mut self, stream: &mut TcpStream) -> Result<ConnectionEnd, PeerFailure> {
        match self.read_message(stream) {
            Ok(received) => Err(PeerFailure::ExtraMessage { received }),
            Err(end) => self.read_ended(end),
        }
    }

    fn closed(&mut self, how: &str) -> Result<ConnectionEnd, PeerFailure> {
        self.note(format!("the daemon closed the connection ({how})"));
        Ok(if self.completed() {
            ConnectionEnd::Done
        } else {
            ConnectionEnd::Closed
        })
    }

    fn read_ended(&mut self, end: ReadEnd) -> Result<ConnectionEnd, PeerFailure> {
        match end {
            ReadEnd::Closed(how) => self.closed(how),
            ReadEnd::TimedOut => Err(PeerFailure::ReadTimeout {
                timeout: self.options.read_timeout,
                connection: self.connections,
                outstanding: self.outstanding(),
            }),
            ReadEnd::Failed(failure) => Err(failure),
        }
    }

    /// Matches `message` against the current group, then runs what follows a match.
    /// `Ok(false)` when the daemon closed the connection meanwhile.
    fn check(
        &mut self,
        message: &[u8],
        stream: &mut TcpStream,
        daemon: &mut dyn DaemonWatch,
    ) -> Result<bool, PeerFailure> {
        let Some(index) = self.current.iter().position(|e| e.matches(message)) else {
            return Err(PeerFailure::Mismatch {
                connection: self.connections,
                received: message.to_vec(),
                negotiated: self.negotiated.clone().map(Box::new),
                remaining: self.current.clone(),
            });
        };
        let entry = self.current.remove(index);
        self.matched += 1;
        self.note(format!("matched line {}", entry.line()));
        let kind = message.get(18).copied();
        if kind == Some(bgp_message::UPDATE) && !is_eor(message) {
            self.matched_updates.push(message.to_vec());
        }
        if !self.perform_actions(stream, daemon)? {
            return Ok(false);
        }
        if kind == Some(bgp_message::ROUTE_REFRESH) {
            let mut replay: Vec<u8> = self.matched_updates.concat();
            replay.extend_from_slice(&keepalive());
            let count = self.matched_updates.len();
            if !self.send(stream, &format!("{count} UPDATE(s) replayed"), &replay)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Moves to the next group when this one is exhausted, then runs a `signal` action at
    /// the head of the group, then a `notification` action. `Ok(false)` if the daemon
    /// closed the connection.
    fn perform_actions(
        &mut self,
        stream: &mut TcpStream,
        daemon: &mut dyn DaemonWatch,
    ) -> Result<bool, PeerFailure> {
        self.advance_group();
        if let Some(Entry::Signal { name, .. }) = self.current.first().cloned() {
            self.current.remove(0);
            self.signal(&name, daemon)?;
            self.advance_group();
        }
        if let Some(Entry::Notify { text, .. }) = self.current.first().cloned() {
            self.current.remove(0);
            let notification = Message::Notification(Notification::cease_shutdown(&text));
            let bytes = notification.to_bytes(&Negotiated::default());
            let sent = self.send(stream, "NOTIFICATION", &bytes)?;
            self.advance_group();
            return Ok(sent);
        }
        Ok(true)
    }

    fn advance_group(&mut self) {
        if self.current.is_empty() {
            if let Some(group) = self.pending.pop_front() {
                self.note(format!("group {}{} starts", group.connection, group.step));
                self.current = group.entries;
            }
        }
    }

    fn signal(&mut self, name: &str, daemon: &mut dyn DaemonWatch) -> Result<(), PeerFailure> {
        let failure = |reason: String| PeerFailure::Signal {
            name: name.to_owned(),
            reason,
        };
        let pid = daemon
            .pid()
            .ok_or_else(|| failure("no daemon PID".to_owned()))?;
        let short = name.strip_prefix("SIG").unwrap_or(name);
        if short.is_empty() || !short.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(failure("not a signal name".to_owned()));
        }
        let status = Command::new("kill")
            .arg("-s")
            .arg(short)
            .arg(pid.to_string())
            .status()
            .map_err(|e| failure(format!("cannot run kill: {e}")))?;
        if !status.success() {
            return Err(failure(format!("kill exited with {status}")));
        }
        self.note(format!("sent {name} to pid {pid}"));
        Ok(())
    }
}

fn closed_by_peer(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::NotConnected
    )
}

/// Fills `buf` within `timeout` of the call.
fn read_within(stream: &mut TcpStream, buf: &mut [u8], timeout: Duration) -> Result<(), ReadEnd> {
    let deadline = Instant::now() + timeout;
    let mut filled = 0;
    while filled < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ReadEnd::TimedOut);
        }
        if let Err(error) = stream.set_read_timeout(Some(left)) {
            return Err(ReadEnd::Failed(PeerFailure::Io {
                context: "setting the read timeout",
                error,
            }));
        }
        let Some(rest) = buf.get_mut(filled..) else {
            break;
        };
        match stream.read(rest) {
            Ok(0) => return Err(ReadEnd::Closed("end of stream")),
            Ok(count) => filled += count,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) if closed_by_peer(&e) => return Err(ReadEnd::Closed("connection reset")),
            Err(error) => {
                return Err(ReadEnd::Failed(PeerFailure::Io {
                    context: "reading from the daemon",
                    error,
                }))
            }
        }
    }
    Ok(())
}

/// A KEEPALIVE.
pub fn keepalive() -> Vec<u8> {
    let mut message = MARKER.to_vec();
    message.extend_from_slice(&[0x00, 0x13, bgp_message::KEEPALIVE]);
    message
}

/// The 19-byte message of type 255 sent by `option:open:send-unknown-message`.
pub fn unknown_message() -> Vec<u8> {
    let mut message = MARKER.to_vec();
    message.extend_from_slice(&[0x00, 0x13, 0xFF]);
    message
}

/// The UPDATE of `option:update:send-default-route`: 0.0.0.0/32, origin igp, empty
/// AS_PATH, next-hop 127.0.0.1, local-preference 100.
pub fn default_route() -> Vec<u8> {
    let attributes: [u8; 21] = [
        0x40, 0x01, 0x01, 0x00, // ORIGIN igp
        0x40, 0x02, 0x00, // AS_PATH empty
        0x40, 0x03, 0x04, 127, 0, 0, 1, // NEXT_HOP
        0x40, 0x05, 0x04, 0, 0, 0, 100, // LOCAL_PREF
    ];
    let nlri: [u8; 5] = [32, 0, 0, 0, 0];
    let length = HEADER_LEN + 2 + 2 + attributes.len() + nlri.len();
    let mut message = MARKER.to_vec();
    message.extend_from_slice(&u16::try_from(length).unwrap_or(0).to_be_bytes());
    message.push(bgp_message::UPDATE);
    message.extend_from_slice(&[0, 0]);
    message.extend_from_slice(&u16::try_from(attributes.len()).unwrap_or(0).to_be_bytes());
    message.extend_from_slice(&attributes);
    message.extend_from_slice(&nlri);
    message
}

/// An End-of-RIB: an empty UPDATE (4-byte body) or an UPDATE holding only an empty
/// MP_UNREACH_NLRI (11-byte body).
pub fn is_eor(message: &[u8]) -> bool {
    if message.get(18) != Some(&bgp_message::UPDATE) {
        return false;
    }
    let body = message.get(HEADER_LEN..).unwrap_or_default();
    body == [0, 0, 0, 0]
        || (body.len() == 11 && body.starts_with(&[0x00, 0x00, 0x00, 0x07, 0x90, 0x0F, 0x00, 0x03]))
}

/// The OPEN the test peer answers with: the daemon's own OPEN with the last byte of the
/// router-id incremented, or, with `option:asn`, the router-id kept and the AS replaced in
/// the 2-byte field and in a 4-octet-AS capability that opens a capabilities parameter.
/// `option:open:send-unknown-capability` appends a parameter holding capability 66.
pub fn open_reply(open: &[u8], options: &PeerOptions) -> Vec<u8> {
    let mut reply = open.to_vec();
    // Body: version(1) AS(2) hold(2) router-id(4) parameters-length(1) parameters.
    let router_id_last = HEADER_LEN + 8;
    match options.asn {
        None => {
            if let Some(byte) = reply.get_mut(router_id_last) {
                *byte = byte.wrapping_add(1);
            }
        }
        Some(asn) => {
            if let Some(field) = reply.get_mut(HEADER_LEN + 1..HEADER_LEN + 3) {
                field.copy_from_slice(&asn.to_be_bytes());
            }
            let mut offset = HEADER_LEN + 10;
            while let (Some(&kind), Some(&length)) = (reply.get(offset), reply.get(offset + 1)) {
                if kind == 2 && reply.get(offset + 2) == Some(&65) {
                    if let Some(value) = reply.get_mut(offset + 4..offset + 8) {
                        value.copy_from_slice(&u32::from(asn).to_be_bytes());
                    }
                    break;
                }
                offset += 2 + usize::from(length);
            }
        }
    }
    if options.send_unknown_capability {
        let capability_length = 2 + UNKNOWN_CAPABILITY_VALUE.len();
        let parameter_length = 2 + capability_length;
        let parameters = reply.get(HEADER_LEN + 9).copied().map(usize::from);
        if let Some(total) = parameters.map(|p| p + parameter_length) {
            if let (Ok(total), Ok(capability_length)) =
                (u8::try_from(total), u8::try_from(capability_length))
            {
                reply[HEADER_LEN + 9] = total;
                reply.extend_from_slice(&[2, capability_length]);
                reply.extend_from_slice(&[UNKNOWN_CAPABILITY_CODE, capability_length - 2]);
                reply.extend_from_slice(UNKNOWN_CAPABILITY_VALUE);
            }
        }
    }
    let length = u16::try_from(reply.len()).unwrap_or(u16::MAX);
    if let Some(field) = reply.get_mut(16..18) {
        field.copy_from_slice(&length.to_be_bytes());
    }
    reply
}

#[cfg(test)]
mod self_tests {
    use super::super::conformance::parse_ci_text;
    use super::*;

    const EOR: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000";
    /// ExaBGP's OPEN: AS 65533, hold 180, router-id 10.0.0.2, ASN4 65533, route refresh.
    const OPEN: &str =
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0029:01:04FFFD00B40A0000020C020641040000FFFD02020200";

    fn bytes(text: &str) -> Vec<u8> {
        super::super::conformance::hex_bytes(text).unwrap()
    }

    #[test]
    fn grouping_follows_exabgp_quirks() {
        let file = parse_ci_text(
            "t.ci",
            "option:file:x.conf\n2:raw:AA\n1:cmd:x\n1:raw:BB\nA1:raw:CC\nA2:notification:Bye Now\nB1:signal:sigusr1\n1:json:{}\n",
        );
        let groups = groups(&file).unwrap();
        let keys: Vec<(char, u32)> = groups.iter().map(|g| (g.connection, g.step)).collect();
        assert_eq!(keys, vec![('A', 1), ('A', 2), ('a', 1), ('b', 1)]);
        assert_eq!(groups[1].entries.len(), 2);
        assert_eq!(
            groups[1].entries[1],
            Entry::Notify {
                line: 6,
                text: "bye now".to_owned()
            }
        );
        assert_eq!(
            groups[3].entries[0],
            Entry::Signal {
                line: 7,
                name: "SIGUSR1".to_owned()
            }
        );
    }

    #[test]
    fn options_are_read_and_unknown_ones_refused() {
        let file = parse_ci_text(
            "t.ci",
            "option:file:x.conf\noption:asn:65000\noption:bind:ipv6\noption:timeout:0.5\noption:open:inspect-open-message\n1:raw:AA\n",
        );
        let options = PeerOptions::from_file(&file).unwrap();
        assert_eq!(options.asn, Some(65000));
        assert!(options.bind_ipv6 && options.inspect_open_message);
        assert_eq!(options.read_timeout, Duration::from_millis(500));
        let file = parse_ci_text("t.ci", "option:open:bogus\n1:raw:AA\n");
        assert!(PeerOptions::from_file(&file).is_err());
    }

    #[test]
    fn open_reply_increments_the_router_id_or_sets_the_asn() {
        let open = bytes(OPEN);
        let reply = open_reply(&open, &PeerOptions::default());
        assert_eq!(reply.len(), open.len());
        assert_eq!(reply[27], 3);
        assert_eq!(reply[..27], open[..27]);
        let options = PeerOptions {
            asn: Some(65000),
            ..PeerOptions::default()
        };
        let reply = open_reply(&open, &options);
        assert_eq!(reply[20..22], [0xFD, 0xE8]);
        assert_eq!(reply[27], 2);
        assert_eq!(reply[33..37], [0, 0, 0xFD, 0xE8]);
        let options = PeerOptions {
            send_unknown_capability: true,
            ..PeerOptions::default()
        };
        let reply = open_reply(&open, &options);
        assert_eq!(reply.len(), open.len() + 14);
        assert_eq!(reply[16..18], [0, 0x29 + 14]);
        assert_eq!(reply[28], open[28] + 14);
        assert_eq!(reply[open.len()..open.len() + 4], [2, 12, 66, 10]);
        let decoded = Open::decode(&reply[19..]).unwrap();
        assert!(decoded.has_capability(66));
    }

    #[test]
    fn eor_and_default_route() {
        assert!(is_eor(&bytes(EOR)));
        assert!(is_eor(&bytes(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:001E:02:00000007900F0003000201"
        )));
        assert!(!is_eor(&default_route()));
        assert_eq!(
            split_hex(&default_route()),
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0031:02:\
             00000015400101004002004003047F000001400504000000642000000000"
        );
    }

    /// A scripted daemon: connects, sends its OPEN, reads the reply, then sends `messages`.
    fn scripted_daemon(port: u16, messages: Vec<Vec<u8>>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            stream.write_all(&bytes(OPEN)).unwrap();
            for message in messages {
                stream.write_all(&message).unwrap();
            }
            let mut received = Vec::new();
            let _ = stream.read_to_end(&mut received);
            received
        })
    }

    /// Like [`scripted_daemon`], then closes its side (as a daemon does after a
    /// NOTIFICATION).
    fn scripted_daemon_then_close(
        port: u16,
        messages: Vec<Vec<u8>>,
    ) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            stream.write_all(&bytes(OPEN)).unwrap();
            for message in messages {
                stream.write_all(&message).unwrap();
            }
            let _ = stream.shutdown(std::net::Shutdown::Write);
            let mut received = Vec::new();
            let _ = stream.read_to_end(&mut received);
            received
        })
    }

    /// unknown-message.ci's NOTIFICATION (1/0 with ExaBGP's sentence).
    const REFUSAL: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0040:03:010063616E206E6F74206465636F646520757064617465206D657373616765206F662074797065202232353522";

    fn unknown_message_run(messages: Vec<Vec<u8>>) -> (Result<PeerSuccess, PeerFailure>, Vec<u8>) {
        let text = format!("option:open:send-unknown-message\n1:raw:{REFUSAL}\n");
        let file = parse_ci_text("t.ci", &text);
        let peer = CiPeer::bind(&file, 0).unwrap();
        let daemon = scripted_daemon_then_close(peer.port(), messages);
        let report = peer.run(&mut NoDaemon);
        let received = daemon.join().unwrap();
        (report.outcome, received)
    }

    #[test]
    fn the_unknown_message_is_sent_with_the_keepalive_and_only_the_notification_may_follow() {
        let (outcome, received) = unknown_message_run(vec![keepalive(), bytes(REFUSAL)]);
        assert!(outcome.is_ok(), "{outcome:?}");
        // The peer's OPEN reply, its KEEPALIVE and the unknown message came in one write,
        // before anything else.
        assert_eq!(received.get(41..60), Some(&keepalive()[..]));
        assert_eq!(received.get(60..79), Some(&unknown_message()[..]));

        let (outcome, _) = unknown_message_run(vec![keepalive(), bytes(REFUSAL), bytes(EOR)]);
        assert!(
            matches!(outcome, Err(PeerFailure::ExtraMessage { .. })),
            "an End-of-RIB after the NOTIFICATION: {outcome:?}"
        );
        let (outcome, _) = unknown_message_run(vec![keepalive(), bytes(EOR), bytes(REFUSAL)]);
        assert!(
            matches!(outcome, Err(PeerFailure::Mismatch { .. })),
            "an End-of-RIB before the NOTIFICATION: {outcome:?}"
        );
    }

    const UPDATE_1: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0031:02:00000015400101004002004003047F00000140050400000064200A000000";
    const UPDATE_2: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0031:02:00000015400101004002004003047F00000140050400000064200A000001";

    #[test]
    fn order_within_a_step_is_free_and_the_peer_succeeds() {
        let text = format!("1:raw:{UPDATE_2}\n1:raw:{UPDATE_1}\n2:raw:{EOR}\n");
        let file = parse_ci_text("t.ci", &text);
        let peer = CiPeer::bind(&file, 0).unwrap();
        let daemon = scripted_daemon(
            peer.port(),
            vec![keepalive(), bytes(UPDATE_1), bytes(UPDATE_2), bytes(EOR)],
        );
        let report = peer.run(&mut NoDaemon);
        let success = report.outcome.unwrap();
        assert_eq!(success.matched, 3);
        let received = daemon.join().unwrap();
        // OPEN (41) + KEEPALIVE, then one KEEPALIVE per message.
        assert_eq!(received.len(), 41 + 19 * 5);
        assert_eq!(received[27], 3);
    }

    #[test]
    fn a_later_step_cannot_come_first() {
        let text = format!("1:raw:{UPDATE_1}\n2:raw:{UPDATE_2}\n");
        let file = parse_ci_text("t.ci", &text);
        let peer = CiPeer::bind(&file, 0).unwrap();
        let daemon = scripted_daemon(peer.port(), vec![bytes(UPDATE_2), bytes(UPDATE_1)]);
        let report = peer.run(&mut NoDaemon);
        let failure = report.outcome.unwrap_err();
        let text = failure.to_string();
        assert!(matches!(failure, PeerFailure::Mismatch { .. }), "{text}");
        assert!(text.contains("first difference at byte 48"), "{text}");
        assert!(text.contains("line 1"), "{text}");
        drop(daemon);
    }

    #[test]
    fn silence_is_a_read_timeout_and_actions_run() {
        let text = format!("option:timeout:1\n1:raw:{UPDATE_1}\n1:notification:Closing:Good Bye\n2:raw:{UPDATE_2}\n");
        let file = parse_ci_text("t.ci", &text);
        let peer = CiPeer::bind(&file, 0).unwrap();
        let daemon = scripted_daemon(peer.port(), vec![bytes(UPDATE_1)]);
        let report = peer.run(&mut NoDaemon);
        assert!(
            matches!(report.outcome, Err(PeerFailure::ReadTimeout { .. })),
            "{:?}",
            report.outcome
        );
        let received = daemon.join().unwrap();
        let notification = Message::Notification(Notification::cease_shutdown("good bye"))
            .to_bytes(&Negotiated::default());
        assert!(received
            .windows(notification.len())
            .any(|w| w == notification.as_slice()));
    }

    #[test]
    fn inspected_open_and_marker_less_expectations() {
        let open = bytes(OPEN);
        let text = format!(
            "option:open:inspect-open-message\n1:raw:{}\n",
            hex(&open[16..])
        );
        let file = parse_ci_text("t.ci", &text);
        let peer = CiPeer::bind(&file, 0).unwrap();
        let daemon = scripted_daemon(peer.port(), vec![]);
        let report = peer.run(&mut NoDaemon);
        assert_eq!(report.outcome.unwrap().matched, 1);
        drop(daemon);
    }

    #[test]
    fn route_refresh_replays_matched_updates_and_default_route_is_sent() {
        let refresh = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:05:00010001";
        let text = format!(
            "option:update:send-default-route\n1:raw:{UPDATE_1}\n2:raw:{refresh}\n3:raw:{EOR}\n"
        );
        let file = parse_ci_text("t.ci", &text);
        let peer = CiPeer::bind(&file, 0).unwrap();
        let daemon = scripted_daemon(
            peer.port(),
            vec![bytes(UPDATE_1), bytes(refresh), bytes(EOR)],
        );
        let report = peer.run(&mut NoDaemon);
        assert_eq!(report.outcome.unwrap().matched, 3);
        let received = daemon.join().unwrap();
        let update = bytes(UPDATE_1);
        let default = default_route();
        let found = |needle: &[u8]| received.windows(needle.len()).position(|w| w == needle);
        assert_eq!(found(&default), Some(41 + 19));
        let replayed = found(&update).expect("the UPDATE is replayed");
        assert!(replayed > 41 + 19 + default.len());
    }

    #[test]
    fn expectations_carry_over_to_the_next_connection() {
        let text = format!("1:raw:{UPDATE_1}\n1:raw:{UPDATE_2}\n");
        let file = parse_ci_text("t.ci", &text);
        let peer = CiPeer::bind(&file, 0).unwrap();
        let port = peer.port();
        let daemon = std::thread::spawn(move || {
            for update in [UPDATE_1, UPDATE_2] {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                stream.write_all(&bytes(OPEN)).unwrap();
                let mut greeting = [0u8; 41 + 19];
                stream.read_exact(&mut greeting).unwrap();
                stream.write_all(&bytes(update)).unwrap();
                let mut reply = [0u8; 19];
                let _ = stream.read_exact(&mut reply);
            }
        });
        let report = peer.run(&mut NoDaemon);
        let success = report.outcome.unwrap();
        assert_eq!((success.connections, success.matched), (2, 2));
        daemon.join().unwrap();
    }
}
