//! Logging as the `exabgp.log.*` settings say: where lines go (stderr, syslog, remote syslog,
//! a file), the level, ExaBGP's per-topic switches, and its short or long line layout.
//!
//! Each record's topic comes from its target: an explicit one (`log::info!(target: "routes",
//! ...)`) or the module that logged it. Topic switches filter INFO and DEBUG records only;
//! warnings and errors always reach the destination.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::env::Log;

/// ExaBGP's log topics (`exabgp.log.<topic>`), each with its own switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Configuration,
    Reactor,
    Daemon,
    Processes,
    Network,
    Statistics,
    Packets,
    Rib,
    Message,
    Timers,
    Routes,
    Parser,
}

impl Topic {
    /// The name ExaBGP prints as the line's source.
    pub fn name(self) -> &'static str {
        match self {
            Topic::Configuration => "configuration",
            Topic::Reactor => "reactor",
            Topic::Daemon => "daemon",
            Topic::Processes => "processes",
            Topic::Network => "network",
            Topic::Statistics => "statistics",
            Topic::Packets => "packets",
            Topic::Rib => "rib",
            Topic::Message => "message",
            Topic::Timers => "timers",
            Topic::Routes => "routes",
            Topic::Parser => "parser",
        }
    }

    /// The topic of a record with this target: an explicit topic name, else the module.
    pub fn of(target: &str) -> Topic {
        const EXPLICIT: [Topic; 12] = [
            Topic::Configuration,
            Topic::Reactor,
            Topic::Daemon,
            Topic::Processes,
            Topic::Network,
            Topic::Statistics,
            Topic::Packets,
            Topic::Rib,
            Topic::Message,
            Topic::Timers,
            Topic::Routes,
            Topic::Parser,
        ];
        if let Some(topic) = EXPLICIT.iter().find(|t| t.name() == target) {
            return *topic;
        }
        let module = target.strip_prefix("rexa::").unwrap_or(target);
        let under = |prefix: &str| {
            module == prefix
                || module
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with("::"))
        };
        if under("config") {
            Topic::Configuration
        } else if under("daemon::privileges")
            || under("daemon::logging")
            || under("reactor::notify")
        {
            Topic::Daemon
        } else if under("daemon::helpers")
            || under("daemon::commands")
            || under("reactor::process")
            || under("api")
            || under("cli")
        {
            Topic::Processes
        } else if under("rib") {
            Topic::Rib
        } else if under("peer") || under("reactor") || under("daemon::session") {
            Topic::Network
        } else {
            Topic::Reactor
        }
    }
}

/// Which topics log below WARNING (`exabgp.log.*`, `log.all` turning every one on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topics {
    all: bool,
    switches: [bool; 12],
}

impl Topics {
    pub fn from_settings(log: &Log) -> Topics {
        Topics {
            all: log.all,
            switches: [
                log.configuration,
                log.reactor,
                log.daemon,
                log.processes,
                log.network,
                log.statistics,
                log.packets,
                log.rib,
                log.message,
                log.timers,
                log.routes,
                log.parser,
            ],
        }
    }

    pub fn enabled(&self, topic: Topic) -> bool {
        self.all || self.switches[topic as usize]
    }
}

/// Where the lines go (`exabgp.log.destination`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `stdout` and `stderr` (ExaBGP writes both to stderr, and so does rexa).
    Stderr,
    /// `syslog`: the local socket `/dev/log`; rexa also takes `syslog:/path/of/socket`.
    Syslog(Option<PathBuf>),
    /// `host:ADDRESS[:PORT]`: remote syslog over UDP (port 514 by default).
    Remote(String),
    /// A file path (`/abs`, `~/...`, `file:path`): appended to, opened once and never
    /// reopened (rotate it with logrotate's `copytruncate`).
    File(PathBuf),
}

/// Why the configured logging could not be set up.
#[derive(Debug)]
pub enum LoggingError {
    /// The destination is none of ExaBGP's forms.
    Destination(String),
    /// The log file could not be opened.
    File { path: PathBuf, error: io::Error },
    /// The syslog socket or the remote address could not be used.
    Syslog { destination: String, error: String },
}

