//! Scale benchmark: the real `rexa` binary holding 1,000 (and 10) BGP sessions over
//! loopback against a many-session test peer built on `rexa::bgp` and a mio loop.
//!
//! Measures the time until every session is Established (seen from the peer side), the
//! daemon's RSS once established, its idle CPU over a quiet window, and how fast a SIGTERM
//! ends them all with a Cease 6/2: every session must get its Cease and the daemon exit 0
//! within the shutdown deadline (`exabgp.reactor.shutdown_deadline`), or the bench fails
//! (exit code 1). Run with `cargo bench --bench sessions`.
//!
//! Environment:
//! * `REXA_BENCH_IDLE_SECS` — length of each idle-CPU window (default 60);
//! * `REXA_BENCH_SESSIONS` — the large scenario's session count (default 1000, max 60000);
//! * `REXA_BENCH_PORT` — the daemon's listening port (default 17179);
//! * `REXA_BENCH_REXA_PAIR=0` — skip the rexa↔rexa scenario (a second rexa with one active
//!   neighbor per address 127.2.x.y instead of the test peer);
//! * `REXA_BENCH_HOLD_TIME` — hold time of both sides (default 180: keepalives every 60 s;
//!   a shorter one puts more keepalive rounds into the idle window);
//! * `REXA_BENCH_SHUTDOWN_DEADLINE` — the daemon's shutdown deadline in seconds (default 5),
//!   asserted from SIGTERM to exit (with `SHUTDOWN_SLACK` for the bench's own polling);
//! * `REXA_BENCH_STOP=helper` — stop with a helper process's `shutdown` command instead
//!   of SIGTERM (the same Cease 6/2, deadline and exit code are asserted);
//! * `REXA_BENCH_RELOAD=1` — before the SIGTERM, reload a configuration without the second
//!   half of the neighbors: each of them must get a Cease 6/3 within the deadline.
//!
//! rexa listens on 127.1.0.1 with one passive neighbor per peer address 127.2.x.y; the
//! test peer opens one connection from each of these addresses.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use socket2::{Domain, Protocol, Socket, Type};

use rexa::bgp::capability::Capability;
use rexa::bgp::family::Family;
use rexa::bgp::message::{frame, Message};
use rexa::bgp::open::Open;
use rexa::bgp::Negotiated;

const DAEMON_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 1, 0, 1);
const DAEMON_AS: u32 = 65001;
const PEER_AS: u32 = 65002;
/// Hold time both sides offer by default (keepalives every 60 s, as in most deployments).
const DEFAULT_HOLD_TIME: u16 = 180;
/// Longest wait for all sessions to come up before the scenario is reported as failed.
const ESTABLISH_LIMIT: Duration = Duration::from_secs(60);
/// Longest wait for the daemon to exit after SIGTERM.
const EXIT_LIMIT: Duration = Duration::from_secs(10);
/// What the bench's own measurement may add to the daemon's shutdown deadline (signal
/// delivery, the 10 ms exit polling).
const SHUTDOWN_SLACK: Duration = Duration::from_millis(500);

