//! The ExaBGP 4.x/5.x helper command grammar (api.md §3–§5): one line → `ParsedCommand`.
//! Pure, no I/O: routes are read by the configuration's own attribute parser (`crate::config`).
//!
//! How the daemon uses it, for each line a helper writes:
//!
//! ```
//! use rexa::api::command::{self, Command};
//! match command::parse("neighbor 10.0.0.1 announce route 192.0.2.0/24 next-hop self") {
//!     Ok(parsed) => {
//!         // parsed.selectors: None = every neighbor the process may drive; Some = OR-ed
//!         // selectors, each tested with `Selector::matches(&neighbor_description(n))`.
//!         if let Command::Routes { action, routes } = parsed.command {
//!             assert_eq!(routes.len(), 1);
//!             let _ = action;
//!         }
//!     }
//!     Err(error) => eprintln!("command error: {error}"), // answer `error`
//! }
//! ```
//!
//! Differences with ExaBGP's substring dispatch (§3.2): a command is recognised only at the
//! start of the line (after the selectors), and words after a complete command are an error
//! instead of being ignored. FlowSpec (§5.4) and VPLS (§5.5) lines are parsed with the
//! configuration's flow and vpls parsers.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use crate::bgp::family::{Afi, Family, Safi};
use crate::config::error::{ConfigError, Location};
use crate::config::flow::{self, FlowRoute};
use crate::config::lexer::Token;
use crate::config::model::{Nlri, OperationalMessage, Route};
use crate::config::neighbor::vpls_inline;
use crate::config::nlri;
use crate::config::route::{self, RouteDraft};
use crate::config::value::{self, Words};

pub use super::neighbor_match::{matches_any, neighbor_description, Selector, SelectorKey};

/// Longest command line accepted (the framing layer drops longer partial lines too, §2.2).
pub const MAX_COMMAND_LEN: usize = 1 << 20;

/// Upper bound on the memory that one `announce attributes ... nlri ...` line may expand to
/// (every prefix gets its own copy of the attributes).
const MAX_BULK_BYTES: usize = 64 << 20;

/// The file name route errors report (`api:1:<column>`; the column is in the normalised line).
const ERROR_FILE: &str = "api";

/// Longest piece of the line quoted back in an error message.
const MAX_QUOTED: usize = 80;

/// The lines `help` writes before `done`, as ExaBGP 5.0.15 writes them (the text of its
/// command table: neighbor-capable commands first, then the others with their options).
pub const HELP_LINES: &[&str] = &[
    "",
    "available API commands are listed here:",
    "=======================================",
    "",
    "filter can be: [local-ip <ip>][local-as <asn>][peer-as <asn>][router-id <router-id>]",
    "",
    "command are:",
    "------------",
    "",
    "# ",
    "[neighbor <ip> [filters]] announce attribute",
    "[neighbor <ip> [filters]] announce attributes",
    "[neighbor <ip> [filters]] announce eor",
    "[neighbor <ip> [filters]] announce flow",
    "[neighbor <ip> [filters]] announce ipv4",
    "[neighbor <ip> [filters]] announce ipv6",
    "[neighbor <ip> [filters]] announce operational",
    "[neighbor <ip> [filters]] announce route",
    "[neighbor <ip> [filters]] announce route-refresh",
    "[neighbor <ip> [filters]] announce vpls",
    "[neighbor <ip> [filters]] announce watchdog",
    "[neighbor <ip> [filters]] clear adj-rib",
    "[neighbor <ip> [filters]] crash",
    "[neighbor <ip> [filters]] flush adj-rib out",
    "[neighbor <ip> [filters]] teardown",
    "[neighbor <ip> [filters]] withdraw attribute",
    "[neighbor <ip> [filters]] withdraw attributes",
    "[neighbor <ip> [filters]] withdraw flow",
    "[neighbor <ip> [filters]] withdraw ipv4",
    "[neighbor <ip> [filters]] withdraw ipv6",
    "[neighbor <ip> [filters]] withdraw route",
    "[neighbor <ip> [filters]] withdraw vpls",
    "[neighbor <ip> [filters]] withdraw watchdog",
    "disable-ack ",
    "enable-ack ",
    "help ",
    "reload ",
    "reset ",
    "restart ",
    "show adj-rib in [ extensive ] ",
    "show adj-rib out [ extensive ] ",
    "show neighbor [ summary | extensive | configuration ] ",
    "shutdown ",
    "silence-ack ",
    "version ",
    "",
];

/// The lines `show neighbor` without a variant (and without `json`) writes before `done`.
pub const SHOW_NEIGHBOR_USAGE: [&str; 2] = [
    "please specify summary, extensive or configuration",
    "you can filter by peer ip address adding it after the word neighbor",
];

/// A command line after parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCommand {
    /// `None`: no `neighbor` prefix, the command applies to every neighbor the process may
    /// drive. `Some`: the neighbor must match at least one selector (never empty). Daemon-wide
    /// commands (`shutdown`, `show ...`, watchdogs ...) ignore it, as ExaBGP does.
    pub selectors: Option<Vec<Selector>>,
    pub command: Command,
    /// The word `json` was on the line (only `show neighbor` / `show adj-rib` accept it).
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Announce,
    Withdraw,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Announce => "announce",
            Action::Withdraw => "withdraw",
        }
    }
}

/// `show neighbor` variants. With `json` on the line the JSON form is written whatever the
/// variant (ExaBGP checks `json` first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighborView {
    /// No variant: [`SHOW_NEIGHBOR_USAGE`], then `done`.
    Usage,
    Summary,
    Extensive,
    Configuration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RibDirection {
    In,
    Out,
}

/// Which routes `show adj-rib` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RibKind {
    All,
    /// `inet`: IPv4/IPv6 prefixes (unicast, multicast, labeled, VPN).
    Inet,
    Flow,
    /// `l2vpn`: VPLS and EVPN.
    L2vpn,
}

/// Every 4.x/5.x command (api.md §5 table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `announce|withdraw route`, `... ipv4|ipv6 <safi>`, `... attribute(s) ... nlri ...`,
    /// `... flow route ...`, `... vpls ...`: one route per prefix, in line order. As in
    /// ExaBGP 5.0.15, `announce route` / `announce ipv4|ipv6 <safi> <prefix>` without
    /// next-hop is a parse error; anything else is only parsed: validating the route for a
    /// neighbor (family configured, next-hop usable) is the caller's, logged, answered
    /// `done` (§4). `split` is left in `control.split` for the caller to expand (lazily:
    /// `split /32` of a /0 is four billion prefixes).
    Routes { action: Action, routes: Vec<Route> },
    /// `announce|withdraw watchdog [<name>]`; `None`: the caller uses the process name.
    Watchdog {
        action: Action,
        name: Option<String>,
    },
    /// `announce eor [<afi> <safi>]` (IPv4 unicast when no family is given).
    EndOfRib { family: Family },
    /// `announce route-refresh <afi> <safi>`.
    RouteRefresh { family: Family },
    /// `announce operational <type> ...`; `None`: an unknown type, answered `done` and
    /// otherwise ignored (ExaBGP quirk).
    Operational { message: Option<OperationalMessage> },
    /// `teardown <code>`: NOTIFICATION Cease with this subcode.
    Teardown { subcode: u8 },
    /// `show neighbor [summary|extensive|configuration] [<ip>] [json]`.
    ShowNeighbor {
        view: NeighborView,
        peer: Option<IpAddr>,
    },
    /// `show adj-rib in|out [extensive] [<ip>|inet|flow|l2vpn] [json]`, also `show adj-rib-in`.
    ShowAdjRib {
        direction: RibDirection,
        extensive: bool,
        peer: Option<IpAddr>,
        kind: RibKind,
    },
    /// `flush adj-rib out`.
    FlushAdjRibOut,
    /// `clear adj-rib [in|out]` (out when not given).
    ClearAdjRib { direction: RibDirection },
    /// `shutdown in progress`, `done`, then the daemon stops (api.md §5.10).
    Shutdown,
    /// `reload in progress`, `done`.
    Reload,
    /// `restart in progress`, `done`.
    Restart,
    /// `exabgp <version>`, `done`.
    Version,
    /// Answered with [`HELP_LINES`], then `done`.
    Help,
    /// Acks resume for this process; answered `done`.
    EnableAck,
    /// Acks stop for this process after one forced `done` for this command.
    DisableAck,
    /// Acks stop at once; no answer.
    SilenceAck,
    /// `reset`: drop this process's queued, unfinished commands. No answer.
    Reset,
    /// `# <text>`: logged, answered `done`.
    Comment { text: String },
    /// `debug <text>`: logged as a warning, never answered.
    Debug { text: String },
}

impl Command {
    /// Commands that only reach ESTABLISHED neighbors; `error` when none matches (§2.3).
    pub fn needs_established(&self) -> bool {
        matches!(
            self,
            Command::EndOfRib { .. }
                | Command::RouteRefresh { .. }
                | Command::FlushAdjRibOut
                | Command::Teardown { .. }
        )
    }

    /// Commands that act on neighbors and honour selectors (an empty match is an `error`).
    pub fn targets_neighbors(&self) -> bool {
        matches!(
            self,
            Command::Routes { .. }
                | Command::EndOfRib { .. }
                | Command::RouteRefresh { .. }
                | Command::Operational { .. }
                | Command::Teardown { .. }
                | Command::FlushAdjRibOut
                | Command::ClearAdjRib { .. }
        )
    }

    /// Whether `json` on the line is accepted.
    pub fn supports_json(&self) -> bool {
        matches!(
            self,
            Command::ShowNeighbor { .. } | Command::ShowAdjRib { .. }
        )
    }
}