impl fmt::Display for LoggingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoggingError::Destination(text) => write!(
                f,
                "exabgp.log.destination '{text}': expected stdout, stderr, syslog, \
                 host:ADDRESS or a file path (absolute, ~/..., or file:PATH)"
            ),
            LoggingError::File { path, error } => {
                write!(f, "cannot open the log file {}: {error}", path.display())
            }
            LoggingError::Syslog { destination, error } => {
                write!(f, "cannot log to {destination}: {error}")
            }
        }
    }
}

impl std::error::Error for LoggingError {}

impl Destination {
    pub fn parse(text: &str) -> Result<Destination, LoggingError> {
        let text = text.trim();
        match text {
            "" | "stdout" | "stderr" => return Ok(Destination::Stderr),
            "syslog" => return Ok(Destination::Syslog(None)),
            _ => {}
        }
        if let Some(path) = text.strip_prefix("syslog:").filter(|p| !p.is_empty()) {
            return Ok(Destination::Syslog(Some(PathBuf::from(path))));
        }
        if let Some(host) = text.strip_prefix("host:").filter(|h| !h.is_empty()) {
            return Ok(Destination::Remote(host.to_owned()));
        }
        if let Some(path) = text.strip_prefix("file:").filter(|p| !p.is_empty()) {
            return Ok(Destination::File(PathBuf::from(path)));
        }
        if let Some(rest) = text.strip_prefix("~/") {
            if let Some(home) = std::env::var_os("HOME") {
                return Ok(Destination::File(Path::new(&home).join(rest)));
            }
        }
        if text.starts_with('/') {
            return Ok(Destination::File(PathBuf::from(text)));
        }
        Err(LoggingError::Destination(text.to_owned()))
    }
}

/// The `host:` address with syslog's port when none is given.
fn remote_address(host: &str) -> Result<SocketAddr, String> {
    let with_port = |h: &str| (h, 514u16).to_socket_addrs();
    let addresses = match host.parse::<SocketAddr>() {
        Ok(address) => return Ok(address),
        // `[::1]` or a bare address / name: port 514.
        Err(_) => with_port(host.trim_start_matches('[').trim_end_matches(']'))
            .or_else(|_| host.to_socket_addrs()),
    };
    addresses
        .map_err(|e| e.to_string())?
        .next()
        .ok_or_else(|| "no address".to_owned())
}

type SyslogLogger = syslog::Logger<syslog::LoggerBackend, syslog::Formatter3164>;

/// The process's logger: `env_logger` filters (level and `RUST_LOG`) and writes the stderr
/// and file destinations in ExaBGP's layout; topics are checked first; syslog destinations
/// get the short line with the record's severity.
pub struct Logger {
    inner: env_logger::Logger,
    topics: Topics,
    syslog: Option<Mutex<SyslogLogger>>,
}

impl Logger {
    /// Builds the logger the settings describe. `debug` (`--debug`) raises the level;
    /// `RUST_LOG`, when set, adds its directives.
    pub fn new(log: &Log, debug: bool) -> Result<Logger, LoggingError> {
        let destination = Destination::parse(&log.destination)?;
        let mut builder = env_logger::Builder::new();
        builder.filter_level(level_filter(log, debug));
        if let Ok(spec) = std::env::var("RUST_LOG") {
            builder.parse_filters(&spec);
        }
        let mut syslog = None;
        // ExaBGP writes files in the long layout and syslog in the short one.
        let short = match &destination {
            Destination::Stderr => log.short,
            Destination::File(path) => {
                let file: File = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|error| LoggingError::File {
                        path: path.clone(),
                        error,
                    })?;
                builder.target(env_logger::Target::Pipe(Box::new(file)));
                false
            }
            Destination::Syslog(path) => {
                let formatter = syslog_formatter();
                let logger = match path {
                    Some(path) => syslog::unix_custom(formatter, path),
                    None => syslog::unix(formatter),
                };
                syslog = Some(Mutex::new(logger.map_err(|error| {
                    LoggingError::Syslog {
                        destination: log.destination.clone(),
                        error: error.to_string(),
                    }
                })?));
                true
            }
            Destination::Remote(host) => {
                let syslog_error = |error: String| LoggingError::Syslog {
                    destination: log.destination.clone(),
                    error,
                };
                let server = remote_address(host).map_err(syslog_error)?;
                let local: SocketAddr = if server.is_ipv4() {
                    ([0, 0, 0, 0], 0).into()
                } else {
                    (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
                };
                let logger = syslog::udp(syslog_formatter(), local, server)
                    .map_err(|e| syslog_error(e.to_string()))?;
                syslog = Some(Mutex::new(logger));
                true
            }
        };
        builder.format(move |buf, record| {
            let mut line = String::with_capacity(128);
            let clock = (!short).then(crate::sys::local_time_of_day).flatten();
            format_line(
                &mut line,
                short,
                Topic::of(record.target()),
                record.args(),
                clock,
                std::process::id(),
            );
            writeln!(buf, "{line}")
        });
        Ok(Logger {
            inner: builder.build(),
            topics: Topics::from_settings(log),
            syslog,
        })
    }

