//! rexa against a real BIRD 2: eBGP and iBGP over IPv4 (the iBGP one with TCP MD5) and an
//! IPv6 session over ::1; routes both ways, peer restart, rexa's CEASE on SIGTERM, and
//! routes a helper process announces and withdraws through the API.
//!
//! Each test has its own loopback addresses and ports (the IPv6 one shares ::1 and is told
//! apart by its ports), its own run directory under CARGO_TARGET_TMPDIR/interop, and stops
//! every process it started by PID. Skipped loudly without `bird` (see `available`).

mod support {
    pub mod interop;
}

use std::time::Duration;
use support::interop::{available, bird_route, run_dir, wait_for, Bird, Rexa};

/// Generous bounds: BIRD retries every 2 s, rexa backs off 0, 1, 2, 3... s.
const SESSION_UP: Duration = Duration::from_secs(30);
const ROUTES_IN: Duration = Duration::from_secs(15);
const SESSION_DOWN: Duration = Duration::from_secs(15);

/// One rexa ↔ BIRD scenario.
struct Case {
    /// Run directory name and BIRD's protocol name.
    name: &'static str,
    rexa_ip: &'static str,
    bird_ip: &'static str,
    rexa_port: u16,
    bird_port: u16,
    rexa_as: u32,
    bird_as: u32,
    /// rexa's BGP identifier (and BIRD's router id), needed when the session is IPv6.
    rexa_id: &'static str,
    bird_id: &'static str,
    md5: Option<&'static str>,
    ipv6: bool,
    /// rexa's `static { ... }` routes.
    rexa_routes: &'static str,
    /// The routes BIRD originates (`route ...;` lines of a static protocol).
    bird_routes: &'static str,
}

impl Case {
    fn family(&self) -> &'static str {
        if self.ipv6 {
            "ipv6 unicast"
        } else {
            "ipv4 unicast"
        }
    }

    fn rexa_config(&self) -> String {
        let md5 = self
            .md5
            .map(|p| format!("    md5-password {p};\n"))
            .unwrap_or_default();
        format!(
            "neighbor {bird} {{\n    router-id {id};\n    local-address {rexa};\n    local-as {las};\n    peer-as {pas};\n    hold-time 9;\n    connect {bport};\n    listen {rport};\n{md5}    family {{ {family}; }}\n    static {{\n{routes}    }}\n}}\n",
            bird = self.bird_ip,
            id = self.rexa_id,
            rexa = self.rexa_ip,
            las = self.rexa_as,
            pas = self.bird_as,
            bport = self.bird_port,
            rport = self.rexa_port,
            family = self.family(),
            routes = self.rexa_routes,
        )
    }

    fn bird_config(&self) -> String {
        let password = self
            .md5
            .map(|p| format!("  password \"{p}\";\n"))
            .unwrap_or_default();
        let (v, default, next_hop) = if self.ipv6 {
            ("ipv6", "::/0", "2001:db8::ff")
        } else {
            ("ipv4", "0.0.0.0/0", "192.0.2.255")
        };
        format!(
            r#"router id {bird_id};
protocol device {{}}
{v} table igptab;
protocol static igpstatic {{ {v} {{ table igptab; }}; route {default} blackhole; }}
protocol static announced {{ {v}; {routes} }}
protocol bgp {name} {{
  local {bird} port {bport} as {bas};
  neighbor {rexa} port {rport} as {ras};
  strict bind yes;
  multihop;
  hold time 9;
  connect retry time 2;
  error wait time 1, 5;
{password}  {v} {{ import all; export all; igp table igptab; next hop address {next_hop}; }};
}}
"#,
            bird_id = self.bird_id,
            routes = self.bird_routes,
            name = self.name,
            bird = self.bird_ip,
            bport = self.bird_port,
            bas = self.bird_as,
            rexa = self.rexa_ip,
            rport = self.rexa_port,
            ras = self.rexa_as,
        )
    }

    /// rexa's name for the neighbor in its log lines.
    fn neighbor(&self) -> String {
        format!("neighbor {}:", self.bird_ip)
    }
}

