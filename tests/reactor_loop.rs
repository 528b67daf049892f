//! Integration tests of the reactor loop with scripted sessions over loopback: run-queue
//! order, poll timeouts, echo exchange, back-pressure, idle sleeping, MD5, shutdown.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use rexa::reactor::{
    BufferLimits, ConnectRequest, Disconnect, EndpointId, Incoming, Initiator, Link, Md5Key, Owner,
    Reactor, ReadBuffer, Signal, Step, TcpOptions,
};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Connected(SocketAddr, SocketAddr),
    Received(Vec<u8>),
    Closed(String),
}

/// A session driven by a script, for exercising the reactor only (no protocol).
#[derive(Default)]
struct Probe {
    name: &'static str,
    connect: Option<ConnectRequest>,
    accept_from: Option<IpAddr>,
    /// Accept every connection it is asked about (`accept_from` ignored).
    accept_any: bool,
    /// What `accepts_from` answers (the reactor's inbound index).
    indexed_from: Option<IpAddr>,
    reject_from: Option<IpAddr>,
    accept_options: TcpOptions,
    to_send: VecDeque<Vec<u8>>,
    echo: bool,
    close_after_replies: Option<usize>,
    replies: usize,
    bulk: Option<usize>,
    script: VecDeque<Step<String>>,
    deadlines: VecDeque<Instant>,
    events: VecDeque<Ev>,
    trace: Option<Rc<RefCell<Vec<&'static str>>>>,
    shutting_down: bool,
    finished: bool,
    /// Swallow every input byte, counting them (no framing).
    swallow: bool,
    swallowed: usize,
}

const BULK: [u8; 16 * 1024] = [0x55; 16 * 1024];

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![payload.len() as u8];
    out.extend_from_slice(payload);
    out
}

fn take_message(input: &mut ReadBuffer) -> Option<Vec<u8>> {
    let len = usize::from(*input.data().first()?);
    let body = input.data().get(1..1 + len)?.to_vec();
    input.consume(1 + len);
    Some(body)
}

impl rexa::reactor::Endpoint for Probe {
    type Reason = String;
    type Event = Ev;

    fn wants_connection(&mut self, _now: Instant) -> Option<ConnectRequest> {
        if self.shutting_down {
            return None;
        }
        self.connect
    }

    fn accepts_from(&self) -> Option<IpAddr> {
        self.indexed_from
    }

    fn incoming(&self, _now: Instant, _local: SocketAddr, remote: SocketAddr) -> Incoming {
        if self.reject_from == Some(remote.ip()) {
            return Incoming::Reject(b"collision");
        }
        if self.accept_any {
            return Incoming::Accept(self.accept_options);
        }
        match self.accept_from {
            Some(ip) if ip == remote.ip() => Incoming::Accept(self.accept_options),
            _ => Incoming::Refuse,
        }
    }

    fn connected(&mut self, _now: Instant, local: SocketAddr, remote: SocketAddr, _: Initiator) {
        self.events.push_back(Ev::Connected(local, remote));
    }

    fn closed(&mut self, _now: Instant, why: &Disconnect) {
        self.events.push_back(Ev::Closed(why.to_string()));
        self.connect = None;
    }

    fn step(&mut self, now: Instant, link: Option<Link<'_>>) -> Step<String> {
        // Timers run in the step (there is no separate call for them).
        while self.deadlines.front().is_some_and(|at| *at <= now) {
            self.deadlines.pop_front();
        }
        if let Some(trace) = &self.trace {
            trace.borrow_mut().push(self.name);
        }
        if let Some(step) = self.script.pop_front() {
            return step;
        }
        let Some(link) = link else { return Step::Wait };
        if self.swallow {
            self.swallowed += link.input.len();
            link.input.consume(link.input.len());
            return Step::Wait;
        }
        while let Some(message) = take_message(link.input) {
            if self.echo {
                link.output.push(&frame(&message));
            }
            self.events.push_back(Ev::Received(message));
            self.replies += 1;
        }
        if self.shutting_down {
            link.output.push(&frame(b"bye"));
            self.finished = true;
            return Step::Close("shutdown".to_string());
        }
        if self.close_after_replies.is_some_and(|n| self.replies >= n) {
            self.connect = None;
            return Step::Close("exchange done".to_string());
        }
        while let Some(message) = self.to_send.pop_front() {
            link.output.push(&frame(&message));
        }
        if let Some(size) = self.bulk {
            if link.output.has_room() {
                link.output.push(&BULK[..size.min(BULK.len())]);
            }
            return Step::Now;
        }
        Step::Wait
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.front().copied()
    }

