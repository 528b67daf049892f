//! The real `rexa` binary's life cycle on loopback (127.0.8.0/24, ports 18100-18199):
//! stop signals, reload, restart, signals during start-up, sd_notify and the command line.
//!
//! Peers are other rexa processes or a small raw BGP speaker built on `rexa::bgp`, so the
//! NOTIFICATION bytes rexa sends can be read exactly. Every process is stopped by PID and
//! every wait is bounded.

mod support {
    pub mod interop;
}

use std::fs;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rexa::bgp::capability::Capability;
use rexa::bgp::family::Family;
use rexa::bgp::message::{frame, Message};
use rexa::bgp::notification::{Notification, ShutdownCommunication};
use rexa::bgp::open::Open;
use rexa::bgp::Negotiated;

use support::interop::{run_dir, wait_for, Daemon};

/// How long a session may take to come up, or a daemon to react (generous: shared CI).
const LIMIT: Duration = Duration::from_secs(15);

fn rexa() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rexa"));
    // Running as root, rexa would drop to `nobody` (exabgp.daemon.user), which may not reach
    // the test directories; tests/daemon_privileges.rs covers the drop.
    command
        .env("exabgp_tcp_bind", "")
        .env("RUST_LOG", "info")
        .env("exabgp_daemon_user", "root");
    command
}

/// `127.0.8.<n>`.
fn ip(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 8, n)
}

/// One neighbor block. `connect`/`listen` are ports (0: not set).
struct Neighbor {
    peer: Ipv4Addr,
    local: Ipv4Addr,
    local_as: u32,
    peer_as: u32,
    connect: u16,
    listen: u16,
    passive: bool,
}

/// The same neighbor with another hold time (a changed definition).
fn with_hold_time(text: &str, seconds: u16) -> String {
    text.replacen("  family", &format!("  hold-time {seconds};\n  family"), 1)
}

impl Neighbor {
    fn text(&self) -> String {
        let mut text = format!(
            "neighbor {} {{\n  router-id {};\n  local-address {};\n  local-as {};\n  peer-as {};\n",
            self.peer, self.local, self.local, self.local_as, self.peer_as
        );
        if self.connect != 0 {
            text.push_str(&format!("  connect {};\n", self.connect));
        }
        if self.listen != 0 {
            text.push_str(&format!("  listen {};\n", self.listen));
        }
        if self.passive {
            text.push_str("  passive;\n");
        }
        text.push_str("  family { ipv4 unicast; }\n}\n");
        text
    }
}

fn config(neighbors: &[&Neighbor]) -> String {
    neighbors.iter().map(|n| n.text()).collect()
}

/// Sends `signal` (a name such as "TERM") to the daemon's PID.
fn signal(daemon: &Daemon, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(daemon.pid().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} failed");
}