/// What BIRD must show for one of rexa's routes: the prefix and lines of its
/// `show route all` block (e.g. `BGP.next_hop: 192.0.2.21`).
struct InBird {
    prefix: &'static str,
    lines: &'static [&'static str],
}

/// What rexa must log for one of BIRD's routes: every fragment on one `announced` line.
struct InRexa {
    fragments: &'static [&'static str],
}

fn both_established(bird: &Bird, rexa: &Rexa, case: &Case, times: usize) -> bool {
    let established = format!("{} session established", case.neighbor());
    wait_for(SESSION_UP, || {
        (bird.established(case.name) && rexa.count(&established) >= times).then_some(())
    })
    .is_some()
}

fn diagnose(bird: &Bird, rexa: &Rexa, case: &Case) -> String {
    format!(
        "\n--- birdc show protocols all {name}:\n{proto}\n--- birdc show route protocol {name} all:\n{routes}\n--- rexa log:\n{log}\n--- bird log:\n{blog}",
        name = case.name,
        proto = bird.birdc(&format!("show protocols all {}", case.name)),
        routes = bird.birdc(&format!("show route protocol {} all", case.name)),
        log = rexa.log(),
        blog = bird.daemon.log(),
    )
}

/// The whole scenario: up, routes both ways, BIRD stopped and restarted, rexa stopped.
fn run(case: &Case, rexa_routes: &[InBird], bird_routes: &[InRexa]) {
    if !available("bird") {
        return;
    }
    let dir = run_dir(&format!("bird-{}", case.name));
    let bird_config = case.bird_config();
    let mut bird = Bird::start(&dir, &bird_config);
    let mut rexa = Rexa::start(&dir, &case.rexa_config(), &[("exabgp_log_routes", "true")]);

    // 1. The session comes up on both sides.
    assert!(
        both_established(&bird, &rexa, case, 1),
        "no session{}",
        diagnose(&bird, &rexa, case)
    );

    // 2. BIRD's RIB holds rexa's routes with the configured attributes.
    let show = format!("show route protocol {} all", case.name);
    for expected in rexa_routes {
        let found = wait_for(ROUTES_IN, || {
            bird_route(&bird.birdc(&show), expected.prefix)
        });
        let block = found.unwrap_or_else(|| {
            panic!(
                "BIRD never received {}{}",
                expected.prefix,
                diagnose(&bird, &rexa, case)
            )
        });
        for line in expected.lines {
            assert!(
                block.lines().any(|l| l.trim() == *line),
                "BIRD's route {} lacks `{line}`:\n{block}{}",
                expected.prefix,
                diagnose(&bird, &rexa, case)
            );
        }
    }

    // 3. rexa logs BIRD's routes with their attributes.
    for expected in bird_routes {
        let mut needles = vec![case.neighbor(), "announced".to_owned()];
        needles.extend(expected.fragments.iter().map(|f| (*f).to_owned()));
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        assert!(
            wait_for(ROUTES_IN, || rexa.line_with(&needles)).is_some(),
            "rexa did not log a route with {needles:?}{}",
            diagnose(&bird, &rexa, case)
        );
    }

    // 4. BIRD stops (SIGTERM by PID): rexa sees the session go down...
    let down = format!("{} session down", case.neighbor());
    let downs_before = rexa.count(&down);
    let ups_before = rexa.count(&format!("{} session established", case.neighbor()));
    assert!(
        bird.daemon.terminate().is_some(),
        "BIRD did not exit on SIGTERM"
    );
    assert!(
        rexa.wait_log(&down, downs_before + 1, SESSION_DOWN),
        "rexa did not notice BIRD stopping{}",
        diagnose(&bird, &rexa, case)
    );
    // ... and re-establishes once BIRD is back, BIRD learning rexa's routes again.
    bird = Bird::start(&dir, &bird_config);
    assert!(
        both_established(&bird, &rexa, case, ups_before + 1),
        "no session after BIRD's restart{}",
        diagnose(&bird, &rexa, case)
    );
    for expected in rexa_routes {
        assert!(
            wait_for(ROUTES_IN, || bird_route(
                &bird.birdc(&show),
                expected.prefix
            ))
            .is_some(),
            "BIRD did not get {} again after its restart{}",
            expected.prefix,
            diagnose(&bird, &rexa, case)
        );
    }

    // 5. rexa stops (SIGTERM): it exits cleanly and BIRD got a CEASE with its message.
    let status = rexa.terminate();
    assert!(
        status.is_some_and(|s| s.success()),
        "rexa did not exit 0 on SIGTERM: {status:?}{}",
        diagnose(&bird, &rexa, case)
    );
    let protocol = format!("show protocols all {}", case.name);
    let cease = wait_for(SESSION_DOWN, || {
        let text = bird.birdc(&protocol);
        text.contains("Received: Administrative shutdown")
            .then_some(text)
    });
    let cease = cease.unwrap_or_else(|| {
        panic!(
            "BIRD did not record rexa's CEASE{}",
            diagnose(&bird, &rexa, case)
        )
    });
    assert!(
        cease.contains("rexa shutting down"),
        "BIRD did not show rexa's shutdown message:\n{cease}"
    );
    assert!(
        rexa.log().contains("rexa stopped"),
        "rexa's log does not end with `rexa stopped`:\n{}",
        rexa.log()
    );
    bird.daemon.stop();
}