    fn take_event(&mut self) -> Option<Ev> {
        self.events.pop_front()
    }

    fn shutdown(&mut self, _now: Instant) {
        self.shutting_down = true;
    }

    fn is_finished(&self) -> bool {
        self.finished && self.shutting_down
    }
}

#[derive(Default)]
struct Collector {
    events: Vec<(EndpointId, Ev)>,
    signals: Vec<Signal>,
}

impl Owner<Probe> for Collector {
    fn signal(&mut self, _reactor: &mut Reactor<Probe>, signal: Signal) {
        self.signals.push(signal);
    }
    fn event(&mut self, _reactor: &mut Reactor<Probe>, session: EndpointId, event: Ev) {
        self.events.push((session, event));
    }
}

impl Collector {
    fn of(&self, id: EndpointId) -> Vec<Ev> {
        self.events
            .iter()
            .filter(|(s, _)| *s == id)
            .map(|(_, e)| e.clone())
            .collect()
    }
}

/// Runs passes (each waiting at most 20 ms) until `done` or 400 passes.
fn run_until(
    reactor: &mut Reactor<Probe>,
    owner: &mut Collector,
    mut done: impl FnMut(&Reactor<Probe>, &Collector) -> bool,
) -> bool {
    for _ in 0..400 {
        reactor.dispatch(owner);
        if done(reactor, owner) {
            return true;
        }
        let timeout = reactor
            .poll_timeout(Instant::now())
            .map(|t| t.min(Duration::from_millis(20)));
        reactor
            .turn_with_timeout(timeout.or(Some(Duration::from_millis(20))))
            .unwrap();
    }
    reactor.dispatch(owner);
    done(reactor, owner)
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn now_runs_again_in_the_same_pass_and_later_after_a_poll() {
    let trace = Rc::new(RefCell::new(Vec::new()));
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let probe = |name, script: Vec<Step<String>>| Probe {
        name,
        script: script.into(),
        trace: Some(trace.clone()),
        ..Probe::default()
    };
    reactor.add_endpoint(probe("a", vec![Step::Now, Step::Wait]));
    reactor.add_endpoint(probe("b", vec![Step::Later, Step::Wait]));
    reactor.add_endpoint(probe("c", vec![Step::Wait]));
    reactor.turn_with_timeout(Some(Duration::ZERO)).unwrap();
    assert_eq!(*trace.borrow(), vec!["a", "b", "c", "a"]);
    assert_eq!(
        reactor.poll_timeout(Instant::now()),
        Some(Duration::ZERO),
        "b is LATER"
    );
    reactor.turn_with_timeout(Some(Duration::ZERO)).unwrap();
    assert_eq!(*trace.borrow(), vec!["a", "b", "c", "a", "b"]);
    assert_eq!(
        reactor.poll_timeout(Instant::now()),
        None,
        "all wait, no deadline: sleep"
    );
    assert_eq!(reactor.stats().polls, 2);
}

#[test]
fn poll_timeout_is_the_earliest_deadline_and_zero_only_with_queued_work() {
    let base = Instant::now();
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let far = reactor.add_endpoint(Probe {
        deadlines: [base + Duration::from_secs(30)].into(),
        ..Probe::default()
    });
    reactor.add_endpoint(Probe {
        deadlines: [base + Duration::from_secs(10)].into(),
        ..Probe::default()
    });
    assert_eq!(
        reactor.poll_timeout(base),
        Some(Duration::ZERO),
        "new sessions are queued"
    );
    reactor.turn_with_timeout(Some(Duration::ZERO)).unwrap();
    assert_eq!(reactor.poll_timeout(base), Some(Duration::from_secs(10)));
    reactor
        .with_endpoint(far, |probe, _| probe.script.push_back(Step::Wait))
        .unwrap();
    assert_eq!(
        reactor.poll_timeout(base),
        Some(Duration::ZERO),
        "an owner call queues the endpoint"
    );
    reactor.turn_with_timeout(Some(Duration::ZERO)).unwrap();
    assert_eq!(reactor.poll_timeout(base), Some(Duration::from_secs(10)));
}

/// Regression: an endpoint whose deadline only moves when it is stepped (as every one does)
/// once made `fire_timers` re-arm the same passed deadline and spin forever in one pass.
#[test]
fn a_deadline_that_moves_only_in_step_fires_once_and_the_pass_ends() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let base = Instant::now();
        let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
        reactor.add_endpoint(Probe {
            deadlines: [
                base + Duration::from_millis(20),
                base + Duration::from_secs(3600),
            ]
            .into(),
            ..Probe::default()
        });
        let mut passes = 0;
        while reactor.stats().ticks < 1 && passes < 50 {
            reactor.turn().unwrap();
            passes += 1;
        }
        let ticks = reactor.stats().ticks;
        let next = reactor.poll_timeout(Instant::now());
        let _ = done.send((ticks, next));
    });
    let (ticks, next) = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the reactor pass never ended: the timer loop spun");
    assert_eq!(ticks, 1);
    assert!(
        next.is_some_and(|t| t > Duration::from_secs(3000)),
        "the step re-armed the next deadline: {next:?}"
    );
}

