//! Integration tests of helper processes in the reactor: line framing, writes, exits, stop
//! and kill, back-pressure on BGP input, broken helpers, spawn errors, no process left behind.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rexa::reactor::{
    ConnectRequest, Disconnect, EndpointId, Feeds, Incoming, Initiator, Link, Owner, ProcessError,
    ProcessExit, ProcessId, ProcessSpec, Reactor, Signal, Step, TcpOptions, LINES_PER_PASS,
    OUTPUT_HIGH_WATER,
};

/// A BGP-like session that accepts one connection and swallows (counts) its input.
#[derive(Default)]
struct Sink {
    accept_from: Option<IpAddr>,
    swallowed: usize,
    deadline: Option<Instant>,
    ticks: usize,
    /// The last `hold` call: (input, output).
    held: (bool, bool),
}

impl rexa::reactor::Endpoint for Sink {
    type Reason = String;
    type Event = ();

    fn wants_connection(&mut self, _now: Instant) -> Option<ConnectRequest> {
        None
    }
    fn incoming(&self, _now: Instant, _local: SocketAddr, remote: SocketAddr) -> Incoming {
        if self.accept_from == Some(remote.ip()) {
            Incoming::Accept(TcpOptions::default())
        } else {
            Incoming::Refuse
        }
    }
    fn connected(&mut self, _now: Instant, _local: SocketAddr, _remote: SocketAddr, _: Initiator) {}
    fn closed(&mut self, _now: Instant, _why: &Disconnect) {}
    fn step(&mut self, now: Instant, link: Option<Link<'_>>) -> Step<String> {
        if self.deadline.is_some_and(|at| at <= now) {
            self.deadline = None;
            self.ticks += 1;
        }
        if let Some(link) = link {
            self.swallowed += link.input.len();
            link.input.consume(link.input.len());
        }
        Step::Wait
    }
    fn next_deadline(&self) -> Option<Instant> {
        self.deadline
    }
    fn take_event(&mut self) -> Option<()> {
        None
    }
    fn shutdown(&mut self, _now: Instant) {}
    fn is_finished(&self) -> bool {
        false
    }
    fn hold(&mut self, _now: Instant, input: bool, output: bool) {
        self.held = (input, output);
    }
}

#[derive(Default)]
struct Helpers {
    lines: Vec<(ProcessId, String)>,
    exits: Vec<(ProcessId, ProcessExit)>,
    /// Replies written back from `process_line`: (to, prefix) echoes "prefix line\n".
    echo_to: Option<ProcessId>,
    /// Bytes written back to the helper for each of its lines.
    reply_bytes: usize,
    /// Lines delivered in the current pass, and the most in any pass.
    this_pass: usize,
    most_in_a_pass: usize,
}

impl Owner<Sink> for Helpers {
    fn signal(&mut self, _reactor: &mut Reactor<Sink>, _signal: Signal) {}
    fn event(&mut self, _reactor: &mut Reactor<Sink>, _session: EndpointId, _event: ()) {}
    fn process_line(&mut self, reactor: &mut Reactor<Sink>, id: ProcessId, line: &str) {
        if let Some(to) = self.echo_to {
            assert!(reactor.write_process(to, format!("echo {line}\n").as_bytes()));
        }
        if self.reply_bytes > 0 {
            assert!(reactor.write_process(id, &vec![b'x'; self.reply_bytes]));
        }
        self.lines.push((id, line.to_string()));
        self.this_pass += 1;
    }
    fn after_pass(&mut self, _reactor: &mut Reactor<Sink>) {
        self.most_in_a_pass = self.most_in_a_pass.max(self.this_pass);
        self.this_pass = 0;
    }
    fn process_exited(&mut self, reactor: &mut Reactor<Sink>, id: ProcessId, how: ProcessExit) {
        assert!(!reactor.write_process(id, b"late\n"), "the id is stale");
        assert!(!self.exits.iter().any(|(seen, _)| *seen == id), "told once");
        self.exits.push((id, how));
    }
}

impl Helpers {
    fn lines_of(&self, id: ProcessId) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|(of, _)| *of == id)
            .map(|(_, line)| line.as_str())
            .collect()
    }
    fn exit_of(&self, id: ProcessId) -> Option<ProcessExit> {
        self.exits
            .iter()
            .find(|(of, _)| *of == id)
            .map(|(_, how)| *how)
    }
}

