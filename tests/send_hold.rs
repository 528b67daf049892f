//! RFC 9687's send hold timer, end to end: a peer that keeps its session alive with
//! KEEPALIVEs but reads none of rexa's table is closed with NOTIFICATION 8 once rexa's
//! output has waited for the send hold time (here max(1 s, 2 × hold time 3 s) = 6 s).

mod support {
    pub mod interop;
    pub mod sink;
}

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::{Duration, Instant};

use support::interop::{run_dir, Daemon};
use support::sink::{table_config, SinkListener, TableNeighbor};

/// One UPDATE per route (`group-updates false`, ~55 bytes): ~8 MB, more than the kernel's
/// send buffer can absorb (autotuned up to 4 MB) with the peer's 4 KiB window, so bytes
/// wait in rexa's own write buffer.
const ROUTES: u32 = 150_000;
const LOCAL: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 96);
const STALLED: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 97);

#[test]
fn a_peer_that_reads_nothing_is_closed_with_notification_8() {
    let dir = run_dir("send_hold");
    let listener = SinkListener::bind(STALLED, Some(4096)).expect("listen");
    let neighbor = TableNeighbor {
        local: LOCAL,
        peer: STALLED,
        port: listener.port(),
        local_as: 65000,
        peer_as: 65001,
    };
    let config = table_config(&[neighbor], ROUTES, |_| String::new()).replace(
        "  hold-time 180;\n",
        "  hold-time 3;\n  group-updates false;\n",
    );
    assert!(config.contains("hold-time 3;"), "{config}");
    let path = dir.join("send-hold.conf");
    std::fs::write(&path, config).expect("write configuration");
    let mut rexa = Daemon::spawn(
        "rexa",
        &dir,
        Command::new(env!("CARGO_BIN_EXE_rexa"))
            .arg(&path)
            .env("exabgp_tcp_bind", "")
            .env("exabgp_daemon_user", "root")
            .env("exabgp_api_cli", "false")
            .env("exabgp_bgp_send_hold_time", "1"),
    );
    let mut sink = listener
        .accept(65001, STALLED, Duration::from_secs(60))
        .expect("the session");

    // Keep the session alive (KEEPALIVE every 500 ms, well within the hold time of 3 s)
    // and read nothing, until rexa gives up on its output (bounded: 60 s).
    let start = Instant::now();
    let expired = "send hold timer expired";
    while start.elapsed() < Duration::from_secs(60) && !rexa.log().contains(expired) {
        if sink.send_keepalive().is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let log = rexa.log();
    assert!(log.contains(expired), "no send hold expiry; log:\n{log}");
    // Closed by the send hold timer, not by the hold timer (our KEEPALIVEs kept coming).
    let closing = wait_closing(&mut rexa);
    assert!(
        closing.contains("notification sent (8,0)"),
        "closing line: {closing}; log:\n{}",
        rexa.log()
    );
    assert!(!rexa.log().contains("notification sent (4,0)"));
    rexa.stop();
}

/// The reactor's `closing:` line for the session (bounded wait).
fn wait_closing(rexa: &mut Daemon) -> String {
    support::interop::wait_for(Duration::from_secs(10), || {
        rexa.log()
            .lines()
            .find(|line| line.contains("closing:"))
            .map(str::to_owned)
    })
    .unwrap_or_default()
}