/// The daemon's shutdown deadline this run sets and asserts.
fn shutdown_deadline() -> Duration {
    Duration::from_secs(env_number("REXA_BENCH_SHUTDOWN_DEADLINE", 5).clamp(1, 3600))
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The address the peer uses for session `index` (127.2.0.1, 127.2.0.2, ...).
fn peer_address(index: usize) -> Ipv4Addr {
    let n = index + 1;
    Ipv4Addr::new(127, 2, (n / 250) as u8, (n % 250 + 1) as u8)
}

fn write_config(path: &Path, sessions: usize, port: u16, hold_time: u16) -> io::Result<()> {
    let mut text = String::new();
    for index in 0..sessions {
        let peer = peer_address(index);
        text.push_str(&format!(
            "neighbor {peer} {{\n  router-id 10.1.0.1;\n  local-address {DAEMON_ADDRESS};\n  \
             local-as {DAEMON_AS};\n  peer-as {PEER_AS};\n  hold-time {hold_time};\n  passive;\n  \
             listen {port};\n  family {{ ipv4 unicast; }}\n}}\n"
        ));
    }
    fs::write(path, text)
}

/// `REXA_BENCH_STOP=helper`: the stop is a helper process's `shutdown` command, not SIGTERM.
fn stop_by_helper() -> bool {
    std::env::var("REXA_BENCH_STOP").as_deref() == Ok("helper")
}

/// With [`stop_by_helper`], appends a helper to the configuration that writes `shutdown`
/// once a line arrives on `dir/stop.fifo` (made here).
fn append_stopper(config: &Path, dir: &Path) -> io::Result<()> {
    if !stop_by_helper() {
        return Ok(());
    }
    let fifo = dir.join("stop.fifo");
    if !fifo.exists() {
        let made = Command::new("mkfifo").arg(&fifo).status()?;
        if !made.success() {
            return Err(io::Error::other("mkfifo failed"));
        }
    }
    let script = dir.join("stop.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\nread line < '{}'\necho shutdown\nexec sleep 60\n",
            fifo.display()
        ),
    )?;
    let made = Command::new("chmod").arg("+x").arg(&script).status()?;
    if !made.success() {
        return Err(io::Error::other("chmod failed"));
    }
    let mut text = fs::read_to_string(config)?;
    text.push_str(&format!(
        "process stopper {{\n  run {};\n  encoder text;\n}}\n",
        script.display()
    ));
    fs::write(config, text)
}

/// The active side of the rexa↔rexa scenario: one neighbor 127.1.0.1 per local address.
fn write_active_config(path: &Path, sessions: usize, port: u16, hold_time: u16) -> io::Result<()> {
    let mut text = String::new();
    for index in 0..sessions {
        let local = peer_address(index);
        text.push_str(&format!(
            "neighbor {DAEMON_ADDRESS} {{\n  router-id 10.2.0.1;\n  local-address {local};\n  \
             local-as {PEER_AS};\n  peer-as {DAEMON_AS};\n  hold-time {hold_time};\n  \
             connect {port};\n  family {{ ipv4 unicast; }}\n}}\n"
        ));
    }
    fs::write(path, text)
}

/// Where one test-peer connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    OpenSent,
    /// Their OPEN arrived; waiting for their KEEPALIVE.
    OpenConfirm,
    Established,
    /// Their NOTIFICATION arrived: (code, subcode).
    Notified(u8, u8),
    Closed,
}

struct Connection {
    stream: TcpStream,
    phase: Phase,
    input: Vec<u8>,
    output: Vec<u8>,
    established_at: Option<Instant>,
    /// The RFC 9003 text of a Cease 6/2, when one arrived.
    shutdown_text: Option<String>,
}

/// Many BGP sessions in one non-blocking loop.
struct TestPeer {
    poll: Poll,
    events: Events,
    connections: Vec<Connection>,
    ctx: Negotiated,
    open: Vec<u8>,
    keepalive: Vec<u8>,
    /// Peer-side problems (connect errors, unexpected messages), counted by kind.
    problems: HashMap<String, usize>,
}

impl TestPeer {
    fn new(hold_time: u16) -> io::Result<TestPeer> {
        let ctx = Negotiated::default();
        let open = Message::Open(Open::new(
            PEER_AS,
            hold_time,
            Ipv4Addr::new(10, 2, 0, 1),
            vec![
                Capability::Multiprotocol(Family::IPV4_UNICAST),
                Capability::FourOctetAs(PEER_AS),
            ],
        ))
        .to_bytes(&ctx);
        let keepalive = Message::Keepalive.to_bytes(&ctx);
        Ok(TestPeer {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            connections: Vec::new(),
            ctx,
            open,
            keepalive,
            problems: HashMap::new(),
        })
    }

