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
/// Routes BIRD sends (`REXA_BP_ROUTES` overrides it).
const ROUTES: u32 = 30_000;
/// The hold time of both sessions, the smallest allowed (`REXA_BP_HOLD` overrides it).
const HOLD: u64 = 3;
/// rexa's helper bound for this test (`exabgp.api.buffer`, its minimum): the routes are
/// many times this, so back-pressure must engage.
const BUFFER: usize = 64 * 1024;
/// The bound on rexa's peak RSS this test states: the adj-rib-in of 30,000 routes, one
/// helper's bound, two peers' buffers and the daemon itself fit well under it.
/// (`REXA_BP_RSS_MIB` overrides it, for larger runs.)
const RSS_BOUND: u64 = 40 << 20;

/// The size of the run: the defaults above, or the `REXA_BP_*` variables (e.g. the issue's
/// scenario: `REXA_BP_ROUTES=500000 REXA_BP_HOLD=9 REXA_BP_SLEEP=30`).
struct Scale {
    routes: u32,
    hold: u64,
    /// How long the helper sleeps before it reads anything: more than three hold times
    /// (`REXA_BP_SLEEP`, default four hold times).
    sleep: u64,
    rss_bound: u64,
    /// Distinct MEDs BIRD cycles through (`REXA_BP_MEDS`, default one per route: one
    /// UPDATE per route, the most bytes on the wire and in events).
    meds: u32,
    /// The neighbor keeps an adj-rib-in (`REXA_BP_ADJ_RIB_IN=0`: not, as a monitoring
    /// feed would be configured).
    adj_rib_in: bool,
}

fn scale() -> Scale {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let hold = var("REXA_BP_HOLD").unwrap_or(HOLD).max(3);
    let routes = var("REXA_BP_ROUTES").map_or(ROUTES, |r| r.clamp(1, 1 << 22) as u32);
    Scale {
        routes,
        meds: var("REXA_BP_MEDS").map_or(routes, |m| m.clamp(1, u64::from(routes)) as u32),
        adj_rib_in: var("REXA_BP_ADJ_RIB_IN") != Some(0),
        hold,
        sleep: var("REXA_BP_SLEEP").unwrap_or(4 * hold).max(3 * hold + 1),
        rss_bound: var("REXA_BP_RSS_MIB").map_or(RSS_BOUND, |m| m << 20),
    }
}
fn bird_config(scale: &Scale) -> String {
    let hold = scale.hold;
    let mut routes = String::with_capacity(scale.routes as usize * 48);
    for i in 0..scale.routes {
        // A MED of its own: one UPDATE per route, megabytes on the wire.
        let _ = write!(
            routes,
            "route {}.{}.{}.0/24 blackhole {{ bgp_med = {}; }}; ",
            10 + (i >> 16),
            (i >> 8) & 0xFF,
            i & 0xFF,
            i % scale.meds
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
  hold time {hold};
  keepalive time 1;
  connect retry time 2;
  error wait time 1, 5;
  ipv4 {{ import all; export all; next hop address 192.0.2.52; }};
}}
"#
    )
}

fn gobgp_config(hold: u64) -> String {
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
    hold-time = {hold}
    keepalive-interval = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
"#
    )
}

fn rexa_config(helper: &Path, hold: u64, adj_rib_in: bool) -> String {
    format!(
        "process monitor {{\n    run /bin/sh {helper};\n    encoder json;\n}}\n\
         neighbor {BIRD} {{\n    router-id {REXA};\n    local-address {REXA};\n    \
         local-as 65051;\n    peer-as 65052;\n    hold-time {hold};\n    connect {BIRD_PORT};\n    \
         adj-rib-in {adj_rib_in};\n    family {{ ipv4 unicast; }}\n    \
         api {{ processes [ monitor ]; receive {{ parsed; update; }} }}\n}}\n\
         neighbor {GOBGP} {{\n    router-id {REXA};\n    local-address {REXA};\n    \
         local-as 65051;\n    peer-as 65053;\n    hold-time {hold};\n    connect {GOBGP_PORT};\n    \
         family {{ ipv4 unicast; }}\n}}\n",
        helper = helper.display(),
    )
}

/// Announced routes in the helper's events, counted cheaply while waiting (the exact check
/// parses the JSON once at the end).
fn nlri_count(file: &Path) -> usize {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .matches("{ \"nlri\": ")
        .count()
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
    let scale = scale();
    let dir = run_dir("backpressure");
    let events = dir.join("events.json");
    let helper = dir.join("monitor.sh");
    // Not `exec cat`: the shell keeps its stdout, rexa's end of the pipe, open.
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nsleep {}\ncat > {}\n",
            scale.sleep,
            events.display()
        ),
    )
    .expect("write the helper");
    let mut bird = Bird::start(&dir, &bird_config(&scale));
    let mut gobgp = Gobgp::start(&dir, &gobgp_config(scale.hold), GOBGP, GOBGP_API_PORT);
    let buffer = BUFFER.to_string();
    let port = REXA_PORT.to_string();
    let mut rexa = Rexa::start(
        &dir,
        &rexa_config(&helper, scale.hold, scale.adj_rib_in),
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

    // The helper reads nothing for `sleep` seconds, then everything arrives.
    let routes = scale.routes as usize;
    let all = wait_for(
        Duration::from_secs(scale.sleep + 30 + routes as u64 / 5_000),
        || (nlri_count(&events) >= routes).then_some(()),
    );
    assert!(
        all.is_some(),
        "the helper got {} of {routes} prefixes{}",
        nlri_count(&events),
        context(&bird, &gobgp, &rexa)
    );
    assert!(
        started.elapsed() > Duration::from_secs(3 * scale.hold),
        "the helper slept through three hold times"
    );
    // A little longer, for a duplicate that would follow a reset.
    std::thread::sleep(Duration::from_secs(scale.hold));
    let seen = announcements(&events);
    assert_eq!(seen.len(), routes);
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
        peak < scale.rss_bound,
        "rexa's peak RSS {peak} bytes is over the {} this test allows",
        scale.rss_bound
    );
    assert!(rexa.terminate().is_some_and(|s| s.success()));
    gobgp.daemon.stop();
    bird.daemon.stop();
}
