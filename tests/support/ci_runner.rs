//! Runs one encoding `.ci` file end to end: the test peer listens, the daemon under test
//! (rexa, or ExaBGP 5 with `REXA_CI_DAEMON=exabgp`) starts on the file's configurations with
//! the environment of ExaBGP's harness, and the peer's verdict is reported.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::ci_peer::{CiPeer, DaemonWatch, PeerFailure};
use super::conformance::CiFile;
use super::interop::{run_dir, Daemon};

/// Where ExaBGP 5.0.15 is installed.
pub const EXABGP: &str = "/opt/exabgp5/bin/exabgp";

/// The daemon under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonKind {
    /// The `rexa` binary of this crate.
    Rexa,
    /// ExaBGP 5 (validates the test peer itself).
    Exabgp,
}

impl DaemonKind {
    /// `REXA_CI_DAEMON=exabgp` selects ExaBGP; anything else (or nothing) rexa.
    pub fn from_env() -> DaemonKind {
        match std::env::var("REXA_CI_DAEMON") {
            Ok(value) if value.eq_ignore_ascii_case("exabgp") => DaemonKind::Exabgp,
            _ => DaemonKind::Rexa,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DaemonKind::Rexa => "rexa",
            DaemonKind::Exabgp => "exabgp",
        }
    }

    /// The program and the arguments placed before the configuration files.
    fn command(self) -> Command {
        match self {
            DaemonKind::Rexa => {
                let mut command = Command::new(env!("CARGO_BIN_EXE_rexa"));
                // As root, stay root: the helpers write into the test directory
                // (tests/daemon_privileges.rs covers the drop to exabgp.daemon.user).
                command.env("exabgp_daemon_user", "root");
                command
            }
            DaemonKind::Exabgp => {
                let mut command = Command::new(EXABGP);
                command.arg("server");
                command
            }
        }
    }
}

/// The verdict on one file.
#[derive(Debug)]
pub enum CiOutcome {
    Pass,
    /// The test peer's report.
    Fail(PeerFailure),
    /// The daemon could not be started.
    NotStarted(String),
}

/// Everything known about one file's run.
#[derive(Debug)]
pub struct CiRun {
    pub name: String,
    pub daemon: DaemonKind,
    pub port: u16,
    pub outcome: CiOutcome,
    pub elapsed: Duration,
    /// The test peer's events, one per line.
    pub transcript: Vec<String>,
    /// The daemon's stdout and stderr.
    pub daemon_log: String,
    /// Helper programs named by the configurations that do not exist.
    pub missing_helpers: Vec<String>,
}

impl CiRun {
    pub fn passed(&self) -> bool {
        matches!(self.outcome, CiOutcome::Pass)
    }

    /// The failure with the peer's transcript and the end of the daemon's log.
    pub fn report(&self) -> String {
        let mut text = match &self.outcome {
            CiOutcome::Pass => return format!("{}: pass", self.name),
            CiOutcome::Fail(failure) => failure.to_string(),
            CiOutcome::NotStarted(reason) => format!("the daemon did not start: {reason}"),
        };
        if !self.missing_helpers.is_empty() {
            text.push_str(&format!(
                "\n  helper programs missing: {}",
                self.missing_helpers.join(", ")
            ));
        }
        if self.transcript.len() > 1 {
            text.push_str("\n  test peer transcript:");
            for line in self.transcript.iter().rev().take(12).rev() {
                text.push_str("\n    ");
                text.push_str(line);
            }
        }
        let log = self.daemon_log.trim();
        if !log.is_empty() {
            text.push_str(&format!("\n  {} log (last lines):", self.daemon.name()));
            let lines: Vec<&str> = log.lines().collect();
            for line in lines.iter().skip(lines.len().saturating_sub(log_lines())) {
                text.push_str("\n    ");
                text.push_str(line);
            }
        }
        text
    }
}

/// How many of the daemon's last log lines a report shows (`REXA_CI_LOG_LINES`, default 12).
fn log_lines() -> usize {
    std::env::var("REXA_CI_LOG_LINES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12)
}

/// The configuration's `run` programs that do not exist (ExaBGP's helper scripts under
/// `etc/exabgp/run/` are not shipped with the conformance data).
pub fn missing_helpers(configuration: &Path) -> Vec<String> {
    let Ok(text) = fs::read_to_string(configuration) else {
        return Vec::new();
    };
    let base = configuration.parent().unwrap_or(Path::new("."));
    text.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.strip_prefix("run "))
        .filter_map(|rest| rest.trim_end_matches(';').split_whitespace().next())
        .map(|program| program.trim_matches(|c| c == '"' || c == '\''))
        .filter(|program| {
            let path = Path::new(program);
            !(path.is_file() || base.join(path).is_file())
        })
        .map(str::to_owned)
        .collect()
}

/// The environment of ExaBGP's harness for a daemon connecting to `port`.
pub fn harness_environment(port: u16, tcp_connections: u32) -> Vec<(&'static str, String)> {
    vec![
        ("exabgp_tcp_port", port.to_string()),
        ("exabgp_tcp_connections", tcp_connections.to_string()),
        ("exabgp_api_cli", "false".to_owned()),
        ("exabgp_debug_rotate", "true".to_owned()),
        ("exabgp_debug_configuration", "true".to_owned()),
        ("exabgp_tcp_bind", String::new()),
        ("exabgp_log_enable", "false".to_owned()),
        ("exabgp_version", "5.0.0-0+test".to_owned()),
        ("exabgp_daemon_user", "root".to_owned()),
        ("exabgp_daemon_drop", "false".to_owned()),
    ]
}