/// (a) eBGP over IPv4: MED, communities, a configured AS path and large communities from
/// rexa; BIRD's route with its community comes back.
#[test]
fn ebgp_ipv4_routes_both_ways_restart_and_cease() {
    let case = Case {
        name: "ebgp4",
        rexa_ip: "127.0.2.21",
        bird_ip: "127.0.2.22",
        rexa_port: 17921,
        bird_port: 17922,
        rexa_as: 65021,
        bird_as: 65022,
        rexa_id: "127.0.2.21",
        bird_id: "127.0.2.22",
        md5: None,
        ipv6: false,
        rexa_routes: "        route 10.21.1.0/24 next-hop 192.0.2.21 med 50 community [ 65021:1 65021:2 ];\n        route 10.21.2.0/24 next-hop 192.0.2.21 as-path [ 65021 64999 ] large-community [ 65021:2:3 ];\n",
        bird_routes: "route 198.51.100.0/24 blackhole { bgp_community.add((65022,2)); }; route 198.51.101.0/24 blackhole;",
    };
    run(
        &case,
        &[
            InBird {
                prefix: "10.21.1.0/24",
                lines: &[
                    "BGP.origin: IGP",
                    "BGP.as_path: 65021",
                    "BGP.next_hop: 192.0.2.21",
                    "BGP.med: 50",
                    "BGP.community: (65021,1) (65021,2)",
                ],
            },
            InBird {
                prefix: "10.21.2.0/24",
                lines: &[
                    "BGP.as_path: 65021 64999",
                    "BGP.next_hop: 192.0.2.21",
                    "BGP.large_community: (65021, 2, 3)",
                ],
            },
        ],
        &[
            InRexa {
                fragments: &[
                    "ipv4 unicast 198.51.100.0/24",
                    "next-hop 192.0.2.255",
                    "as-path ( 65022 )",
                    "community 65022:2",
                ],
            },
            InRexa {
                fragments: &["ipv4 unicast 198.51.101.0/24", "next-hop 192.0.2.255"],
            },
        ],
    );
}