/// Runs passes (each waiting at most 20 ms) until `done`, for at most 10 s.
fn run_until(
    reactor: &mut Reactor<Sink>,
    owner: &mut Helpers,
    mut done: impl FnMut(&mut Reactor<Sink>, &Helpers) -> bool,
) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        reactor.dispatch(owner);
        if done(reactor, owner) {
            return true;
        }
        let timeout = reactor
            .poll_timeout(Instant::now())
            .map_or(Duration::from_millis(20), |t| {
                t.min(Duration::from_millis(20))
            });
        reactor.turn_with_timeout(Some(timeout)).unwrap();
    }
    reactor.dispatch(owner);
    done(reactor, owner)
}

fn sh(name: &str, script: &str) -> ProcessSpec {
    ProcessSpec {
        name: name.to_string(),
        argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
        env: Vec::new(),
    }
}

/// Stops the helper and waits until its exit is reported.
fn stop(reactor: &mut Reactor<Sink>, owner: &mut Helpers, id: ProcessId) -> ProcessExit {
    reactor.stop_process(id);
    assert!(run_until(reactor, owner, |_, o| o.exit_of(id).is_some()));
    owner.exit_of(id).unwrap()
}

fn is_alive(pid: u32) -> bool {
    rexa::sys::kill(pid, 0).is_ok()
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rexa-process-{}-{name}", std::process::id()))
}

#[test]
fn lines_reach_the_owner_in_order_and_a_partial_line_is_completed_later() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let id = reactor
        .spawn_process(&sh(
            "lines",
            r#"printf 'one\ntwo  \r\n\nthr'; sleep 0.3; printf 'ee\t\nf\377ur\n'; read x"#,
        ))
        .unwrap();
    assert!(run_until(&mut reactor, &mut owner, |_, o| o
        .lines_of(id)
        .len()
        == 5));
    assert_eq!(
        owner.lines_of(id),
        ["one", "two", "", "three", "f\u{FFFD}ur"]
    );
    // `read x` gets EOF once its stdin is closed: a clean exit, reported once.
    let exit = stop(&mut reactor, &mut owner, id);
    assert!(
        matches!(exit, ProcessExit::Exited(1) | ProcessExit::Signalled(_)),
        "{exit:?}"
    );
    assert!(!reactor.has_processes());
}

#[test]
fn writes_reach_the_helper_and_its_answers_come_back() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let id = reactor
        .spawn_process(&sh("echo", r#"while read l; do echo "got $l"; done"#))
        .unwrap();
    assert!(reactor.write_process(id, b"a\nb\n"));
    assert!(reactor.write_process(id, b"c\n"));
    assert!(run_until(&mut reactor, &mut owner, |_, o| o
        .lines_of(id)
        .len()
        == 3));
    assert_eq!(owner.lines_of(id), ["got a", "got b", "got c"]);
    assert_eq!(reactor.process_output_len(id), 0);
    // Closing its stdin ends the loop: exit code 0, before any SIGTERM.
    let exit = stop(&mut reactor, &mut owner, id);
    assert!(
        matches!(exit, ProcessExit::Exited(0) | ProcessExit::Signalled(_)),
        "{exit:?}"
    );
    assert!(!reactor.write_process(id, b"gone\n"));
    assert_eq!(reactor.process_pid(id), None);
}

#[test]
fn a_helper_that_exits_is_reported_with_its_code_after_its_last_lines() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let id = reactor
        .spawn_process(&sh("quits", "echo last words; printf partial; exit 3"))
        .unwrap();
    assert!(run_until(&mut reactor, &mut owner, |_, o| o
        .exit_of(id)
        .is_some()));
    assert_eq!(owner.exit_of(id), Some(ProcessExit::Exited(3)));
    assert_eq!(
        owner.lines_of(id),
        ["last words"],
        "a partial last line is dropped"
    );
    assert!(!reactor.has_processes());
}

#[test]
fn the_environment_has_term_dumb_and_the_spec_variables() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let mut spec = sh("env", r#"echo "$TERM $REXA_TEST_VAR"; exit 0"#);
    spec.env.push(("REXA_TEST_VAR".into(), "set".into()));
    let id = reactor.spawn_process(&spec).unwrap();
    assert!(run_until(&mut reactor, &mut owner, |_, o| o
        .exit_of(id)
        .is_some()));
    assert_eq!(owner.lines_of(id), ["dumb set"]);
}

