//! The healthcheck's command line: ExaBGP 5's `healthcheck` options, their defaults and
//! checks, unique-prefix long options as argparse allows, and `--config` option files.

use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::ip::{Net, NetError};

pub const HELP: &str = "\
rexa healthcheck — run a check command on an interval and announce or withdraw service
addresses through the ExaBGP API (stdout), as `exabgp healthcheck` does

Usage: rexa healthcheck [OPTIONS]     (also `exabgp healthcheck`, `exabgp-healthcheck`)

Typical use, in the configuration:
  process watch-web { run rexa healthcheck --cmd \"curl -sf http://127.0.0.1/\" --ip 192.0.2.10/32; }

Options:
  -h, --help                   this text
  -s, --silent                 do not log to the console (stderr)
  -sF, --syslog-facility [F]   log to syslog with facility F (default daemon)
  --no-syslog                  do not log to syslog
  -d, --debug                  debug logging (to the console only)
  -a, --no-ack                 do not read the daemon's answer after each command
                               (for exabgp.api.ack=false)
  --sudo                       run `ip address add/delete` through sudo
  -n, --name NAME              name of this healthcheck (syslog tag)
  -F, --config FILE            read options from FILE: `long-option = value` lines
  -p, --pid FILE               write the process id to FILE
  --user USER, --group GROUP   drop privileges after the IP set-up

Checking healthiness:
  -i, --interval N             seconds between checks (0: exit after the first announcement) [5]
  -f, --fast-interval N        seconds between checks while rising or falling [1]
  -t, --timeout N              seconds before the check is killed and counts as failed [5]
  --rise N, --fall N           checks in a row before the service is up / down [3, 3]
  --disable FILE               while FILE exists the service is disabled
  -c, --cmd, --command CMD     the check, run with /bin/sh -c (none: always healthy)

Advertising:
  -N, --next-hop IP            next-hop of the announcements [self]
  --ip IP/LEN                  an address or network to announce (repeatable);
                               default: the non-loopback addresses of lo
  --ip-ifname IP%IFNAME        the interface of an --ip address (default lo)
  --local-preference P         announce with this local preference
  --deaggregate-networks       announce each address of every --ip network
  --no-ip-setup                do not add missing addresses to the interface
  --dynamic-ip-setup           remove the addresses while down or disabled
  --label L                    only addresses labelled lo:L* (set up with that label)
  --label-exact-match          ... labelled exactly lo:L
  --start-ip N                 the index of the address that gets the base metric [0]
  --up-metric M, --down-metric M, --disabled-metric M     MED per state [100, 1000, 500]
  --increase M                 MED increase for each following address [1]
  --community C, --extended-community E, --large-community L
  --disabled-community C       community while down or disabled
  --as-path P, --up-as-path P, --down-as-path P, --disabled-as-path P
  --withdraw-on-down           withdraw the routes instead of announcing the down metric
  --path-id N                  announce with this path identifier (ADD-PATH)
  --neighbor IP                only to this neighbor (repeatable; * for all)
  --debounce                   send only on state changes, not on every check

Reporting:
  --execute CMD                run CMD on every state change (env STATE=<state>)
  --up-execute CMD, --down-execute CMD, --disabled-execute CMD

Exit status: 0 when stopped by SIGTERM/SIGINT (routes withdrawn) or after one
announcement with --interval 0; 1 on a runtime error; 2 on a bad command line.
";

/// `--neighbor`: one address, or `*` for every neighbor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Neighbor {
    All,
    Address(IpAddr),
}