#[test]
fn idle_sessions_sleep_in_poll_until_the_earliest_deadline() {
    let base = Instant::now();
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    // Five waiting sessions, three deadlines each, all distinct: 15 wake-ups are needed.
    for session in 0..5u64 {
        let deadlines = (1..=3u64)
            .map(|k| base + Duration::from_millis(10 * (5 * k + session)))
            .collect();
        reactor.add_endpoint(Probe {
            deadlines,
            ..Probe::default()
        });
    }
    // Bounded: each pass sleeps at most 200 ms; under heavy load overdue deadlines of one
    // session arrive as one tick, so the loop ends when no deadline is left.
    let mut passes = 0;
    let start = Instant::now();
    while reactor.stats().ticks < 15 && passes < 200 && start.elapsed() < Duration::from_secs(10) {
        let cap = Duration::from_millis(200);
        let Some(timeout) = reactor.poll_timeout(Instant::now()) else {
            break;
        };
        reactor.turn_with_timeout(Some(timeout.min(cap))).unwrap();
        passes += 1;
    }
    let stats = reactor.stats();
    assert!((5..=15).contains(&stats.ticks), "{stats:?}");
    // One initial pass for the new sessions, one per deadline; a deadline sharing a
    // millisecond with another, or a poll waking a hair early, may add a couple.
    assert!(
        stats.polls <= 1 + stats.ticks + 3,
        "{stats:?}: the loop spun instead of sleeping"
    );
    assert_eq!(reactor.poll_timeout(Instant::now()), None);
}

#[test]
fn echo_exchange_over_loopback_then_close() {
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let mut owner = Collector::default();
    let listen = reactor.listen("127.0.0.41:0".parse().unwrap()).unwrap();
    let server = reactor.add_endpoint(Probe {
        accept_from: Some(ip("127.0.0.42")),
        echo: true,
        ..Probe::default()
    });
    let client = reactor.add_endpoint(Probe {
        connect: Some(ConnectRequest {
            local: Some(ip("127.0.0.42")),
            remote: listen,
            options: TcpOptions::default(),
        }),
        to_send: [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()].into(),
        close_after_replies: Some(3),
        ..Probe::default()
    });
    let finished = run_until(&mut reactor, &mut owner, |_, owner| {
        owner.of(server).iter().any(|e| matches!(e, Ev::Closed(_)))
    });
    assert!(finished, "events: {:?}", owner.events);
    let server_events = owner.of(server);
    let client_events = owner.of(client);
    assert!(matches!(&client_events[0], Ev::Connected(local, remote)
        if local.ip() == ip("127.0.0.42") && *remote == listen));
    assert!(matches!(&server_events[0], Ev::Connected(local, remote)
        if *local == listen && remote.ip() == ip("127.0.0.42")));
    let received = |events: &[Ev]| -> Vec<Vec<u8>> {
        events
            .iter()
            .filter_map(|e| {
                if let Ev::Received(m) = e {
                    Some(m.clone())
                } else {
                    None
                }
            })
            .collect()
    };
    let expected = vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()];
    assert_eq!(received(&server_events), expected);
    assert_eq!(received(&client_events), expected);
    assert_eq!(
        server_events.last(),
        Some(&Ev::Closed("connection closed by peer".into()))
    );
    assert!(
        !client_events.iter().any(|e| matches!(e, Ev::Closed(_))),
        "Close is not reported back"
    );
}

