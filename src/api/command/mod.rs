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

use crate::bgp::family::Family;
use crate::config::error::ConfigError;
use crate::config::lexer::Token;
use crate::config::model::{ConfiguredRoute, OperationalMessage};

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
    Routes {
        action: Action,
        routes: Vec<ConfiguredRoute>,
    },
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
    ConfiguredRoute(ConfigError),
}

impl From<ConfigError> for CommandError {
    fn from(error: ConfigError) -> CommandError {
        CommandError::ConfiguredRoute(error)
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
            CommandError::ConfiguredRoute(error) => {
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

mod announce;
use announce::change;
pub use announce::{route_prefix, split_route_line};
#[cfg(test)]
mod tests;