/// The parsed options, with ExaBGP's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub silent: bool,
    pub syslog_facility: String,
    pub no_syslog: bool,
    pub debug: bool,
    pub no_ack: bool,
    pub sudo: bool,
    pub name: Option<String>,
    pub config: Option<PathBuf>,
    pub pid: Option<PathBuf>,
    pub user: Option<String>,
    pub group: Option<String>,
    /// Seconds between checks when stable; 0 exits after the first announcement.
    pub interval: f64,
    /// Seconds between checks while RISING or FALLING.
    pub fast: f64,
    /// Seconds before the check is killed; 0 waits as long as it takes (as ExaBGP).
    pub timeout: u64,
    pub rise: i64,
    pub fall: i64,
    pub disable: Option<PathBuf>,
    pub command: Option<String>,
    pub next_hop: Option<IpAddr>,
    pub ips: Vec<Net>,
    /// `--ip-ifname` as given; resolved against `ips` by `ip_ifnames()`.
    pub ip_ifname_args: Vec<String>,
    /// -1 (the default) leaves it out.
    pub local_preference: i64,
    pub deaggregate_networks: bool,
    pub ip_setup: bool,
    pub ip_dynamic: bool,
    pub label: Option<String>,
    pub label_exact_match: bool,
    pub start_ip: i64,
    pub up_metric: i64,
    pub down_metric: i64,
    pub disabled_metric: i64,
    pub increase: i64,
    pub community: Option<String>,
    pub extended_community: Option<String>,
    pub large_community: Option<String>,
    pub disabled_community: Option<String>,
    pub as_path: Option<String>,
    pub up_as_path: Option<String>,
    pub down_as_path: Option<String>,
    pub disabled_as_path: Option<String>,
    pub withdraw_on_down: bool,
    pub path_id: Option<i64>,
    pub neighbors: Vec<Neighbor>,
    pub debounce: bool,
    pub execute: Vec<String>,
    pub up_execute: Vec<String>,
    pub down_execute: Vec<String>,
    pub disabled_execute: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            silent: false,
            syslog_facility: "daemon".into(),
            no_syslog: false,
            debug: false,
            no_ack: false,
            sudo: false,
            name: None,
            config: None,
            pid: None,
            user: None,
            group: None,
            interval: 5.0,
            fast: 1.0,
            timeout: 5,
            rise: 3,
            fall: 3,
            disable: None,
            command: None,
            next_hop: None,
            ips: Vec::new(),
            ip_ifname_args: Vec::new(),
            local_preference: -1,
            deaggregate_networks: false,
            ip_setup: true,
            ip_dynamic: false,
            label: None,
            label_exact_match: false,
            start_ip: 0,
            up_metric: 100,
            down_metric: 1000,
            disabled_metric: 500,
            increase: 1,
            community: None,
            extended_community: None,
            large_community: None,
            disabled_community: None,
            as_path: None,
            up_as_path: None,
            down_as_path: None,
            disabled_as_path: None,
            withdraw_on_down: false,
            path_id: None,
            neighbors: Vec::new(),
            debounce: false,
            execute: Vec::new(),
            up_execute: Vec::new(),
            down_execute: Vec::new(),
            disabled_execute: Vec::new(),
        }
    }
}

/// Why the command line was refused (exit status 2, as argparse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionsError {
    /// An option that does not exist, or a stray argument.
    Unrecognized(String),
    /// A long-option prefix matching several options.
    Ambiguous { given: String, candidates: String },
    /// An option without its value.
    MissingValue(&'static str),
    /// A value the option does not accept.
    Invalid {
        option: &'static str,
        value: String,
        reason: String,
    },
    /// Two of `--silent`, `--syslog-facility`, `--no-syslog`.
    NotAllowedWith {
        option: &'static str,
        with: &'static str,
    },
    /// A flag given a value (`--debug=yes`).
    UnexpectedValue(&'static str),
    /// The `--config` file could not be read (the system's error, as text: this enum
    /// compares equal in tests).
    Config { path: String, error: String },
    /// An argument that is not UTF-8.
    NotUtf8(String),
    /// `--ip-ifname` that is malformed or names no `--ip`.
    IpIfname(String),
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionsError::Unrecognized(a) => write!(f, "unrecognized arguments: {a}"),
            OptionsError::Ambiguous { given, candidates } => {
                write!(f, "ambiguous option: {given} could match {candidates}")
            }
            OptionsError::MissingValue(o) => write!(f, "argument {o}: expected one argument"),
            OptionsError::Invalid {
                option,
                value,
                reason,
            } => write!(f, "argument {option}: invalid value {value:?}: {reason}"),
            OptionsError::NotAllowedWith { option, with } => {
                write!(f, "argument {option}: not allowed with argument {with}")
            }
            OptionsError::UnexpectedValue(o) => {
                write!(f, "argument {o}: ignored explicit argument")
            }
            OptionsError::Config { path, error } => {
                write!(f, "argument --config: can't open {path:?}: {error}")
            }
            OptionsError::NotUtf8(a) => write!(f, "argument is not valid UTF-8: {a}"),
            OptionsError::IpIfname(reason) => write!(f, "argument --ip-ifname: {reason}"),
        }
    }
}

