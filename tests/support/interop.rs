//! Real BGP peers for interop tests: BIRD 2 and GoBGP started on their own loopback
//! address, port and run directory, queried through their CLIs, and stopped by PID.

#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Whether a peer binary is usable. Absent binaries skip the test loudly, unless
/// `REXA_REQUIRE_INTEROP=1` (set by `.ci/run`), where they fail it.
pub fn available(binary: &str) -> bool {
    let found = find_in_path(binary).is_some();
    if found {
        return true;
    }
    if std::env::var("REXA_REQUIRE_INTEROP").as_deref() == Ok("1") {
        panic!("{binary} is required (REXA_REQUIRE_INTEROP=1) but is not installed: apt-get install -y bird2 gobgpd");
    }
    eprintln!();
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!("!!! SKIPPED: interop test needs `{binary}`, which is not installed.");
    eprintln!(
        "!!! Install it (apt-get install -y bird2 gobgpd) or set REXA_REQUIRE_INTEROP=1 to fail."
    );
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    false
}

fn find_in_path(binary: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let extra = [PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")];
    std::env::split_paths(&path)
        .chain(extra)
        .map(|dir| dir.join(binary))
        .find(|candidate| candidate.is_file())
}

/// A fresh, empty run directory under the target directory, named after the test.
pub fn run_dir(name: &str) -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("interop")
        .join(name);
    let _ = fs::remove_dir_all(&base);
    fs::create_dir_all(&base).expect("create run directory");
    base
}