/// (b) iBGP over IPv4, (d) with a TCP MD5 signature: LOCAL_PREF and MED both ways, the
/// empty AS path of an iBGP origin.
#[test]
fn ibgp_ipv4_with_md5_routes_both_ways_restart_and_cease() {
    let case = Case {
        name: "ibgp4md5",
        rexa_ip: "127.0.2.31",
        bird_ip: "127.0.2.32",
        rexa_port: 17931,
        bird_port: 17932,
        rexa_as: 65031,
        bird_as: 65031,
        rexa_id: "127.0.2.31",
        bird_id: "127.0.2.32",
        md5: Some("rexa-bird-secret"),
        ipv6: false,
        rexa_routes: "        route 10.31.1.0/24 next-hop 192.0.2.31 local-preference 200 med 5 community [ 65031:7 ];\n        route 10.31.2.0/24 next-hop 192.0.2.31;\n",
        bird_routes: "route 198.51.100.0/24 blackhole { bgp_local_pref = 300; bgp_med = 9; };",
    };
    run(
        &case,
        &[
            InBird {
                prefix: "10.31.1.0/24",
                lines: &[
                    "BGP.origin: IGP",
                    "BGP.as_path:",
                    "BGP.next_hop: 192.0.2.31",
                    "BGP.med: 5",
                    "BGP.local_pref: 200",
                    "BGP.community: (65031,7)",
                ],
            },
            InBird {
                prefix: "10.31.2.0/24",
                // ExaBGP's default LOCAL_PREF on iBGP.
                lines: &["BGP.next_hop: 192.0.2.31", "BGP.local_pref: 100"],
            },
        ],
        &[InRexa {
            fragments: &[
                "ipv4 unicast 198.51.100.0/24",
                "med 9",
                "local-preference 300",
            ],
        }],
    );
}

/// (c) An IPv6 session: both ends on ::1 (the only IPv6 loopback), told apart by ports;
/// ipv6 unicast routes both ways.
#[test]
fn ebgp_ipv6_session_routes_both_ways_restart_and_cease() {
    let case = Case {
        name: "ebgp6",
        rexa_ip: "::1",
        bird_ip: "::1",
        rexa_port: 17941,
        bird_port: 17942,
        rexa_as: 65041,
        bird_as: 65042,
        rexa_id: "127.0.2.41",
        bird_id: "127.0.2.42",
        md5: None,
        ipv6: true,
        rexa_routes:
            "        route 2001:db8:41::/48 next-hop 2001:db8::41 med 41 community [ 65041:6 ];\n",
        bird_routes: "route 2001:db8:42::/48 blackhole { bgp_community.add((65042,6)); };",
    };
    run(
        &case,
        &[InBird {
            prefix: "2001:db8:41::/48",
            lines: &[
                "BGP.as_path: 65041",
                "BGP.next_hop: 2001:db8::41",
                "BGP.med: 41",
                "BGP.community: (65041,6)",
            ],
        }],
        &[InRexa {
            fragments: &[
                "ipv6 unicast 2001:db8:42::/48",
                "next-hop 2001:db8::ff",
                "as-path ( 65042 )",
                "community 65042:6",
            ],
        }],
    );
}

/// The hold timer against a live but silent peer: BIRD frozen (SIGSTOP) sends no
/// KEEPALIVE, rexa's 9 s hold timer expires and it sends NOTIFICATION 4/0; once BIRD
/// resumes (SIGCONT) it reads that NOTIFICATION and the session comes back.
#[test]
fn hold_timer_expires_when_bird_freezes_and_the_session_recovers() {
    if !available("bird") {
        return;
    }
    let case = Case {
        name: "rexahold",
        rexa_ip: "127.0.2.51",
        bird_ip: "127.0.2.52",
        rexa_port: 17951,
        bird_port: 17952,
        rexa_as: 65051,
        bird_as: 65052,
        rexa_id: "127.0.2.51",
        bird_id: "127.0.2.52",
        md5: None,
        ipv6: false,
        rexa_routes: "",
        bird_routes: "route 198.51.100.0/24 blackhole;",
    };
    let dir = run_dir("bird-hold");
    let mut bird = Bird::start(&dir, &case.bird_config());
    let mut rexa = Rexa::start(&dir, &case.rexa_config(), &[("exabgp_log_routes", "true")]);
    assert!(
        both_established(&bird, &rexa, &case, 1),
        "no session{}",
        diagnose(&bird, &rexa, &case)
    );
    let ups_before = rexa.count(&format!("{} session established", case.neighbor()));
    assert!(bird.daemon.signal("STOP"), "cannot SIGSTOP BIRD");
    let expired = rexa.wait_log(
        &format!("{} session down: notification sent (4,0)", case.neighbor()),
        1,
        Duration::from_secs(30),
    );
    assert!(bird.daemon.signal("CONT"), "cannot SIGCONT BIRD");
    assert!(
        expired,
        "rexa's hold timer did not expire against a frozen BIRD{}",
        diagnose(&bird, &rexa, &case)
    );
    assert!(
        both_established(&bird, &rexa, &case, ups_before + 1),
        "no session after BIRD resumed{}",
        diagnose(&bird, &rexa, &case)
    );
    assert!(
        rexa.terminate().is_some_and(|s| s.success()),
        "rexa did not exit 0 on SIGTERM"
    );
    bird.daemon.stop();
}