impl std::error::Error for OptionsError {}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Help,
    Run(Box<Options>),
}

/// Every long option (canonical name first for aliases) and whether it takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Flag,
    Value,
    /// `--syslog-facility [F]`.
    OptionalValue,
}

const LONG: &[(&str, Kind)] = &[
    ("help", Kind::Flag),
    ("silent", Kind::Flag),
    ("syslog-facility", Kind::OptionalValue),
    ("no-syslog", Kind::Flag),
    ("debug", Kind::Flag),
    ("no-ack", Kind::Flag),
    ("sudo", Kind::Flag),
    ("name", Kind::Value),
    ("config", Kind::Value),
    ("pid", Kind::Value),
    ("user", Kind::Value),
    ("group", Kind::Value),
    ("interval", Kind::Value),
    ("fast-interval", Kind::Value),
    ("timeout", Kind::Value),
    ("rise", Kind::Value),
    ("fall", Kind::Value),
    ("disable", Kind::Value),
    ("command", Kind::Value),
    ("cmd", Kind::Value),
    ("next-hop", Kind::Value),
    ("ip", Kind::Value),
    ("ip-ifname", Kind::Value),
    ("local-preference", Kind::Value),
    ("deaggregate-networks", Kind::Flag),
    ("no-ip-setup", Kind::Flag),
    ("dynamic-ip-setup", Kind::Flag),
    ("label", Kind::Value),
    ("label-exact-match", Kind::Flag),
    ("start-ip", Kind::Value),
    ("up-metric", Kind::Value),
    ("down-metric", Kind::Value),
    ("disabled-metric", Kind::Value),
    ("increase", Kind::Value),
    ("community", Kind::Value),
    ("extended-community", Kind::Value),
    ("large-community", Kind::Value),
    ("disabled-community", Kind::Value),
    ("as-path", Kind::Value),
    ("up-as-path", Kind::Value),
    ("down-as-path", Kind::Value),
    ("disabled-as-path", Kind::Value),
    ("withdraw-on-down", Kind::Flag),
    ("path-id", Kind::Value),
    ("neighbor", Kind::Value),
    ("debounce", Kind::Flag),
    ("execute", Kind::Value),
    ("up-execute", Kind::Value),
    ("down-execute", Kind::Value),
    ("disabled-execute", Kind::Value),
];

/// The short options and the long option each stands for.
const SHORT: &[(char, &str)] = &[
    ('h', "help"),
    ('s', "silent"),
    ('d', "debug"),
    ('a', "no-ack"),
    ('n', "name"),
    ('F', "config"),
    ('p', "pid"),
    ('i', "interval"),
    ('f', "fast-interval"),
    ('t', "timeout"),
    ('c', "command"),
    ('N', "next-hop"),
];

