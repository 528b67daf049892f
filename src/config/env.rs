//! Environment settings `exabgp.<section>.<key>` (config.md §12) with ExaBGP 5's defaults,
//! read from an ini file and from `exabgp.s.k` / `exabgp_s_k` variables; rendered like `exabgp env`.

use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct Daemon {
    pub pid: String,
    pub user: String,
    pub daemonize: bool,
    pub drop: bool,
    pub umask: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Log {
    pub enable: bool,
    /// Normalized upper-case level name (syslog names accepted and kept).
    pub level: String,
    pub destination: String,
    pub all: bool,
    pub configuration: bool,
    pub reactor: bool,
    pub daemon: bool,
    pub processes: bool,
    pub network: bool,
    pub statistics: bool,
    pub packets: bool,
    pub rib: bool,
    pub message: bool,
    pub timers: bool,
    pub routes: bool,
    pub parser: bool,
    pub short: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tcp {
    pub once: bool,
    /// 0 = unlimited. `exabgp.tcp.connections` is an alias.
    pub attempts: u32,
    pub delay: u32,
    /// Addresses to listen on; empty = do not listen.
    pub bind: Vec<String>,
    pub port: u16,
    pub acl: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bgp {
    pub passive: bool,
    pub openwait: u32,
    pub paths_limit_audit: bool,
    /// rexa's own (`exabgp.bgp.send_hold_time`, seconds; 0: off): RFC 9687's send hold
    /// time is max(this, 2 × the hold time).
    pub send_hold_time: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cache {
    pub attributes: bool,
    pub nexthops: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiEnv {
    pub ack: bool,
    pub chunk: u32,
    pub show_routes_format: String,
    pub encoder: String,
    pub compact: bool,
    pub respawn: bool,
    pub terminate: bool,
    pub cli: bool,
    pub pipename: String,
    pub socketname: String,
    /// rexa's own: bytes of unread events a helper may have before rexa pauses what feeds
    /// it (`exabgp.api.buffer`); it resumes below a quarter of this.
    pub buffer: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reactor {
    pub speed: f64,
    /// rexa's own (`exabgp.reactor.shutdown_deadline`, seconds): how long a stop (signal,
    /// `shutdown`) may take to send every session its Cease and flush it before exiting.
    pub shutdown_deadline: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub enable: bool,
    pub file: String,
}

/// Developer switches (`exabgp.debug.*`, `exabgp.pdb.enable`): accepted, mostly no effect.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Debug {
    pub pdb: bool,
    pub memory: bool,
    pub configuration: bool,
    pub selfcheck: bool,
    pub route: String,
    pub defensive: bool,
    pub rotate: bool,
    pub timing: bool,
}

/// All `exabgp.*` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Env {
    pub daemon: Daemon,
    pub log: Log,
    pub tcp: Tcp,
    pub bgp: Bgp,
    pub cache: Cache,
    pub api: ApiEnv,
    pub reactor: Reactor,
    pub profile: Profile,
    pub pdb_enable: bool,
    pub debug: Debug,
}

impl Default for Env {
    fn default() -> Env {
        Env {
            daemon: Daemon {
                pid: String::new(),
                user: "nobody".into(),
                daemonize: false,
                drop: true,
                umask: 0o137,
            },
            log: Log {
                enable: true,
                level: "INFO".into(),
                destination: "stdout".into(),
                all: false,
                configuration: true,
                reactor: true,
                daemon: true,
                processes: true,
                network: true,
                statistics: true,
                packets: false,
                rib: false,
                message: false,
                timers: false,
                routes: false,
                parser: false,
                short: true,
            },
            tcp: Tcp {
                once: false,
                attempts: 0,
                delay: 0,
                bind: Vec::new(),
                port: 179,
                acl: false,
            },
            bgp: Bgp {
                passive: false,
                openwait: 60,
                paths_limit_audit: true,
                send_hold_time: DEFAULT_SEND_HOLD_TIME,
            },
            cache: Cache {
                attributes: true,
                nexthops: true,
            },
            api: ApiEnv {
                ack: true,
                chunk: 1,
                show_routes_format: "v1".into(),
                encoder: "json".into(),
                compact: false,
                respawn: true,
                terminate: false,
                cli: true,
                pipename: "exabgp".into(),
                socketname: "exabgp".into(),
                buffer: DEFAULT_API_BUFFER,
            },
            reactor: Reactor {
                speed: 1.0,
                shutdown_deadline: DEFAULT_SHUTDOWN_DEADLINE,
            },
            profile: Profile {
                enable: false,
                file: String::new(),
            },
            pdb_enable: false,
            debug: Debug::default(),
        }
    }
}

/// `exabgp.bgp.send_hold_time`'s default: RFC 9687's 8 minutes.
pub const DEFAULT_SEND_HOLD_TIME: u32 = 480;
/// `exabgp.reactor.shutdown_deadline`'s default, in seconds.
pub const DEFAULT_SHUTDOWN_DEADLINE: f64 = 5.0;

/// `exabgp.api.buffer`'s default: 4 MiB of unread events per helper.
pub const DEFAULT_API_BUFFER: usize = 4 * 1024 * 1024;
/// The smallest `exabgp.api.buffer` (a few large events).
pub const MIN_API_BUFFER: usize = 64 * 1024;

/// A setting that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvError {
    /// The ini file could not be read.
    Io { file: String, reason: String },
    /// An ini line that is neither a section, a `key = value` nor a comment.
    Syntax {
        file: String,
        line: usize,
        found: String,
    },
    /// A key that does not exist (ini files only; stray variables are ignored).
    UnknownKey {
        origin: String,
        name: String,
        suggestion: Option<&'static str>,
    },
    /// A value of the wrong type.
    InvalidValue {
        origin: String,
        name: String,
        found: String,
        expected: &'static str,
    },
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvError::Io { file, reason } => write!(f, "{file}: can not read the env file: {reason}"),
            EnvError::Syntax { file, line, found } => write!(
                f,
                "{file}:{line}: found \"{found}\", expected `[exabgp.section]`, `key = value` or a comment"
            ),
            EnvError::UnknownKey {
                origin,
                name,
                suggestion,
            } => {
                write!(f, "{origin}: found unknown setting \"{name}\"")?;
                match suggestion {
                    Some(s) => write!(f, ", did you mean \"{s}\"?"),
                    None => Ok(()),
                }
            }
            EnvError::InvalidValue {
                origin,
                name,
                found,
                expected,
            } => write!(f, "{origin}: found \"{found}\" for {name}, expected {expected}"),
        }
    }
}

impl std::error::Error for EnvError {}

/// Every printed setting, in the order of `exabgp env -e`.
pub const SETTINGS: &[(&str, &str)] = &[
    ("profile", "enable"),
    ("profile", "file"),
    ("pdb", "enable"),
    ("daemon", "pid"),
    ("daemon", "user"),
    ("daemon", "daemonize"),
    ("daemon", "drop"),
    ("daemon", "umask"),
    ("log", "enable"),
    ("log", "level"),
    ("log", "destination"),
    ("log", "all"),
    ("log", "configuration"),
    ("log", "reactor"),
    ("log", "daemon"),
    ("log", "processes"),
    ("log", "network"),
    ("log", "statistics"),
    ("log", "packets"),
    ("log", "rib"),
    ("log", "message"),
    ("log", "timers"),
    ("log", "routes"),
    ("log", "parser"),
    ("log", "short"),
    ("tcp", "once"),
    ("tcp", "attempts"),
    ("tcp", "delay"),
    ("tcp", "bind"),
    ("tcp", "port"),
    ("tcp", "acl"),
    ("bgp", "passive"),
    ("bgp", "openwait"),
    ("cache", "attributes"),
    ("cache", "nexthops"),
    ("api", "ack"),
    ("api", "chunk"),
    ("api", "show-routes-format"),
    ("api", "encoder"),
    ("api", "compact"),
    ("api", "respawn"),
    ("api", "terminate"),
    ("api", "cli"),
    ("api", "pipename"),
    ("reactor", "speed"),
];

/// Accepted but not printed by `exabgp env` (6.0 additions, aliases, developer switches).
const EXTRA_SETTINGS: &[(&str, &str)] = &[
    ("tcp", "connections"),
    ("bgp", "paths_limit_audit"),
    ("api", "socketname"),
    ("api", "version"),
    ("api", "buffer"),
    ("bgp", "send_hold_time"),
    ("reactor", "shutdown_deadline"),
    ("debug", "pdb"),
    ("debug", "memory"),
    ("debug", "configuration"),
    ("debug", "selfcheck"),
    ("debug", "route"),
    ("debug", "defensive"),
    ("debug", "rotate"),
    ("debug", "timing"),
];

const LEVELS: &[&str] = &[
    "FATAL", "CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "NOTSET", "EMERG", "ALERT", "CRIT",
    "ERR", "NOTICE", "WARN",
];

/// ExaBGP's boolean reading: true only for 1 yes on enable true.
fn env_bool(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "1" | "yes" | "on" | "enable" | "true"
    )
}