/// IPv6 routes over an IPv4 session (ipv4 and ipv6 unicast negotiated on one TCP
/// connection between IPv4 addresses): each side learns the other's IPv6 route with its
/// IPv6 next hop, as interop.md describes for BIRD (`next hop address` on its ipv6 channel).
#[test]
fn ipv6_routes_over_an_ipv4_session() {
    if !available("bird") {
        return;
    }
    let dir = run_dir("bird-mixed");
    let bird = Bird::start(
        &dir,
        r#"router id 127.0.2.62;
protocol device {}
ipv4 table igptab4;
ipv6 table igptab6;
protocol static igpstatic4 { ipv4 { table igptab4; }; route 0.0.0.0/0 blackhole; }
protocol static igpstatic6 { ipv6 { table igptab6; }; route ::/0 blackhole; }
protocol static announced4 { ipv4; route 198.51.100.0/24 blackhole; }
protocol static announced6 { ipv6; route 2001:db8:62::/48 blackhole; }
protocol bgp mixed {
  local 127.0.2.62 port 17962 as 65062;
  neighbor 127.0.2.61 port 17961 as 65061;
  strict bind yes;
  multihop;
  hold time 9;
  connect retry time 2;
  error wait time 1, 5;
  ipv4 { import all; export all; igp table igptab4; next hop address 192.0.2.62; };
  ipv6 { import all; export all; igp table igptab6; next hop address 2001:db8::62; };
}
"#,
    );
    let mut rexa = Rexa::start(
        &dir,
        "neighbor 127.0.2.62 {\n    router-id 127.0.2.61;\n    local-address 127.0.2.61;\n    local-as 65061;\n    peer-as 65062;\n    hold-time 9;\n    connect 17962;\n    listen 17961;\n    family { ipv4 unicast; ipv6 unicast; }\n    static {\n        route 10.61.0.0/24 next-hop 192.0.2.61;\n        route 2001:db8:61::/48 next-hop 2001:db8::61 med 61;\n    }\n}\n",
        &[("exabgp_log_routes", "true")],
    );
    let established = wait_for(SESSION_UP, || {
        (bird.established("mixed") && rexa.count("session established") >= 1).then_some(())
    });
    let context = |bird: &Bird, rexa: &Rexa| {
        format!(
            "\n--- bird:\n{}\n{}\n--- rexa log:\n{}",
            bird.birdc("show protocols all mixed"),
            bird.birdc("show route protocol mixed all"),
            rexa.log()
        )
    };
    assert!(established.is_some(), "no session{}", context(&bird, &rexa));
    let block = wait_for(ROUTES_IN, || {
        bird_route(
            &bird.birdc("show route protocol mixed all"),
            "2001:db8:61::/48",
        )
    });
    let block = block.unwrap_or_else(|| {
        panic!(
            "BIRD never received 2001:db8:61::/48{}",
            context(&bird, &rexa)
        )
    });
    for line in [
        "BGP.as_path: 65061",
        "BGP.next_hop: 2001:db8::61",
        "BGP.med: 61",
    ] {
        assert!(
            block.lines().any(|l| l.trim() == line),
            "BIRD's IPv6 route lacks `{line}`:\n{block}"
        );
    }
    assert!(
        bird_route(&bird.birdc("show route protocol mixed all"), "10.61.0.0/24").is_some(),
        "BIRD lacks rexa's IPv4 route{}",
        context(&bird, &rexa)
    );

    for needles in [
        [
            "announced ipv6 unicast 2001:db8:62::/48",
            "next-hop 2001:db8::62",
        ],
        [
            "announced ipv4 unicast 198.51.100.0/24",
            "next-hop 192.0.2.62",
        ],
    ] {
        assert!(
            wait_for(ROUTES_IN, || rexa.line_with(&needles)).is_some(),
            "rexa did not log {needles:?}{}",
            context(&bird, &rexa)
        );
    }
    assert!(
        rexa.terminate().is_some_and(|s| s.success()),
        "rexa did not exit 0 on SIGTERM"
    );
}

