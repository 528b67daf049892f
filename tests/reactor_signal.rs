//! Signals delivered to the process reach the reactor's owner, including one raised after
//! the handlers were installed but before the loop existed (start-up queueing).
//! Its own test binary: the handlers are process-wide.

mod support {
    pub mod idle;
}

use std::time::Duration;

use rexa::reactor::{EndpointId, Owner, Reactor, Signal, SignalSource};
use support::idle::Idle;

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
    fn event(&mut self, _: &mut Reactor<Idle>, _: EndpointId, _: ()) {}
}

#[test]
fn raised_signals_reach_the_owner_in_order() {
    let signals = SignalSource::install().unwrap();
    // Arrives before the reactor exists: must not be lost.
    rexa::sys::raise(libc::SIGUSR2).unwrap();
    let mut reactor: Reactor<Idle> = Reactor::new(Some(signals)).unwrap();
    reactor.add_endpoint(Idle);
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