fn unquote(text: &str) -> &str {
    let t = text.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = t.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    t
}

fn quoted(text: &str) -> String {
    format!("'{text}'")
}

impl Env {
    /// Applies one `section.key = value`. `origin` names where it came from for errors.
    pub fn set(
        &mut self,
        section: &str,
        key: &str,
        raw: &str,
        origin: &str,
    ) -> Result<(), EnvError> {
        let value = unquote(raw);
        let name = format!("exabgp.{section}.{key}");
        let invalid = |expected: &'static str| EnvError::InvalidValue {
            origin: origin.to_string(),
            name: name.clone(),
            found: value.to_string(),
            expected,
        };
        let int = |max: u64| -> Result<u64, EnvError> {
            value
                .parse::<u64>()
                .ok()
                .filter(|v| *v <= max)
                .ok_or_else(|| invalid("a whole number"))
        };
        let b = env_bool(value);
        match (section, key) {
            ("profile", "enable") => self.profile.enable = b,
            ("profile", "file") => self.profile.file = value.to_string(),
            ("pdb", "enable") => self.pdb_enable = b,
            ("daemon", "pid") => self.daemon.pid = value.to_string(),
            ("daemon", "user") => self.daemon.user = value.to_string(),
            ("daemon", "daemonize") => self.daemon.daemonize = b,
            ("daemon", "drop") => self.daemon.drop = b,
            ("daemon", "umask") => {
                let digits = value
                    .strip_prefix("0o")
                    .or_else(|| value.strip_prefix("0O"))
                    .unwrap_or(value);
                self.daemon.umask = u32::from_str_radix(digits, 8)
                    .ok()
                    .filter(|v| *v <= 0o777)
                    .ok_or_else(|| invalid("an octal umask such as 0137"))?;
            }
            ("log", "enable") => self.log.enable = b,
            ("log", "level") => {
                let upper = value.to_ascii_uppercase();
                if !LEVELS.contains(&upper.as_str()) {
                    return Err(invalid("a log level: FATAL CRITICAL ERROR WARNING INFO DEBUG NOTSET (or a syslog name)"));
                }
                self.log.level = upper;
            }
            ("log", "destination") => self.log.destination = value.to_string(),
            ("log", "all") => self.log.all = b,
            ("log", "configuration") => self.log.configuration = b,
            ("log", "reactor") => self.log.reactor = b,
            ("log", "daemon") => self.log.daemon = b,
            ("log", "processes") => self.log.processes = b,
            ("log", "network") => self.log.network = b,
            ("log", "statistics") => self.log.statistics = b,
            ("log", "packets") => self.log.packets = b,
            ("log", "rib") => self.log.rib = b,
            ("log", "message") => self.log.message = b,
            ("log", "timers") => self.log.timers = b,
            ("log", "routes") => self.log.routes = b,
            ("log", "parser") => self.log.parser = b,
            ("log", "short") => self.log.short = b,
            ("tcp", "once") => self.tcp.once = b,
            ("tcp", "attempts") | ("tcp", "connections") => {
                self.tcp.attempts = int(u64::from(u32::MAX))? as u32
            }
            ("tcp", "delay") => self.tcp.delay = int(u64::from(u32::MAX))? as u32,
            ("tcp", "bind") => {
                let mut addresses = Vec::new();
                for a in value.split_whitespace() {
                    if a.parse::<std::net::IpAddr>().is_err() {
                        return Err(invalid("space-separated IP addresses"));
                    }
                    addresses.push(a.to_string());
                }
                self.tcp.bind = addresses;
            }
            ("tcp", "port") => {
                self.tcp.port = value
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| invalid("a port 1..65535"))?
            }
            ("tcp", "acl") => self.tcp.acl = b,
            ("bgp", "passive") => self.bgp.passive = b,
            ("bgp", "openwait") => self.bgp.openwait = int(u64::from(u32::MAX))? as u32,
            ("bgp", "paths_limit_audit") => self.bgp.paths_limit_audit = b,
            ("cache", "attributes") => self.cache.attributes = b,
            ("cache", "nexthops") => self.cache.nexthops = b,
            ("api", "ack") => self.api.ack = b,
            ("api", "chunk") => self.api.chunk = int(u64::from(u32::MAX))? as u32,
            ("api", "show-routes-format") => match value {
                "v1" | "v2" => self.api.show_routes_format = value.to_string(),
                _ => return Err(invalid("v1 or v2")),
            },
            ("api", "encoder") => match value {
                "json" | "text" => self.api.encoder = value.to_string(),
                _ => return Err(invalid("json or text")),
            },
            ("api", "compact") => self.api.compact = b,
            ("api", "respawn") => self.api.respawn = b,
            ("api", "terminate") => self.api.terminate = b,
            ("api", "cli") => self.api.cli = b,
            ("api", "pipename") => self.api.pipename = value.to_string(),
            ("api", "socketname") => self.api.socketname = value.to_string(),
            ("api", "buffer") => {
                self.api.buffer = value
                    .parse::<usize>()
                    .ok()
                    .filter(|v| *v >= MIN_API_BUFFER)
                    .ok_or_else(|| invalid("a number of bytes, at least 65536"))?
            }
            ("api", "version") => {
                int(6)?;
            }
            ("bgp", "send_hold_time") => self.bgp.send_hold_time = int(u64::from(u32::MAX))? as u32,
            ("reactor", "shutdown_deadline") => {
                self.reactor.shutdown_deadline = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
                    .ok_or_else(|| invalid("a positive number of seconds, at most 3600"))?
            }
            ("reactor", "speed") => {
                self.reactor.speed = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| invalid("a positive number of seconds"))?
            }
            ("debug", "pdb") => self.debug.pdb = b,
            ("debug", "memory") => self.debug.memory = b,
            ("debug", "configuration") => self.debug.configuration = b,
            ("debug", "selfcheck") => self.debug.selfcheck = b,
            ("debug", "route") => self.debug.route = value.to_string(),
            ("debug", "defensive") => self.debug.defensive = b,
            ("debug", "rotate") => self.debug.rotate = b,
            ("debug", "timing") => self.debug.timing = b,
            _ => {
                let all: Vec<&'static str> = SETTINGS
                    .iter()
                    .chain(EXTRA_SETTINGS)
                    .map(|(_, k)| *k)
                    .collect();
                return Err(EnvError::UnknownKey {
                    origin: origin.to_string(),
                    name,
                    suggestion: super::error::suggest(key, &all),
                });
            }
        }
        Ok(())
    }

    /// The value as `exabgp env` prints it.
    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        let b = |v: bool| v.to_string();
        Some(match (section, key) {
            ("profile", "enable") => b(self.profile.enable),
            ("profile", "file") => quoted(&self.profile.file),
            ("pdb", "enable") => b(self.pdb_enable),
            ("daemon", "pid") => quoted(&self.daemon.pid),
            ("daemon", "user") => quoted(&self.daemon.user),
            ("daemon", "daemonize") => b(self.daemon.daemonize),
            ("daemon", "drop") => b(self.daemon.drop),
            ("daemon", "umask") => quoted(&format!("0o{:o}", self.daemon.umask)),
            ("log", "enable") => b(self.log.enable),
            ("log", "level") => self.log.level.clone(),
            ("log", "destination") => quoted(&self.log.destination),
            ("log", "all") => b(self.log.all),
            ("log", "configuration") => b(self.log.configuration),
            ("log", "reactor") => b(self.log.reactor),
            ("log", "daemon") => b(self.log.daemon),
            ("log", "processes") => b(self.log.processes),
            ("log", "network") => b(self.log.network),
            ("log", "statistics") => b(self.log.statistics),
            ("log", "packets") => b(self.log.packets),
            ("log", "rib") => b(self.log.rib),
            ("log", "message") => b(self.log.message),
            ("log", "timers") => b(self.log.timers),
            ("log", "routes") => b(self.log.routes),
            ("log", "parser") => b(self.log.parser),
            ("log", "short") => b(self.log.short),
            ("tcp", "once") => b(self.tcp.once),
            ("tcp", "attempts") => self.tcp.attempts.to_string(),
            ("tcp", "delay") => self.tcp.delay.to_string(),
            ("tcp", "bind") => quoted(&self.tcp.bind.join(" ")),
            ("tcp", "port") => self.tcp.port.to_string(),
            ("tcp", "acl") => b(self.tcp.acl),
            ("bgp", "passive") => b(self.bgp.passive),
            ("bgp", "openwait") => self.bgp.openwait.to_string(),
            ("cache", "attributes") => b(self.cache.attributes),
            ("cache", "nexthops") => b(self.cache.nexthops),
            ("api", "ack") => b(self.api.ack),
            ("api", "chunk") => self.api.chunk.to_string(),
            ("api", "show-routes-format") => self.api.show_routes_format.clone(),
            ("api", "encoder") => self.api.encoder.clone(),
            ("api", "compact") => b(self.api.compact),
            ("api", "respawn") => b(self.api.respawn),
            ("api", "terminate") => b(self.api.terminate),
            ("api", "cli") => b(self.api.cli),
            ("api", "pipename") => quoted(&self.api.pipename),
            ("api", "buffer") => self.api.buffer.to_string(),
            ("bgp", "send_hold_time") => self.bgp.send_hold_time.to_string(),
            ("reactor", "speed") => format!("{:?}", self.reactor.speed),
            ("reactor", "shutdown_deadline") => format!("{:?}", self.reactor.shutdown_deadline),
            _ => return None,
        })
    }

    /// Applies an ini file's text (`[exabgp.section]` then `key = value`).
    pub fn apply_ini(&mut self, text: &str, file: &str) -> Result<(), EnvError> {
        let mut section: Option<String> = None;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let origin = format!("{file}:{}", index + 1);
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let name = name.trim();
                section = Some(name.strip_prefix("exabgp.").unwrap_or(name).to_string());
                continue;
            }
            let (Some(sec), Some((key, value))) = (section.as_deref(), line.split_once('=')) else {
                return Err(EnvError::Syntax {
                    file: file.to_string(),
                    line: index + 1,
                    found: line.to_string(),
                });
            };
            self.set(sec, key.trim(), value, &origin)?;
        }
        Ok(())
    }

    /// Applies environment variables through `lookup`: `exabgp_s_k` first, then the
    /// higher-priority `exabgp.s.k`.
    pub fn apply_vars(&mut self, lookup: &dyn Fn(&str) -> Option<String>) -> Result<(), EnvError> {
        for (section, key) in SETTINGS.iter().chain(EXTRA_SETTINGS) {
            let underscore = format!("exabgp_{section}_{}", key.replace('-', "_"));
            let dotted = format!("exabgp.{section}.{key}");
            for name in [underscore, dotted] {
                if let Some(value) = lookup(&name) {
                    self.set(
                        section,
                        key,
                        &value,
                        &format!("environment variable {name}"),
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Defaults, then the ini file (`env_file`, else $EXABGP_ENVFILE, else
    /// /etc/exabgp/exabgp.env when present), then the process environment.
    pub fn from_process(env_file: Option<&Path>) -> Result<Env, EnvError> {
        let mut env = Env::default();
        // An explicit --env-file must exist; like ExaBGP, a missing $EXABGP_ENVFILE or
        // default file is not an error.
        let path = env_file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("EXABGP_ENVFILE").map(Into::into))
            .unwrap_or_else(|| Path::new("/etc/exabgp/exabgp.env").to_path_buf());
        {
            let name = path.display().to_string();
            match std::fs::read(&path) {
                Ok(bytes) => env.apply_ini(&String::from_utf8_lossy(&bytes), &name)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && env_file.is_none() => {}
                Err(e) => {
                    return Err(EnvError::Io {
                        file: name,
                        reason: e.to_string(),
                    })
                }
            }
        }
        env.apply_vars(&|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))?;
        if env.tcp.once && env.tcp.attempts == 0 {
            env.tcp.attempts = 1;
        }
        Ok(env)
    }

    /// `exabgp env` output: ini sections (sorted), or `exabgp.s.k=v` lines with `as_env`;
    /// `diff` keeps only the values that differ from the defaults.
    pub fn render(&self, diff: bool, as_env: bool) -> String {
        let defaults = Env::default();
        let changed = |s: &str, k: &str| !diff || self.get(s, k) != defaults.get(s, k);
        let mut out = String::new();
        if as_env {
            for (s, k) in SETTINGS {
                if changed(s, k) {
                    out.push_str(&format!(
                        "exabgp.{s}.{k}={}\n",
                        self.get(s, k).unwrap_or_default()
                    ));
                }
            }
            return out;
        }
        let mut sections: Vec<&str> = SETTINGS.iter().map(|(s, _)| *s).collect();
        sections.sort_unstable();
        sections.dedup();
        for section in sections {
            let mut keys: Vec<&str> = SETTINGS
                .iter()
                .filter(|(s, k)| *s == section && changed(s, k))
                .map(|(_, k)| *k)
                .collect();
            if keys.is_empty() {
                continue;
            }
            keys.sort_unstable();
            out.push_str(&format!("\n[exabgp.{section}]\n"));
            for k in keys {
                out.push_str(&format!(
                    "{k} = {}\n",
                    self.get(section, k).unwrap_or_default()
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_render_like_exabgp() {
        let text = Env::default().render(false, false);
        assert!(text.starts_with("\n[exabgp.api]\nack = true\nchunk = 1\n"));
        assert!(text.contains("umask = '0o137'\n"));
        assert!(text.contains("speed = 1.0\n"));
        assert!(text.contains("[exabgp.tcp]\nacl = false\nattempts = 0\nbind = ''\n"));
        assert_eq!(Env::default().render(true, false), "");
    }

    #[test]
    fn precedence_dotted_over_underscore_over_ini() {
        let mut env = Env::default();
        env.apply_ini("[exabgp.tcp]\nport = 1000\nbind = '127.0.0.1'\n", "x.env")
            .unwrap();
        assert_eq!(env.tcp.port, 1000);
        let vars = |name: &str| match name {
            "exabgp_tcp_port" => Some("1790".to_string()),
            "exabgp.tcp.bind" => Some("127.0.0.1 ::1".to_string()),
            "exabgp_tcp_bind" => Some("1.1.1.1".to_string()),
            "exabgp_api_show_routes_format" => Some("v2".to_string()),
            _ => None,
        };
        env.apply_vars(&vars).unwrap();
        assert_eq!(env.tcp.port, 1790);
        assert_eq!(env.tcp.bind, vec!["127.0.0.1", "::1"]);
        assert_eq!(env.api.show_routes_format, "v2");
        assert_eq!(
            env.render(true, true),
            "exabgp.tcp.bind='127.0.0.1 ::1'\nexabgp.tcp.port=1790\nexabgp.api.show-routes-format=v2\n"
        );
    }

    #[test]
    fn values() {
        let mut env = Env::default();
        env.set("daemon", "umask", "0o022", "t").unwrap();
        assert_eq!(env.daemon.umask, 0o22);
        env.set("log", "level", "debug", "t").unwrap();
        assert_eq!(env.log.level, "DEBUG");
        env.set("log", "short", "maybe", "t").unwrap();
        assert!(!env.log.short);
        assert!(env.set("tcp", "port", "abc", "t").is_err());
        assert!(env.set("log", "level", "LOUD", "t").is_err());
        assert!(matches!(
            env.set("tcp", "prto", "1", "t"),
            Err(EnvError::UnknownKey {
                suggestion: Some("port"),
                ..
            })
        ));
        assert!(env.apply_ini("port = 1\n", "f").is_err());
    }

    #[test]
    fn the_helper_buffer_is_a_byte_count_with_a_floor() {
        let mut env = Env::default();
        assert_eq!(env.api.buffer, DEFAULT_API_BUFFER);
        env.set("api", "buffer", "1048576", "t").unwrap();
        assert_eq!(env.api.buffer, 1 << 20);
        assert_eq!(env.get("api", "buffer").as_deref(), Some("1048576"));
        assert!(
            env.set("api", "buffer", "100", "t").is_err(),
            "below the floor"
        );
        assert!(env.set("api", "buffer", "4M", "t").is_err());
        env.apply_vars(&|name: &str| (name == "exabgp_api_buffer").then(|| "65536".to_string()))
            .unwrap();
        assert_eq!(env.api.buffer, MIN_API_BUFFER);
    }

    #[test]
    fn send_hold_time_and_shutdown_deadline_are_rexas_own() {
        let mut env = Env::default();
        assert_eq!(env.bgp.send_hold_time, DEFAULT_SEND_HOLD_TIME);
        assert_eq!(env.reactor.shutdown_deadline, DEFAULT_SHUTDOWN_DEADLINE);
        env.set("bgp", "send_hold_time", "0", "t").unwrap();
        assert_eq!(env.bgp.send_hold_time, 0);
        assert_eq!(env.get("bgp", "send_hold_time").as_deref(), Some("0"));
        assert!(env.set("bgp", "send_hold_time", "-1", "t").is_err());
        env.set("reactor", "shutdown_deadline", "2.5", "t").unwrap();
        assert_eq!(env.reactor.shutdown_deadline, 2.5);
        assert!(env.set("reactor", "shutdown_deadline", "0", "t").is_err());
        assert!(env.set("reactor", "shutdown_deadline", "nan", "t").is_err());
        env.apply_vars(&|name: &str| {
            (name == "exabgp_reactor_shutdown_deadline").then(|| "10".to_string())
        })
        .unwrap();
        assert_eq!(env.reactor.shutdown_deadline, 10.0);
    }
}
