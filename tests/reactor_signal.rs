//! Signals delivered to the process reach the reactor's owner, including one raised after
//! the handlers were installed but before the loop existed (start-up queueing).
//! Its own test binary: the handlers are process-wide.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rexa::reactor::{
    ConnectRequest, Disconnect, Incoming, Link, Owner, Reactor, SessionId, Signal, SignalSource,
    Step,
};

/// A session that never does anything: the test is about signals only.
struct Idle;

impl rexa::reactor::Session for Idle {
    type Reason = &'static str;
    type Command = ();
    type Event = ();
    fn wants_connection(&self, _: Instant) -> Option<ConnectRequest> {
        None
    }
    fn incoming(&self, _: Instant, _: SocketAddr, _: SocketAddr) -> Incoming {
        Incoming::Refuse
    }
    fn connected(&mut self, _: Instant, _: SocketAddr, _: SocketAddr) {}
    fn closed(&mut self, _: Instant, _: &Disconnect) {}
    fn tick(&mut self, _: Instant) {}
    fn step(&mut self, _: Instant, _: Option<Link<'_>>) -> Step<&'static str> {
        Step::Wait
    }
    fn next_deadline(&self) -> Option<Instant> {
        None
    }
    fn command(&mut self, _: Instant, _: ()) {}
    fn take_event(&mut self) -> Option<()> {
        None
    }
    fn shutdown(&mut self, _: Instant) {}
    fn is_finished(&self) -> bool {
        false
    }
}

#[derive(Default)]
struct Recorder {
    signals: Vec<Signal>,
}

impl Owner<Idle> for Recorder {
    fn signal(&mut self, reactor: &mut Reactor<Idle>, signal: Signal) {
        self.signals.push(signal);
        if let Signal::Shutdown(_) = signal {
            reactor.begin_shutdown();
        }
    }
    fn event(&mut self, _: &mut Reactor<Idle>, _: SessionId, _: ()) {}
}

#[test]
fn raised_signals_reach_the_owner_in_order() {
    let signals = SignalSource::install().unwrap();
    // Arrives before the reactor exists: must not be lost.
    rexa::sys::raise(libc::SIGUSR2).unwrap();
    let mut reactor: Reactor<Idle> = Reactor::new(Some(signals)).unwrap();
    reactor.add_session(Idle);
    let mut owner = Recorder::default();
    rexa::sys::raise(libc::SIGUSR1).unwrap();
    for _ in 0..100 {
        reactor.dispatch(&mut owner);
        if owner.signals.len() >= 2 {
            break;
        }
        reactor
            .turn_with_timeout(Some(Duration::from_millis(20)))
            .unwrap();
    }
    assert_eq!(
        owner.signals,
        vec![Signal::ReloadAndRestartProcesses, Signal::Reload]
    );

    // SIGTERM makes this owner begin the shutdown; `run` then returns.
    rexa::sys::raise(libc::SIGTERM).unwrap();
    reactor.run(&mut owner).unwrap();
    assert_eq!(owner.signals.last(), Some(&Signal::Shutdown(libc::SIGTERM)));
}
