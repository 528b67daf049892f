//! The reactor handles input already received on a connection before it accepts new ones:
//! a peer that sends a NOTIFICATION, closes and reconnects at once is not refused.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use rexa::reactor::{
    ConnectRequest, Disconnect, EndpointId, Incoming, Initiator, Link, Owner, Reactor, Signal,
    Step, TcpOptions,
};

/// Accepts connections from one address, one at a time: while connected, a new one is
/// rejected (as a BGP session refuses a collision with an established connection). Any
/// input byte ends the current connection (as a received NOTIFICATION does).
struct OneAtATime {
    from: IpAddr,
    connected: bool,
    connections: usize,
    events: VecDeque<&'static str>,
}

impl rexa::reactor::Endpoint for OneAtATime {
    type Reason = &'static str;
    type Event = &'static str;

    fn wants_connection(&mut self, _: Instant) -> Option<ConnectRequest> {
        None
    }
    fn incoming(&self, _: Instant, _: SocketAddr, remote: SocketAddr) -> Incoming {
        if remote.ip() != self.from {
            Incoming::Refuse
        } else if self.connected {
            Incoming::Reject(b"collision")
        } else {
            Incoming::Accept(TcpOptions::default())
        }
    }
    fn connected(&mut self, _: Instant, _: SocketAddr, _: SocketAddr, _: Initiator) {
        self.connected = true;
        self.connections += 1;
        self.events.push_back("connected");
    }
    fn closed(&mut self, _: Instant, _: &Disconnect) {
        self.connected = false;
        self.events.push_back("closed");
    }
    fn step(&mut self, _: Instant, link: Option<Link<'_>>) -> Step<&'static str> {
        let Some(link) = link else { return Step::Wait };
        if link.input.is_empty() {
            return Step::Wait;
        }
        link.input.consume(link.input.len());
        self.connected = false;
        self.events.push_back("notified");
        Step::Close("notification received")
    }
    fn next_deadline(&self) -> Option<Instant> {
        None
    }
    fn take_event(&mut self) -> Option<&'static str> {
        self.events.pop_front()
    }
    fn shutdown(&mut self, _: Instant) {}
    fn is_finished(&self) -> bool {
        false
    }
}

#[derive(Default)]
struct Events(Vec<&'static str>);

impl Owner<OneAtATime> for Events {
    fn signal(&mut self, _: &mut Reactor<OneAtATime>, _: Signal) {}
    fn event(&mut self, _: &mut Reactor<OneAtATime>, _: EndpointId, event: &'static str) {
        self.0.push(event);
    }
}

fn run_until(
    reactor: &mut Reactor<OneAtATime>,
    owner: &mut Events,
    mut done: impl FnMut(&Events) -> bool,
) -> bool {
    for _ in 0..200 {
        reactor.dispatch(owner);
        if done(owner) {
            return true;
        }
        reactor
            .turn_with_timeout(Some(Duration::from_millis(20)))
            .unwrap();
    }
    reactor.dispatch(owner);
    done(owner)
}

#[test]
fn a_reconnect_right_after_a_notification_is_accepted() {
    let client: IpAddr = "127.0.8.101".parse().unwrap();
    let mut reactor: Reactor<OneAtATime> = Reactor::new(None).unwrap();
    let listen = reactor
        .listen(SocketAddr::new("127.0.8.100".parse().unwrap(), 0))
        .unwrap();
    reactor.add_endpoint(OneAtATime {
        from: client,
        connected: false,
        connections: 0,
        events: VecDeque::new(),
    });
    let mut owner = Events::default();
    let connect = || {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.bind(&SocketAddr::new(client, 0).into()).unwrap();
        socket.connect(&listen.into()).unwrap();
        TcpStream::from(socket)
    };
    let mut first = connect();
    assert!(run_until(&mut reactor, &mut owner, |o| o.0 == ["connected"]));

    // NOTIFICATION, close, reconnect — all before the reactor looks again.
    first.write_all(b"N").unwrap();
    drop(first);
    let mut second = connect();
    assert!(
        run_until(&mut reactor, &mut owner, |o| o.0.len() >= 3),
        "{:?}",
        owner.0
    );
    assert_eq!(owner.0, ["connected", "notified", "connected"]);
    second
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert!(
        !matches!(second.read(&mut buf), Ok(n) if n > 0),
        "the new connection was refused as a collision"
    );
}