/// Lets the test peer see the daemon's PID and its exit.
struct Watched<'a>(&'a mut Daemon);

impl DaemonWatch for Watched<'_> {
    fn pid(&self) -> Option<u32> {
        Some(self.0.pid())
    }

    fn exited(&mut self) -> Option<String> {
        match self.0.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("cannot wait for it: {e}")),
        }
    }
}

/// Runs `file` against `daemon`: the peer listens on `port` (0: any free port), the daemon
/// starts with the harness environment, the peer judges, the daemon is stopped by PID.
pub fn run_ci_file(file: &CiFile, daemon: DaemonKind, port: u16) -> CiRun {
    let started = Instant::now();
    let configurations: Vec<PathBuf> = file.configurations();
    let missing_helpers: Vec<String> = configurations
        .iter()
        .flat_map(|c| missing_helpers(c))
        .collect();
    let mut run = CiRun {
        name: file.name.clone(),
        daemon,
        port,
        outcome: CiOutcome::Pass,
        elapsed: Duration::ZERO,
        transcript: Vec::new(),
        daemon_log: String::new(),
        missing_helpers,
    };
    let peer = match CiPeer::bind(file, port) {
        Ok(peer) => peer,
        Err(failure) => {
            run.outcome = CiOutcome::Fail(failure);
            run.elapsed = started.elapsed();
            return run;
        }
    };
    run.port = peer.port();
    let stem = file.name.trim_end_matches(".ci");
    let dir = run_dir(&format!("ci-{}-{stem}", daemon.name()));
    let mut command = daemon.command();
    command.args(&configurations).current_dir(&dir);
    for (key, _) in std::env::vars_os() {
        let is_exabgp = key
            .to_str()
            .is_some_and(|k| k.to_ascii_lowercase().starts_with("exabgp"));
        if is_exabgp {
            command.env_remove(&key);
        }
    }
    for (key, value) in harness_environment(run.port, peer.options().tcp_connections) {
        command.env(key, value);
    }
    // The API scenarios' helpers are Python 3 (`#!/usr/bin/env python3`); the health-check
    // ones import ExaBGP's library, so ExaBGP's virtualenv comes first on the PATH.
    if let Some(bin) = Path::new(EXABGP).parent().filter(|bin| bin.is_dir()) {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![bin.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        if let Ok(joined) = std::env::join_paths(dirs) {
            command.env("PATH", joined);
        }
    }
    // REXA_CI_LOG=1: let the daemon log everything, to read in the failure report.
    if std::env::var("REXA_CI_LOG").is_ok_and(|v| v == "1") {
        command.env("exabgp_log_enable", "true");
        command.env("exabgp_log_all", "true");
        command.env("exabgp_log_level", "DEBUG");
    }
    if let DaemonKind::Exabgp = daemon {
        if !Path::new(EXABGP).is_file() {
            run.outcome = CiOutcome::NotStarted(format!("{EXABGP} is not installed"));
            run.elapsed = started.elapsed();
            return run;
        }
    }
    let mut process = Daemon::spawn(daemon.name(), &dir, &mut command);
    let report = peer.run(&mut Watched(&mut process));
    process.stop();
    run.daemon_log = process.log();
    run.transcript = report.transcript;
    if let Err(failure) = report.outcome {
        run.outcome = CiOutcome::Fail(failure);
    }
    run.elapsed = started.elapsed();
    run
}

/// Runs `files` with `jobs` workers; the result of file `i` is at index `i`.
pub fn run_all(files: &[&CiFile], daemon: DaemonKind, jobs: usize) -> Vec<CiRun> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<CiRun>>> = Mutex::new((0..files.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, files.len().max(1)) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(file) = files.get(index) else {
                    break;
                };
                let run = run_ci_file(file, daemon, 0);
                if let Ok(mut results) = results.lock() {
                    if let Some(slot) = results.get_mut(index) {
                        *slot = Some(run);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|run| run.expect("every file was run"))
        .collect()
}

/// `text` indented for a report.
pub fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("      {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The reason `table` gives for file `name`, if it lists it.
pub fn reason(table: &[(&str, &'static str)], name: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, why)| *why)
}

/// Files run at once: `REXA_CI_JOBS`, else `default`.
pub fn jobs_from_env(default: usize) -> usize {
    std::env::var("REXA_CI_JOBS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// As ExaBGP's harness does: what failed in the parallel run and should pass is run again
/// alone, so that load on a small machine cannot fail a file. Prints each retry.
pub fn retry_alone(
    files: &[&CiFile],
    runs: &mut [CiRun],
    daemon: DaemonKind,
    must_pass: impl Fn(&str) -> bool,
) {
    for (file, run) in files.iter().zip(runs.iter_mut()) {
        if run.passed() || !must_pass(&run.name) {
            continue;
        }
        let first = run.report();
        let again = run_ci_file(file, daemon, 0);
        println!(
            "{}: failed in the parallel run, retried alone: {}",
            again.name,
            if again.passed() { "pass" } else { "fail" }
        );
        if !again.passed() {
            println!("{}", indent(&first));
        }
        *run = again;
    }
}