#[test]
fn connect_failure_is_reported_to_the_session() {
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let mut owner = Collector::default();
    let unused = std::net::TcpListener::bind("127.0.0.43:0").unwrap();
    let remote = unused.local_addr().unwrap();
    drop(unused);
    let client = reactor.add_endpoint(Probe {
        connect: Some(ConnectRequest {
            local: None,
            remote,
            options: TcpOptions::default(),
        }),
        ..Probe::default()
    });
    let failed = run_until(&mut reactor, &mut owner, |_, owner| {
        !owner.of(client).is_empty()
    });
    assert!(failed);
    let Ev::Closed(text) = &owner.of(client)[0] else {
        panic!("{:?}", owner.events)
    };
    assert!(
        text.starts_with(&format!("{remote}: connect failed: ")),
        "{text}"
    );
}

#[test]
fn a_congested_connection_stops_encoding_and_memory_stays_bounded() {
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let high_water = 64 * 1024;
    reactor.set_buffer_limits(BufferLimits {
        read_limit: 4096,
        write_high_water: high_water,
    });
    let mut owner = Collector::default();
    let sink = std::net::TcpListener::bind("127.0.0.44:0").unwrap();
    let remote = sink.local_addr().unwrap();
    let client = reactor.add_endpoint(Probe {
        connect: Some(ConnectRequest {
            local: None,
            remote,
            options: TcpOptions::default(),
        }),
        bulk: Some(BULK.len()),
        ..Probe::default()
    });
    // The peer accepts but does not read: kernel buffers fill, then ours.
    sink.set_nonblocking(true).unwrap();
    let mut accepted = None;
    let congested = run_until(&mut reactor, &mut owner, |reactor, _| {
        if accepted.is_none() {
            accepted = sink.accept().ok();
        }
        reactor
            .buffered(client)
            .is_some_and(|(pending, _)| pending >= high_water)
    });
    let mut peer = accepted.expect("the reactor connected").0;
    assert!(congested, "{:?}", reactor.stats());
    let (pending, _) = reactor.buffered(client).unwrap();
    assert!(pending <= high_water + BULK.len(), "pending {pending}");
    let steps = reactor.stats().steps;
    for _ in 0..10 {
        reactor
            .turn_with_timeout(Some(Duration::from_millis(5)))
            .unwrap();
    }
    assert_eq!(
        reactor.stats().steps,
        steps,
        "not stepped while not writable"
    );
    assert_eq!(
        reactor.poll_timeout(Instant::now()),
        None,
        "and the loop sleeps"
    );
    // The peer reads: writability returns and encoding resumes.
    peer.set_nonblocking(true).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let resumed = run_until(&mut reactor, &mut owner, |reactor, _| {
        while peer.read(&mut buf).is_ok_and(|n| n > 0) {}
        reactor.stats().steps > steps
    });
    assert!(resumed);
    let (pending, _) = reactor.buffered(client).unwrap();
    assert!(pending <= high_water + BULK.len(), "pending {pending}");
}

/// Connects a plain std client to `listen` from `local` and reads until EOF, turning the loop.
fn read_until_closed(
    reactor: &mut Reactor<Probe>,
    owner: &mut Collector,
    local: &str,
    listen: SocketAddr,
) -> Option<Vec<u8>> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::new(ip(local), 0).into()).unwrap();
    socket.connect(&listen.into()).unwrap();
    let mut client: std::net::TcpStream = socket.into();
    client.set_nonblocking(true).unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 64];
    let closed = run_until(reactor, owner, |_, _| loop {
        match client.read(&mut chunk) {
            Ok(0) => return true,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(_) => return false,
        }
    });
    closed.then_some(received)
}