#[test]
fn stop_kills_a_helper_that_ignores_sigterm() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let id = reactor
        .spawn_process(&sh("stubborn", r#"trap "" TERM; echo ready; sleep 30"#))
        .unwrap();
    let pid = reactor.process_pid(id).unwrap();
    assert!(run_until(&mut reactor, &mut owner, |_, o| !o
        .lines_of(id)
        .is_empty()));
    let exit = stop(&mut reactor, &mut owner, id);
    assert_eq!(exit, ProcessExit::Signalled(libc::SIGKILL));
    assert!(!is_alive(pid));
    // `sleep 30` was in its process group: killed too, nothing is left to wait for.
    assert!(run_until(&mut reactor, &mut owner, |r, _| !r.has_processes()));
}

#[test]
fn a_helper_that_does_not_read_pauses_only_the_sessions_feeding_it_and_loses_nothing() {
    let go = temp_path("go");
    let out = temp_path("out");
    let _ = std::fs::remove_file(&go);
    let _ = std::fs::remove_file(&out);
    let total = OUTPUT_HIGH_WATER + 1024 * 1024;

    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let listen = reactor.listen("127.0.0.71:0".parse().unwrap()).unwrap();
    let session = reactor.add_endpoint(Sink {
        accept_from: Some("127.0.0.72".parse().unwrap()),
        ..Sink::default()
    });
    // A second session whose messages go to no helper.
    let other = reactor.add_endpoint(Sink {
        accept_from: Some("127.0.0.73".parse().unwrap()),
        ..Sink::default()
    });
    let mut spec = sh(
        "slow",
        r#"while [ ! -e "$GO" ]; do sleep 0.05; done; head -c "$TOTAL" > "$OUT"; echo done; read x"#,
    );
    spec.env = vec![
        ("GO".into(), go.display().to_string()),
        ("OUT".into(), out.display().to_string()),
        ("TOTAL".into(), total.to_string()),
    ];
    let id = reactor.spawn_process(&spec).unwrap();
    reactor.set_feeds(
        session,
        Feeds {
            received: vec![id],
            sent: Vec::new(),
        },
    );

    let connect = |from: &str| -> std::net::TcpStream {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket
            .bind(&SocketAddr::new(from.parse().unwrap(), 0).into())
            .unwrap();
        socket.connect(&listen.into()).unwrap();
        socket.into()
    };
    let mut client = connect("127.0.0.72");
    let mut other_client = connect("127.0.0.73");
    client.write_all(&[1u8; 1000]).unwrap();
    assert!(run_until(&mut reactor, &mut owner, |r, _| r
        .endpoint(session)
        .is_some_and(|s| s.swallowed == 1000)));
    assert_eq!(
        reactor.endpoint(session).map(|s| s.held),
        Some((false, false))
    );

    // Far more than the high-water mark, in pieces: no write blocks the loop.
    let data: Vec<u8> = (0..total).map(|i| (i % 251) as u8).collect();
    for piece in data.chunks(64 * 1024) {
        assert!(reactor.write_process(id, piece));
        reactor.turn_with_timeout(Some(Duration::ZERO)).unwrap();
    }
    assert!(reactor.is_process_congested(id));
    assert!(reactor.process_output_len(id) > OUTPUT_HIGH_WATER);
    assert_eq!(
        reactor.endpoint(session).map(|s| s.held),
        Some((true, false))
    );
    assert_eq!(
        reactor.endpoint(other).map(|s| s.held),
        Some((false, false))
    );

    // The fed session's input is not read while held, but its timers still run; the
    // other session is read as usual.
    client.write_all(&[2u8; 500]).unwrap();
    other_client.write_all(&[3u8; 700]).unwrap();
    reactor.with_endpoint(session, |sink, now| {
        sink.deadline = Some(now + Duration::from_millis(20))
    });
    assert!(run_until(&mut reactor, &mut owner, |r, _| r
        .endpoint(session)
        .is_some_and(|s| s.ticks == 1)
        && r.endpoint(other).is_some_and(|s| s.swallowed == 700)));
    for _ in 0..10 {
        reactor.dispatch(&mut owner);
        reactor
            .turn_with_timeout(Some(Duration::from_millis(5)))
            .unwrap();
    }
    assert_eq!(reactor.endpoint(session).map(|s| s.swallowed), Some(1000));
    assert!(reactor.is_process_congested(id));

    // The helper starts reading: everything reaches it, and the session is read again.
    std::fs::write(&go, b"").unwrap();
    assert!(run_until(&mut reactor, &mut owner, |r, o| {
        o.lines_of(id) == ["done"] && r.endpoint(session).is_some_and(|s| s.swallowed == 1500)
    }));
    assert!(!reactor.is_process_congested(id));
    assert_eq!(
        reactor.endpoint(session).map(|s| s.held),
        Some((false, false))
    );
    assert_eq!(reactor.process_output_len(id), 0);
    let received = std::fs::read(&out).unwrap();
    assert!(
        received == data,
        "{} of {} bytes",
        received.len(),
        data.len()
    );
    stop(&mut reactor, &mut owner, id);
    let _ = std::fs::remove_file(&go);
    let _ = std::fs::remove_file(&out);
}

#[test]
fn a_congested_helper_holds_the_output_of_the_sessions_whose_sent_messages_it_hears() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    reactor.set_process_buffer(128 * 1024);
    let session = reactor.add_endpoint(Sink::default());
    let id = reactor.spawn_process(&sh("deaf", "exec sleep 30")).unwrap();
    reactor.set_feeds(
        session,
        Feeds {
            received: Vec::new(),
            sent: vec![id],
        },
    );
    assert!(reactor.write_process(id, &vec![b'x'; 200 * 1024]));
    assert!(reactor.is_process_congested(id));
    assert_eq!(
        reactor.endpoint(session).map(|s| s.held),
        Some((false, true))
    );
    // A helper that is stopped no longer holds anyone.
    stop(&mut reactor, &mut owner, id);
    assert!(run_until(&mut reactor, &mut owner, |r, _| r
        .endpoint(session)
        .is_some_and(|s| s.held == (false, false))));
}