    /// Installs it as the `log` crate's logger (once per process).
    pub fn install(self) -> Result<(), log::SetLoggerError> {
        log::set_max_level(self.inner.filter());
        log::set_boxed_logger(Box::new(self))
    }

    fn wanted(&self, metadata: &log::Metadata) -> bool {
        use log::Log as _;
        self.inner.enabled(metadata)
            && (metadata.level() <= log::Level::Warn
                || self.topics.enabled(Topic::of(metadata.target())))
    }
}

fn syslog_formatter() -> syslog::Formatter3164 {
    syslog::Formatter3164 {
        facility: syslog::Facility::LOG_DAEMON,
        hostname: None,
        process: "rexa".into(),
        pid: std::process::id(),
    }
}

/// `exabgp.log.level` (ExaBGP 4.x syslog names and 5.x Python names) as a filter level.
pub fn level_filter(log: &Log, debug: bool) -> log::LevelFilter {
    if debug {
        return log::LevelFilter::Debug;
    }
    if !log.enable {
        return log::LevelFilter::Warn;
    }
    match log.level.to_ascii_uppercase().as_str() {
        "DEBUG" | "NOTSET" => log::LevelFilter::Debug,
        "WARNING" | "WARN" | "NOTICE" => log::LevelFilter::Warn,
        "ERROR" | "ERR" | "CRITICAL" | "CRIT" | "FATAL" | "ALERT" | "EMERG" => {
            log::LevelFilter::Error
        }
        _ => log::LevelFilter::Info,
    }
}