#[test]
fn unmatched_and_rejected_incoming_connections_get_their_reply_and_are_closed() {
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let mut owner = Collector::default();
    let listen = reactor.listen("127.0.0.45:0".parse().unwrap()).unwrap();
    let _nobody = reactor.add_endpoint(Probe {
        accept_from: Some(ip("127.0.0.99")),
        ..Probe::default()
    });
    assert_eq!(
        read_until_closed(&mut reactor, &mut owner, "127.0.0.47", listen),
        Some(Vec::new())
    );
    reactor.set_unmatched_reply(Some(b"nobody here"));
    assert_eq!(
        read_until_closed(&mut reactor, &mut owner, "127.0.0.47", listen),
        Some(b"nobody here".to_vec())
    );
    reactor.add_endpoint(Probe {
        reject_from: Some(ip("127.0.0.48")),
        ..Probe::default()
    });
    assert_eq!(
        read_until_closed(&mut reactor, &mut owner, "127.0.0.48", listen),
        Some(b"collision".to_vec())
    );
    assert!(owner.events.is_empty());
}

/// Inbound connections are offered to the sessions of their source address (the index)
/// and to the sessions without one, in the order the sessions were added; a session
/// indexed under another address is never asked.
#[test]
fn incoming_connections_go_to_the_sessions_of_their_address_in_order() {
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let mut owner = Collector::default();
    let listen = reactor.listen("127.0.0.60:0".parse().unwrap()).unwrap();
    let wildcard = reactor.add_endpoint(Probe {
        accept_from: Some(ip("127.0.0.61")),
        ..Probe::default()
    });
    let indexed_61 = reactor.add_endpoint(Probe {
        accept_any: true,
        indexed_from: Some(ip("127.0.0.61")),
        ..Probe::default()
    });
    let indexed_62 = reactor.add_endpoint(Probe {
        accept_any: true,
        indexed_from: Some(ip("127.0.0.62")),
        ..Probe::default()
    });
    let connected = |owner: &Collector, id: EndpointId| {
        owner
            .of(id)
            .iter()
            .filter(|e| matches!(e, Ev::Connected(..)))
            .count()
    };
    let mut clients = Vec::new();
    for (source, expected) in [("127.0.0.61", wildcard), ("127.0.0.62", indexed_62)] {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.bind(&SocketAddr::new(ip(source), 0).into()).unwrap();
        socket.connect(&listen.into()).unwrap();
        clients.push(socket);
        assert!(
            run_until(&mut reactor, &mut owner, |_, o| connected(o, expected) == 1),
            "the connection from {source} reached its session"
        );
    }
    assert_eq!(
        connected(&owner, indexed_61),
        0,
        "an earlier session took .61"
    );
    // Nobody is indexed under .63 and the wildcard session refuses it: the two sessions
    // that would accept anything are not asked.
    assert_eq!(
        read_until_closed(&mut reactor, &mut owner, "127.0.0.63", listen),
        Some(Vec::new())
    );
    assert_eq!(connected(&owner, indexed_61), 0);
    assert_eq!(connected(&owner, indexed_62), 1);
    // A removed session leaves the index: .62 now finds nobody.
    reactor.remove_endpoint(indexed_62);
    assert_eq!(
        read_until_closed(&mut reactor, &mut owner, "127.0.0.62", listen),
        Some(Vec::new())
    );
}

#[test]
fn bulk_input_is_read_in_bounded_slices_without_losing_the_edge() {
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    reactor.set_buffer_limits(BufferLimits {
        read_limit: 8 * 1024,
        write_high_water: 1024,
    });
    let mut owner = Collector::default();
    let listen = reactor.listen("127.0.0.49:0".parse().unwrap()).unwrap();
    let server = reactor.add_endpoint(Probe {
        accept_from: Some(ip("127.0.0.50")),
        swallow: true,
        ..Probe::default()
    });
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::new(ip("127.0.0.50"), 0).into())
        .unwrap();
    socket.connect(&listen.into()).unwrap();
    let mut client: std::net::TcpStream = socket.into();
    client.set_nonblocking(true).unwrap();
    let total = 1024 * 1024; // 128 slices of 8 KiB: well within run_until's 400 passes
    let chunk = vec![0xAB_u8; 64 * 1024];
    let mut sent = 0usize;
    let all_in = run_until(&mut reactor, &mut owner, |reactor, _| {
        while sent < total {
            match client.write(&chunk[..chunk.len().min(total - sent)]) {
                Ok(n) => sent += n,
                Err(_) => break,
            }
        }
        reactor
            .endpoint(server)
            .is_some_and(|probe| probe.swallowed == total)
    });
    let swallowed = reactor.endpoint(server).map(|probe| probe.swallowed);
    assert!(all_in, "sent {sent}, swallowed {swallowed:?}");
}