    fn problem(&mut self, what: String) {
        *self.problems.entry(what).or_default() += 1;
    }

    /// Opens `count` connections to the daemon, one from each peer address.
    fn connect_all(&mut self, count: usize, port: u16) -> io::Result<()> {
        let remote = SocketAddr::new(IpAddr::V4(DAEMON_ADDRESS), port);
        for index in 0..count {
            let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
            socket.set_nonblocking(true)?;
            socket.set_nodelay(true)?;
            socket.bind(&SocketAddr::new(IpAddr::V4(peer_address(index)), 0).into())?;
            match socket.connect(&remote.into()) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                Err(e) => return Err(e),
            }
            let mut stream = TcpStream::from_std(socket.into());
            self.poll.registry().register(
                &mut stream,
                Token(self.connections.len()),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            self.connections.push(Connection {
                stream,
                phase: Phase::Connecting,
                input: Vec::new(),
                output: Vec::new(),
                established_at: None,
                shutdown_text: None,
            });
        }
        Ok(())
    }

    fn count(&self, phase: Phase) -> usize {
        self.connections.iter().filter(|c| c.phase == phase).count()
    }

    /// Runs the loop for at most `limit`, or until `done` says so.
    fn run(&mut self, limit: Duration, mut done: impl FnMut(&TestPeer) -> bool) -> io::Result<()> {
        let start = Instant::now();
        let mut buf = vec![0u8; 64 * 1024];
        while start.elapsed() < limit {
            if done(self) {
                return Ok(());
            }
            let left = limit.saturating_sub(start.elapsed());
            self.poll
                .poll(&mut self.events, Some(left.min(Duration::from_millis(200))))?;
            let ready: Vec<usize> = self.events.iter().map(|e| e.token().0).collect();
            for index in ready {
                self.service(index, &mut buf);
            }
        }
        Ok(())
    }

    /// Handles readiness on one connection: finish the connect, write, read, react.
    fn service(&mut self, index: usize, buf: &mut [u8]) {
        let Some(conn) = self.connections.get_mut(index) else {
            return;
        };
        if conn.phase == Phase::Closed {
            return;
        }
        if conn.phase == Phase::Connecting {
            match conn.stream.peer_addr() {
                Ok(_) => {
                    conn.phase = Phase::OpenSent;
                    conn.output.extend_from_slice(&self.open);
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    if let Ok(Some(error)) | Err(error) = conn.stream.take_error() {
                        conn.phase = Phase::Closed;
                        let what = format!("connect: {error}");
                        self.problem(what);
                    }
                    return;
                }
                Err(error) => {
                    conn.phase = Phase::Closed;
                    let what = format!("connect: {error}");
                    self.problem(what);
                    return;
                }
            }
        }
        // Read everything available (edge-triggered).
        let mut eof = false;
        loop {
            match conn.stream.read(buf) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => conn
                    .input
                    .extend_from_slice(buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    eof = true;
                    break;
                }
            }
        }
        let mut problems = Vec::new();
        let mut consumed = 0;
        loop {
            let rest = conn.input.get(consumed..).unwrap_or_default();
            let len = match frame(rest, 4096) {
                Ok(Some(len)) => len,
                Ok(None) => break,
                Err(error) => {
                    problems.push(format!("framing: {error:?}"));
                    eof = true;
                    break;
                }
            };
            let bytes = rest.get(..len).unwrap_or_default();
            consumed += len;
            match Message::decode_message(bytes, &self.ctx) {
                Ok(Message::Open(_)) if conn.phase == Phase::OpenSent => {
                    conn.phase = Phase::OpenConfirm;
                    conn.output.extend_from_slice(&self.keepalive);
                }
                Ok(Message::Keepalive) if conn.phase == Phase::OpenConfirm => {
                    conn.phase = Phase::Established;
                    conn.established_at = Some(Instant::now());
                }
                // Answer each keepalive so the daemon's hold timer never runs out.
                Ok(Message::Keepalive) => conn.output.extend_from_slice(&self.keepalive),
                Ok(Message::Update(_)) => {}
                Ok(Message::Notification(n)) => {
                    if let Some(rexa::bgp::notification::ShutdownCommunication::Text {
                        text, ..
                    }) = n.shutdown_communication()
                    {
                        conn.shutdown_text = Some(text.to_owned());
                    }
                    conn.phase = Phase::Notified(n.code, n.subcode);
                }
                Ok(other) => problems.push(format!("unexpected message type {}", other.kind())),
                Err(error) => problems.push(format!("decode: {error:?}")),
            }
        }
        conn.input.drain(..consumed);
        // Write what is pending.
        while !conn.output.is_empty() {
            match conn.stream.write(&conn.output) {
                Ok(n) => {
                    conn.output.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    eof = true;
                    break;
                }
            }
        }
        if eof && !matches!(conn.phase, Phase::Notified(..)) {
            conn.phase = Phase::Closed;
        }
        for problem in problems {
            self.problem(problem);
        }
    }
}