/// A helper process drives what BIRD learns: its `announce route` reaches BIRD's RIB with
/// the attributes it gave (next-hop self = the session's address), its `withdraw route`
/// removes it, and its answers are `done`.
#[test]
fn a_helper_announces_and_withdraws_through_the_api() {
    if !available("bird") {
        return;
    }
    let case = Case {
        name: "rexaapi",
        rexa_ip: "127.0.2.71",
        bird_ip: "127.0.2.72",
        rexa_port: 17981,
        bird_port: 17982,
        rexa_as: 65071,
        bird_as: 65072,
        rexa_id: "127.0.2.71",
        bird_id: "127.0.2.72",
        md5: None,
        ipv6: false,
        rexa_routes: "",
        bird_routes: "route 198.51.100.0/24 blackhole;",
    };
    let dir = run_dir("bird-api");
    let script = dir.join("helper.sh");
    std::fs::write(
        &script,
        "echo 'announce route 203.0.113.0/24 next-hop self med 42 community [65071:7]'\n\
         read answer; echo \"$answer\" >> answers\n\
         for i in $(seq 600); do [ -e withdraw ] && break; sleep 0.05; done\n\
         echo 'withdraw route 203.0.113.0/24'\n\
         read answer; echo \"$answer\" >> answers\n\
         while read line; do :; done\n",
    )
    .expect("write the helper");
    let config = format!(
        "process feeder {{ run /bin/sh {}; encoder text; }}\n{}",
        script.display(),
        case.rexa_config().replace(
            "    static {",
            "    api { processes [ feeder ]; }\n    static {"
        )
    );
    let mut bird = Bird::start(&dir, &case.bird_config());
    let mut rexa = Rexa::start(&dir, &config, &[]);
    assert!(
        both_established(&bird, &rexa, &case, 1),
        "no session{}",
        diagnose(&bird, &rexa, &case)
    );
    let show = format!("show route protocol {} all", case.name);
    let block = wait_for(ROUTES_IN, || {
        bird_route(&bird.birdc(&show), "203.0.113.0/24")
    })
    .unwrap_or_else(|| {
        panic!(
            "BIRD never received the helper's route{}",
            diagnose(&bird, &rexa, &case)
        )
    });
    for line in [
        "BGP.next_hop: 127.0.2.71",
        "BGP.med: 42",
        "BGP.community: (65071,7)",
    ] {
        assert!(
            block.lines().any(|l| l.trim() == line),
            "BIRD's route lacks `{line}`:\n{block}"
        );
    }
    std::fs::write(dir.join("withdraw"), "").expect("tell the helper");
    let gone = wait_for(ROUTES_IN, || {
        bird_route(&bird.birdc(&show), "203.0.113.0/24")
            .is_none()
            .then_some(())
    });
    assert!(
        gone.is_some(),
        "BIRD still has the withdrawn route{}",
        diagnose(&bird, &rexa, &case)
    );
    let answers = wait_for(ROUTES_IN, || {
        let text = std::fs::read_to_string(dir.join("answers")).ok()?;
        (text.lines().count() >= 2).then_some(text)
    });
    assert_eq!(answers.as_deref(), Some("done\ndone\n"));
    assert!(
        rexa.terminate().is_some_and(|s| s.success()),
        "rexa did not exit 0 on SIGTERM"
    );
    bird.daemon.stop();
}