/// The option `given` (without `--`) names: itself, or the only option it is a prefix of.
fn resolve_long(given: &str) -> Result<(&'static str, Kind), OptionsError> {
    if let Some((name, kind)) = LONG.iter().find(|(n, _)| *n == given) {
        return Ok((name, *kind));
    }
    let matches: Vec<&(&str, Kind)> = LONG.iter().filter(|(n, _)| n.starts_with(given)).collect();
    match matches.as_slice() {
        [(name, kind)] => Ok((name, *kind)),
        [] => Err(OptionsError::Unrecognized(format!("--{given}"))),
        many => Err(OptionsError::Ambiguous {
            given: format!("--{given}"),
            candidates: many
                .iter()
                .map(|(n, _)| format!("--{n}"))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The display name argparse uses for an option in its messages.
fn display(name: &'static str) -> &'static str {
    match name {
        "silent" => "--silent/-s",
        "syslog-facility" => "--syslog-facility/-sF",
        "no-syslog" => "--no-syslog",
        "command" | "cmd" => "--command/--cmd/-c",
        "interval" => "--interval/-i",
        "fast-interval" => "--fast-interval/-f",
        "timeout" => "--timeout/-t",
        "next-hop" => "--next-hop/-N",
        "rise" => "--rise",
        "fall" => "--fall",
        "start-ip" => "--start-ip",
        "local-preference" => "--local-preference",
        "up-metric" => "--up-metric",
        "down-metric" => "--down-metric",
        "disabled-metric" => "--disabled-metric",
        "increase" => "--increase",
        "path-id" => "--path-id",
        "ip" => "--ip",
        "neighbor" => "--neighbor",
        "community" => "--community",
        "extended-community" => "--extended-community",
        "large-community" => "--large-community",
        "disabled-community" => "--disabled-community",
        "as-path" => "--as-path",
        "up-as-path" => "--up-as-path",
        "down-as-path" => "--down-as-path",
        "disabled-as-path" => "--disabled-as-path",
        "config" => "--config/-F",
        "pid" => "--pid/-p",
        "name" => "--name/-n",
        _ => "option",
    }
}

fn invalid(option: &'static str, value: &str, reason: impl fmt::Display) -> OptionsError {
    OptionsError::Invalid {
        option: display(option),
        value: value.to_owned(),
        reason: reason.to_string(),
    }
}

fn int(option: &'static str, value: &str) -> Result<i64, OptionsError> {
    let text = value.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    text.replace('_', "")
        .parse::<i64>()
        .map_err(|_| invalid(option, value, "not an integer"))
}

fn seconds(option: &'static str, value: &str) -> Result<f64, OptionsError> {
    let number = value
        .trim()
        .parse::<f64>()
        .map_err(|_| invalid(option, value, "not a number"))?;
    if !number.is_finite() || number < 0.0 {
        return Err(invalid(
            option,
            value,
            "must be a non-negative number of seconds",
        ));
    }
    Ok(number)
}

/// ExaBGP's `attribute_value`: text spliced into one API command must stay on one line.
fn attribute(option: &'static str, value: &str) -> Result<String, OptionsError> {
    let bad = value.chars().find(|c| {
        *c != '\t'
            && (c.is_control()
                || (c.is_whitespace() && *c != ' ')
                || matches!(*c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}'))
    });
    match bad {
        Some(c) => Err(invalid(
            option,
            value,
            format!("contains the control character {c:?}"),
        )),
        None => Ok(value.to_owned()),
    }
}

/// `Options` under construction, with the exclusive logging options seen so far.
struct Builder {
    options: Options,
    exclusive: Option<&'static str>,
    help: bool,
}

impl Builder {
    fn new() -> Self {
        Builder {
            options: Options::default(),
            exclusive: None,
            help: false,
        }
    }

    fn exclusive(&mut self, name: &'static str) -> Result<(), OptionsError> {
        match self.exclusive {
            Some(seen) if seen != name => Err(OptionsError::NotAllowedWith {
                option: display(name),
                with: display(seen),
            }),
            _ => {
                self.exclusive = Some(name);
                Ok(())
            }
        }
    }

    fn flag(&mut self, name: &'static str) -> Result<(), OptionsError> {
        let o = &mut self.options;
        match name {
            "help" => self.help = true,
            "silent" => {
                self.exclusive(name)?;
                self.options.silent = true;
            }
            "no-syslog" => {
                self.exclusive(name)?;
                self.options.no_syslog = true;
            }
            "debug" => o.debug = true,
            "no-ack" => o.no_ack = true,
            "sudo" => o.sudo = true,
            "deaggregate-networks" => o.deaggregate_networks = true,
            "no-ip-setup" => o.ip_setup = false,
            "dynamic-ip-setup" => o.ip_dynamic = true,
            "label-exact-match" => o.label_exact_match = true,
            "withdraw-on-down" => o.withdraw_on_down = true,
            "debounce" => o.debounce = true,
            _ => return Err(OptionsError::Unrecognized(format!("--{name}"))),
        }
        Ok(())
    }

    fn value(&mut self, name: &'static str, v: String) -> Result<(), OptionsError> {
        let o = &mut self.options;
        match name {
            "syslog-facility" => {
                self.exclusive(name)?;
                self.options.syslog_facility = v;
            }
            "name" => o.name = Some(v),
            "config" => o.config = Some(PathBuf::from(v)),
            "pid" => o.pid = Some(PathBuf::from(v)),
            "user" => o.user = Some(v),
            "group" => o.group = Some(v),
            "interval" => o.interval = seconds(name, &v)?,
            "fast-interval" => o.fast = seconds(name, &v)?,
            "timeout" => {
                o.timeout = u64::try_from(int(name, &v)?)
                    .map_err(|_| invalid(name, &v, "must not be negative"))?;
            }
            "rise" => o.rise = int(name, &v)?,
            "fall" => o.fall = int(name, &v)?,
            "disable" => o.disable = Some(PathBuf::from(v)),
            "command" | "cmd" => o.command = Some(v),
            "next-hop" => {
                o.next_hop = Some(
                    v.parse()
                        .map_err(|_| invalid(name, &v, "not an IPv4 or IPv6 address"))?,
                );
            }
            "ip" => o
                .ips
                .push(Net::parse(&v).map_err(|e: NetError| invalid(name, &v, e))?),
            "ip-ifname" => o.ip_ifname_args.push(v),
            "local-preference" => o.local_preference = int(name, &v)?,
            "label" => o.label = Some(v),
            "start-ip" => o.start_ip = int(name, &v)?,
            "up-metric" => o.up_metric = int(name, &v)?,
            "down-metric" => o.down_metric = int(name, &v)?,
            "disabled-metric" => o.disabled_metric = int(name, &v)?,
            "increase" => o.increase = int(name, &v)?,
            "community" => o.community = Some(attribute(name, &v)?),
            "extended-community" => o.extended_community = Some(attribute(name, &v)?),
            "large-community" => o.large_community = Some(attribute(name, &v)?),
            "disabled-community" => o.disabled_community = Some(attribute(name, &v)?),
            "as-path" => o.as_path = Some(attribute(name, &v)?),
            "up-as-path" => o.up_as_path = Some(attribute(name, &v)?),
            "down-as-path" => o.down_as_path = Some(attribute(name, &v)?),
            "disabled-as-path" => o.disabled_as_path = Some(attribute(name, &v)?),
            "path-id" => o.path_id = Some(int(name, &v)?),
            "neighbor" => {
                let neighbor = if v.trim() == "*" {
                    Neighbor::All
                } else {
                    Neighbor::Address(
                        v.parse()
                            .map_err(|_| invalid(name, &v, "not an IPv4 or IPv6 address"))?,
                    )
                };
                o.neighbors.push(neighbor);
            }
            "execute" => o.execute.push(v),
            "up-execute" => o.up_execute.push(v),
            "down-execute" => o.down_execute.push(v),
            "disabled-execute" => o.disabled_execute.push(v),
            _ => return Err(OptionsError::Unrecognized(format!("--{name}"))),
        }
        Ok(())
    }
}

/// ExaBGP's `-sF` is one option of two letters: spelled as its long form for lexopt.
fn respell(args: Vec<String>) -> Vec<String> {
    args.into_iter()
        .map(|a| {
            if a == "-sF" {
                "--syslog-facility".to_owned()
            } else if let Some(rest) = a.strip_prefix("-sF=") {
                format!("--syslog-facility={rest}")
            } else {
                a
            }
        })
        .collect()
}

fn parse_pass(args: Vec<String>) -> Result<Builder, OptionsError> {
    use lexopt::prelude::*;
    let mut builder = Builder::new();
    let mut parser = lexopt::Parser::from_args(respell(args));
    let text = |v: OsString| {
        v.into_string()
            .map_err(|b| OptionsError::NotUtf8(format!("{b:?}")))
    };
    while let Some(arg) = parser
        .next()
        .map_err(|e| OptionsError::Unrecognized(e.to_string()))?
    {
        let long = matches!(arg, Long(_));
        let (name, kind) = match arg {
            Long(given) => resolve_long(given)?,
            Short(c) => {
                let long = SHORT
                    .iter()
                    .find(|(s, _)| *s == c)
                    .map(|(_, l)| *l)
                    .ok_or_else(|| OptionsError::Unrecognized(format!("-{c}")))?;
                resolve_long(long)?
            }
            Value(v) => return Err(OptionsError::Unrecognized(v.to_string_lossy().into_owned())),
        };
        match kind {
            Kind::Flag => {
                if long && parser.optional_value().is_some() {
                    return Err(OptionsError::UnexpectedValue(display(name)));
                }
                builder.flag(name)?;
            }
            Kind::Value => {
                let value = parser
                    .value()
                    .map_err(|_| OptionsError::MissingValue(display(name)))?;
                builder.value(name, text(value)?)?;
            }
            Kind::OptionalValue => {
                let attached = if long { parser.optional_value() } else { None };
                let value = match attached {
                    Some(v) => text(v)?,
                    None => {
                        let mut raw = parser
                            .raw_args()
                            .map_err(|e| OptionsError::Unrecognized(e.to_string()))?;
                        let next_is_value = raw
                            .peek()
                            .and_then(|p| p.to_str())
                            .is_some_and(|p| !p.starts_with('-') || p == "-");
                        match raw.next_if(|_| next_is_value) {
                            Some(v) => text(v)?,
                            None => "daemon".to_owned(),
                        }
                    }
                };
                builder.value(name, value)?;
            }
        }
    }
    Ok(builder)
}

/// `--config` file lines as arguments: `key = value` is `--key value`, `key` is `--key`;
/// empty lines and `#` comments are skipped (ExaBGP's reading, word for word).
pub fn config_arguments(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let option = format!("--{line}");
        match option.split_once('=') {
            Some((key, value)) => {
                args.push(key.trim().to_owned());
                args.push(value.trim().to_owned());
            }
            None => args.push(option.trim().to_owned()),
        }
    }
    args
}

/// The most of a `--config` file read: an options file is a few lines.
pub const MAX_CONFIG_FILE: u64 = 1024 * 1024;

/// Reads a `--config` file, at most `MAX_CONFIG_FILE` bytes of it.
fn read_config_file(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_CONFIG_FILE)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Parses the arguments given after `healthcheck`; with `--config FILE`, the file's options
/// come first and the command line's after them (so it wins), as ExaBGP reads them.
pub fn parse(args: Vec<OsString>) -> Result<Request, OptionsError> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|b| OptionsError::NotUtf8(format!("{b:?}")))
        })
        .collect::<Result<_, _>>()?;
    parse_with(args, read_config_file)
}

/// `parse`, with the `--config` file read by `read_file` (the fuzz target reads none).
pub fn parse_with(
    args: Vec<String>,
    read_file: impl Fn(&Path) -> std::io::Result<String>,
) -> Result<Request, OptionsError> {
    let first = parse_pass(args.clone())?;
    if first.help {
        return Ok(Request::Help);
    }
    let builder = match &first.options.config {
        None => first,
        Some(path) => {
            let text = read_file(path).map_err(|error| OptionsError::Config {
                path: path.display().to_string(),
                error: error.to_string(),
            })?;
            let mut all = config_arguments(&text);
            all.extend(args);
            let second = parse_pass(all)?;
            if second.help {
                return Ok(Request::Help);
            }
            second
        }
    };
    let options = builder.options;
    options.ip_ifnames()?;
    Ok(Request::Run(Box::new(options)))
}

/// The longest interface name Linux accepts.
const IFNAME_MAX_LENGTH: usize = 15;

impl Options {
    /// `--ip-ifname IP%IFNAME` pairs, each naming one of the `--ip` networks.
    pub fn ip_ifnames(&self) -> Result<Vec<(Net, String)>, OptionsError> {
        let mut pairs: Vec<(Net, String)> = Vec::new();
        for value in &self.ip_ifname_args {
            let parts: Vec<&str> = value.split('%').collect();
            let [ip, ifname] = parts.as_slice() else {
                return Err(OptionsError::IpIfname(format!(
                    "Expected IP to IFNAME parameter: <ip_address>%<ifname>, got '{value}'"
                )));
            };
            let net = Net::parse(ip).map_err(|e| OptionsError::IpIfname(e.to_string()))?;
            if !self.ips.contains(&net) {
                return Err(OptionsError::IpIfname(format!(
                    "No 'ip' parameter has been defined for the ip_ifname pair '{value}'"
                )));
            }
            let valid = !ifname.is_empty()
                && ifname.len() <= IFNAME_MAX_LENGTH
                && ifname
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
            if !valid {
                return Err(OptionsError::IpIfname(format!(
                    "Expected NIC interface name but got '{ifname}'"
                )));
            }
            pairs.retain(|(n, _)| *n != net);
            pairs.push((net, (*ifname).to_owned()));
        }
        Ok(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Result<Options, OptionsError> {
        let args = line
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(OsString::from)
            .collect();
        match parse(args)? {
            Request::Run(options) => Ok(*options),
            Request::Help => panic!("help"),
        }
    }

    #[test]
    fn defaults_are_exabgps() {
        let o = run("").expect("no options");
        assert_eq!(o, Options::default());
        assert_eq!(
            (o.interval, o.fast, o.timeout, o.rise, o.fall),
            (5.0, 1.0, 5, 3, 3)
        );
        assert_eq!(
            (o.up_metric, o.down_metric, o.disabled_metric, o.increase),
            (100, 1000, 500, 1)
        );
        assert!(o.ip_setup && !o.ip_dynamic && !o.withdraw_on_down);
    }

    #[test]
    fn every_spelling_of_an_option_is_understood() {
        let o = run("-c true -i 0.5 -f0.1 --timeout=2 --rise 1 --fall=1 -N 192.0.2.1 -sa --ip 10.0.0.0/30 --ip 2001:db8::1 --neighbor * --neighbor 127.0.0.2 --up-m 10 --start-ip -1")
            .expect("valid");
        assert_eq!(o.command.as_deref(), Some("true"));
        assert_eq!(
            (o.interval, o.fast, o.timeout, o.rise, o.fall),
            (0.5, 0.1, 2, 1, 1)
        );
        assert_eq!(o.next_hop, Some("192.0.2.1".parse().expect("ip")));
        assert!(o.silent && o.no_ack);
        assert_eq!(o.ips.len(), 2);
        assert_eq!(o.neighbors[0], Neighbor::All);
        assert_eq!(o.up_metric, 10);
        assert_eq!(o.start_ip, -1);
        assert_eq!(run("--cmd x").expect("alias").command.as_deref(), Some("x"));
        assert_eq!(run("-sF local0").expect("-sF").syslog_facility, "local0");
        assert_eq!(
            run("--syslog-facility -d").expect("bare").syslog_facility,
            "daemon"
        );
    }

    #[test]
    fn bad_command_lines_are_refused_with_argparse_words() {
        assert!(matches!(run("--bogus"), Err(OptionsError::Unrecognized(_))));
        assert!(matches!(run("stray"), Err(OptionsError::Unrecognized(_))));
        assert!(matches!(run("--no"), Err(OptionsError::Ambiguous { .. })));
        assert!(matches!(run("--rise"), Err(OptionsError::MissingValue(_))));
        assert!(matches!(run("--rise x"), Err(OptionsError::Invalid { .. })));
        assert!(matches!(
            run("--ip 10.0.0.1/24"),
            Err(OptionsError::Invalid { .. })
        ));
        assert!(matches!(
            run("--next-hop self"),
            Err(OptionsError::Invalid { .. })
        ));
        assert!(matches!(
            run("--interval -1"),
            Err(OptionsError::Invalid { .. })
        ));
        assert_eq!(
            run("-s --no-syslog").expect_err("exclusive").to_string(),
            "argument --no-syslog: not allowed with argument --silent/-s"
        );
        assert!(matches!(
            run("--debug=1"),
            Err(OptionsError::UnexpectedValue(_))
        ));
        let line = vec![
            OsString::from("--community"),
            OsString::from("1:1\nannounce"),
        ];
        assert!(matches!(parse(line), Err(OptionsError::Invalid { .. })));
        assert_eq!(parse(vec!["-h".into()]), Ok(Request::Help));
    }

    #[test]
    fn ip_ifname_must_name_an_ip() {
        let o = run("--ip 10.0.0.1/32 --ip-ifname 10.0.0.1/32%eth0").expect("valid");
        assert_eq!(o.ip_ifnames().expect("pairs")[0].1, "eth0");
        assert!(matches!(
            run("--ip 10.0.0.1 --ip-ifname 10.0.0.2%eth0"),
            Err(OptionsError::IpIfname(_))
        ));
        assert!(matches!(
            run("--ip 10.0.0.1 --ip-ifname 10.0.0.1"),
            Err(OptionsError::IpIfname(_))
        ));
        assert!(matches!(
            run("--ip 10.0.0.1 --ip-ifname 10.0.0.1%a/b"),
            Err(OptionsError::IpIfname(_))
        ));
    }

    #[test]
    fn a_config_file_comes_before_the_command_line() {
        let text = "# comment\n\ndebug\nname = haproxy\ninterval = 10\ncommand = curl -sf http://127.0.0.1/healthcheck\nip = 10.0.0.1/32\n";
        assert_eq!(
            config_arguments(text),
            [
                "--debug",
                "--name",
                "haproxy",
                "--interval",
                "10",
                "--command",
                "curl -sf http://127.0.0.1/healthcheck",
                "--ip",
                "10.0.0.1/32"
            ]
        );
        let dir = std::env::temp_dir().join(format!("rexa-hc-options-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("hc.conf");
        std::fs::write(&file, text).expect("write");
        let o = run(&format!(
            "--config {} --interval 2 --ip 10.0.0.2/32",
            file.display()
        ))
        .expect("valid");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(o.debug);
        assert_eq!(o.name.as_deref(), Some("haproxy"));
        assert_eq!(o.interval, 2.0);
        assert_eq!(
            o.ips.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            ["10.0.0.1/32", "10.0.0.2/32"]
        );
        assert!(matches!(
            run("--config /nonexistent/rexa-hc"),
            Err(OptionsError::Config { .. })
        ));
    }
}
