//! A reactor session that never does anything, for the tests about the loop itself
//! (signals, sd_notify, the watchdog): it connects nowhere, refuses every connection.

use std::net::SocketAddr;
use std::time::Instant;

use rexa::reactor::{ConnectRequest, Disconnect, Incoming, Initiator, Link, Step};

pub struct Idle;

impl rexa::reactor::Endpoint for Idle {
    type Reason = &'static str;
    type Event = ();
    fn wants_connection(&mut self, _: Instant) -> Option<ConnectRequest> {
        None
    }
    fn incoming(&self, _: Instant, _: SocketAddr, _: SocketAddr) -> Incoming {
        Incoming::Refuse
    }
    fn connected(&mut self, _: Instant, _: SocketAddr, _: SocketAddr, _: Initiator) {}
    fn closed(&mut self, _: Instant, _: &Disconnect) {}
    fn step(&mut self, _: Instant, _: Option<Link<'_>>) -> Step<&'static str> {
        Step::Wait
    }
    fn next_deadline(&self) -> Option<Instant> {
        None
    }
    fn take_event(&mut self) -> Option<()> {
        None
    }
    fn shutdown(&mut self, _: Instant) {}
    fn is_finished(&self) -> bool {
        false
    }
}