/// Why a line is not a command. The caller answers `error` (and logs this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// An empty line (ExaBGP answers `error` too).
    Empty,
    /// The line is longer than [`MAX_COMMAND_LEN`].
    TooLong { length: usize, max: usize },
    /// `announce attributes ... nlri ...` would expand to too much memory.
    TooManyRoutes { prefixes: usize },
    /// A quote (`"` or `'`) that is not closed.
    UnterminatedQuote { column: usize },
    /// The first word(s) are no known command.
    UnknownCommand { found: String },
    /// The command needs another word.
    MissingWord {
        command: &'static str,
        expected: &'static str,
    },
    /// A word that does not fit.
    InvalidWord {
        command: &'static str,
        found: String,
        expected: &'static str,
    },
    /// Words left after a complete command.
    TrailingWords {
        command: &'static str,
        found: String,
    },
    /// A selector key (`local-as` ...) at the end of the line or before a `,`.
    SelectorValueMissing { key: &'static str },
    /// `neighbor <ip> [filters]` with no command after it.
    NoCommandAfterSelector,
    /// `json` on a command that has no JSON output.
    JsonNotSupported { command: &'static str },
    /// A known command that rexa does not implement (`crash`, some families).
    Unsupported {
        command: &'static str,
        found: String,
    },
    /// The route text does not parse (as a configuration route would not).
    Route(ConfigError),
}

impl From<ConfigError> for CommandError {
    fn from(error: ConfigError) -> CommandError {
        CommandError::Route(error)
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Empty => f.write_str("empty command"),
            CommandError::TooLong { length, max } => {
                write!(f, "command of {length} bytes, the limit is {max}")
            }
            CommandError::TooManyRoutes { prefixes } => write!(
                f,
                "{prefixes} prefixes with these attributes need too much memory, split the command"
            ),
            CommandError::UnterminatedQuote { column } => {
                write!(f, "quote opened at column {column} is not closed")
            }
            CommandError::UnknownCommand { found } => write!(f, "unknown command `{found}`"),
            CommandError::MissingWord { command, expected } => {
                write!(f, "`{command}` needs {expected}")
            }
            CommandError::InvalidWord {
                command,
                found,
                expected,
            } => write!(f, "found `{found}` in `{command}`, expected {expected}"),
            CommandError::TrailingWords { command, found } => {
                write!(f, "unexpected `{found}` after `{command}`")
            }
            CommandError::SelectorValueMissing { key } => {
                write!(f, "neighbor selector `{key}` has no value")
            }
            CommandError::NoCommandAfterSelector => {
                f.write_str("no command after the neighbor selector")
            }
            CommandError::JsonNotSupported { command } => {
                write!(f, "`{command}` does not support json output")
            }
            CommandError::Unsupported { command, found } => {
                write!(f, "`{command}` is not supported: {found}")
            }
            // The configuration's messages quote the offending word whole: keep log lines short.
            CommandError::Route(error) => {
                write!(
                    f,
                    "invalid route: {}",
                    shorten(&error.to_string(), 4 * MAX_QUOTED)
                )
            }
        }
    }
}

impl std::error::Error for CommandError {}

/// ExaBGP's normalisation (api.md §3.1): trim, tabs become spaces, a space after `[` `(`
/// and before `]` `)`, spaces around `,`, runs of spaces collapsed to one.
pub fn normalise(line: &str) -> String {
    let trimmed = line.trim();
    let mut out = String::with_capacity(trimmed.len());
    let mut space = false;
    let push = |out: &mut String, space: &mut bool, c: char| {
        if *space && !out.is_empty() {
            out.push(' ');
        }
        *space = false;
        out.push(c);
    };
    for c in trimmed.chars() {
        match c {
            ' ' | '\t' => space = true,
            '[' | '(' => {
                push(&mut out, &mut space, c);
                space = true;
            }
            ']' | ')' => {
                space = true;
                push(&mut out, &mut space, c);
            }
            ',' => {
                space = true;
                push(&mut out, &mut space, c);
                space = true;
            }
            _ => push(&mut out, &mut space, c),
        }
    }
    out
}

/// The shape of the commonest helper lines, `announce route PREFIX REST` and `withdraw
/// route PREFIX REST` (single spaces, nothing before), split without allocating: the action,
/// the prefix text and the rest. [`parse`] gives two such lines with the same action, the
/// same rest and prefixes of the same address family the same route but for its prefix
/// (the prefix text holds only address characters: no quote, bracket or space to change
/// how the rest is read), which lets a caller parse a rest once and reuse it. `None` for
/// any other line (parse it).
pub fn split_route_line(line: &str) -> Option<(Action, &str, &str)> {
    if line.len() > MAX_COMMAND_LEN {
        return None;
    }
    let (action, rest) = if let Some(rest) = line.strip_prefix("announce route ") {
        (Action::Announce, rest)
    } else {
        (Action::Withdraw, line.strip_prefix("withdraw route ")?)
    };
    let (prefix, rest) = match rest.bytes().position(|b| b == b' ') {
        Some(at) => (rest.get(..at)?, rest.get(at + 1..)?),
        None => (rest, ""),
    };
    let address_text = |b: u8| b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'/');
    (!prefix.is_empty() && prefix.bytes().all(address_text)).then_some((action, prefix, rest))
}

/// The prefix of a [`split_route_line`] line, read as [`parse`] reads it; `None` where
/// `parse` would refuse it (it then says why).
pub fn route_prefix(text: &str) -> Option<crate::config::model::Prefix> {
    let (addr_text, len_text) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let addr: IpAddr = addr_text.parse().ok()?;
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len_text {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max && l.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return None,
        },
    };
    (value::mask(addr, len) == addr).then_some(crate::config::model::Prefix { addr, len })
}

/// Parses one line written by a helper (without its `\n`).
pub fn parse(line: &str) -> Result<ParsedCommand, CommandError> {
    if line.len() > MAX_COMMAND_LEN {
        return Err(CommandError::TooLong {
            length: line.len(),
            max: MAX_COMMAND_LEN,
        });
    }
    let simple = |command| ParsedCommand {
        selectors: None,
        command,
        json: false,
    };
    // Tested before normalisation, on the line as written (§2.2).
    if let Some(text) = line.trim_end().strip_prefix("debug ") {
        return Ok(simple(Command::Debug {
            text: text.to_string(),
        }));
    }
    let normal = normalise(line);
    if normal.is_empty() {
        return Err(CommandError::Empty);
    }
    if let Some(text) = normal.strip_prefix('#') {
        return Ok(simple(Command::Comment {
            text: text.trim().to_string(),
        }));
    }
    let tokens = tokenize(&normal)?;
    let json = tokens.iter().any(|t| !t.quoted && t.text == "json");
    let (selectors, rest) = split_selectors(&tokens)?;
    let file: Arc<str> = Arc::from(ERROR_FILE);
    let end_col = u32::try_from(normal.len() + 1).unwrap_or(u32::MAX);
    let command = command(rest, &file, end_col)?;
    if json && !command.supports_json() {
        return Err(CommandError::JsonNotSupported {
            command: command_name(&command),
        });
    }
    Ok(ParsedCommand {
        selectors,
        command,
        json,
    })
}

/// The phrase naming a command, for messages.
fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Routes { .. } => "announce/withdraw",
        Command::Watchdog { .. } => "watchdog",
        Command::EndOfRib { .. } => "announce eor",
        Command::RouteRefresh { .. } => "announce route-refresh",
        Command::Operational { .. } => "announce operational",
        Command::Teardown { .. } => "teardown",
        Command::ShowNeighbor { .. } => "show neighbor",
        Command::ShowAdjRib { .. } => "show adj-rib",
        Command::FlushAdjRibOut => "flush adj-rib out",
        Command::ClearAdjRib { .. } => "clear adj-rib",
        Command::Shutdown => "shutdown",
        Command::Reload => "reload",
        Command::Restart => "restart",
        Command::Version => "version",
        Command::Help => "help",
        Command::EnableAck => "enable-ack",
        Command::DisableAck => "disable-ack",
        Command::SilenceAck => "silence-ack",
        Command::Reset => "reset",
        Command::Comment { .. } => "#",
        Command::Debug { .. } => "debug",
    }
}

/// At most [`MAX_QUOTED`] bytes of `text` (on a character boundary), for error messages.
fn quote(text: &str) -> String {
    shorten(text, MAX_QUOTED)
}

/// At most `max` bytes of `text` (on a character boundary), `...` marking a cut.
fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", text.get(..end).unwrap_or(""))
}

/// The words of the rest of the command, for error messages.
fn joined(tokens: &[Token]) -> String {
    let mut text = String::new();
    for t in tokens {
        if text.len() > MAX_QUOTED {
            break;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&t.text);
    }
    quote(&text)
}

/// Bytes that end a word: quotes, and the punctuation that forms words of its own.
fn is_separator(byte: u8) -> bool {
    matches!(
        byte,
        b'"' | b'\'' | b'{' | b'}' | b';' | b'[' | b']' | b'(' | b')'
    )
}

/// Splits a normalised line into words: spaces separate, `"..."`/`'...'` group (quotes
/// removed); `[ ] ( )` are words of their own even when normalisation left them glued
/// (`]( 3 )`), and so are `{ } ;` (the braced FlowSpec form).
fn tokenize(line: &str) -> Result<Vec<Token<'_>>, CommandError> {
    let bytes = line.as_bytes();
    let mut tokens = Vec::new();
    fn word(text: &str, at: usize, quoted: bool) -> Token<'_> {
        Token {
            text: std::borrow::Cow::Borrowed(text),
            line: 1,
            col: u32::try_from(at + 1).unwrap_or(u32::MAX),
            quoted,
        }
    }
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b if b.is_ascii_whitespace() => i += 1,
            b'"' | b'\'' => {
                let close = bytes
                    .get(i + 1..)
                    .and_then(|rest| rest.iter().position(|c| *c == b))
                    .map(|p| i + 1 + p)
                    .ok_or(CommandError::UnterminatedQuote { column: i + 1 })?;
                tokens.push(word(line.get(i + 1..close).unwrap_or(""), i, true));
                i = close + 1;
            }
            b'{' | b'}' | b';' | b'[' | b']' | b'(' | b')' => {
                tokens.push(word(line.get(i..i + 1).unwrap_or(""), i, false));
                i += 1;
            }
            _ => {
                let start = i;
                while let Some(&c) = bytes.get(i) {
                    if c.is_ascii_whitespace() || is_separator(c) {
                        break;
                    }
                    i += 1;
                }
                tokens.push(word(line.get(start..i).unwrap_or(""), start, false));
            }
        }
    }
    Ok(tokens)
}