#[test]
fn shutdown_lets_sessions_send_their_last_words_then_returns() {
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let mut owner = Collector::default();
    let peer_listener = std::net::TcpListener::bind("127.0.0.46:0").unwrap();
    let remote = peer_listener.local_addr().unwrap();
    let client = reactor.add_endpoint(Probe {
        connect: Some(ConnectRequest {
            local: None,
            remote,
            options: TcpOptions::default(),
        }),
        ..Probe::default()
    });
    peer_listener.set_nonblocking(true).unwrap();
    let mut accepted = None;
    assert!(run_until(&mut reactor, &mut owner, |_, owner| {
        if accepted.is_none() {
            accepted = peer_listener.accept().ok();
        }
        accepted.is_some() && !owner.of(client).is_empty()
    }));
    let mut peer = accepted.unwrap().0;
    peer.set_nonblocking(false).unwrap();
    reactor.begin_shutdown();
    reactor.run(&mut owner).unwrap();
    assert!(
        reactor.endpoint(client).is_none(),
        "finished sessions are removed"
    );
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut received = Vec::new();
    peer.read_to_end(&mut received).unwrap();
    assert_eq!(received, frame(b"bye"));
    let _ = peer.write_all(b"x");
}

#[test]
fn md5_signed_connections_need_the_same_key() {
    if !rexa::reactor::socket::kernel_has_md5() {
        eprintln!("!!!!! SKIPPED md5 test: this kernel has no TCP_MD5SIG support !!!!!");
        return;
    }
    let key = Md5Key::new(b"rexa-secret").unwrap();
    let wrong = Md5Key::new(b"not-the-secret").unwrap();
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let mut owner = Collector::default();
    let listen = reactor.listen("127.0.0.51:0".parse().unwrap()).unwrap();
    reactor.set_listener_md5(ip("127.0.0.52"), &key).unwrap();
    reactor.set_listener_md5(ip("127.0.0.53"), &key).unwrap();
    let server_good = reactor.add_endpoint(Probe {
        accept_from: Some(ip("127.0.0.52")),
        ..Probe::default()
    });
    let server_bad = reactor.add_endpoint(Probe {
        accept_from: Some(ip("127.0.0.53")),
        ..Probe::default()
    });
    let connect_from = |local: &str, key: Md5Key| Probe {
        connect: Some(ConnectRequest {
            local: Some(ip(local)),
            remote: listen,
            options: TcpOptions {
                md5: Some(key),
                ..TcpOptions::default()
            },
        }),
        to_send: [b"signed".to_vec()].into(),
        ..Probe::default()
    };
    reactor.add_endpoint(connect_from("127.0.0.52", key));
    reactor.add_endpoint(connect_from("127.0.0.53", wrong));
    let good = run_until(&mut reactor, &mut owner, |_, owner| {
        owner
            .of(server_good)
            .contains(&Ev::Received(b"signed".to_vec()))
    });
    assert!(good, "same key must connect: {:?}", owner.events);
    // Segments with a bad signature are dropped by the kernel: nothing arrives.
    for _ in 0..20 {
        reactor
            .turn_with_timeout(Some(Duration::from_millis(10)))
            .unwrap();
        reactor.dispatch(&mut owner);
    }
    assert!(
        owner.of(server_bad).is_empty(),
        "wrong key must not connect: {:?}",
        owner.events
    );
}

/// A client session sending one message with `outgoing_ttl`, a server session demanding
/// `incoming_min_ttl`: returns whether the server received the message.
fn ttl_exchange(server_ip: &str, client_ip: &str, outgoing_ttl: u8, min_ttl: u8) -> bool {
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let mut owner = Collector::default();
    let listen = reactor.listen(SocketAddr::new(ip(server_ip), 0)).unwrap();
    let server = reactor.add_endpoint(Probe {
        accept_from: Some(ip(client_ip)),
        accept_options: TcpOptions {
            incoming_min_ttl: Some(min_ttl),
            ..TcpOptions::default()
        },
        ..Probe::default()
    });
    reactor.add_endpoint(Probe {
        connect: Some(ConnectRequest {
            local: Some(ip(client_ip)),
            remote: listen,
            options: TcpOptions {
                outgoing_ttl: Some(outgoing_ttl),
                ..TcpOptions::default()
            },
        }),
        to_send: [b"hop".to_vec()].into(),
        ..Probe::default()
    });
    // Wait for the server to be connected, then give the data a bounded chance to arrive.
    let connected = run_until(&mut reactor, &mut owner, |_, owner| {
        !owner.of(server).is_empty()
    });
    assert!(
        connected,
        "the handshake completes before IP_MINTTL applies"
    );
    for _ in 0..20 {
        reactor
            .turn_with_timeout(Some(Duration::from_millis(10)))
            .unwrap();
        reactor.dispatch(&mut owner);
        if owner.of(server).contains(&Ev::Received(b"hop".to_vec())) {
            return true;
        }
    }
    false
}

