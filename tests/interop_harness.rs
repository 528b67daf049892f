//! Checks the interop harness itself: BIRD and GoBGP peer with each other on loopback.

mod support {
    pub mod interop;
}

use std::time::Duration;
use support::interop::{available, run_dir, wait_for, Bird, Gobgp};

#[test]
fn bird_and_gobgp_peer_on_loopback() {
    if !available("bird") || !available("gobgpd") {
        return;
    }
    let dir = run_dir("harness");
    let bird = Bird::start(
        &dir,
        r#"
router id 127.0.0.12;
protocol device {}
ipv4 table igp4;
protocol static igpstatic { ipv4 { table igp4; }; route 0.0.0.0/0 blackhole; }
protocol static announced { ipv4; route 198.51.100.0/24 via "lo"; }
protocol bgp gobgp {
  local 127.0.0.12 port 17912 as 65012;
  neighbor 127.0.0.13 port 17913 as 65013;
  strict bind yes;
  multihop;
  hold time 9;
  connect retry time 2;
  error wait time 1, 5;
  ipv4 { import all; export all; igp table igp4; next hop address 192.0.2.12; };
}
"#,
    );
    let gobgp = Gobgp::start(
        &dir,
        r#"
[global.config]
  as = 65013
  router-id = "127.0.0.13"
  port = 17913
  local-address-list = ["127.0.0.13"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.12"
    peer-as = 65012
  [neighbors.transport.config]
    local-address = "127.0.0.13"
    remote-port = 17912
  [neighbors.timers.config]
    connect-retry = 2
    hold-time = 9
    keepalive-interval = 3
"#,
        "127.0.0.13",
        50913,
    );
    let up = wait_for(Duration::from_secs(30), || {
        (bird.established("gobgp") && gobgp.established("127.0.0.12")).then_some(())
    });
    assert!(
        up.is_some(),
        "no session: bird says {}\ngobgp says {}",
        bird.birdc("show protocols all gobgp"),
        gobgp.gobgp("neighbor 127.0.0.12")
    );
    let rib = wait_for(Duration::from_secs(10), || {
        let rib = gobgp.gobgp("global rib -a ipv4");
        rib.contains("198.51.100.0/24").then_some(rib)
    });
    assert!(
        rib.is_some(),
        "GoBGP did not get BIRD's route: {}",
        gobgp.gobgp("global rib -a ipv4")
    );
}