/// One line in ExaBGP's layout: short `source message`, long `HH:MM:SS pid source message`.
pub fn format_line(
    out: &mut String,
    short: bool,
    topic: Topic,
    args: &fmt::Arguments<'_>,
    clock: Option<(u8, u8, u8)>,
    pid: u32,
) {
    use std::fmt::Write as _;
    out.clear();
    if !short {
        let (h, m, s) = clock.unwrap_or((0, 0, 0));
        let _ = write!(out, "{h:02}:{m:02}:{s:02} {pid:<6} ");
    }
    let _ = write!(out, "{:<15} {args}", topic.name());
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        self.wanted(metadata)
    }

    fn log(&self, record: &log::Record) {
        if !self.wanted(record.metadata()) || !self.inner.matches(record) {
            return;
        }
        let Some(syslog) = &self.syslog else {
            self.inner.log(record);
            return;
        };
        let mut line = String::with_capacity(128);
        format_line(
            &mut line,
            true,
            Topic::of(record.target()),
            record.args(),
            None,
            0,
        );
        if let Ok(mut logger) = syslog.lock() {
            let _ = match record.level() {
                log::Level::Error => logger.err(line),
                log::Level::Warn => logger.warning(line),
                log::Level::Info => logger.info(line),
                log::Level::Debug | log::Level::Trace => logger.debug(line),
            };
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_follow_exabgp() {
        assert_eq!(Destination::parse("stdout").unwrap(), Destination::Stderr);
        assert_eq!(Destination::parse("stderr").unwrap(), Destination::Stderr);
        assert_eq!(
            Destination::parse("syslog").unwrap(),
            Destination::Syslog(None)
        );
        assert_eq!(
            Destination::parse("syslog:/tmp/log.sock").unwrap(),
            Destination::Syslog(Some(PathBuf::from("/tmp/log.sock")))
        );
        assert_eq!(
            Destination::parse("host:127.0.0.1").unwrap(),
            Destination::Remote("127.0.0.1".into())
        );
        assert_eq!(
            Destination::parse("/var/log/rexa.log").unwrap(),
            Destination::File(PathBuf::from("/var/log/rexa.log"))
        );
        assert_eq!(
            Destination::parse("file:rexa.log").unwrap(),
            Destination::File(PathBuf::from("rexa.log"))
        );
        assert!(matches!(
            Destination::parse("somewhere"),
            Err(LoggingError::Destination(_))
        ));
    }

    #[test]
    fn remote_addresses_default_to_the_syslog_port() {
        assert_eq!(
            remote_address("127.0.0.1").unwrap(),
            "127.0.0.1:514".parse().unwrap()
        );
        assert_eq!(
            remote_address("127.0.0.1:1514").unwrap(),
            "127.0.0.1:1514".parse().unwrap()
        );
        assert_eq!(remote_address("::1").unwrap(), "[::1]:514".parse().unwrap());
        assert_eq!(
            remote_address("[::1]:1514").unwrap(),
            "[::1]:1514".parse().unwrap()
        );
    }

    #[test]
    fn topics_come_from_targets_and_modules() {
        assert_eq!(Topic::of("routes"), Topic::Routes);
        assert_eq!(Topic::of("rexa::config::parser"), Topic::Configuration);
        assert_eq!(Topic::of("rexa::daemon::privileges"), Topic::Daemon);
        assert_eq!(Topic::of("rexa::reactor::process"), Topic::Processes);
        assert_eq!(Topic::of("rexa::daemon::helpers"), Topic::Processes);
        assert_eq!(Topic::of("rexa::rib::out"), Topic::Rib);
        assert_eq!(Topic::of("rexa::peer"), Topic::Network);
        assert_eq!(Topic::of("rexa::reactor"), Topic::Network);
        assert_eq!(Topic::of("rexa::daemon"), Topic::Reactor);
        assert_eq!(
            Topic::of("rexa::ribbon"),
            Topic::Reactor,
            "a prefix is not a module"
        );
        assert_eq!(Topic::of("mio::poll"), Topic::Reactor);
    }

    #[test]
    fn topic_switches_have_exabgps_defaults() {
        let topics = Topics::from_settings(&crate::config::env::Env::default().log);
        for on in [
            Topic::Configuration,
            Topic::Reactor,
            Topic::Daemon,
            Topic::Processes,
            Topic::Network,
            Topic::Statistics,
        ] {
            assert!(topics.enabled(on), "{on:?}");
        }
        for off in [
            Topic::Packets,
            Topic::Rib,
            Topic::Message,
            Topic::Timers,
            Topic::Routes,
            Topic::Parser,
        ] {
            assert!(!topics.enabled(off), "{off:?}");
        }
        let mut all = crate::config::env::Env::default().log;
        all.all = true;
        assert!(Topics::from_settings(&all).enabled(Topic::Routes));
    }

    #[test]
    fn lines_have_exabgps_layouts() {
        let mut out = String::new();
        format_line(
            &mut out,
            true,
            Topic::Reactor,
            &format_args!("loaded {}", 3),
            None,
            42,
        );
        assert_eq!(out, "reactor         loaded 3");
        format_line(
            &mut out,
            false,
            Topic::Network,
            &format_args!("up"),
            Some((9, 5, 7)),
            4242,
        );
        assert_eq!(out, "09:05:07 4242   network         up");
    }

    #[test]
    fn levels_accept_exabgp_4_and_5_names() {
        let mut log = crate::config::env::Env::default().log;
        for (name, level) in [
            ("DEBUG", log::LevelFilter::Debug),
            ("INFO", log::LevelFilter::Info),
            ("NOTICE", log::LevelFilter::Warn),
            ("WARNING", log::LevelFilter::Warn),
            ("ERR", log::LevelFilter::Error),
            ("CRITICAL", log::LevelFilter::Error),
        ] {
            log.level = name.into();
            assert_eq!(level_filter(&log, false), level, "{name}");
        }
        assert_eq!(level_filter(&log, true), log::LevelFilter::Debug);
        log.enable = false;
        log.level = "DEBUG".into();
        assert_eq!(level_filter(&log, false), log::LevelFilter::Warn);
    }
}