/// Waits (bounded) for the daemon to exit and returns its exit code.
fn exit_code(daemon: &mut Daemon, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = daemon.child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Waits until `text` appears in the daemon's log (at least `count` times).
fn wait_log(daemon: &Daemon, text: &str, count: usize) -> bool {
    wait_for(LIMIT, || {
        (daemon.log().matches(text).count() >= count).then_some(())
    })
    .is_some()
}

/// A raw BGP speaker on one TCP connection, blocking with timeouts.
struct RawPeer {
    stream: TcpStream,
    input: Vec<u8>,
    ctx: Negotiated,
}

impl RawPeer {
    /// Accepts one connection on `listener` within `LIMIT`.
    fn accept(listener: &TcpListener) -> RawPeer {
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let stream = wait_for(LIMIT, || match listener.accept() {
            Ok((stream, _)) => Some(stream),
            Err(_) => None,
        })
        .expect("rexa did not connect to the raw peer");
        stream.set_nonblocking(false).expect("blocking stream");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("read timeout");
        RawPeer {
            stream,
            input: Vec::new(),
            ctx: Negotiated::default(),
        }
    }

    /// Connects from `local` to rexa listening at `remote`, retrying (bounded) until the
    /// listener exists.
    fn connect(local: Ipv4Addr, remote: SocketAddr) -> Option<RawPeer> {
        let stream = wait_for(LIMIT, || {
            let socket =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).ok()?;
            socket
                .bind(&SocketAddr::new(IpAddr::V4(local), 0).into())
                .ok()?;
            socket
                .connect_timeout(&remote.into(), Duration::from_secs(1))
                .ok()?;
            Some(TcpStream::from(socket))
        })?;
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("read timeout");
        Some(RawPeer {
            stream,
            input: Vec::new(),
            ctx: Negotiated::default(),
        })
    }

    /// The next message, or `None` on EOF / nothing within `limit`.
    fn read_message(&mut self, limit: Duration) -> Option<Message> {
        let start = Instant::now();
        let mut buf = [0u8; 4096];
        loop {
            if let Ok(Some(len)) = frame(&self.input, 4096) {
                let message = Message::decode_message(self.input.get(..len)?, &self.ctx).ok();
                self.input.drain(..len);
                return message;
            }
            if start.elapsed() >= limit {
                return None;
            }
            match self.stream.read(&mut buf) {
                Ok(0) => return None,
                Ok(n) => self.input.extend_from_slice(buf.get(..n)?),
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut
                        || e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
    }

    fn send(&mut self, message: &Message) {
        let bytes = message.to_bytes(&self.ctx);
        self.stream.write_all(&bytes).expect("write to rexa");
    }

    /// OPEN both ways, KEEPALIVE both ways: the session is Established on both sides.
    /// Returns rexa's OPEN.
    fn handshake(&mut self, asn: u32, router_id: Ipv4Addr) -> Open {
        let open = Open::new(
            asn,
            180,
            router_id,
            vec![
                Capability::Multiprotocol(Family::IPV4_UNICAST),
                Capability::FourOctetAs(asn),
            ],
        );
        self.send(&Message::Open(open));
        let theirs = match self.read_message(LIMIT) {
            Some(Message::Open(open)) => open,
            other => panic!("expected rexa's OPEN, got {other:?}"),
        };
        self.send(&Message::Keepalive);
        match self.read_message(LIMIT) {
            Some(Message::Keepalive) => {}
            other => panic!("expected rexa's KEEPALIVE, got {other:?}"),
        }
        theirs
    }

    /// Skips KEEPALIVEs and UPDATEs until a NOTIFICATION (or EOF / the limit).
    fn notification(&mut self) -> Option<Notification> {
        let start = Instant::now();
        while start.elapsed() < LIMIT {
            match self.read_message(LIMIT.saturating_sub(start.elapsed()))? {
                Message::Notification(n) => return Some(n),
                Message::Keepalive | Message::Update(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        None
    }

    /// True when nothing but KEEPALIVEs/UPDATEs arrives for `quiet` and the connection
    /// stays open (answering keepalives on the way).
    fn stays_up(&mut self, quiet: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < quiet {
            let before = self.input.len();
            match self.read_message(Duration::from_millis(200)) {
                Some(Message::Keepalive) | Some(Message::Update(_)) => {}
                Some(_) => return false,
                // Timeout with the connection open, or EOF: tell them apart.
                None => {
                    if self.input.len() == before && self.is_closed() {
                        return false;
                    }
                }
            }
        }
        true
    }

    fn is_closed(&self) -> bool {
        let mut byte = [0u8; 1];
        self.stream.set_nonblocking(true).expect("nonblocking peek");
        let closed = matches!(self.stream.peek(&mut byte), Ok(0))
            || matches!(self.stream.peek(&mut byte), Err(ref e) if e.kind() != io::ErrorKind::WouldBlock);
        self.stream.set_nonblocking(false).expect("blocking again");
        closed
    }
}

fn shutdown_text(notification: &Notification) -> Option<String> {
    match notification.shutdown_communication()? {
        ShutdownCommunication::Text { text, .. } => Some(text.to_owned()),
        _ => None,
    }
}

/// (a) A stop signal: both established peers get a Cease 6/2 with the RFC 9003 text,
/// rexa exits 0.
fn stop_signal_sends_cease(name: &str, sig: &str, base: u8, port: u16) {
    let dir = run_dir(&format!("lifecycle-{name}"));
    let (a, raw, b) = (ip(base), ip(base + 1), ip(base + 2));
    let raw_port = port;
    let b_port = port + 1;
    let listener = TcpListener::bind((raw, raw_port)).expect("bind raw peer");

    let b_conf = dir.join("b.conf");
    let to_a = Neighbor {
        peer: a,
        local: b,
        local_as: 65003,
        peer_as: 65001,
        connect: 0,
        listen: b_port,
        passive: true,
    };
    fs::write(&b_conf, config(&[&to_a])).expect("write b.conf");
    let rexa_b = Daemon::spawn("b", &dir, rexa().arg(&b_conf));
    assert!(wait_log(&rexa_b, "listening on", 1), "{}", rexa_b.log());

    let a_conf = dir.join("a.conf");
    let to_raw = Neighbor {
        peer: raw,
        local: a,
        local_as: 65001,
        peer_as: 65002,
        connect: raw_port,
        listen: 0,
        passive: false,
    };
    let to_b = Neighbor {
        peer: b,
        local: a,
        local_as: 65001,
        peer_as: 65003,
        connect: b_port,
        listen: 0,
        passive: false,
    };
    fs::write(&a_conf, config(&[&to_raw, &to_b])).expect("write a.conf");
    let mut rexa_a = Daemon::spawn("a", &dir, rexa().arg(&a_conf));

    let mut peer = RawPeer::accept(&listener);
    peer.handshake(65002, raw);
    assert!(
        wait_log(&rexa_a, &format!("neighbor {b}: session established"), 1),
        "rexa↔rexa session not up:\n{}",
        rexa_a.log()
    );
    assert!(wait_log(&rexa_b, "session established", 1));

    signal(&rexa_a, sig);
    let notification = peer.notification().expect("a NOTIFICATION on the raw peer");
    assert_eq!((notification.code, notification.subcode), (6, 2));
    assert_eq!(
        shutdown_text(&notification).as_deref(),
        Some("rexa shutting down")
    );
    assert_eq!(
        exit_code(&mut rexa_a, Duration::from_secs(5)),
        Some(0),
        "{}",
        rexa_a.log()
    );
    assert!(
        wait_log(
            &rexa_b,
            &format!(
                "neighbor {a}: received Cease / Administrative Shutdown / \
                 Shutdown Communication: \"rexa shutting down\""
            ),
            1
        ),
        "the rexa peer got no Cease 6/2:\n{}",
        rexa_b.log()
    );
}

/// Differs from ExaBGP 5.0.15 on purpose: at SIGTERM/SIGINT/SIGHUP ExaBGP closes its
/// sessions without a NOTIFICATION (reactor.md §6.2); rexa sends Cease 6/2 with an RFC 9003
/// shutdown communication, so that peers withdraw at once instead of waiting for their hold
/// timer (issue 11 point 9 asks for it at any scale).
#[test]
fn sigterm_sends_cease_with_shutdown_text_and_exits_0() {
    stop_signal_sends_cease("term", "TERM", 10, 18110);
}

#[test]
fn sigint_sends_cease_with_shutdown_text_and_exits_0() {
    stop_signal_sends_cease("int", "INT", 20, 18120);
}

#[test]
fn sighup_sends_cease_with_shutdown_text_and_exits_0() {
    stop_signal_sends_cease("hup", "HUP", 30, 18130);
}

/// (b) SIGUSR1: added neighbor starts, removed one gets a Cease, unchanged one keeps its
/// TCP connection; an invalid file is refused (file:line:col logged), the old one runs on.
#[test]
fn sigusr1_reload_applies_the_difference_and_refuses_invalid_files() {
    let dir = run_dir("lifecycle-reload");
    let a = ip(40);
    let (kept_ip, removed_ip, added_ip) = (ip(41), ip(42), ip(43));
    let kept_listener = TcpListener::bind((kept_ip, 18141)).expect("bind");
    let removed_listener = TcpListener::bind((removed_ip, 18142)).expect("bind");
    let added_listener = TcpListener::bind((added_ip, 18143)).expect("bind");
    let neighbor = |peer: Ipv4Addr, port: u16, peer_as: u32| Neighbor {
        peer,
        local: a,
        local_as: 65040,
        peer_as,
        connect: port,
        listen: 0,
        passive: false,
    };
    let kept = neighbor(kept_ip, 18141, 65041);
    let removed = neighbor(removed_ip, 18142, 65042);
    let added = neighbor(added_ip, 18143, 65043);
    let changed_ip = ip(45);
    let changed_listener = TcpListener::bind((changed_ip, 18145)).expect("bind");
    let changed = neighbor(changed_ip, 18145, 65045);

    let conf = dir.join("a.conf");
    fs::write(&conf, config(&[&kept, &removed, &changed])).expect("write config");
    let mut rexa_a = Daemon::spawn("a", &dir, rexa().arg(&conf));
    let mut kept_peer = RawPeer::accept(&kept_listener);
    kept_peer.handshake(65041, kept_ip);
    let kept_port = kept_peer.stream.peer_addr().expect("peer addr").port();
    let mut removed_peer = RawPeer::accept(&removed_listener);
    removed_peer.handshake(65042, removed_ip);
    let mut changed_peer = RawPeer::accept(&changed_listener);
    assert_eq!(changed_peer.handshake(65045, changed_ip).hold_time, 180);

    let reloaded = format!(
        "{}{}{}",
        kept.text(),
        added.text(),
        with_hold_time(&changed.text(), 90)
    );
    fs::write(&conf, reloaded).expect("rewrite config");
    signal(&rexa_a, "USR1");
    let cease = removed_peer
        .notification()
        .expect("the removed neighbor gets a NOTIFICATION");
    assert_eq!(
        (cease.code, cease.subcode),
        (6, 3),
        "Cease / Peer De-configured: {cease:?}"
    );
    let mut added_peer = RawPeer::accept(&added_listener);
    added_peer.handshake(65043, added_ip);
    assert!(wait_log(
        &rexa_a,
        &format!("neighbor {added_ip}: session established"),
        1
    ));
    // The changed neighbor: Cease, then a new session with the new definition.
    let cease = changed_peer
        .notification()
        .expect("the changed neighbor gets a NOTIFICATION");
    assert_eq!((cease.code, cease.subcode), (6, 3), "{cease:?}");
    let mut changed_again = RawPeer::accept(&changed_listener);
    assert_eq!(changed_again.handshake(65045, changed_ip).hold_time, 90);
    // The unchanged neighbor: same connection, same local port, no new connection.
    assert!(
        kept_peer.stays_up(Duration::from_secs(1)),
        "{}",
        rexa_a.log()
    );
    assert_eq!(
        kept_peer.stream.peer_addr().expect("peer addr").port(),
        kept_port
    );
    kept_listener.set_nonblocking(true).expect("nonblocking");
    assert!(
        kept_listener.accept().is_err(),
        "the unchanged neighbor reconnected"
    );
    assert_eq!(
        rexa_a
            .log()
            .matches(&format!("neighbor {kept_ip}: session established"))
            .count(),
        1
    );

    // An invalid file: refused with its position, nothing changes.
    fs::write(
        &conf,
        format!(
            "{}neighbor {} {{\n  bogus-keyword 1;\n}}\n",
            kept.text(),
            ip(44)
        ),
    )
    .expect("write invalid config");
    signal(&rexa_a, "USR1");
    assert!(
        wait_log(&rexa_a, "reload refused", 1),
        "invalid reload not refused:\n{}",
        rexa_a.log()
    );
    let log = rexa_a.log();
    let position = format!("{}:{}:3", conf.display(), kept.text().lines().count() + 2);
    assert!(log.contains(&position), "no {position} in:\n{log}");
    assert!(log.contains("bogus-keyword"), "{log}");
    assert!(kept_peer.stays_up(Duration::from_secs(1)));
    assert!(added_peer.stays_up(Duration::from_millis(200)));
    assert!(rexa_a.running());

    signal(&rexa_a, "TERM");
    assert_eq!(exit_code(&mut rexa_a, Duration::from_secs(5)), Some(0));
}

/// (b) A neighbor added by a reload with its own `listen` port gets its listener.
#[test]
fn sigusr1_opens_the_listener_of_an_added_neighbor() {
    let dir = run_dir("lifecycle-reload-listen");
    let (a, first_ip, added_ip) = (ip(94), ip(95), ip(96));
    let passive = |peer: Ipv4Addr, port: u16, peer_as: u32| Neighbor {
        peer,
        local: a,
        local_as: 65094,
        peer_as,
        connect: 0,
        listen: port,
        passive: true,
    };
    let first = passive(first_ip, 18194, 65095);
    let added = passive(added_ip, 18196, 65096);
    let conf = dir.join("a.conf");
    fs::write(&conf, config(&[&first])).expect("write config");
    let mut rexa_a = Daemon::spawn("a", &dir, rexa().arg(&conf));
    let mut first_peer =
        RawPeer::connect(first_ip, SocketAddr::new(IpAddr::V4(a), 18194)).expect("connect");
    first_peer.handshake(65095, first_ip);

    fs::write(&conf, config(&[&first, &added])).expect("rewrite config");
    signal(&rexa_a, "USR1");
    let mut added_peer = RawPeer::connect(added_ip, SocketAddr::new(IpAddr::V4(a), 18196))
        .unwrap_or_else(|| panic!("no listener for the added neighbor:\n{}", rexa_a.log()));
    added_peer.handshake(65096, added_ip);
    assert!(wait_log(
        &rexa_a,
        &format!("neighbor {added_ip}: session established"),
        1
    ));
    assert!(first_peer.stays_up(Duration::from_millis(300)));
    assert_eq!(
        rexa_a
            .log()
            .matches("listening on 127.0.8.94:18194")
            .count(),
        1
    );
    signal(&rexa_a, "TERM");
    assert_eq!(exit_code(&mut rexa_a, LIMIT), Some(0));
}

/// (c) SIGALRM: every session is reset and comes back; the Cease is ExaBGP 5.0.15's
/// `reestablish`: 6/3 with the text "Peer De-configured" (no length byte).
#[test]
fn sigalrm_resets_and_reestablishes_every_session() {
    let dir = run_dir("lifecycle-alrm");
    let (a, raw, b) = (ip(50), ip(51), ip(52));
    let listener = TcpListener::bind((raw, 18151)).expect("bind raw peer");
    let b_conf = dir.join("b.conf");
    let to_a = Neighbor {
        peer: a,
        local: b,
        local_as: 65052,
        peer_as: 65050,
        connect: 0,
        listen: 18152,
        passive: true,
    };
    fs::write(&b_conf, config(&[&to_a])).expect("write b.conf");
    let rexa_b = Daemon::spawn("b", &dir, rexa().arg(&b_conf));
    assert!(wait_log(&rexa_b, "listening on", 1));
    let to_raw = Neighbor {
        peer: raw,
        local: a,
        local_as: 65050,
        peer_as: 65051,
        connect: 18151,
        listen: 0,
        passive: false,
    };
    let to_b = Neighbor {
        peer: b,
        local: a,
        local_as: 65050,
        peer_as: 65052,
        connect: 18152,
        listen: 0,
        passive: false,
    };
    let a_conf = dir.join("a.conf");
    fs::write(&a_conf, config(&[&to_raw, &to_b])).expect("write a.conf");
    let mut rexa_a = Daemon::spawn("a", &dir, rexa().arg(&a_conf));
    let mut peer = RawPeer::accept(&listener);
    peer.handshake(65051, raw);
    assert!(wait_log(&rexa_b, "session established", 1));

    signal(&rexa_a, "ALRM");
    let reset = peer.notification().expect("a Cease on SIGALRM");
    assert_eq!((reset.code, reset.subcode), (6, 3), "{reset:?}");
    assert_eq!(reset.data, b"Peer De-configured".to_vec(), "{reset:?}");
    let mut again = RawPeer::accept(&listener);
    again.handshake(65051, raw);
    assert!(
        wait_log(&rexa_b, "session established", 2),
        "the rexa peer did not come back:\n{}",
        rexa_b.log()
    );
    assert!(
        rexa_b.log().contains("Peer De-configured"),
        "{}",
        rexa_b.log()
    );
    assert!(rexa_a.running());
    signal(&rexa_a, "TERM");
    assert_eq!(exit_code(&mut rexa_a, Duration::from_secs(5)), Some(0));
}

/// True once `pid` has a handler for `signal` (SigCgt in /proc/PID/status).
fn catches(pid: u32, signal: i32) -> bool {
    let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    let Some(mask) = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
    else {
        return false;
    };
    mask & (1u64 << (signal - 1)) != 0
}

/// (d) SIGUSR1 and SIGTERM sent while rexa is still reading a large configuration are
/// acted on once the loop runs: both seen, clean exit 0 (SIGUSR1's default action would
/// have killed the process).
#[test]
fn signals_during_start_up_are_not_lost() {
    let dir = run_dir("lifecycle-startup");
    // Many passive neighbors: parsing takes a while, nothing connects anywhere.
    let mut text = String::new();
    for n in 0..10_000u32 {
        let peer = Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 9, 0, 1)) + n);
        text.push_str(
            &Neighbor {
                peer,
                local: ip(60),
                local_as: 65060,
                peer_as: 65061,
                connect: 0,
                listen: 0,
                passive: true,
            }
            .text(),
        );
    }
    let conf = dir.join("big.conf");
    fs::write(&conf, text).expect("write config");
    let mut daemon = Daemon::spawn("startup", &dir, rexa().arg(&conf));
    let pid = daemon.pid();
    let installed = wait_for_fast(|| catches(pid, libc::SIGTERM) && catches(pid, libc::SIGUSR1));
    assert!(installed, "rexa never installed its signal handlers");
    signal(&daemon, "USR1");
    signal(&daemon, "TERM");
    // Sent while the configuration was still being read: no neighbor had started yet.
    let at_signal = daemon.log();
    assert!(
        !at_signal.contains("started"),
        "the signal came too late to test start-up:\n{at_signal}"
    );
    assert_eq!(
        exit_code(&mut daemon, LIMIT),
        Some(0),
        "exit after an early SIGTERM:\n{}",
        daemon.log()
    );
    let log = daemon.log();
    assert!(log.contains("received Shutdown"), "{log}");
    assert!(log.contains("received Reload"), "{log}");
    assert!(log.contains("rexa stopped"), "{log}");
}

/// Polls `check` every millisecond for at most 5 s.
fn wait_for_fast(mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

/// (e) sd_notify: READY=1 once listening, RELOADING=1 then READY=1 around a reload,
/// STOPPING=1 on shutdown.
#[test]
fn sd_notify_reports_ready_reloading_and_stopping() {
    let dir = run_dir("lifecycle-notify");
    let socket_path = dir.join("notify.sock");
    let receiver = UnixDatagram::bind(&socket_path).expect("bind notify socket");
    receiver
        .set_read_timeout(Some(LIMIT))
        .expect("read timeout");
    let listen = SocketAddr::new(IpAddr::V4(ip(70)), 18170);
    let neighbor = Neighbor {
        peer: ip(71),
        local: ip(70),
        local_as: 65070,
        peer_as: 65071,
        connect: 0,
        listen: 18170,
        passive: true,
    };
    let conf = dir.join("a.conf");
    fs::write(&conf, config(&[&neighbor])).expect("write config");
    let mut daemon = Daemon::spawn(
        "notify",
        &dir,
        rexa().arg(&conf).env("NOTIFY_SOCKET", &socket_path),
    );
    let mut buf = [0u8; 512];
    let mut next = || -> String {
        let n = receiver.recv(&mut buf).expect("a notify datagram");
        String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned()
    };
    assert_eq!(next(), "READY=1");
    // Ready means listening: a connection is accepted (then refused as unknown).
    assert!(TcpStream::connect_timeout(&listen, Duration::from_secs(2)).is_ok());

    signal(&daemon, "USR1");
    let reloading = next();
    assert!(
        reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="),
        "{reloading:?}"
    );
    assert_eq!(next(), "READY=1");

    signal(&daemon, "TERM");
    assert_eq!(next(), "STOPPING=1");
    assert_eq!(exit_code(&mut daemon, LIMIT), Some(0), "{}", daemon.log());
}

/// rexa raises its soft open-files limit to the hard limit (1,000 sessions need > 1024).
#[test]
fn rexa_raises_its_open_files_limit() {
    let dir = run_dir("lifecycle-fdlimit");
    let conf = dir.join("a.conf");
    let neighbor = Neighbor {
        peer: ip(81),
        local: ip(80),
        local_as: 65080,
        peer_as: 65081,
        connect: 0,
        listen: 0,
        passive: true,
    };
    fs::write(&conf, config(&[&neighbor])).expect("write config");
    let hard = fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            let line = l
                .lines()
                .find(|l| l.starts_with("Max open files"))?
                .to_owned();
            line.split_whitespace().nth(4).map(str::to_owned)
        })
        .expect("our own limits");
    let mut daemon = Daemon::spawn(
        "fdlimit",
        &dir,
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -Sn 256 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_rexa"))
            .arg(&conf)
            .env("exabgp_tcp_bind", "")
            .env("RUST_LOG", "debug"),
    );
    assert!(wait_log(&daemon, "running", 1), "{}", daemon.log());
    let limits = fs::read_to_string(format!("/proc/{}/limits", daemon.pid())).expect("limits");
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .expect("soft limit")
        .to_owned();
    let expected = if hard == "unlimited" {
        (1u64 << 20).to_string()
    } else {
        hard
    };
    assert_eq!(soft, expected, "{limits}");
    signal(&daemon, "TERM");
    assert_eq!(exit_code(&mut daemon, LIMIT), Some(0));
}

/// (f) The command line: missing or invalid configuration → exit 1 with a clear message;
/// `--help` → exit 0.
#[test]
fn command_line_errors_and_help() {
    let dir = run_dir("lifecycle-cli");
    let run = |args: &[&std::ffi::OsStr]| {
        rexa()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run rexa")
    };
    let missing = dir.join("missing.conf");
    let out = run(&[missing.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.conf"), "{stderr}");
    assert!(stderr.contains("No such file"), "{stderr}");

    let invalid = dir.join("invalid.conf");
    fs::write(&invalid, "neighbor 127.0.8.90 {\n  bogus-keyword 1;\n}\n").expect("write");
    let out = run(&[invalid.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2:3", invalid.display())),
        "{stderr}"
    );
    assert!(stderr.contains("bogus-keyword"), "{stderr}");

    let out = run(&["--help".as_ref()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"));

    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!out.stderr.is_empty());

    let out = run(&["--no-such-option".as_ref(), invalid.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
}
