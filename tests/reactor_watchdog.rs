//! systemd's watchdog: with `$WATCHDOG_USEC` set, the reactor sends `WATCHDOG=1` to
//! `$NOTIFY_SOCKET` from its timer heap, every half interval, until it stops.
//! Its own test binary: it sets process-wide environment variables.

mod support {
    pub mod idle;
}

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use rexa::reactor::{EndpointId, Owner, Reactor, Signal};
use support::idle::Idle;

/// Collects the datagrams after each pass; stops the reactor once it has seen `wanted`
/// `WATCHDOG=1` (or after `limit`, a bound for a broken build, never reached otherwise).
struct Listener {
    socket: UnixDatagram,
    received: Vec<String>,
    wanted: usize,
    started: Instant,
    limit: Duration,
    passes: u64,
}

impl Listener {
    fn watchdogs(&self) -> usize {
        self.received.iter().filter(|m| *m == "WATCHDOG=1").count()
    }
}

impl Owner<Idle> for Listener {
    fn signal(&mut self, _: &mut Reactor<Idle>, _: Signal) {}
    fn event(&mut self, _: &mut Reactor<Idle>, _: EndpointId, _: ()) {}
    fn after_pass(&mut self, reactor: &mut Reactor<Idle>) {
        self.passes += 1;
        let mut buf = [0u8; 256];
        for _ in 0..64 {
            match self.socket.recv(&mut buf) {
                Ok(n) => self
                    .received
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned()),
                Err(_) => break,
            }
        }
        if self.watchdogs() >= self.wanted || self.started.elapsed() > self.limit {
            reactor.begin_shutdown();
        }
    }
}

#[test]
fn watchdog_pings_come_from_the_idle_loop_until_shutdown() {
    let dir = std::env::temp_dir().join(format!("rexa-reactor-watchdog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&path);
    let socket = UnixDatagram::bind(&path).unwrap();
    socket.set_nonblocking(true).unwrap();
    std::env::set_var("NOTIFY_SOCKET", &path);
    // 40 ms: a ping every 20 ms. WATCHDOG_PID names this process.
    std::env::set_var("WATCHDOG_USEC", "40000");
    std::env::set_var("WATCHDOG_PID", std::process::id().to_string());

    let mut reactor: Reactor<Idle> = Reactor::new(None).unwrap();
    reactor.add_endpoint(Idle);
    let mut listener = Listener {
        socket,
        received: Vec::new(),
        wanted: 4,
        started: Instant::now(),
        limit: Duration::from_secs(20),
        passes: 0,
    };
    reactor.run(&mut listener).unwrap();
    let mut buf = [0u8; 256];
    while let Ok(n) = listener.socket.recv(&mut buf) {
        listener
            .received
            .push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    std::env::remove_var("WATCHDOG_USEC");
    std::env::remove_var("WATCHDOG_PID");
    std::env::remove_var("NOTIFY_SOCKET");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);

    let received = &listener.received;
    assert_eq!(received.first().map(String::as_str), Some("READY=1"));
    assert!(listener.watchdogs() >= 4, "{received:?}");
    assert!(received.iter().any(|m| m == "STOPPING=1"), "{received:?}");
    // The idle loop slept between pings (it did not spin): a bounded number of passes.
    assert!(
        listener.passes < 1000,
        "{} passes for {} pings",
        listener.passes,
        listener.watchdogs()
    );
}

#[test]
fn no_watchdog_for_another_process() {
    // The period is computed from the values only: another pid gets nothing.
    let other = std::process::id().wrapping_add(1).to_string();
    assert_eq!(
        rexa::reactor::notify::watchdog_period(Some("40000"), Some(&other), std::process::id()),
        None
    );
}