/// The daemon under test, stopped by its PID.
struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status();
    }

    /// SIGTERM, then SIGKILL after `EXIT_LIMIT`. Returns the exit code, if any.
    fn stop(&mut self) -> Option<i32> {
        if self.running() {
            self.signal("TERM");
        }
        let start = Instant::now();
        while start.elapsed() < EXIT_LIMIT {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts rexa on `config` with a soft open-files limit of 1024 (the common default), so
/// the run also shows whether rexa raises its own limit.
fn spawn_rexa(dir: &Path, name: &str, config: &Path) -> io::Result<Daemon> {
    let log = dir.join(format!("{name}.log"));
    let out = fs::File::create(&log)?;
    let err = out.try_clone()?;
    let child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -Sn 1024 2>/dev/null; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_rexa"))
        .arg(config)
        .env("exabgp_tcp_bind", "")
        .env("exabgp_daemon_user", "root")
        .env(
            "exabgp_reactor_shutdown_deadline",
            shutdown_deadline().as_secs().to_string(),
        )
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()?;
    Ok(Daemon { child, log })
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based over the whole line).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|t| *t > 0).unwrap_or(100)
}

/// A `/proc/PID/status` field in kB (VmRSS, VmHWM).
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The soft "Max open files" of `pid`.
fn open_files_limit(pid: u32) -> Option<String> {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3).map(str::to_owned)
}