/// Polls `check` every 100 ms until it returns `Some`, for at most `limit`.
pub fn wait_for<T>(limit: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if start.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// True once something accepts TCP connections on `addr`.
pub fn listening(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// A child process stopped (SIGTERM, then SIGKILL) by its own PID when dropped.
pub struct Daemon {
    pub name: String,
    pub child: Child,
    pub dir: PathBuf,
}

impl Daemon {
    pub fn spawn(name: &str, dir: &Path, command: &mut Command) -> Daemon {
        // Appended to, so a daemon restarted in the same directory keeps its earlier log.
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{name}.log")))
            .expect("create log");
        let err = log.try_clone().expect("clone log handle");
        let child = command
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Daemon {
            name: name.to_owned(),
            child,
            dir: dir.to_owned(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The daemon's combined stdout and stderr so far.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = fs::File::open(self.dir.join(format!("{}.log", self.name))) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// Sends `signal` (a `kill` name such as `STOP`, `CONT`, `USR1`) to this process only.
    pub fn signal(&self, signal: &str) -> bool {
        Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Sends SIGTERM, waits up to 5 s, then SIGKILL. Idempotent.
    pub fn stop(&mut self) {
        let _ = self.terminate();
    }

    /// Sends SIGTERM and waits up to 5 s: the exit status when the process ended by itself
    /// (`None` when it had to be killed). Idempotent.
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let exited = wait_for(Duration::from_secs(5), || {
            self.child.try_wait().ok().flatten()
        });
        if exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        exited
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs a command to completion and returns its stdout (stderr appended on failure).
pub fn output(command: &mut Command) -> String {
    match command.output() {
        Ok(out) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            if !out.status.success() {
                text.push_str(&String::from_utf8_lossy(&out.stderr));
            }
            text
        }
        Err(e) => format!("cannot run {command:?}: {e}"),
    }
}

/// BIRD 2 bound to one loopback address, with its own control socket.
pub struct Bird {
    pub daemon: Daemon,
    pub socket: PathBuf,
}

impl Bird {
    /// Starts `bird -f` with `config` (a whole bird.conf) in `dir`; waits for its control socket.
    pub fn start(dir: &Path, config: &str) -> Bird {
        let conf = dir.join("bird.conf");
        fs::write(&conf, config).expect("write bird.conf");
        let socket = dir.join("bird.ctl");
        let daemon = Daemon::spawn(
            "bird",
            dir,
            Command::new("bird")
                .arg("-f")
                .arg("-c")
                .arg(&conf)
                .arg("-s")
                .arg(&socket)
                .arg("-P")
                .arg(dir.join("bird.pid")),
        );
        let mut bird = Bird { daemon, socket };
        let up = wait_for(Duration::from_secs(10), || {
            bird.birdc("show status")
                .contains("Daemon is up")
                .then_some(())
        });
        if up.is_none() {
            let log = bird.daemon.log();
            bird.daemon.stop();
            panic!("BIRD did not start; its log:\n{log}");
        }
        bird
    }

    pub fn birdc(&self, command: &str) -> String {
        output(
            Command::new("birdc")
                .arg("-s")
                .arg(&self.socket)
                .args(command.split_whitespace()),
        )
    }

    /// `show protocols all NAME` contains `Established`.
    pub fn established(&self, protocol: &str) -> bool {
        let text = self.birdc(&format!("show protocols {protocol}"));
        text.lines()
            .any(|l| l.starts_with(protocol) && l.contains("Established"))
    }
}

/// GoBGP's daemon bound to one loopback address, with its gRPC API on `api`.
pub struct Gobgp {
    pub daemon: Daemon,
    pub api_host: String,
    pub api_port: u16,
}

impl Gobgp {
    /// Starts `gobgpd` with `config` (TOML) in `dir`; waits for its API.
    pub fn start(dir: &Path, config: &str, api_host: &str, api_port: u16) -> Gobgp {
        let conf = dir.join("gobgpd.toml");
        fs::write(&conf, config).expect("write gobgpd.toml");
        let daemon = Daemon::spawn(
            "gobgpd",
            dir,
            Command::new("gobgpd")
                .arg("-f")
                .arg(&conf)
                .arg("-t")
                .arg("toml")
                .arg("--api-hosts")
                .arg(format!("{api_host}:{api_port}"))
                .arg("--pprof-disable")
                .arg("-p"),
        );
        let mut gobgp = Gobgp {
            daemon,
            api_host: api_host.to_owned(),
            api_port,
        };
        let api: SocketAddr = format!("{api_host}:{api_port}")
            .parse()
            .expect("api address");
        if wait_for(Duration::from_secs(10), || listening(api).then_some(())).is_none() {
            let log = gobgp.daemon.log();
            gobgp.daemon.stop();
            panic!("gobgpd did not start; its log:\n{log}");
        }
        gobgp
    }

    pub fn gobgp(&self, args: &str) -> String {
        output(
            Command::new("gobgp")
                .arg("-u")
                .arg(&self.api_host)
                .arg("-p")
                .arg(self.api_port.to_string())
                .args(args.split_whitespace()),
        )
    }

    /// The neighbor's session state as `gobgp neighbor ADDR` prints it contains `BGP state = established`.
    pub fn established(&self, neighbor: &str) -> bool {
        self.gobgp(&format!("neighbor {neighbor}"))
            .to_ascii_lowercase()
            .contains("bgp state = established")
    }
}

/// The rexa daemon under test: `rexa CONFIG` in its run directory, its stderr in
/// `rexa.log`, stopped by PID (SIGTERM) when dropped.
pub struct Rexa {
    pub daemon: Daemon,
    pub config: PathBuf,
}

impl Rexa {
    /// Writes `config` to `rexa.conf` in `dir` and starts the daemon with the environment
    /// variables `env` (ExaBGP's `exabgp_section_key` spelling); waits until it runs.
    pub fn start(dir: &Path, config: &str, env: &[(&str, &str)]) -> Rexa {
        let conf = dir.join("rexa.conf");
        fs::write(&conf, config).expect("write rexa.conf");
        let mut command = Command::new(env!("CARGO_BIN_EXE_rexa"));
        // As root, stay root: helpers write into the test directory, which the default
        // exabgp.daemon.user (nobody) may not reach; tests/daemon_privileges.rs covers the drop.
        command
            .arg(&conf)
            .current_dir(dir)
            .env("exabgp_daemon_user", "root");
        for (key, value) in env {
            command.env(key, value);
        }
        let mut rexa = Rexa {
            daemon: Daemon::spawn("rexa", dir, &mut command),
            config: conf,
        };
        let started = wait_for(Duration::from_secs(10), || {
            let up = rexa.log().contains(" running ");
            (up || !rexa.daemon.running()).then_some(up)
        });
        if started != Some(true) {
            let log = rexa.log();
            rexa.daemon.stop();
            panic!("rexa did not start; its log:\n{log}");
        }
        rexa
    }

    pub fn log(&self) -> String {
        self.daemon.log()
    }

    /// How many log lines contain `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.log().lines().filter(|l| l.contains(needle)).count()
    }

    /// Waits (at most `limit`) until at least `times` log lines contain `needle`.
    pub fn wait_log(&self, needle: &str, times: usize, limit: Duration) -> bool {
        wait_for(limit, || (self.count(needle) >= times).then_some(())).is_some()
    }

    /// The first log line containing every one of `needles`.
    pub fn line_with(&self, needles: &[&str]) -> Option<String> {
        self.log()
            .lines()
            .find(|l| needles.iter().all(|n| l.contains(n)))
            .map(str::to_owned)
    }

    /// SIGTERM by PID: the exit status when rexa exited within 5 s.
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        self.daemon.terminate()
    }
}

/// The blocks of BIRD's `show route ... all` output, one per route: the route line
/// (`10.0.0.0/24  unicast [...]`) followed by its indented attribute lines.
pub fn bird_route_blocks(text: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    let mut last_prefix = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indented = line.len() != trimmed.len();
        if trimmed.is_empty() || trimmed.starts_with("Table ") || trimmed.starts_with("BIRD ") {
            continue;
        }
        if !indented {
            // A route line; a second path for the same prefix starts without the prefix.
            let first = trimmed.split_whitespace().next().unwrap_or_default();
            if first.contains('/') {
                last_prefix = first.to_owned();
                blocks.push(trimmed.to_owned());
            } else {
                blocks.push(format!("{last_prefix} {trimmed}"));
            }
        } else if let Some(block) = blocks.last_mut() {
            block.push('\n');
            block.push_str(trimmed);
        }
    }
    blocks
}

/// The block of `prefix` in BIRD's `show route ... all` output.
pub fn bird_route(text: &str, prefix: &str) -> Option<String> {
    bird_route_blocks(text)
        .into_iter()
        .find(|b| b.split_whitespace().next() == Some(prefix))
}