#[test]
fn a_line_longer_than_a_mebibyte_breaks_the_helper() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let id = reactor
        .spawn_process(&sh(
            "long",
            r#"echo fine; head -c 2097152 /dev/zero | tr '\000' x; sleep 30"#,
        ))
        .unwrap();
    let pid = reactor.process_pid(id).unwrap();
    assert!(run_until(&mut reactor, &mut owner, |_, o| o
        .exit_of(id)
        .is_some()));
    assert_eq!(owner.exit_of(id), Some(ProcessExit::LineTooLong));
    assert_eq!(owner.lines_of(id), ["fine"]);
    // It is killed and reaped in the background.
    assert!(run_until(&mut reactor, &mut owner, |r, _| !r.has_processes()));
    assert!(!is_alive(pid));
}

#[test]
fn a_helper_that_closes_its_stdin_is_a_broken_pipe() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let id = reactor
        .spawn_process(&sh("deaf", "exec 0<&-; echo closed; sleep 30"))
        .unwrap();
    assert!(run_until(&mut reactor, &mut owner, |_, o| !o
        .lines_of(id)
        .is_empty()));
    // A write into a pipe nobody reads any more fails with EPIPE. (One write may still
    // succeed while a process being spawned by another test holds a copy of the read end
    // for an instant: write until it fails, as a daemon writing events would.)
    assert!(run_until(&mut reactor, &mut owner, |r, o| {
        r.write_process(id, b"hello\n");
        o.exit_of(id).is_some()
    }));
    assert_eq!(owner.exit_of(id), Some(ProcessExit::BrokenPipe));
    assert!(run_until(&mut reactor, &mut owner, |r, _| !r.has_processes()));
}

#[test]
fn a_helper_that_does_not_read_its_answers_is_held_until_it_does() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers {
        reply_bytes: 1 << 20,
        ..Helpers::default()
    };
    // 50 lines at once; the helper starts reading its stdin only after a second.
    let id = reactor
        .spawn_process(&sh(
            "deaf",
            "exec 3<&0; (sleep 1; exec cat <&3 > /dev/null) & \
             i=0; while [ $i -lt 50 ]; do echo line$i; i=$((i+1)); done; exec sleep 30",
        ))
        .unwrap();
    let start = Instant::now();
    let mut most_while_deaf = 0;
    while start.elapsed() < Duration::from_millis(500) {
        reactor.dispatch(&mut owner);
        most_while_deaf = most_while_deaf.max(owner.lines_of(id).len());
        reactor
            .turn_with_timeout(Some(Duration::from_millis(10)))
            .unwrap();
    }
    let limit = OUTPUT_HIGH_WATER / (1 << 20) + 1;
    assert!(
        most_while_deaf <= limit,
        "{most_while_deaf} lines answered while the helper read nothing (at most {limit})"
    );
    assert!(
        run_until(&mut reactor, &mut owner, |_, o| o.lines_of(id).len() == 50),
        "every line once the helper reads: {}",
        owner.lines_of(id).len()
    );
    stop(&mut reactor, &mut owner, id);
}

#[test]
fn a_line_handler_may_write_back_at_once() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let id = reactor
        .spawn_process(&sh(
            "chat",
            r#"echo hello; read reply; echo "heard $reply"; read x"#,
        ))
        .unwrap();
    owner.echo_to = Some(id);
    assert!(run_until(&mut reactor, &mut owner, |_, o| o
        .lines_of(id)
        .len()
        == 2));
    owner.echo_to = None;
    assert_eq!(owner.lines_of(id), ["hello", "heard echo hello"]);
    stop(&mut reactor, &mut owner, id);
}

