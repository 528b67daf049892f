//! End to end: the rexa daemon runs two `rexa healthcheck` helpers whose checks the test
//! flips (a file exists or not), and a real BIRD 2 on loopback sees each service route
//! appear, change metric (UP 100 → DOWN 1000 → UP 100) and go and come back
//! (`--withdraw-on-down`). Skipped loudly without `bird` (see `available`).

mod support {
    pub mod interop;
}

use std::fs;
use std::time::Duration;

use support::interop::{available, bird_route, run_dir, wait_for, Bird, Rexa};

const REXA_IP: &str = "127.0.5.1";
const BIRD_IP: &str = "127.0.5.2";
const REXA_PORT: u16 = 17991;
const BIRD_PORT: u16 = 17992;
const PROTOCOL: &str = "rexahc";

/// Generous bounds: BIRD retries every 2 s; the checks run every 0.2 s.
const SESSION_UP: Duration = Duration::from_secs(30);
const ROUTE_CHANGE: Duration = Duration::from_secs(15);

fn bird_config() -> String {
    format!(
        r#"router id {BIRD_IP};
protocol device {{}}
ipv4 table igptab;
protocol static igpstatic {{ ipv4 {{ table igptab; }}; route 0.0.0.0/0 blackhole; }}
protocol bgp {PROTOCOL} {{
  local {BIRD_IP} port {BIRD_PORT} as 65092;
  neighbor {REXA_IP} port {REXA_PORT} as 65091;
  strict bind yes;
  multihop;
  hold time 9;
  connect retry time 2;
  error wait time 1, 5;
  ipv4 {{ import all; export none; igp table igptab; }};
}}
"#
    )
}

fn rexa_config(dir: &std::path::Path) -> String {
    let rexa = env!("CARGO_BIN_EXE_rexa");
    let d = dir.display();
    let helper = |name: &str, ip: &str, extra: &str| {
        format!(
            "process {name} {{\n    run {rexa} healthcheck --name {name} --no-syslog --no-ip-setup \
             --ip {ip} --cmd \"test -e {d}/{name}.healthy\" --rise 1 --fall 1 --interval 0.2 \
             --fast-interval 0.1 --community 65091:7{extra};\n    encoder text;\n}}\n"
        )
    };
    format!(
        "{}{}neighbor {BIRD_IP} {{\n    router-id {REXA_IP};\n    local-address {REXA_IP};\n    \
         local-as 65091;\n    peer-as 65092;\n    hold-time 9;\n    connect {BIRD_PORT};\n    \
         listen {REXA_PORT};\n    family {{ ipv4 unicast; }}\n    \
         api {{ processes [ metric withdrawing ]; }}\n}}\n",
        helper("metric", "203.0.113.1/32", ""),
        helper("withdrawing", "203.0.113.2/32", " --withdraw-on-down"),
    )
}

fn diagnose(bird: &Bird, rexa: &Rexa) -> String {
    format!(
        "\n--- BIRD routes:\n{}\n--- rexa log:\n{}\n--- BIRD log:\n{}",
        bird.birdc(&format!("show route protocol {PROTOCOL} all")),
        rexa.log(),
        bird.daemon.log()
    )
}

/// Waits until BIRD's route for `prefix` satisfies `wanted` (`None`: the route is gone).
fn route_becomes(bird: &Bird, prefix: &str, wanted: Option<&[&str]>) -> bool {
    let show = format!("show route protocol {PROTOCOL} all");
    wait_for(ROUTE_CHANGE, || {
        let block = bird_route(&bird.birdc(&show), prefix);
        let matches = match (wanted, &block) {
            (None, None) => true,
            (Some(lines), Some(block)) => lines
                .iter()
                .all(|line| block.lines().any(|l| l.trim() == *line)),
            _ => false,
        };
        matches.then_some(())
    })
    .is_some()
}

#[test]
fn bird_follows_the_healthchecks() {
    if !available("bird") {
        return;
    }
    let dir = run_dir("healthcheck-bird");
    // Both services healthy from the start.
    fs::write(dir.join("metric.healthy"), "").expect("flip");
    fs::write(dir.join("withdrawing.healthy"), "").expect("flip");
    let mut bird = Bird::start(&dir, &bird_config());
    let mut rexa = Rexa::start(&dir, &rexa_config(&dir), &[]);
    let up = wait_for(SESSION_UP, || bird.established(PROTOCOL).then_some(()));
    assert!(up.is_some(), "no session{}", diagnose(&bird, &rexa));

    let up_lines: &[&str] = &[
        "BGP.med: 100",
        "BGP.next_hop: 127.0.5.1",
        "BGP.community: (65091,7)",
    ];
    for prefix in ["203.0.113.1/32", "203.0.113.2/32"] {
        assert!(
            route_becomes(&bird, prefix, Some(up_lines)),
            "{prefix} never appeared with MED 100{}",
            diagnose(&bird, &rexa)
        );
    }

    // The first service fails: announced again with the DOWN metric.
    fs::remove_file(dir.join("metric.healthy")).expect("flip");
    assert!(
        route_becomes(&bird, "203.0.113.1/32", Some(&["BGP.med: 1000"])),
        "203.0.113.1/32 never changed to MED 1000{}",
        diagnose(&bird, &rexa)
    );
    // ... and recovers.
    fs::write(dir.join("metric.healthy"), "").expect("flip");
    assert!(
        route_becomes(&bird, "203.0.113.1/32", Some(&["BGP.med: 100"])),
        "203.0.113.1/32 never went back to MED 100{}",
        diagnose(&bird, &rexa)
    );

    // The second fails: with --withdraw-on-down its route goes, then comes back.
    fs::remove_file(dir.join("withdrawing.healthy")).expect("flip");
    assert!(
        route_becomes(&bird, "203.0.113.2/32", None),
        "203.0.113.2/32 was never withdrawn{}",
        diagnose(&bird, &rexa)
    );
    assert!(
        route_becomes(&bird, "203.0.113.1/32", Some(up_lines)),
        "the other service's route changed{}",
        diagnose(&bird, &rexa)
    );
    fs::write(dir.join("withdrawing.healthy"), "").expect("flip");
    assert!(
        route_becomes(&bird, "203.0.113.2/32", Some(up_lines)),
        "203.0.113.2/32 never came back{}",
        diagnose(&bird, &rexa)
    );

    assert!(
        rexa.terminate().is_some_and(|s| s.success()),
        "rexa did not exit 0 on SIGTERM{}",
        diagnose(&bird, &rexa)
    );
    bird.daemon.stop();
}