#[test]
fn ttl_security_drops_packets_below_the_minimum() {
    assert!(
        ttl_exchange("127.0.0.61", "127.0.0.62", 255, 255),
        "TTL 255 passes GTSM"
    );
    assert!(
        !ttl_exchange("127.0.0.63", "127.0.0.64", 64, 255),
        "TTL 64 is dropped"
    );
}

#[test]
fn ipv6_echo_over_loopback() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("!!!!! SKIPPED ipv6 test: no ::1 on this machine !!!!!");
        return;
    }
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let mut owner = Collector::default();
    let listen = reactor.listen("[::1]:0".parse().unwrap()).unwrap();
    let server = reactor.add_endpoint(Probe {
        accept_from: Some(ip("::1")),
        echo: true,
        accept_options: TcpOptions {
            incoming_min_ttl: Some(1),
            ..TcpOptions::default()
        },
        ..Probe::default()
    });
    let client = reactor.add_endpoint(Probe {
        connect: Some(ConnectRequest {
            local: Some(ip("::1")),
            remote: listen,
            options: TcpOptions {
                outgoing_ttl: Some(255),
                ..TcpOptions::default()
            },
        }),
        to_send: [b"six".to_vec()].into(),
        close_after_replies: Some(1),
        ..Probe::default()
    });
    let done = run_until(&mut reactor, &mut owner, |_, owner| {
        owner.of(server).iter().any(|e| matches!(e, Ev::Closed(_)))
    });
    assert!(done, "{:?}", owner.events);
    assert!(owner.of(client).contains(&Ev::Received(b"six".to_vec())));
}

#[test]
fn idle_established_connections_cause_no_wakeups() {
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let mut owner = Collector::default();
    let listen = reactor.listen("127.0.0.71:0".parse().unwrap()).unwrap();
    let server = reactor.add_endpoint(Probe {
        accept_from: Some(ip("127.0.0.72")),
        echo: true,
        ..Probe::default()
    });
    let client = reactor.add_endpoint(Probe {
        connect: Some(ConnectRequest {
            local: Some(ip("127.0.0.72")),
            remote: listen,
            options: TcpOptions::default(),
        }),
        to_send: [b"hello".to_vec()].into(),
        ..Probe::default()
    });
    assert!(run_until(&mut reactor, &mut owner, |_, owner| {
        owner.of(client).contains(&Ev::Received(b"hello".to_vec()))
    }));
    // Both sides now wait. A third session wakes the loop 5 times; nothing else may.
    let base = Instant::now();
    let deadlines = (1..=5u64)
        .map(|k| base + Duration::from_millis(20 * k))
        .collect();
    reactor.add_endpoint(Probe {
        deadlines,
        ..Probe::default()
    });
    let (polls, ticks) = (reactor.stats().polls, reactor.stats().ticks);
    // Bounded: each pass sleeps at most 200 ms even if a deadline was missed under load
    // (several overdue deadlines are delivered as one tick).
    let mut passes = 0;
    let start = Instant::now();
    while reactor.stats().ticks < ticks + 5
        && passes < 100
        && start.elapsed() < Duration::from_secs(10)
    {
        let cap = Duration::from_millis(200);
        let timeout = reactor
            .poll_timeout(Instant::now())
            .map_or(cap, |t| t.min(cap));
        reactor.turn_with_timeout(Some(timeout)).unwrap();
        passes += 1;
        if reactor.poll_timeout(Instant::now()).is_none() {
            break; // no deadline left: every overdue one has been delivered
        }
    }
    let stats = reactor.stats();
    let fired = stats.ticks - ticks;
    assert!((1..=5).contains(&fired), "{stats:?}: deadlines delivered");
    assert!(
        stats.polls - polls <= 1 + fired + 2,
        "{stats:?}: idle sockets woke the loop"
    );
    assert_eq!(
        owner.of(server).len(),
        2,
        "connected + received, nothing more"
    );
}