/// The unquoted word at `index`.
fn word<'t>(tokens: &'t [Token], index: usize) -> Option<&'t str> {
    tokens
        .get(index)
        .filter(|t| !t.quoted)
        .map(|t| t.text.as_ref())
}

/// The selectors of a line (`None` without a `neighbor` prefix) and the command's words.
type SelectorSplit<'t> = (Option<Vec<Selector>>, &'t [Token<'t>]);

/// Reads the `neighbor ... [, neighbor ...]` prefix (§3.4); returns the selectors and the
/// words of the command. Stops at the first word that is not a selector key or `,`.
fn split_selectors<'t>(tokens: &'t [Token<'t>]) -> Result<SelectorSplit<'t>, CommandError> {
    if word(tokens, 0) != Some("neighbor") {
        return Ok((None, tokens));
    }
    let mut selectors = Vec::new();
    let mut pairs = Vec::new();
    let mut i = 0;
    while let Some(t) = tokens.get(i) {
        if t.is_punct(",") {
            if !pairs.is_empty() {
                selectors.push(Selector::new(std::mem::take(&mut pairs)));
            }
            i += 1;
            continue;
        }
        let Some(key) = word(tokens, i).and_then(SelectorKey::from_name) else {
            break;
        };
        match tokens.get(i + 1) {
            Some(v) if !v.is_punct(",") => pairs.push((key, v.text.to_string())),
            _ => return Err(CommandError::SelectorValueMissing { key: key.name() }),
        }
        i += 2;
    }
    if !pairs.is_empty() {
        selectors.push(Selector::new(pairs));
    }
    let rest = tokens.get(i..).unwrap_or(&[]);
    if rest.is_empty() {
        return Err(CommandError::NoCommandAfterSelector);
    }
    Ok((Some(selectors), rest))
}

/// Errors unless every word was used.
fn no_more(tokens: &[Token], from: usize, command: &'static str) -> Result<(), CommandError> {
    match tokens.get(from..) {
        Some(rest) if !rest.is_empty() => Err(CommandError::TrailingWords {
            command,
            found: joined(rest),
        }),
        _ => Ok(()),
    }
}

fn command(tokens: &[Token], file: &Arc<str>, end_col: u32) -> Result<Command, CommandError> {
    let first = word(tokens, 0).unwrap_or("");
    let second = word(tokens, 1);
    let single = |command: Command, name: &'static str| {
        no_more(tokens, 1, name)?;
        Ok(command)
    };
    match first {
        "announce" | "withdraw" => {
            let action = if first == "announce" {
                Action::Announce
            } else {
                Action::Withdraw
            };
            // Route text is configuration syntax: a final `;` is allowed, as in a file.
            let words = match tokens.split_last() {
                Some((last, init)) if last.is_punct(";") => init,
                _ => tokens,
            };
            change(action, words.get(1..).unwrap_or(&[]), file, end_col)
        }
        "teardown" => teardown(tokens),
        "show" => match second {
            Some("neighbor") => show_neighbor(tokens.get(2..).unwrap_or(&[])),
            Some("adj-rib") => show_adj_rib(None, tokens.get(2..).unwrap_or(&[])),
            Some("adj-rib-in") => {
                show_adj_rib(Some(RibDirection::In), tokens.get(2..).unwrap_or(&[]))
            }
            Some("adj-rib-out") => {
                show_adj_rib(Some(RibDirection::Out), tokens.get(2..).unwrap_or(&[]))
            }
            _ => Err(unknown(tokens)),
        },
        "flush" => {
            if second != Some("adj-rib") {
                return Err(unknown(tokens));
            }
            match word(tokens, 2) {
                Some("out") => {
                    no_more(tokens, 3, "flush adj-rib out")?;
                    Ok(Command::FlushAdjRibOut)
                }
                _ => Err(CommandError::MissingWord {
                    command: "flush adj-rib",
                    expected: "`out`",
                }),
            }
        }
        "clear" => {
            if second != Some("adj-rib") {
                return Err(unknown(tokens));
            }
            clear_adj_rib(tokens, 2)
        }
        "shutdown" => single(Command::Shutdown, "shutdown"),
        "reload" => single(Command::Reload, "reload"),
        "restart" => single(Command::Restart, "restart"),
        "version" => single(Command::Version, "version"),
        "help" => single(Command::Help, "help"),
        "enable-ack" => single(Command::EnableAck, "enable-ack"),
        "disable-ack" => single(Command::DisableAck, "disable-ack"),
        "silence-ack" => single(Command::SilenceAck, "silence-ack"),
        "reset" => single(Command::Reset, "reset"),
        "crash" => Err(CommandError::Unsupported {
            command: "crash",
            found: "a test hook of ExaBGP".into(),
        }),
        // The 6.0 "API v6" spellings of the same commands (api.md §5.11), for helpers
        // written against 6.0.
        "daemon" | "session" | "system" | "rib" => v6_alias(tokens),
        _ => Err(unknown(tokens)),
    }
}

fn unknown(tokens: &[Token]) -> CommandError {
    CommandError::UnknownCommand {
        found: joined(tokens.get(..tokens.len().min(3)).unwrap_or(&[])),
    }
}

/// 6.0 names: `daemon shutdown|reload|restart`, `session ack enable|disable|silence`,
/// `session reset`, `system help|version`, `rib show|flush|clear ...`.
fn v6_alias(tokens: &[Token]) -> Result<Command, CommandError> {
    let words = (word(tokens, 0), word(tokens, 1), word(tokens, 2));
    let (command, used) = match words {
        (Some("daemon"), Some("shutdown"), _) => (Command::Shutdown, 2),
        (Some("daemon"), Some("reload"), _) => (Command::Reload, 2),
        (Some("daemon"), Some("restart"), _) => (Command::Restart, 2),
        (Some("session"), Some("ack"), Some("enable")) => (Command::EnableAck, 3),
        (Some("session"), Some("ack"), Some("disable")) => (Command::DisableAck, 3),
        (Some("session"), Some("ack"), Some("silence")) => (Command::SilenceAck, 3),
        (Some("session"), Some("reset"), _) => (Command::Reset, 2),
        (Some("system"), Some("help"), _) => (Command::Help, 2),
        (Some("system"), Some("version"), _) => (Command::Version, 2),
        (Some("rib"), Some("show"), _) => {
            return show_adj_rib(None, tokens.get(2..).unwrap_or(&[]))
        }
        (Some("rib"), Some("flush"), Some("out")) => (Command::FlushAdjRibOut, 3),
        (Some("rib"), Some("clear"), _) => return clear_adj_rib(tokens, 2),
        _ => return Err(unknown(tokens)),
    };
    no_more(tokens, used, command_name(&command))?;
    Ok(command)
}

fn clear_adj_rib(tokens: &[Token], at: usize) -> Result<Command, CommandError> {
    let (direction, used) = match word(tokens, at) {
        None => (RibDirection::Out, 0),
        Some("out") => (RibDirection::Out, 1),
        Some("in") => (RibDirection::In, 1),
        Some(other) => {
            return Err(CommandError::InvalidWord {
                command: "clear adj-rib",
                found: quote(other),
                expected: "`in` or `out`",
            })
        }
    };
    no_more(tokens, at + used, "clear adj-rib")?;
    Ok(Command::ClearAdjRib { direction })
}

fn teardown(tokens: &[Token]) -> Result<Command, CommandError> {
    let Some(code) = tokens.get(1) else {
        return Err(CommandError::MissingWord {
            command: "teardown",
            expected: "a Cease subcode (for example 2)",
        });
    };
    let subcode = code
        .text
        .parse::<u8>()
        .ok()
        .filter(|_| code.text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| CommandError::InvalidWord {
            command: "teardown",
            found: quote(&code.text),
            expected: "a Cease subcode 0..255",
        })?;
    no_more(tokens, 2, "teardown")?;
    Ok(Command::Teardown { subcode })
}

fn peer_address(
    command: &'static str,
    t: &Token,
    expected: &'static str,
) -> Result<IpAddr, CommandError> {
    t.text.parse().map_err(|_| CommandError::InvalidWord {
        command,
        found: quote(&t.text),
        expected,
    })
}

/// After `show neighbor`: words in any order.
fn show_neighbor(tokens: &[Token]) -> Result<Command, CommandError> {
    const NAME: &str = "show neighbor";
    let mut view = NeighborView::Usage;
    let mut peer = None;
    for t in tokens {
        let chosen = match &*t.text {
            "json" | "text" => continue,
            "summary" => NeighborView::Summary,
            "extensive" => NeighborView::Extensive,
            "configuration" => NeighborView::Configuration,
            _ if peer.is_none() => {
                peer = Some(peer_address(
                    NAME,
                    t,
                    "summary, extensive, configuration, json or a peer address",
                )?);
                continue;
            }
            _ => {
                return Err(CommandError::TrailingWords {
                    command: NAME,
                    found: quote(&t.text),
                })
            }
        };
        if view != NeighborView::Usage && view != chosen {
            return Err(CommandError::InvalidWord {
                command: NAME,
                found: quote(&t.text),
                expected: "only one of summary, extensive or configuration",
            });
        }
        view = chosen;
    }
    Ok(Command::ShowNeighbor { view, peer })
}

/// After `show adj-rib` (direction `None`: `in|out` comes next) or `show adj-rib-in|out`.
fn show_adj_rib(
    direction: Option<RibDirection>,
    tokens: &[Token],
) -> Result<Command, CommandError> {
    const NAME: &str = "show adj-rib";
    let (direction, rest) = match direction {
        Some(d) => (d, tokens),
        None => {
            let d = match word(tokens, 0) {
                Some("in") => RibDirection::In,
                Some("out") => RibDirection::Out,
                Some(other) => {
                    return Err(CommandError::InvalidWord {
                        command: NAME,
                        found: quote(other),
                        expected: "`in` or `out`",
                    })
                }
                None => {
                    return Err(CommandError::MissingWord {
                        command: NAME,
                        expected: "`in` or `out`",
                    })
                }
            };
            (d, tokens.get(1..).unwrap_or(&[]))
        }
    };
    let mut extensive = false;
    let mut peer = None;
    let mut kind = RibKind::All;
    for t in rest {
        match &*t.text {
            "json" => {}
            "extensive" => extensive = true,
            "inet" if kind == RibKind::All => kind = RibKind::Inet,
            "flow" if kind == RibKind::All => kind = RibKind::Flow,
            "l2vpn" if kind == RibKind::All => kind = RibKind::L2vpn,
            _ if peer.is_none() => {
                peer = Some(peer_address(
                    NAME,
                    t,
                    "extensive, inet, flow, l2vpn, json or a peer address",
                )?)
            }
            _ => {
                return Err(CommandError::TrailingWords {
                    command: NAME,
                    found: quote(&t.text),
                })
            }
        }
    }
    Ok(Command::ShowAdjRib {
        direction,
        extensive,
        peer,
        kind,
    })
}

/// `announce|withdraw <what> ...`; `tokens` starts at `<what>`.
fn change(
    action: Action,
    tokens: &[Token],
    file: &Arc<str>,
    end_col: u32,
) -> Result<Command, CommandError> {
    let rest = tokens.get(1..).unwrap_or(&[]);
    let words = || Words::new(file, rest, 1, end_col);
    let routes = |routes: Vec<Route>| Ok(Command::Routes { action, routes });
    // `withdraw eor` and the like are not commands.
    let announce_only = || {
        if action == Action::Withdraw {
            Err(unknown(tokens))
        } else {
            Ok(())
        }
    };
    match word(tokens, 0) {
        Some("route") => routes(vec![prefix_route_line(action, &mut words(), None)?]),
        Some(afi @ ("ipv4" | "ipv6")) => {
            let afi = if afi == "ipv4" { Afi::IPV4 } else { Afi::IPV6 };
            routes(vec![family_route(action, afi, rest, file, end_col)?])
        }
        Some("attribute" | "attributes") => routes(bulk_routes(&mut words())?),
        Some("flow") => {
            if word(rest, 0) != Some("route") {
                return Err(CommandError::MissingWord {
                    command: "flow",
                    expected: "`route`",
                });
            }
            let flow_words = rest.get(1..).unwrap_or(&[]);
            routes(vec![flow_route(flow_words, None, file, end_col)?])
        }
        Some("vpls") => {
            let mut w = words();
            let location = location_of(&w, rest.first());
            // ExaBGP 5.0.15 takes a VPLS route without next-hop, announce or withdraw.
            routes(vec![vpls_inline(&mut w, false, location)?])
        }
        Some("watchdog") => {
            let name = rest.first().map(|t| t.text.to_string());
            no_more(rest, 1, "watchdog")?;
            Ok(Command::Watchdog { action, name })
        }
        Some("eor") => {
            announce_only()?;
            let family = match rest.len() {
                0 => Family::IPV4_UNICAST,
                2 => family_words(rest, "announce eor")?,
                _ => {
                    return Err(CommandError::InvalidWord {
                        command: "announce eor",
                        found: joined(rest),
                        expected: "nothing or <afi> <safi>",
                    })
                }
            };
            Ok(Command::EndOfRib { family })
        }
        Some("route-refresh") => {
            announce_only()?;
            if rest.len() != 2 {
                return Err(CommandError::InvalidWord {
                    command: "announce route-refresh",
                    found: joined(rest),
                    expected: "<afi> <safi>",
                });
            }
            Ok(Command::RouteRefresh {
                family: family_words(rest, "announce route-refresh")?,
            })
        }
        Some("operational") => {
            announce_only()?;
            operational(&mut words())
        }
        _ => Err(unknown(tokens)),
    }
}

fn family_words(tokens: &[Token], command: &'static str) -> Result<Family, CommandError> {
    let afi = word(tokens, 0).unwrap_or("");
    let safi = word(tokens, 1).unwrap_or("");
    Family::from_names(afi, safi).ok_or_else(|| CommandError::InvalidWord {
        command,
        found: quote(&format!("{afi} {safi}")),
        expected: "an afi (ipv4, ipv6, l2vpn, bgp-ls) and a safi (unicast, flow, ...)",
    })
}

/// Route locations point at the route's first word in the normalised line.
fn location_of(w: &Words, first: Option<&Token>) -> Location {
    match first {
        Some(t) => w.at(t),
        None => w.here(),
    }
}

/// `<prefix> <attributes...>`; the SAFI comes from `safi` or from the attributes. An
/// announce needs a next-hop (ExaBGP 5.0.15 answers `error` without one).
fn prefix_route_line(
    action: Action,
    w: &mut Words,
    safi: Option<Safi>,
) -> Result<Route, CommandError> {
    let t = w.value("route", "a prefix")?;
    let prefix = value::prefix(w, t, "route")?;
    let mut draft = RouteDraft::default();
    nlri::attributes_rest(w, "route", &mut draft)?;
    if action == Action::Announce && draft.attributes.next_hop.is_none() {
        return Err(CommandError::MissingWord {
            command: "announce route",
            expected: "a next-hop",
        });
    }
    Ok(draft.into_prefix_route(prefix, safi, w.at(t)))
}

/// `announce|withdraw ipv4|ipv6 <safi> ...` (5.0+); `tokens` starts at `<safi>`.
fn family_route(
    action: Action,
    afi: Afi,
    tokens: &[Token],
    file: &Arc<str>,
    end_col: u32,
) -> Result<Route, CommandError> {
    const COMMAND: &str = "announce ipv4|ipv6";
    const EXPECTED: &str =
        "unicast, multicast, nlri-mpls, mpls-vpn, flow, flow-vpn, mcast-vpn, mup or sr-policy";
    let rest = tokens.get(1..).unwrap_or(&[]);
    let mut w = Words::new(file, rest, 1, end_col);
    match word(tokens, 0) {
        // As in ExaBGP 5.0.15, the prefix's own address family wins over the command's
        // (`announce ipv4 unicast 2001:db8::/32 ...` is an IPv6 route).
        Some(safi @ ("unicast" | "multicast" | "nlri-mpls" | "labeled-unicast" | "mpls-vpn")) => {
            prefix_route_line(action, &mut w, Safi::from_name(safi))
        }
        Some(safi @ ("flow" | "flow-vpn")) => {
            let route = flow_route(rest, Some(afi), file, end_col)?;
            if safi == "flow-vpn" && route.family().safi != Safi::FLOW_VPN {
                return Err(CommandError::MissingWord {
                    command: "flow-vpn",
                    expected: "rd (a flow-vpn route needs a route distinguisher)",
                });
            }
            Ok(route)
        }
        Some("mcast-vpn") => {
            let location = location_of(&w, rest.first());
            let mvpn = nlri::mvpn(&mut w, afi)?;
            let mut draft = RouteDraft::default();
            nlri::attributes_rest(&mut w, "mcast-vpn", &mut draft)?;
            Ok(Route {
                nlri: Nlri::Mvpn {
                    afi,
                    route: Box::new(mvpn),
                },
                attributes: Arc::new(draft.attributes),
                control: Arc::new(draft.control),
                location,
            })
        }
        Some("mup") => {
            let location = location_of(&w, rest.first());
            let mup = nlri::mup(&mut w, afi)?;
            let mut draft = RouteDraft::default();
            nlri::attributes_rest(&mut w, "mup", &mut draft)?;
            Ok(Route {
                nlri: Nlri::Mup {
                    afi,
                    route: Box::new(mup),
                },
                attributes: Arc::new(draft.attributes),
                control: Arc::new(draft.control),
                location,
            })
        }
        // 6.0 (config.md: 5.0.15 rejects the family); the configuration parser knows it.
        Some("sr-policy") => {
            let location = location_of(&w, rest.first());
            let mut draft = RouteDraft::default();
            let (afi, policy) = nlri::sr_policy(&mut w, Some(afi), &mut draft)?;
            Ok(Route {
                nlri: Nlri::SrPolicy {
                    afi,
                    policy: Box::new(policy),
                },
                attributes: Arc::new(draft.attributes),
                control: Arc::new(draft.control),
                location,
            })
        }
        Some(other) if Safi::from_name(other).is_some() => Err(CommandError::Unsupported {
            command: COMMAND,
            found: format!("{other} routes have no API form"),
        }),
        Some(other) => Err(CommandError::InvalidWord {
            command: COMMAND,
            found: quote(other),
            expected: EXPECTED,
        }),
        None => Err(CommandError::MissingWord {
            command: COMMAND,
            expected: EXPECTED,
        }),
    }
}

/// `attribute(s) <attributes...> nlri <prefix> [<prefix>...]`: the configuration's
/// statement ([`route::attributes_nlri`]), after a bound on what it may expand to.
fn bulk_routes(w: &mut Words) -> Result<Vec<Route>, CommandError> {
    let rest = w.tokens.get(w.index..).unwrap_or(&[]);
    if let Some(at) = rest.iter().position(|t| t.text == "nlri") {
        let attribute_text: usize = rest[..at].iter().map(|t| t.text.len() + 1).sum();
        let prefixes = rest.len() - at - 1;
        // Bound the product of the attributes and the prefixes, not just the line.
        let per_route = std::mem::size_of::<Route>() + 4 * attribute_text;
        if prefixes.saturating_mul(per_route) > MAX_BULK_BYTES {
            return Err(CommandError::TooManyRoutes { prefixes });
        }
    }
    Ok(route::attributes_nlri(w, quote)?)
}

/// A FlowSpec route, inline (`destination 10.0.0.0/8 discard`) or braced
/// (`{ match { ... } then { ... } }`, optionally named): the braces, `;` and the
/// `match`/`then`/`scope` section names are dropped and the rest read as the inline form.
fn flow_route(
    tokens: &[Token],
    afi: Option<Afi>,
    file: &Arc<str>,
    end_col: u32,
) -> Result<Route, CommandError> {
    let mut flow = FlowRoute::default();
    let mut body = tokens;
    if let (Some(name), Some(brace)) = (tokens.first(), tokens.get(1)) {
        if !name.quoted && brace.is_punct("{") && !matches!(&*name.text, "match" | "then" | "scope")
        {
            flow.name = Some(name.text.to_string());
            body = tokens.get(1..).unwrap_or(&[]);
        }
    }
    let mut kept: Vec<Token> = Vec::with_capacity(body.len());
    for (i, t) in body.iter().enumerate() {
        if t.is_punct("{") || t.is_punct("}") || t.is_punct(";") {
            continue;
        }
        let section = matches!(&*t.text, "match" | "then" | "scope") && !t.quoted;
        if section && body.get(i + 1).is_some_and(|n| n.is_punct("{")) {
            continue;
        }
        kept.push(t.clone());
    }
    let mut w = Words::new(file, &kept, 1, end_col);
    let location = location_of(&w, tokens.first());
    let mut draft = RouteDraft::default();
    let mut warnings = Vec::new();
    flow::inline(&mut w, &mut flow, &mut draft, &mut warnings)?;
    if let Some(afi) = afi {
        if flow.afi.is_some_and(|a| a != afi) {
            return Err(CommandError::InvalidWord {
                command: "flow",
                found: "a prefix of the other address family".into(),
                expected: "prefixes of the command's address family",
            });
        }
        flow.afi = Some(afi);
    }
    Ok(Route {
        nlri: Nlri::Flow(Box::new(flow)),
        attributes: Arc::new(draft.attributes),
        control: Arc::new(draft.control),
        location,
    })
}

/// `operational <type> afi <afi> safi <safi> ...`; unknown types are accepted and ignored.
fn operational(w: &mut Words) -> Result<Command, CommandError> {
    const KNOWN: &[&str] = &["asm", "adm", "rpcq", "apcq", "lpcq", "rpcp", "apcp", "lpcp"];
    match w.peek_text() {
        None => Err(CommandError::MissingWord {
            command: "announce operational",
            expected: "a message type (asm, adm, rpcq, apcq, lpcq, rpcp, apcp, lpcp)",
        }),
        Some(kind) if !KNOWN.contains(&kind) => Ok(Command::Operational { message: None }),
        Some(_) => Ok(Command::Operational {
            message: nlri::operational(w)?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::{NextHop, PrefixExtra};
    use crate::config::route::Origin;
    use crate::config::ErrorKind;

    fn ok(line: &str) -> ParsedCommand {
        match parse(line) {
            Ok(parsed) => parsed,
            Err(error) => panic!("{line:?}: {error}"),
        }
    }

    #[test]
    fn route_lines_split_without_parsing() {
        assert_eq!(
            split_route_line("announce route 10.0.0.0/24 next-hop 1.2.3.4 med 5"),
            Some((Action::Announce, "10.0.0.0/24", "next-hop 1.2.3.4 med 5"))
        );
        assert_eq!(
            split_route_line("withdraw route 2001:db8::/32"),
            Some((Action::Withdraw, "2001:db8::/32", ""))
        );
        for other in [
            "announce  route 10.0.0.0/24 next-hop 1.2.3.4",
            " announce route 10.0.0.0/24 next-hop 1.2.3.4",
            "announce route [10.0.0.0/24] next-hop 1.2.3.4",
            "announce route \"10.0.0.0/24\" next-hop 1.2.3.4",
            "announce route  10.0.0.0/24 next-hop 1.2.3.4",
            "neighbor 1.2.3.4 announce route 10.0.0.0/24 next-hop 1.2.3.4",
            "announce ipv4 unicast 10.0.0.0/24 next-hop 1.2.3.4",
            "announce route-refresh ipv4 unicast",
        ] {
            assert_eq!(split_route_line(other), None, "{other}");
        }
    }

    #[test]
    fn route_prefixes_read_as_parse_reads_them() {
        for text in [
            "10.0.0.0/24",
            "10.0.0.1",
            "0.0.0.0/0",
            "2001:db8::/32",
            "::/0",
            "10.0.0.1/24",
            "10.0.0.0/33",
            "10.0.0.0/+8",
            "10.0.0.0/",
            "010.0.0.0/8",
            "2001:db8::1/32",
            "abc",
            "1.2.3/8",
        ] {
            let line = format!("announce route {text} next-hop 192.0.2.1");
            let full = parse(&line).ok().and_then(|p| match p.command {
                Command::Routes { routes, .. } => match &routes.first()?.nlri {
                    Nlri::Prefix { prefix, .. } => Some(*prefix),
                    _ => None,
                },
                _ => None,
            });
            assert_eq!(route_prefix(text), full, "{text}");
        }
    }

    /// What a caller of [`split_route_line`] relies on: lines with the same rest give the
    /// same route but for the prefix.
    #[test]
    fn route_lines_with_the_same_rest_differ_only_by_prefix() {
        for rest in [
            "next-hop 192.0.2.1 med 7 community [65000:1 65000:2]",
            "next-hop self as-path [ 1 2 3 ] local-preference 200",
            "next-hop 192.0.2.1 path-information 1.2.3.4 label 100 rd 1:1",
            "next-hop 192.0.2.1 split /26",
            "next-hop 192.0.2.1 watchdog w withdraw",
            "next-hop 2001:db8::1 extended-community [target:1:1]",
        ] {
            for action in ["announce", "withdraw"] {
                let route_of = |prefix: &str| {
                    let line = format!("{action} route {prefix} {rest}");
                    match ok(&line).command {
                        Command::Routes { mut routes, .. } if routes.len() == 1 => {
                            routes.pop().map(|mut route| {
                                if let Nlri::Prefix { prefix, .. } = &mut route.nlri {
                                    prefix.len = 0;
                                    prefix.addr = IpAddr::from([0u8; 4]);
                                }
                                route.location = Location::new(Arc::from(""), 0, 0);
                                route
                            })
                        }
                        _ => None,
                    }
                };
                assert!(route_of("10.0.0.0/24").is_some(), "{rest}");
                assert_eq!(route_of("10.0.0.0/24"), route_of("172.16.0.0/16"), "{rest}");
            }
        }
    }

    fn command_of(line: &str) -> Command {
        ok(line).command
    }

    fn routes_of(line: &str) -> (Action, Vec<Route>) {
        match command_of(line) {
            Command::Routes { action, routes } => (action, routes),
            other => panic!("{line:?}: not a route command: {other:?}"),
        }
    }

    fn one_route(line: &str) -> Route {
        let (_, mut routes) = routes_of(line);
        assert_eq!(routes.len(), 1, "{line:?}");
        routes.remove(0)
    }

    /// The same route written in a configuration `static { }` block.
    fn config_route(statement: &str) -> Route {
        let text = format!(
            "neighbor 127.0.0.1 {{\n router-id 1.2.3.4;\n local-as 1;\n peer-as 1;\n \
             family {{ all; }}\n static {{\n {statement};\n }}\n}}\n"
        );
        let config = crate::config::parse(&text, "t.conf").unwrap();
        config.neighbors[0].routes[0].clone()
    }

    fn err(line: &str) -> CommandError {
        match parse(line) {
            Ok(parsed) => panic!("{line:?} parsed: {parsed:?}"),
            Err(error) => {
                // Every error has a message.
                assert!(!error.to_string().is_empty());
                error
            }
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalise("community [2:1]"), "community [ 2:1 ]");
        assert_eq!(normalise("community [ 2:1 ]"), "community [ 2:1 ]");
        assert_eq!(normalise("  announce \t  route   x  "), "announce route x");
        // As in ExaBGP, nothing separates `]` from a following `(`.
        assert_eq!(normalise("as-path [1,2](3)"), "as-path [ 1 , 2 ]( 3 )");
        assert_eq!(normalise("a,b"), "a , b");
        assert_eq!(normalise("[x"), "[ x");
        assert_eq!(normalise(""), "");
        assert_eq!(normalise(" \t "), "");
        assert_eq!(normalise("x ]"), "x ]");
        // Equivalent lines parse to the same command.
        assert_eq!(
            command_of("announce route 10.0.0.0/8 next-hop 1.2.3.4 community [2:1]"),
            command_of("announce   route 10.0.0.0/8\tnext-hop 1.2.3.4 community [ 2:1 ]")
        );
    }

    #[test]
    fn selector_examples_of_the_reference() {
        let parsed = ok("neighbor 10.0.0.1 announce route 192.0.2.0/24 next-hop self");
        let selectors = parsed.selectors.unwrap();
        assert_eq!(selectors.len(), 1);
        assert_eq!(selectors[0].to_string(), "neighbor 10.0.0.1");
        let route = match parsed.command {
            Command::Routes { routes, .. } => routes[0].clone(),
            _ => unreachable!(),
        };
        assert_eq!(route.attributes.next_hop, Some(NextHop::SelfAddress));

        let parsed = ok("neighbor * withdraw route 192.0.2.0/24");
        assert!(parsed.selectors.unwrap()[0].is_wildcard());
        assert!(matches!(
            parsed.command,
            Command::Routes {
                action: Action::Withdraw,
                ..
            }
        ));

        let parsed = ok(
            "neighbor 10.0.0.1 local-as 65000 peer-as 65001 announce route 192.0.2.0/24 next-hop 10.0.0.2",
        );
        let selectors = parsed.selectors.unwrap();
        assert_eq!(
            selectors[0].pairs(),
            &[
                (SelectorKey::Neighbor, "10.0.0.1".to_string()),
                (SelectorKey::LocalAs, "65000".to_string()),
                (SelectorKey::PeerAs, "65001".to_string()),
            ]
        );

        let parsed = ok("neighbor 10.0.0.1 router-id 1.2.3.4, neighbor 10.0.0.2 announce route 198.51.100.0/24 next-hop self");
        let selectors = parsed.selectors.unwrap();
        assert_eq!(selectors.len(), 2);
        assert_eq!(selectors[0].value(SelectorKey::RouterId), Some("1.2.3.4"));
        assert_eq!(selectors[1].to_string(), "neighbor 10.0.0.2");
        let one = "neighbor 10.0.0.1 local-ip 10.0.0.9 local-as 65000 peer-as 65001 router-id 1.2.3.4 family-allowed in-open";
        let two = "neighbor 10.0.0.2 local-ip 10.0.0.9 local-as 65000 peer-as 65001 router-id 9.9.9.9 family-allowed in-open";
        let three = "neighbor 10.0.0.1 local-ip 10.0.0.9 local-as 65000 peer-as 65001 router-id 9.9.9.9 family-allowed in-open";
        assert!(matches_any(&selectors, one));
        assert!(matches_any(&selectors, two));
        assert!(!matches_any(&selectors, three));

        let parsed = ok("neighbor 10.0.0.1 family-allowed ipv4-unicast/ipv6-unicast teardown 2");
        assert_eq!(
            parsed.selectors.unwrap()[0].value(SelectorKey::FamilyAllowed),
            Some("ipv4-unicast/ipv6-unicast")
        );
        assert_eq!(parsed.command, Command::Teardown { subcode: 2 });
        assert_eq!(
            ok("announce route 10.0.0.0/8 next-hop 1.1.1.1").selectors,
            None
        );
    }

    #[test]
    fn selector_errors() {
        assert_eq!(
            err("neighbor 10.0.0.1"),
            CommandError::NoCommandAfterSelector
        );
        assert_eq!(
            err("neighbor 10.0.0.1 local-as"),
            CommandError::SelectorValueMissing { key: "local-as" }
        );
        assert_eq!(
            err("neighbor 10.0.0.1 local-as , neighbor 1.1.1.1 teardown 2"),
            CommandError::SelectorValueMissing { key: "local-as" }
        );
        assert_eq!(
            err("neighbor"),
            CommandError::SelectorValueMissing { key: "neighbor" }
        );
        assert!(matches!(
            err("neighbor 10.0.0.1 bogus 2"),
            CommandError::UnknownCommand { .. }
        ));
    }

    #[test]
    fn route_with_every_attribute() {
        let line =
            "announce route 10.0.0.0/24 next-hop 192.0.2.1 origin egp as-path [ 1 2 ] ( 3 4 ) \
                    med 10 local-preference 20 atomic-aggregate aggregator ( 65000:1.2.3.4 ) \
                    community [ 65000:1 no-export ] large-community [ 1:2:3 ] \
                    extended-community [ target:65000:1 origin:1.2.3.4:5 ] originator-id 1.1.1.1 \
                    cluster-list [ 2.2.2.2 3.3.3.3 ] aigp 100 path-information 7 \
                    attribute [ 0x99 0xC0 0x0102 ] name my-route split /25 watchdog dog withdraw";
        let route = one_route(line);
        let a = &route.attributes;
        assert_eq!(a.origin, Some(Origin::Egp));
        assert_eq!(a.med, Some(10));
        assert_eq!(a.local_preference, Some(20));
        assert!(a.atomic_aggregate);
        assert_eq!(a.communities, vec![0xFDE8_0001, 0xFFFF_FF01]);
        assert_eq!(a.extended_communities.len(), 2);
        assert_eq!(a.cluster_list.len(), 2);
        assert_eq!(a.aigp, Some(100));
        assert_eq!(a.generic.len(), 1);
        assert_eq!(route.control.name.as_deref(), Some("my-route"));
        assert_eq!(route.control.split, Some(25));
        assert_eq!(route.control.watchdog.as_deref(), Some("dog"));
        assert!(route.control.withdraw);
        assert_eq!(route.family(), Family::IPV4_UNICAST);
        match &route.nlri {
            Nlri::Prefix { extra, .. } => assert_eq!(PrefixExtra::of(extra).0, Some(7)),
            other => panic!("{other:?}"),
        }
        // Identical to the configuration's reading of the same text.
        let statement = line.strip_prefix("announce ").unwrap();
        let configured = config_route(&normalise(statement));
        assert_eq!(route.nlri, configured.nlri);
        assert_eq!(route.attributes, configured.attributes);
        assert_eq!(route.control, configured.control);
    }

    #[test]
    fn api_routes_equal_configured_routes() {
        for statement in [
            "route 10.0.0.0/8 next-hop 1.2.3.4",
            "route 2001:db8::/32 next-hop 2001:db8::1 community [2:1] as-path [ 1 2 3 ]",
            "route 10.0.0.0/24 rd 65000:1 label 100 next-hop 192.0.2.1",
            "route 10.0.0.0/24 label [ 100 200 ] next-hop 192.0.2.1",
            "route 224.1.0.0/16 next-hop 1.2.3.4",
            "route 1.2.3.4 next-hop self med 5",
            "route 10.0.0.0/8 next-hop 1.2.3.4 bgp-prefix-sid [ 7, [ ( 800000,4096 ) ] ]",
            "route 2001:db8::/32 next-hop 2001:db8::1 bgp-prefix-sid-srv6 ( l3-service 2001:db8::2 0x48 [64,24,16,0,0,0] )",
            "route 10.0.0.0/8 next-hop 1.2.3.4 extended-community [ 0x0002FDE800000001 redirect:65000:1 ]",
            "route 10.0.0.0/8 next-hop 1.2.3.4 as-path 65000 aggregator 1.10:1.2.3.4",
        ] {
            let route = one_route(&format!("announce {statement}"));
            let configured = config_route(statement);
            assert_eq!(route.nlri, configured.nlri, "{statement}");
            assert_eq!(route.attributes, configured.attributes, "{statement}");
            assert_eq!(route.control, configured.control, "{statement}");
        }
    }

    #[test]
    fn api_and_configuration_read_attributes_nlri_alike() {
        let statement =
            "attributes next-hop 1.2.3.4 med 5 community [ 1:2 ] nlri 10.0.0.0/8 10.1.0.0/16";
        let (_, api) = routes_of(&format!("announce {statement}"));
        let text = format!(
            "neighbor 127.0.0.1 {{\n router-id 1.2.3.4;\n local-as 1;\n peer-as 1;\n \
             static {{\n {statement};\n }}\n}}\n"
        );
        let config = crate::config::parse(&text, "t.conf").unwrap();
        let configured: Vec<&Route> = config.neighbors[0].routes.iter().collect();
        assert_eq!(api.len(), 2);
        assert_eq!(configured.len(), 2);
        for (a, c) in api.iter().zip(configured) {
            assert_eq!(
                (&a.nlri, &a.attributes, &a.control),
                (&c.nlri, &c.attributes, &c.control)
            );
        }
    }

    #[test]
    fn family_inference() {
        let family = |line: &str| one_route(line).family();
        assert_eq!(
            family("announce route 10.0.0.0/24 rd 65000:1 label 100 next-hop 1.1.1.1"),
            Family::IPV4_MPLS_VPN
        );
        assert_eq!(
            family("announce route 10.0.0.0/24 label 100 next-hop 1.1.1.1"),
            Family::IPV4_NLRI_MPLS
        );
        assert_eq!(family("withdraw route 2001:db8::/32"), Family::IPV6_UNICAST);
    }

    #[test]
    fn explicit_family_form() {
        let route =
            one_route("announce ipv4 unicast 10.0.1.0/24 next-hop 10.0.1.254 local-preference 200");
        assert_eq!(route.family(), Family::IPV4_UNICAST);
        assert_eq!(route.attributes.local_preference, Some(200));
        let (action, routes) = routes_of("withdraw ipv6 unicast fc00:1::/64 next-hop 2001::11");
        assert_eq!(action, Action::Withdraw);
        assert_eq!(routes[0].family(), Family::IPV6_UNICAST);
        let route =
            one_route("announce ipv4 mpls-vpn 10.0.0.0/24 rd 65000:1 label 100 next-hop 192.0.2.1");
        assert_eq!(route.family(), Family::IPV4_MPLS_VPN);
        let route = one_route("announce ipv4 nlri-mpls 10.0.0.0/24 label 100 next-hop 192.0.2.1");
        assert_eq!(route.family(), Family::IPV4_NLRI_MPLS);
        let route = one_route("announce ipv4 multicast 10.0.0.0/24 next-hop 192.0.2.1");
        assert_eq!(route.family(), Family::IPV4_MULTICAST);
        // The prefix decides the family (as ExaBGP 5.0.15 does).
        let route = one_route("announce ipv4 unicast 2001:db8::/32 next-hop 1.1.1.1");
        assert_eq!(route.family(), Family::IPV6_UNICAST);
        // An announce needs a next-hop, a withdraw does not.
        assert!(matches!(
            err("announce ipv6 unicast 2001:db8::/32"),
            CommandError::MissingWord { .. }
        ));
        let (_, routes) = routes_of("withdraw ipv4 unicast 10.0.0.0/24");
        assert_eq!(routes.len(), 1);
        assert!(matches!(
            err("announce ipv4 bogus 10.0.0.0/8"),
            CommandError::InvalidWord { .. }
        ));
        assert!(matches!(
            err("announce ipv4 evpn 10.0.0.0/8"),
            CommandError::Unsupported { .. }
        ));
        assert!(matches!(
            err("announce ipv4"),
            CommandError::MissingWord { .. }
        ));
        let route = one_route("announce ipv4 flow destination 10.0.0.0/8 discard");
        assert_eq!(route.family(), Family::IPV4_FLOW);
        let route =
            one_route("announce ipv6 flow-vpn rd 65000:1 destination 2001:db8::/32 discard");
        assert_eq!(route.family(), Family::IPV6_FLOW_VPN);
        assert!(matches!(
            err("announce ipv6 flow-vpn destination 2001:db8::/32 discard"),
            CommandError::MissingWord { .. }
        ));
    }

    #[test]
    fn bulk_attributes() {
        let line =
            "neighbor 127.0.0.1 announce attributes path-information 1.2.3.4 next-hop 10.11.12.13 \
                    community [14:15] local-preference 16 nlri 16.17.18.19/32 20.21.22.23/32";
        let (action, routes) = routes_of(line);
        assert_eq!(action, Action::Announce);
        assert_eq!(routes.len(), 2);
        for route in &routes {
            assert_eq!(route.attributes.communities, vec![(14 << 16) | 15]);
            assert_eq!(route.attributes.local_preference, Some(16));
            match &route.nlri {
                Nlri::Prefix { extra, .. } => {
                    assert_eq!(PrefixExtra::of(extra).0, Some(0x0102_0304))
                }
                other => panic!("{other:?}"),
            }
        }
        let (action, routes) = routes_of("withdraw attribute nlri 10.0.0.0/8 2001:db8::/32");
        assert_eq!(action, Action::Withdraw);
        assert_eq!(routes[1].family(), Family::IPV6_UNICAST);
        // The configuration's reader of the statement: its errors are route errors.
        for line in [
            "announce attributes next-hop 1.1.1.1",
            "announce attributes next-hop 1.1.1.1 nlri",
        ] {
            let CommandError::Route(error) = err(line) else {
                panic!("{line}: not a route error");
            };
            assert!(
                matches!(error.kind, ErrorKind::MissingValue { .. }),
                "{line}"
            );
        }
        assert!(matches!(
            err("announce attributes next-hop 1.1.1.1 nlri 10.0.0.1/8"),
            CommandError::Route(_)
        ));
        assert!(matches!(
            err("announce attributes bogus 1 nlri 10.0.0.0/8"),
            CommandError::Route(_)
        ));
    }

    #[test]
    fn bulk_attributes_memory_is_bounded() {
        let mut line = String::from("announce attributes next-hop 1.1.1.1 community [");
        for i in 0..20_000 {
            line.push_str(&format!(" {i}"));
        }
        line.push_str(" ] nlri");
        for _ in 0..20_000 {
            line.push_str(" 10.0.0.0/8");
        }
        assert!(matches!(err(&line), CommandError::TooManyRoutes { .. }));
    }

    #[test]
    fn flow_routes() {
        let route = one_route(
            "announce flow route { match { source 10.0.0.1/32; destination 192.0.2.0/24; \
             destination-port =80; protocol tcp; } then { discard; } }",
        );
        let Nlri::Flow(flow) = &route.nlri else {
            panic!("{route:?}")
        };
        assert_eq!(flow.components.len(), 4);
        assert_eq!(flow.actions.len(), 1);
        assert_eq!(route.family(), Family::IPV4_FLOW);
        let route = one_route(
            "announce flow route destination 192.0.2.19/32 source-port >1024&<2000 rate-limit 9600",
        );
        let Nlri::Flow(flow) = &route.nlri else {
            panic!("{route:?}")
        };
        assert_eq!(flow.components.len(), 2);
        let (action, routes) = routes_of(
            "withdraw flow route { match { source 10.0.0.1/32; destination 192.0.2.0/24; \
             destination-port =80; protocol tcp; } }",
        );
        assert_eq!(action, Action::Withdraw);
        assert_eq!(routes.len(), 1);
        let route = one_route(
            "announce flow route named { rd 65000:1; match { destination 2001:db8::/32; } \
             then { redirect 65000:10; } }",
        );
        let Nlri::Flow(flow) = &route.nlri else {
            panic!("{route:?}")
        };
        assert_eq!(flow.name.as_deref(), Some("named"));
        assert_eq!(route.family(), Family::IPV6_FLOW_VPN);
        assert!(matches!(
            err("announce flow destination 10.0.0.0/8"),
            CommandError::MissingWord { .. }
        ));
        assert!(matches!(
            err("announce flow route { match { bogus 1; } }"),
            CommandError::Route(_)
        ));
    }

    #[test]
    fn vpls_routes() {
        let route = one_route(
            "announce vpls endpoint 5 base 10702 offset 1 size 8 rd 192.168.201.1:123 \
             next-hop 192.168.201.1 extended-community [ target:54591:6 l2info:19:0:1500:111 ]",
        );
        assert_eq!(route.family(), Family::L2VPN_VPLS);
        assert_eq!(route.attributes.extended_communities.len(), 2);
        let (action, _) = routes_of(
            "withdraw vpls endpoint 5 base 10702 offset 1 size 8 rd 192.168.201.1:123 next-hop 192.168.201.1",
        );
        assert_eq!(action, Action::Withdraw);
        // No next-hop needed, announce or withdraw (as ExaBGP 5.0.15).
        routes_of("withdraw vpls endpoint 5 base 10702 offset 1 size 8 rd 192.168.201.1:123");
        routes_of("announce vpls endpoint 5 base 10702 offset 1 size 8 rd 192.168.201.1:123");
        assert!(matches!(
            err("announce vpls endpoint 5 base 10702 offset 1 rd 192.168.201.1:123"),
            CommandError::Route(_)
        ));
    }

    #[test]
    fn mvpn_and_mup() {
        let route = one_route(
            "announce ipv4 mcast-vpn source-ad source 10.0.0.1 group 239.0.0.1 rd 65000:1 \
             next-hop 10.0.0.254 extended-community [ target:65000:1 ]",
        );
        assert_eq!(route.family(), Family::new(Afi::IPV4, Safi::MCAST_VPN));
        let route = one_route(
            "announce ipv4 mup mup-isd 10.0.1.0/24 rd 100:100 next-hop 2001::1 \
             extended-community [ target:10:10 ]",
        );
        assert_eq!(route.family(), Family::new(Afi::IPV4, Safi::MUP));
        let route = one_route(
            "announce ipv4 sr-policy distinguisher 0 color 100 endpoint 10.10.10.10 \
             next-hop 192.168.100.2 preference 100 segment-list weight 1 segment type-c ipv4 \
             10.0.0.1 algorithm 0 policy-name \"type-c-example\"",
        );
        assert_eq!(route.family(), Family::new(Afi::IPV4, Safi::SR_POLICY));
    }

    #[test]
    fn route_errors() {
        assert!(matches!(err("announce route"), CommandError::Route(_)));
        assert!(matches!(
            err("announce route 10.0.0.1/8 next-hop 1.1.1.1"),
            CommandError::Route(_)
        ));
        assert!(matches!(
            err("announce route 10.0.0.0/8 next-hop"),
            CommandError::Route(_)
        ));
        assert!(matches!(
            err("announce route 10.0.0.0/8 bogus 1"),
            CommandError::Route(_)
        ));
        assert!(matches!(
            err("announce route 10.0.0.0/8 med x"),
            CommandError::Route(_)
        ));
        assert!(matches!(
            err("announce route 10.0.0.0/8 community [ 1:1"),
            CommandError::Route(_)
        ));
        assert!(matches!(
            err("announce route 300.0.0.0/8"),
            CommandError::Route(_)
        ));
        assert!(matches!(
            err("announce bogus"),
            CommandError::UnknownCommand { .. }
        ));
        assert!(matches!(
            err("announce"),
            CommandError::UnknownCommand { .. }
        ));
        // A final `;` as in a configuration file.
        assert_eq!(
            one_route("announce route 10.0.0.0/8 next-hop 1.1.1.1;"),
            one_route("announce route 10.0.0.0/8 next-hop 1.1.1.1")
        );
        assert!(matches!(
            err("announce route 10.0.0.0/8 next-hop 1.1.1.1; med 1"),
            CommandError::Route(_)
        ));
        // Without next-hop: an error for an announce (ExaBGP 5.0.15 too), fine for a withdraw.
        assert!(matches!(
            err("announce route 10.0.0.0/8 med 5"),
            CommandError::MissingWord { .. }
        ));
        assert!(one_route("withdraw route 10.0.0.0/8")
            .attributes
            .next_hop
            .is_none());
        // Glued brackets are split: `[ 1 2 ]( 3 )` is a sequence then a set.
        let route = one_route("announce route 10.0.0.0/24 next-hop 1.2.3.4 as-path [1 2](3)");
        let path = route.attributes.as_path.clone().unwrap();
        assert_eq!(path.segments.len(), 2);
        assert_eq!(path.segments[1].asns, vec![3]);
        // The error names the column in the normalised line.
        let CommandError::Route(error) = err("announce route 10.0.0.0/8 med x") else {
            unreachable!()
        };
        assert_eq!(error.location.col, 31, "{error}");
    }

    #[test]
    fn watchdog_eor_refresh_operational() {
        assert_eq!(
            command_of("announce watchdog dog"),
            Command::Watchdog {
                action: Action::Announce,
                name: Some("dog".into())
            }
        );
        assert_eq!(
            command_of("withdraw watchdog"),
            Command::Watchdog {
                action: Action::Withdraw,
                name: None
            }
        );
        assert!(matches!(
            err("withdraw watchdog a b"),
            CommandError::TrailingWords { .. }
        ));
        assert_eq!(
            command_of("announce eor"),
            Command::EndOfRib {
                family: Family::IPV4_UNICAST
            }
        );
        assert_eq!(
            command_of("announce eor ipv6 unicast"),
            Command::EndOfRib {
                family: Family::IPV6_UNICAST
            }
        );
        assert_eq!(
            command_of("neighbor 1.1.1.1 announce eor l2vpn vpls"),
            Command::EndOfRib {
                family: Family::L2VPN_VPLS
            }
        );
        assert!(matches!(
            err("announce eor ipv6"),
            CommandError::InvalidWord { .. }
        ));
        assert!(matches!(
            err("announce eor ipv7 unicast"),
            CommandError::InvalidWord { .. }
        ));
        assert!(matches!(
            err("withdraw eor"),
            CommandError::UnknownCommand { .. }
        ));
        assert_eq!(
            command_of("announce route-refresh ipv4 unicast"),
            Command::RouteRefresh {
                family: Family::IPV4_UNICAST
            }
        );
        assert!(matches!(
            err("announce route-refresh"),
            CommandError::InvalidWord { .. }
        ));
        assert!(matches!(
            err("announce route-refresh ipv4 unicast x"),
            CommandError::InvalidWord { .. }
        ));
        match command_of("announce operational asm afi ipv4 safi unicast advisory \"hello world\"")
        {
            Command::Operational {
                message: Some(OperationalMessage::Advisory { text, kind, .. }),
            } => {
                assert_eq!(text, "hello world");
                assert_eq!(kind, "asm");
            }
            other => panic!("{other:?}"),
        }
        match command_of("announce operational rpcp afi ipv4 safi unicast sequence 1 counter 2") {
            Command::Operational {
                message: Some(OperationalMessage::Response { counter, .. }),
            } => assert_eq!(counter, 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            command_of("announce operational zzz whatever"),
            Command::Operational { message: None }
        );
        assert!(matches!(
            err("announce operational rpcq afi ipv4 safi unicast"),
            CommandError::Route(_)
        ));
        assert!(matches!(
            err("announce operational"),
            CommandError::MissingWord { .. }
        ));
        assert!(matches!(
            err("announce operational asm afi ipv4 safi unicast advisory \"open"),
            CommandError::UnterminatedQuote { .. }
        ));
    }

    #[test]
    fn peer_and_rib_control() {
        assert_eq!(command_of("teardown 2"), Command::Teardown { subcode: 2 });
        assert_eq!(
            command_of("neighbor 10.0.0.1 teardown 4"),
            Command::Teardown { subcode: 4 }
        );
        assert!(command_of("teardown 4").needs_established());
        assert!(matches!(err("teardown"), CommandError::MissingWord { .. }));
        assert!(matches!(
            err("teardown x"),
            CommandError::InvalidWord { .. }
        ));
        assert!(matches!(
            err("teardown +2"),
            CommandError::InvalidWord { .. }
        ));
        assert!(matches!(
            err("teardown 256"),
            CommandError::InvalidWord { .. }
        ));
        assert!(matches!(
            err("teardown 2 3"),
            CommandError::TrailingWords { .. }
        ));
        assert_eq!(command_of("flush adj-rib out"), Command::FlushAdjRibOut);
        assert!(matches!(
            err("flush adj-rib"),
            CommandError::MissingWord { .. }
        ));
        assert!(matches!(
            err("flush adj-rib in"),
            CommandError::MissingWord { .. }
        ));
        assert_eq!(
            command_of("clear adj-rib"),
            Command::ClearAdjRib {
                direction: RibDirection::Out
            }
        );
        assert_eq!(
            command_of("neighbor 1.1.1.1 clear adj-rib in"),
            Command::ClearAdjRib {
                direction: RibDirection::In
            }
        );
        assert!(matches!(
            err("clear adj-rib sideways"),
            CommandError::InvalidWord { .. }
        ));
        assert!(matches!(
            err("clear everything"),
            CommandError::UnknownCommand { .. }
        ));
    }

    #[test]
    fn show_commands() {
        let show = |line: &str| {
            let parsed = ok(line);
            (parsed.command, parsed.json)
        };
        assert_eq!(
            show("show neighbor"),
            (
                Command::ShowNeighbor {
                    view: NeighborView::Usage,
                    peer: None
                },
                false
            )
        );
        assert_eq!(
            show("show neighbor summary"),
            (
                Command::ShowNeighbor {
                    view: NeighborView::Summary,
                    peer: None
                },
                false
            )
        );
        assert_eq!(
            show("show neighbor extensive 10.0.0.1"),
            (
                Command::ShowNeighbor {
                    view: NeighborView::Extensive,
                    peer: Some("10.0.0.1".parse().unwrap())
                },
                false
            )
        );
        assert_eq!(
            show("show neighbor configuration"),
            (
                Command::ShowNeighbor {
                    view: NeighborView::Configuration,
                    peer: None
                },
                false
            )
        );
        assert_eq!(
            show("show neighbor json"),
            (
                Command::ShowNeighbor {
                    view: NeighborView::Usage,
                    peer: None
                },
                true
            )
        );
        assert!(matches!(
            err("show neighbor summary extensive"),
            CommandError::InvalidWord { .. }
        ));
        assert!(matches!(
            err("show neighbor foo"),
            CommandError::InvalidWord { .. }
        ));
        assert!(matches!(
            err("show neighbor 1.1.1.1 2.2.2.2"),
            CommandError::TrailingWords { .. }
        ));
        assert_eq!(
            show("show adj-rib out"),
            (
                Command::ShowAdjRib {
                    direction: RibDirection::Out,
                    extensive: false,
                    peer: None,
                    kind: RibKind::All
                },
                false
            )
        );
        assert_eq!(
            show("show adj-rib in extensive 2001:db8::1 inet json"),
            (
                Command::ShowAdjRib {
                    direction: RibDirection::In,
                    extensive: true,
                    peer: Some("2001:db8::1".parse().unwrap()),
                    kind: RibKind::Inet
                },
                true
            )
        );
        assert_eq!(
            show("show adj-rib-in flow").0,
            Command::ShowAdjRib {
                direction: RibDirection::In,
                extensive: false,
                peer: None,
                kind: RibKind::Flow
            }
        );
        assert_eq!(
            show("show adj-rib-out l2vpn extensive").0,
            Command::ShowAdjRib {
                direction: RibDirection::Out,
                extensive: true,
                peer: None,
                kind: RibKind::L2vpn
            }
        );
        assert!(matches!(
            err("show adj-rib"),
            CommandError::MissingWord { .. }
        ));
        assert!(matches!(
            err("show adj-rib both"),
            CommandError::InvalidWord { .. }
        ));
        assert!(matches!(
            err("show routes"),
            CommandError::UnknownCommand { .. }
        ));
    }

    #[test]
    fn json_only_where_supported() {
        // The route parser meets `json` first: an unknown attribute keyword.
        assert!(matches!(
            err("announce route 10.0.0.0/8 next-hop 1.1.1.1 json"),
            CommandError::Route(_)
        ));
        assert_eq!(
            err("version json"),
            CommandError::TrailingWords {
                command: "version",
                found: "json".into()
            }
        );
        assert_eq!(
            err("teardown 2 json"),
            CommandError::TrailingWords {
                command: "teardown",
                found: "json".into()
            }
        );
        assert_eq!(
            err("announce watchdog json"),
            CommandError::JsonNotSupported {
                command: "watchdog"
            }
        );
    }

    #[test]
    fn daemon_and_ack_commands() {
        for (line, expected) in [
            ("shutdown", Command::Shutdown),
            ("reload", Command::Reload),
            ("restart", Command::Restart),
            ("version", Command::Version),
            ("help", Command::Help),
            ("enable-ack", Command::EnableAck),
            ("disable-ack", Command::DisableAck),
            ("silence-ack", Command::SilenceAck),
            ("reset", Command::Reset),
            // 6.0 spellings.
            ("daemon shutdown", Command::Shutdown),
            ("daemon reload", Command::Reload),
            ("daemon restart", Command::Restart),
            ("session ack enable", Command::EnableAck),
            ("session ack disable", Command::DisableAck),
            ("session ack silence", Command::SilenceAck),
            ("session reset", Command::Reset),
            ("system help", Command::Help),
            ("system version", Command::Version),
            ("rib flush out", Command::FlushAdjRibOut),
            (
                "rib clear in",
                Command::ClearAdjRib {
                    direction: RibDirection::In,
                },
            ),
            (
                "rib show out",
                Command::ShowAdjRib {
                    direction: RibDirection::Out,
                    extensive: false,
                    peer: None,
                    kind: RibKind::All,
                },
            ),
        ] {
            let parsed = ok(line);
            assert_eq!(parsed.command, expected, "{line}");
            assert_eq!(parsed.selectors, None);
            assert!(!parsed.json);
        }
        assert!(matches!(
            err("shutdown now"),
            CommandError::TrailingWords { .. }
        ));
        assert!(matches!(
            err("session ack maybe"),
            CommandError::UnknownCommand { .. }
        ));
        assert!(matches!(err("crash"), CommandError::Unsupported { .. }));
        assert!(matches!(
            err("Shutdown"),
            CommandError::UnknownCommand { .. }
        ));
    }

    #[test]
    fn comments_debug_and_blank_lines() {
        assert_eq!(
            command_of("# hello  there"),
            Command::Comment {
                text: "hello there".into()
            }
        );
        assert_eq!(
            command_of("#"),
            Command::Comment {
                text: String::new()
            }
        );
        assert_eq!(
            command_of("debug some [text]  here  "),
            Command::Debug {
                text: "some [text]  here".into()
            }
        );
        assert_eq!(err(""), CommandError::Empty);
        assert_eq!(err(" \t "), CommandError::Empty);
        assert!(matches!(err("debug"), CommandError::UnknownCommand { .. }));
    }

    #[test]
    fn long_lines_and_odd_bytes() {
        let long = "a".repeat(MAX_COMMAND_LEN + 1);
        assert!(matches!(err(&long), CommandError::TooLong { .. }));
        // One huge unknown word: an error (quoted back shortened), found without comparing
        // it with every keyword.
        let huge = format!(
            "announce route 10.0.0.0/8 {}",
            "x".repeat(MAX_COMMAND_LEN - 40)
        );
        match err(&huge) {
            error @ CommandError::Route(_) => {
                let text = error.to_string();
                assert!(text.len() < 400, "{}", shorten(&text, 400));
            }
            other => panic!("{other:?}"),
        }
        let unknown = format!("{} x", "é".repeat(200));
        match err(&unknown) {
            CommandError::UnknownCommand { found } => assert!(found.len() < 100),
            other => panic!("{other:?}"),
        }
        for line in [
            "announce route 10.0.0.0/8 as-path [ 1 ( 2",
            "announce route 10.0.0.0/8 aggregator (",
            "announce route 10.0.0.0/8 bgp-prefix-sid-srv6 ( l2",
            "announce route 10.0.0.0/8 attribute [",
            "announce route 10.0.0.0/8 split /",
            "announce route ; ; {",
            "neighbor ' announce",
            "announce flow route {{{{ }}}}",
            "announce flow route match {",
            "announce vpls",
            "\u{0}\u{1} announce",
        ] {
            let _ = parse(line);
        }
    }

    #[test]
    fn help_lists_what_the_grammar_knows() {
        let mut sorted: Vec<&str> = HELP_LINES.get(9..HELP_LINES.len() - 1).unwrap().to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, HELP_LINES.get(9..HELP_LINES.len() - 1).unwrap());
        for line in &sorted {
            let phrase = line
                .trim_start_matches("[neighbor <ip> [filters]] ")
                .trim_end();
            let phrase = phrase.split(" [").next().unwrap();
            // The first word of every phrase is known (not an "unknown command").
            let known = !matches!(parse(phrase), Err(CommandError::UnknownCommand { .. }));
            let first_two = phrase.split(' ').take(2).collect::<Vec<_>>().join(" ");
            let known_two = !matches!(parse(&first_two), Err(CommandError::UnknownCommand { .. }));
            assert!(known || known_two || phrase == "#", "{phrase}");
        }
    }

    #[test]
    fn scope_helpers() {
        assert!(command_of("announce eor").needs_established());
        assert!(command_of("flush adj-rib out").needs_established());
        assert!(!command_of("withdraw route 10.0.0.0/8").needs_established());
        assert!(command_of("withdraw route 10.0.0.0/8").targets_neighbors());
        assert!(!command_of("announce watchdog").targets_neighbors());
        assert!(!command_of("shutdown").targets_neighbors());
    }
}
