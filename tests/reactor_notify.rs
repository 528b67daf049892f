//! sd_notify through the reactor's life cycle: READY=1 when `run` starts, STOPPING=1 at
//! shutdown, received on a test datagram socket named by $NOTIFY_SOCKET.
//! Its own test binary: it sets a process-wide environment variable.

mod support {
    pub mod idle;
}

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use rexa::reactor::{EndpointId, Owner, Reactor, Signal};
use support::idle::Idle;

/// Begins the shutdown after the first pass.
struct StopAtOnce;

impl Owner<Idle> for StopAtOnce {
    fn signal(&mut self, _: &mut Reactor<Idle>, _: Signal) {}
    fn event(&mut self, _: &mut Reactor<Idle>, _: EndpointId, _: ()) {}
    fn after_pass(&mut self, reactor: &mut Reactor<Idle>) {
        reactor.begin_shutdown();
    }
}

#[test]
fn ready_then_stopping_reach_the_notify_socket() {
    let dir = std::env::temp_dir().join(format!("rexa-reactor-notify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&path);
    let receiver = UnixDatagram::bind(&path).unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    std::env::set_var("NOTIFY_SOCKET", &path);

    let mut reactor: Reactor<Idle> = Reactor::new(None).unwrap();
    reactor.add_endpoint(Idle);
    reactor.run(&mut StopAtOnce).unwrap();

    let mut buf = [0u8; 256];
    let n = receiver.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"READY=1");
    let n = receiver.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"STOPPING=1");
    std::env::remove_var("NOTIFY_SOCKET");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);
}
