//! Per-peer back-pressure end to end: BIRD sends tens of thousands of routes to rexa, whose
//! helper sleeps longer than three hold times before reading them; GoBGP is a second peer
//! with no helper. rexa holds BIRD's input back (not GoBGP's) without letting its hold timer
//! run: both sessions stay up, the helper then gets every route exactly once, and rexa's
//! memory stays under a stated bound.
//!
//! Own loopback addresses (127.0.5.x), ports (18101-18103, GoBGP's API 50991) and run
//! directory; every process is stopped by PID. Skipped loudly without `bird` or `gobgpd`.

mod support {
    pub mod interop;
    pub mod sink;
}

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use support::interop::{available, run_dir, wait_for, Bird, Gobgp, Rexa};
use support::sink::memory_of;

const REXA: &str = "127.0.5.1";
const BIRD: &str = "127.0.5.2";
const GOBGP: &str = "127.0.5.3";
const REXA_PORT: u16 = 18101;
const BIRD_PORT: u16 = 18102;
const GOBGP_PORT: u16 = 18103;
const GOBGP_API_PORT: u16 = 50991;
/// Routes BIRD sends.
const ROUTES: u32 = 30_000;
/// The hold time of both sessions (the smallest allowed).
const HOLD: u64 = 3;
/// How long the helper sleeps before it reads anything: more than three hold times.
const HELPER_SLEEP: u64 = 4 * HOLD;
/// rexa's helper bound for this test (`exabgp.api.buffer`, its minimum): the routes are
/// many times this, so back-pressure must engage.
const BUFFER: usize = 64 * 1024;
/// The bound on rexa's peak RSS this test states: the adj-rib-in of 30,000 routes, one
/// helper's bound, two peers' buffers and the daemon itself fit well under it.
const RSS_BOUND: u64 = 48 << 20;

fn bird_config() -> String {
    let mut routes = String::with_capacity(ROUTES as usize * 32);
    for i in 0..ROUTES {
        // A MED of its own: one UPDATE per route, megabytes on the wire.
        let _ = write!(
            routes,
            "route 10.{}.{}.0/24 blackhole {{ bgp_med = {i}; }}; ",
            i >> 8,
            i & 0xFF
        );
    }
    format!(
        r#"router id {BIRD};
protocol device {{}}
protocol static flood {{ ipv4; {routes} }}
protocol bgp rexa {{
  local {BIRD} port {BIRD_PORT} as 65052;
  neighbor {REXA} port {REXA_PORT} as 65051;
  strict bind yes;
  multihop;
  hold time {HOLD};
  keepalive time 1;
  connect retry time 2;
  error wait time 1, 5;
  ipv4 {{ import all; export all; next hop address 192.0.2.52; }};
}}
"#
    )
}

fn gobgp_config() -> String {
    format!(
        r#"[global.config]
  as = 65053
  router-id = "{GOBGP}"
  port = {GOBGP_PORT}
  local-address-list = ["{GOBGP}"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "{REXA}"
    peer-as = 65051
  [neighbors.transport.config]
    local-address = "{GOBGP}"
    remote-port = {REXA_PORT}
  [neighbors.timers.config]
    connect-retry = 2
    hold-time = {HOLD}
    keepalive-interval = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
"#
    )
}

fn rexa_config(helper: &Path) -> String {
    format!(
        "process monitor {{\n    run /bin/sh {helper};\n    encoder json;\n}}\n\
         neighbor {BIRD} {{\n    router-id {REXA};\n    local-address {REXA};\n    \
         local-as 65051;\n    peer-as 65052;\n    hold-time {HOLD};\n    connect {BIRD_PORT};\n    \
         family {{ ipv4 unicast; }}\n    \
         api {{ processes [ monitor ]; receive {{ parsed; update; }} }}\n}}\n\
         neighbor {GOBGP} {{\n    router-id {REXA};\n    local-address {REXA};\n    \
         local-as 65051;\n    peer-as 65053;\n    hold-time {HOLD};\n    connect {GOBGP_PORT};\n    \
         family {{ ipv4 unicast; }}\n}}\n",
        helper = helper.display(),
    )
}

/// How many times each prefix was announced in the helper's JSON events.
fn announcements(file: &Path) -> HashMap<String, u32> {
    let mut seen = HashMap::new();
    let text = std::fs::read_to_string(file).unwrap_or_default();
    for line in text.lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let announce = &event["neighbor"]["message"]["update"]["announce"]["ipv4 unicast"];
        for nlris in announce
            .as_object()
            .into_iter()
            .flat_map(|hops| hops.values())
        {
            for nlri in nlris.as_array().into_iter().flatten() {
                if let Some(prefix) = nlri["nlri"].as_str() {
                    *seen.entry(prefix.to_owned()).or_insert(0) += 1;
                }
            }
        }
    }
    seen
}