#[test]
fn shutdown_reaches_a_congested_session_and_ends_within_the_grace_period() {
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    reactor.set_buffer_limits(BufferLimits {
        read_limit: 4096,
        write_high_water: 64 * 1024,
    });
    let mut owner = Collector::default();
    let sink = std::net::TcpListener::bind("127.0.0.73:0").unwrap();
    sink.set_nonblocking(true).unwrap();
    let client = reactor.add_endpoint(Probe {
        connect: Some(ConnectRequest {
            local: None,
            remote: sink.local_addr().unwrap(),
            options: TcpOptions::default(),
        }),
        bulk: Some(BULK.len()),
        ..Probe::default()
    });
    let mut accepted = None;
    assert!(run_until(&mut reactor, &mut owner, |reactor, _| {
        if accepted.is_none() {
            accepted = sink.accept().ok();
        }
        reactor
            .buffered(client)
            .is_some_and(|(pending, _)| pending >= 64 * 1024)
    }));
    let steps = reactor.stats().steps;
    reactor.begin_shutdown();
    reactor.run(&mut owner).unwrap();
    assert!(
        reactor.stats().steps > steps,
        "the congested session was stepped to close"
    );
    assert!(reactor.endpoint(client).is_none());
    drop(accepted);
}

#[test]
fn a_removed_session_id_goes_stale_when_its_slot_is_reused() {
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let old = reactor.add_endpoint(Probe {
        name: "old",
        ..Probe::default()
    });
    assert_eq!(reactor.remove_endpoint(old).map(|p| p.name), Some("old"));
    let new = reactor.add_endpoint(Probe {
        name: "new",
        ..Probe::default()
    });
    assert_ne!(old, new);
    assert!(reactor.endpoint(old).is_none());
    assert_eq!(reactor.endpoint(new).map(|p| p.name), Some("new"));
    assert!(
        reactor.with_endpoint(old, |_, _| ()).is_none(),
        "a stale id reaches nothing"
    );
    assert!(reactor.with_endpoint(new, |_, _| ()).is_some());
}

#[test]
fn shutdown_writes_every_sessions_last_words_at_once_however_many() {
    // 200 connected sessions: begin_shutdown itself steps each one, so every peer can read
    // its last words before the loop runs another pass (no pass budget, no event bound).
    const SESSIONS: usize = 200;
    let mut reactor: Reactor<Probe> = Reactor::new(None).unwrap();
    let mut owner = Collector::default();
    let listener = std::net::TcpListener::bind("127.0.0.74:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let remote = listener.local_addr().unwrap();
    let ids: Vec<EndpointId> = (0..SESSIONS)
        .map(|_| {
            reactor.add_endpoint(Probe {
                connect: Some(ConnectRequest {
                    local: None,
                    remote,
                    options: TcpOptions::default(),
                }),
                ..Probe::default()
            })
        })
        .collect();
    let mut peers = Vec::new();
    assert!(run_until(&mut reactor, &mut owner, |_, owner| {
        while let Ok((stream, _)) = listener.accept() {
            peers.push(stream);
        }
        peers.len() == SESSIONS
            && ids
                .iter()
                .all(|id| owner.of(*id).iter().any(|e| matches!(e, Ev::Connected(..))))
    }));
    reactor.begin_shutdown();
    for peer in &mut peers {
        peer.set_nonblocking(false).unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut words = [0u8; 4];
        peer.read_exact(&mut words).unwrap();
        assert_eq!(&words[..], &frame(b"bye")[..]);
    }
    // The peers close their side: the connections end and `run` returns before the grace.
    for peer in &peers {
        let _ = peer.shutdown(std::net::Shutdown::Write);
    }
    reactor.run(&mut owner).unwrap();
    assert!(ids.iter().all(|id| reactor.endpoint(*id).is_none()));
    for peer in &mut peers {
        let mut rest = Vec::new();
        peer.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    }
}