fn open_fds(pid: u32) -> Option<usize> {
    Some(fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// What one scenario measured.
#[derive(Debug, Default)]
struct Figures {
    sessions: usize,
    established: usize,
    /// From spawning rexa until the last session was Established (peer side).
    from_spawn: Option<Duration>,
    /// From the first connect until the last session was Established.
    from_connect: Option<Duration>,
    rss_kb: Option<u64>,
    peak_rss_kb: Option<u64>,
    fd_limit: Option<String>,
    fds: Option<usize>,
    idle_window: Duration,
    idle_cpu_percent: Option<f64>,
    load_during_idle: String,
    still_established_after_idle: usize,
    ceases_with_text: usize,
    /// Neighbors the reload (SIGUSR1) removed: the second half.
    reload_removed: usize,
    /// Of those, sessions ended with a Cease 6/3 (peer de-configured).
    reload_ceases: usize,
    /// From SIGUSR1 until every removed session had its answer.
    reload_time: Option<Duration>,
    stop_time: Option<Duration>,
    exit_code: Option<i32>,
    problems: Vec<String>,
}

fn scenario(sessions: usize, port: u16, idle: Duration, hold_time: u16) -> io::Result<Figures> {
    let mut figures = Figures {
        sessions,
        idle_window: idle,
        ..Figures::default()
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-sessions-{sessions}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let config = dir.join("rexa.conf");
    write_config(&config, sessions, port, hold_time)?;
    append_stopper(&config, &dir)?;

    let spawned = Instant::now();
    let mut daemon = spawn_rexa(&dir, "rexa", &config)?;
    let pid = daemon.pid();
    // Wait (bounded) until the daemon runs, i.e. its listener exists.
    let mut ready = false;
    for _ in 0..1000 {
        if daemon.log_text().contains("running") {
            ready = true;
            break;
        }
        if !daemon.running() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if !ready {
        figures
            .problems
            .push(format!("rexa did not start; log:\n{}", daemon.log_text()));
        return Ok(figures);
    }

    let mut peer = TestPeer::new(hold_time)?;
    let connect_start = Instant::now();
    peer.connect_all(sessions, port)?;
    peer.run(ESTABLISH_LIMIT, |p| {
        p.count(Phase::Established) == sessions
            || p.connections.iter().all(|c| {
                matches!(
                    c.phase,
                    Phase::Established | Phase::Closed | Phase::Notified(..)
                )
            })
    })?;
    figures.established = peer.count(Phase::Established);
    if figures.established == sessions {
        let last = peer
            .connections
            .iter()
            .filter_map(|c| c.established_at)
            .max();
        if let Some(last) = last {
            figures.from_spawn = Some(last.duration_since(spawned));
            figures.from_connect = Some(last.duration_since(connect_start));
        }
    }
    // Let the daemon settle (its EOR, our keepalives) before the measurements.
    peer.run(Duration::from_millis(500), |_| false)?;
    figures.rss_kb = status_kb(pid, "VmRSS:");
    figures.peak_rss_kb = status_kb(pid, "VmHWM:");
    figures.fd_limit = open_files_limit(pid);
    figures.fds = open_fds(pid);

    let ticks_before = cpu_ticks(pid);
    let idle_start = Instant::now();
    peer.run(idle, |_| false)?;
    let elapsed = idle_start.elapsed();
    let ticks_after = cpu_ticks(pid);
    figures.load_during_idle = load_average();
    if let (Some(before), Some(after)) = (ticks_before, ticks_after) {
        let cpu = (after - before) as f64 / clock_ticks_per_second() as f64;
        figures.idle_cpu_percent = Some(100.0 * cpu / elapsed.as_secs_f64());
    }
    figures.still_established_after_idle = peer.count(Phase::Established);

    // With REXA_BENCH_RELOAD=1, a reload removing the second half of the neighbors: each
    // of them gets a Cease 6/3 within the shutdown deadline, the first half stays up.
    if !reload_half() {
        return stop_all(figures, daemon, peer, &dir);
    }
    let kept = sessions - sessions / 2;
    figures.reload_removed = sessions - kept;
    write_config(&config, kept, port, hold_time)?;
    append_stopper(&config, &dir)?;
    let reload_start = Instant::now();
    daemon.signal("USR1");
    peer.run(shutdown_deadline() + SHUTDOWN_SLACK, |p| {
        p.connections
            .iter()
            .skip(kept)
            .all(|c| matches!(c.phase, Phase::Closed | Phase::Notified(..)))
    })?;
    figures.reload_time = Some(reload_start.elapsed());
    figures.reload_ceases = peer
        .connections
        .iter()
        .skip(kept)
        .filter(|c| c.phase == Phase::Notified(6, 3))
        .count();
    stop_all(figures, daemon, peer, &dir)
}

/// `REXA_BENCH_RELOAD=1`: reload away half the neighbors before the SIGTERM.
fn reload_half() -> bool {
    std::env::var("REXA_BENCH_RELOAD").as_deref() == Ok("1")
}

/// SIGTERM and what it ended.
fn stop_all(
    mut figures: Figures,
    mut daemon: Daemon,
    mut peer: TestPeer,
    dir: &Path,
) -> io::Result<Figures> {
    // SIGTERM (or a helper's `shutdown`): every session should get a Cease 6/2 with the
    // shutdown text, rexa exit 0.
    let stop_start = Instant::now();
    if stop_by_helper() {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking: without the helper reading, this fails (ENXIO) instead of hanging.
        let mut fifo = fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(dir.join("stop.fifo"))?;
        fifo.write_all(b"go\n")?;
    } else {
        daemon.signal("TERM");
    }
    peer.run(EXIT_LIMIT, |p| {
        p.connections
            .iter()
            .all(|c| matches!(c.phase, Phase::Closed | Phase::Notified(..)))
    })?;
    figures.exit_code = daemon.stop();
    figures.stop_time = Some(stop_start.elapsed());
    figures.ceases_with_text = peer
        .connections
        .iter()
        .filter(|c| c.phase == Phase::Notified(6, 2) && c.shutdown_text.is_some())
        .count();
    let mut problems: Vec<String> = peer
        .problems
        .iter()
        .map(|(what, n)| format!("{n} × {what}"))
        .collect();
    problems.sort();
    figures.problems.extend(problems);
    Ok(figures)
}

/// What the rexa↔rexa scenario measured (index 0: the passive side, 1: the active side).
#[derive(Debug, Default)]
struct PairFigures {
    sessions: usize,
    established: [usize; 2],
    /// From spawning the active side until both logs show every session up.
    all_up: Option<Duration>,
    rss_kb: [Option<u64>; 2],
    idle_window: Duration,
    idle_cpu_percent: [Option<f64>; 2],
    load_during_idle: String,
    ceases_seen: usize,
    exit_codes: [Option<i32>; 2],
    problems: Vec<String>,
}

fn count_in_log(daemon: &Daemon, text: &str) -> usize {
    daemon.log_text().matches(text).count()
}

fn rexa_pair(
    sessions: usize,
    port: u16,
    idle: Duration,
    hold_time: u16,
) -> io::Result<PairFigures> {
    let mut figures = PairFigures {
        sessions,
        idle_window: idle,
        ..PairFigures::default()
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-rexa-pair-{sessions}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let passive_conf = dir.join("passive.conf");
    write_config(&passive_conf, sessions, port, hold_time)?;
    let active_conf = dir.join("active.conf");
    write_active_config(&active_conf, sessions, port, hold_time)?;

    let mut passive = spawn_rexa(&dir, "passive", &passive_conf)?;
    let mut ready = false;
    for _ in 0..1000 {
        if passive.log_text().contains("running") {
            ready = true;
            break;
        }
        if !passive.running() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if !ready {
        figures.problems.push(format!(
            "passive rexa did not start:\n{}",
            passive.log_text()
        ));
        return Ok(figures);
    }
    let spawned = Instant::now();
    let mut active = spawn_rexa(&dir, "active", &active_conf)?;
    let up = "session established";
    while spawned.elapsed() < ESTABLISH_LIMIT {
        if count_in_log(&active, up) >= sessions && count_in_log(&passive, up) >= sessions {
            figures.all_up = Some(spawned.elapsed());
            break;
        }
        if !active.running() || !passive.running() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    figures.established = [count_in_log(&passive, up), count_in_log(&active, up)];
    std::thread::sleep(Duration::from_millis(500));
    let pids = [passive.pid(), active.pid()];
    figures.rss_kb = pids.map(|pid| status_kb(pid, "VmRSS:"));

    let before = pids.map(cpu_ticks);
    let idle_start = Instant::now();
    std::thread::sleep(idle);
    let elapsed = idle_start.elapsed();
    let after = pids.map(cpu_ticks);
    figures.load_during_idle = load_average();
    for side in 0..2 {
        if let (Some(b), Some(a)) = (before[side], after[side]) {
            let cpu = (a - b) as f64 / clock_ticks_per_second() as f64;
            figures.idle_cpu_percent[side] = Some(100.0 * cpu / elapsed.as_secs_f64());
        }
    }
    let resets = count_in_log(&passive, "session down") + count_in_log(&active, "session down");
    if resets > 0 {
        figures.problems.push(format!(
            "{resets} session(s) went down during the idle window"
        ));
    }

    // Stopping the active side: the passive one logs a Cease 6/2 for every session.
    figures.exit_codes[1] = active.stop();
    let cease = "received Cease / Administrative Shutdown";
    let start = Instant::now();
    while start.elapsed() < EXIT_LIMIT && count_in_log(&passive, cease) < sessions {
        std::thread::sleep(Duration::from_millis(20));
    }
    figures.ceases_seen = count_in_log(&passive, cease);
    figures.exit_codes[0] = passive.stop();
    Ok(figures)
}

fn report_pair(f: &PairFigures) {
    let kb = |v: Option<u64>| v.map_or("-".into(), |v| format!("{v} kB"));
    let cpu = |v: Option<f64>| v.map_or("-".into(), |p| format!("{p:.3} %"));
    println!(
        "rexa↔rexa, {} sessions: established {}/{} (passive) {}/{} (active) after {} from \
         spawning the active side",
        f.sessions,
        f.established[0],
        f.sessions,
        f.established[1],
        f.sessions,
        seconds(f.all_up)
    );
    println!(
        "    RSS passive {} / active {}; idle CPU over {} s: passive {} / active {} \
         (load average {})",
        kb(f.rss_kb[0]),
        kb(f.rss_kb[1]),
        f.idle_window.as_secs(),
        cpu(f.idle_cpu_percent[0]),
        cpu(f.idle_cpu_percent[1]),
        f.load_during_idle
    );
    println!(
        "    SIGTERM to the active side: {} Cease 6/2 logged by the passive side; exit codes {} / {}",
        f.ceases_seen,
        f.exit_codes[0].map_or("-".into(), |c| c.to_string()),
        f.exit_codes[1].map_or("-".into(), |c| c.to_string())
    );
    for problem in &f.problems {
        println!("    problem: {problem}");
    }
}

fn seconds(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".into(), |d| format!("{:.3} s", d.as_secs_f64()))
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "MISSED"
    }
}

/// Every removed session got its Cease 6/3 at the reload, every other one its Cease 6/2 at
/// SIGTERM, and the daemon exited 0, each within the shutdown deadline.
fn shutdown_ok(f: &Figures) -> bool {
    f.ceases_with_text == f.sessions - f.reload_removed
        && f.reload_ceases == f.reload_removed
        && (!reload_half()
            || f.reload_time
                .is_some_and(|d| d <= shutdown_deadline() + SHUTDOWN_SLACK))
        && f.exit_code == Some(0)
        && f.stop_time
            .is_some_and(|d| d <= shutdown_deadline() + SHUTDOWN_SLACK)
}

fn report(all: &[Figures]) {
    println!();
    println!(
        "rexa sessions benchmark — {} cores, load average at the end {} (1, 5, 15 min)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    let rule = format!("{:-<118}", "");
    println!("{rule}");
    println!(
        "{:>8} | {:>11} | {:>22} | {:>17} | {:>15} | {:>21} | {:>16}",
        "sessions",
        "established",
        "all up (spawn/connect)",
        "RSS (peak)",
        "fds (limit)",
        "idle CPU (window)",
        "SIGTERM 6/2, exit"
    );
    if reload_half() {
        println!("(SIGTERM 6/2: the sessions left after a reload removed half of them with 6/3)");
    }
    println!("{rule}");
    for f in all {
        println!(
            "{:>8} | {:>11} | {:>22} | {:>17} | {:>15} | {:>21} | {:>16}",
            f.sessions,
            format!("{}/{}", f.established, f.sessions),
            format!("{} / {}", seconds(f.from_spawn), seconds(f.from_connect)),
            format!(
                "{} kB ({})",
                f.rss_kb.map_or("-".into(), |v| v.to_string()),
                f.peak_rss_kb.map_or("-".into(), |v| v.to_string())
            ),
            format!(
                "{} ({})",
                f.fds.map_or("-".into(), |v| v.to_string()),
                f.fd_limit.as_deref().unwrap_or("-")
            ),
            format!(
                "{} ({} s)",
                f.idle_cpu_percent
                    .map_or("-".into(), |p| format!("{p:.3} %")),
                f.idle_window.as_secs()
            ),
            format!(
                "{}, {}",
                f.ceases_with_text,
                f.exit_code.map_or("-".into(), |c| c.to_string())
            ),
        );
    }
    println!("{rule}");
    for f in all {
        let in_time = f.from_spawn.is_some_and(|d| d <= Duration::from_secs(5));
        let rss_ok = f.rss_kb.is_some_and(|kb| kb < 20 * 1024);
        let cpu_ok = f.idle_cpu_percent.is_some_and(|p| p < 1.0);
        println!(
            "{:>5} sessions: all established within 5 s {}, RSS < 20 MB {}, idle CPU < 1% {}; \
             load average during the idle window {}; {} still established after it; \
             reload removing {}: {} Cease 6/3 in {}; all closed {} after SIGTERM; \
             every Cease and exit 0 within the {} s shutdown deadline {}",
            f.sessions,
            verdict(in_time && f.established == f.sessions),
            verdict(rss_ok),
            verdict(cpu_ok),
            f.load_during_idle,
            f.still_established_after_idle,
            f.reload_removed,
            f.reload_ceases,
            seconds(f.reload_time),
            seconds(f.stop_time),
            shutdown_deadline().as_secs(),
            verdict(shutdown_ok(f))
        );
        for problem in &f.problems {
            println!("      problem: {problem}");
        }
    }
    println!("(rexa is started with a soft open-files limit of 1024 and raises it itself)");
}

fn main() {
    // `cargo test --benches` builds and runs bench targets with `--bench`-less arguments:
    // only a real `cargo bench` run (which passes `--bench`) does the work.
    if !std::env::args().any(|a| a == "--bench") {
        println!("sessions benchmark: run it with `cargo bench --bench sessions`");
        return;
    }
    let idle = Duration::from_secs(env_number("REXA_BENCH_IDLE_SECS", 60));
    let large = env_number("REXA_BENCH_SESSIONS", 1000).clamp(1, 60_000) as usize;
    let port = env_number("REXA_BENCH_PORT", 17179) as u16;
    let hold_time =
        env_number("REXA_BENCH_HOLD_TIME", u64::from(DEFAULT_HOLD_TIME)).clamp(3, 65_535) as u16;
    match rexa::sys::raise_fd_limit() {
        Ok((before, after)) => println!("bench open-files limit: {before} -> {after}"),
        Err(error) => println!("bench cannot raise its open-files limit: {error}"),
    }
    let mut all = Vec::new();
    for sessions in [10, large] {
        println!(
            "running {sessions} sessions (idle window {} s, hold time {hold_time} s)...",
            idle.as_secs()
        );
        match scenario(sessions, port, idle, hold_time) {
            Ok(figures) => all.push(figures),
            Err(error) => println!("{sessions} sessions: bench error: {error}"),
        }
    }
    report(&all);
    let shutdown_missed = all.iter().any(|f| !shutdown_ok(f));
    if std::env::var("REXA_BENCH_REXA_PAIR").as_deref() != Ok("0") {
        println!();
        println!(
            "running rexa against rexa, {large} sessions (idle window {} s)...",
            idle.as_secs()
        );
        match rexa_pair(large, port, idle, hold_time) {
            Ok(figures) => report_pair(&figures),
            Err(error) => println!("rexa↔rexa: bench error: {error}"),
        }
    }
    if shutdown_missed || all.len() < 2 {
        println!(
            "FAILED: a scenario did not end every session with a Cease 6/2 and exit 0 within \
             the {} s shutdown deadline",
            shutdown_deadline().as_secs()
        );
        std::process::exit(1);
    }
}
