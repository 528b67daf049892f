//! The healthcheck's log: ExaBGP's two outputs, the console (`LEVEL[healthcheck] message` on
//! stderr) and syslog (`<PRI>healthcheck-NAME[PID]: message` to /dev/log).

use std::os::unix::net::UnixDatagram;
use std::path::Path;

use log::{Level, LevelFilter, Log, Metadata, Record};

/// Where syslog listens (Linux).
const SYSLOG_SOCKET: &str = "/dev/log";

/// syslog(3) facility numbers by name, as Python's `SysLogHandler.LOG_*` knows them.
const FACILITIES: &[(&str, u8)] = &[
    ("kern", 0),
    ("user", 1),
    ("mail", 2),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("lpr", 6),
    ("news", 7),
    ("uucp", 8),
    ("cron", 9),
    ("authpriv", 10),
    ("ftp", 11),
    ("ntp", 12),
    ("security", 13),
    ("console", 14),
    ("solcron", 15),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

/// The facility number of `name` (any case), `None` when unknown.
pub fn facility(name: &str) -> Option<u8> {
    let lower = name.to_ascii_lowercase();
    FACILITIES
        .iter()
        .find(|(n, _)| *n == lower)
        .map(|(_, code)| *code)
}

/// `--syslog-facility` named no facility syslog knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFacility(pub String);

struct Syslog {
    socket: UnixDatagram,
    facility: u8,
    /// `healthcheck[PID]: ` or `healthcheck-NAME[PID]: `.
    tag: String,
}

/// The healthcheck's logger.
pub struct Logger {
    level: LevelFilter,
    console: bool,
    syslog: Option<Syslog>,
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "ERROR",
        Level::Warn => "WARNING",
        Level::Info => "INFO",
        Level::Debug | Level::Trace => "DEBUG",
    }
}

fn severity(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

impl Logger {
    /// ExaBGP's `setup_logging`: INFO (DEBUG with `debug`); syslog unless disabled or
    /// debugging; the console unless `silent`. An unknown facility is refused (`Err(name)`);
    /// a missing /dev/log only leaves syslog out.
    pub fn new(
        debug: bool,
        silent: bool,
        name: Option<&str>,
        facility_name: &str,
        use_syslog: bool,
    ) -> Result<Logger, UnknownFacility> {
        let syslog = use_syslog.then_some(Path::new(SYSLOG_SOCKET));
        Self::with_syslog(debug, silent, name, facility_name, syslog)
    }

    /// `new`, with the syslog socket at `syslog` (`None`: no syslog).
    fn with_syslog(
        debug: bool,
        silent: bool,
        name: Option<&str>,
        facility_name: &str,
        syslog: Option<&Path>,
    ) -> Result<Logger, UnknownFacility> {
        let syslog = if let Some(path) = syslog.filter(|_| !debug) {
            let code =
                facility(facility_name).ok_or_else(|| UnknownFacility(facility_name.to_owned()))?;
            let tag = match name {
                Some(n) if !n.is_empty() => format!("healthcheck-{n}[{}]: ", std::process::id()),
                _ => format!("healthcheck[{}]: ", std::process::id()),
            };
            UnixDatagram::unbound()
                .and_then(|s| s.connect(path).map(|()| s))
                .ok()
                .map(|socket| Syslog {
                    socket,
                    facility: code,
                    tag,
                })
        } else {
            None
        };
        Ok(Logger {
            level: if debug {
                LevelFilter::Debug
            } else {
                LevelFilter::Info
            },
            console: !silent,
            syslog,
        })
    }

    /// Installs the logger for the whole process (once; later calls change nothing).
    pub fn install(self) {
        let level = self.level;
        if log::set_logger(Box::leak(Box::new(self))).is_ok() {
            log::set_max_level(level);
        }
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        if let Some(syslog) = &self.syslog {
            let pri = u16::from(syslog.facility) * 8 + u16::from(severity(record.level()));
            let line = format!("<{pri}>{}{message}\0", syslog.tag);
            let _ = syslog.socket.send(line.as_bytes());
        }
        if self.console {
            eprintln!("{}[healthcheck] {message}", level_name(record.level()));
        }
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facilities_are_pythons() {
        assert_eq!(facility("daemon"), Some(3));
        assert_eq!(facility("LOCAL7"), Some(23));
        assert_eq!(facility("bogus"), None);
        assert!(Logger::new(false, false, None, "bogus", true).is_err());
        // Debugging turns syslog off, so the facility is not even looked at (as ExaBGP).
        assert!(Logger::new(true, false, None, "bogus", true).is_ok());
    }

    #[test]
    fn syslog_lines_carry_priority_name_and_pid() {
        let dir = std::env::temp_dir().join(format!("rexa-hc-syslog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("log");
        let server = UnixDatagram::bind(&path).expect("bind");
        let logger =
            Logger::with_syslog(false, true, Some("web"), "local0", Some(&path)).expect("logger");
        logger.log(
            &Record::builder()
                .level(Level::Warn)
                .args(format_args!("Check command was unsuccessful: 1"))
                .build(),
        );
        let mut buffer = [0u8; 256];
        let n = server.recv(&mut buffer).expect("a datagram");
        let _ = std::fs::remove_dir_all(&dir);
        // local0 (16) * 8 + warning (4).
        let expected = format!(
            "<132>healthcheck-web[{}]: Check command was unsuccessful: 1\0",
            std::process::id()
        );
        assert_eq!(String::from_utf8_lossy(&buffer[..n]), expected);
    }
}