#[test]
fn spawning_a_missing_or_unusable_program_is_an_error() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let missing = ProcessSpec {
        name: "missing".into(),
        argv: vec!["/nonexistent/rexa-helper".into()],
        env: Vec::new(),
    };
    let error = reactor.spawn_process(&missing).unwrap_err();
    assert!(matches!(error, ProcessError::NotFound { .. }), "{error:?}");
    assert!(error.to_string().contains("/nonexistent/rexa-helper"));
    let not_executable = ProcessSpec {
        name: "dir".into(),
        argv: vec!["/".into()],
        env: Vec::new(),
    };
    assert!(matches!(
        reactor.spawn_process(&not_executable),
        Err(ProcessError::NotExecutable { .. })
    ));
    let empty = ProcessSpec::default();
    assert!(matches!(
        reactor.spawn_process(&empty),
        Err(ProcessError::NoProgram { .. })
    ));
    assert!(!reactor.has_processes());
}

#[test]
fn dropping_the_reactor_kills_and_reaps_what_is_left() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let id = reactor
        .spawn_process(&sh("left", r#"trap "" TERM; sleep 30"#))
        .unwrap();
    let pid = reactor.process_pid(id).unwrap();
    assert!(is_alive(pid));
    drop(reactor);
    // Not even a zombie: a zombie still answers signal 0.
    assert!(!is_alive(pid));
}

#[test]
fn shutdown_waits_for_stopped_helpers_then_run_returns() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let id = reactor
        .spawn_process(&sh("polite", r#"while read l; do echo "got $l"; done"#))
        .unwrap();
    let pid = reactor.process_pid(id).unwrap();
    assert!(reactor.write_process(id, b"shutdown\n"));
    reactor.begin_shutdown();
    reactor.stop_all_processes();
    reactor.run(&mut owner).unwrap();
    assert!(owner.exit_of(id).is_some(), "{:?}", owner.exits);
    assert!(!reactor.has_processes());
    assert!(!is_alive(pid));
}

#[test]
fn sigchld_reports_a_helper_whose_stdout_a_grandchild_keeps_open() {
    let signals = rexa::reactor::SignalSource::install().unwrap();
    let mut reactor: Reactor<Sink> = Reactor::new(Some(signals)).unwrap();
    let mut owner = Helpers::default();
    // The background sleep inherits stdout: no EOF when the shell exits.
    let id = reactor
        .spawn_process(&sh("parent", "sleep 30 & echo $!; exit 4"))
        .unwrap();
    assert!(run_until(&mut reactor, &mut owner, |_, o| o
        .exit_of(id)
        .is_some()));
    assert_eq!(owner.exit_of(id), Some(ProcessExit::Exited(4)));
    let lines = owner.lines_of(id);
    let grandchild: u32 = lines.first().and_then(|l| l.parse().ok()).unwrap();
    let _ = rexa::sys::kill(grandchild, libc::SIGKILL);
}

#[test]
fn a_burst_of_lines_is_delivered_in_bounded_slices_without_losing_any() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let count = 5 * LINES_PER_PASS + 7;
    let id = reactor
        .spawn_process(&sh("burst", &format!("seq 1 {count}; read x")))
        .unwrap();
    assert!(run_until(&mut reactor, &mut owner, |_, o| o
        .lines_of(id)
        .len()
        >= count));
    let expected: Vec<String> = (1..=count).map(|n| n.to_string()).collect();
    assert_eq!(owner.lines_of(id), expected);
    assert!(
        owner.most_in_a_pass <= LINES_PER_PASS,
        "{}",
        owner.most_in_a_pass
    );
    stop(&mut reactor, &mut owner, id);
}

#[test]
fn stopping_a_helper_with_unwritten_output_reports_its_signal() {
    let mut reactor: Reactor<Sink> = Reactor::new(None).unwrap();
    let mut owner = Helpers::default();
    let id = reactor
        .spawn_process(&sh("sleeper", "echo up; sleep 30"))
        .unwrap();
    assert!(run_until(&mut reactor, &mut owner, |_, o| !o
        .lines_of(id)
        .is_empty()));
    // More than a pipe holds: some stays queued.
    assert!(reactor.write_process(id, &[b'x'; 256 * 1024]));
    reactor.turn_with_timeout(Some(Duration::ZERO)).unwrap();
    assert!(reactor.process_output_len(id) > 0);
    let exit = stop(&mut reactor, &mut owner, id);
    assert_eq!(exit, ProcessExit::Signalled(libc::SIGTERM));
    assert!(run_until(&mut reactor, &mut owner, |r, _| !r.has_processes()));
}