#[test]
fn a_helper_that_sleeps_through_three_hold_times_loses_nothing_and_no_session_drops() {
    if !available("bird") || !available("gobgpd") {
        return;
    }
    let dir = run_dir("backpressure");
    let events = dir.join("events.json");
    let helper = dir.join("monitor.sh");
    // Not `exec cat`: the shell keeps its stdout, rexa's end of the pipe, open.
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nsleep {HELPER_SLEEP}\ncat > {}\n",
            events.display()
        ),
    )
    .expect("write the helper");
    let mut bird = Bird::start(&dir, &bird_config());
    let mut gobgp = Gobgp::start(&dir, &gobgp_config(), GOBGP, GOBGP_API_PORT);
    let buffer = BUFFER.to_string();
    let port = REXA_PORT.to_string();
    let mut rexa = Rexa::start(
        &dir,
        &rexa_config(&helper),
        &[
            ("exabgp_tcp_bind", REXA),
            ("exabgp_tcp_port", &port),
            ("exabgp_api_buffer", &buffer),
            ("exabgp_log_level", "DEBUG"),
        ],
    );
    let started = Instant::now();
    let context = |bird: &Bird, gobgp: &Gobgp, rexa: &Rexa| {
        format!(
            "\n--- bird:\n{}\n--- gobgp:\n{}\n--- rexa log (tail):\n{}",
            bird.birdc("show protocols all rexa"),
            gobgp.gobgp(&format!("neighbor {REXA}")),
            rexa.log()
                .lines()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n"),
        )
    };
    let up = wait_for(Duration::from_secs(20), || {
        (rexa.count("session established") >= 2).then_some(())
    });
    assert!(
        up.is_some(),
        "sessions not up{}",
        context(&bird, &gobgp, &rexa)
    );

    // The helper reads nothing for HELPER_SLEEP seconds, then everything arrives.
    let all = wait_for(Duration::from_secs(HELPER_SLEEP + 30), || {
        (announcements(&events).len() >= ROUTES as usize).then_some(())
    });
    assert!(
        all.is_some(),
        "the helper got {} of {ROUTES} prefixes{}",
        announcements(&events).len(),
        context(&bird, &gobgp, &rexa)
    );
    assert!(
        started.elapsed() > Duration::from_secs(3 * HOLD),
        "the helper slept through three hold times"
    );
    // A little longer, for a duplicate that would follow a reset.
    std::thread::sleep(Duration::from_secs(HOLD));
    let seen = announcements(&events);
    assert_eq!(seen.len(), ROUTES as usize);
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).take(5).collect();
    assert!(twice.is_empty(), "announced more than once: {twice:?}");

    // Both sessions stayed up: no NOTIFICATION either way, no reconnection.
    let log = rexa.log();
    assert_eq!(
        rexa.count("session established"),
        2,
        "a session was re-established{}",
        context(&bird, &gobgp, &rexa)
    );
    for needle in ["session down", "NOTIFICATION", "Hold Timer"] {
        assert!(
            !log.contains(needle),
            "rexa logged `{needle}`{}",
            context(&bird, &gobgp, &rexa)
        );
    }
    assert!(
        bird.established("rexa"),
        "{}",
        context(&bird, &gobgp, &rexa)
    );
    assert!(gobgp.established(REXA), "{}", context(&bird, &gobgp, &rexa));
    // Only BIRD's input was held; GoBGP, whose messages go to no helper, never was.
    assert!(
        log.contains(&format!("{BIRD}: input held back")),
        "back-pressure never engaged{}",
        context(&bird, &gobgp, &rexa)
    );
    assert!(!log.contains(&format!("{GOBGP}: input held back")));
    assert!(log.contains(&format!("{BIRD}: input read again")));

    let pid = rexa.daemon.pid();
    let (_, peak) = memory_of(pid).expect("rexa's /proc status");
    eprintln!("rexa's peak RSS: {:.1} MiB", peak as f64 / 1048576.0);
    assert!(
        peak < RSS_BOUND,
        "rexa's peak RSS {peak} bytes is over the {RSS_BOUND} this test allows"
    );
    assert!(rexa.terminate().is_some_and(|s| s.success()));
    gobgp.daemon.stop();
    bird.daemon.stop();
}
