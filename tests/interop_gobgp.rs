//! rexa against a real GoBGP 3: eBGP and iBGP over IPv4 (the iBGP one with TCP MD5) and an
//! IPv6 session over ::1; routes both ways, peer restart, and rexa's CEASE on SIGTERM.
//!
//! Each test has its own loopback addresses, ports and gRPC API port (the IPv6 one shares
//! ::1 and is told apart by its ports), its own run directory under
//! CARGO_TARGET_TMPDIR/interop, and stops every process it started by PID. GoBGP treats
//! IPv4 next hops in 127/8 as withdrawals, so every route uses a documentation next hop.

mod support {
    pub mod interop;
}

use std::time::Duration;
use support::interop::{available, run_dir, wait_for, Gobgp, Rexa};

/// Generous bounds: GoBGP retries every 2 s, rexa backs off 0, 1, 2, 3... s.
const SESSION_UP: Duration = Duration::from_secs(30);
const ROUTES_IN: Duration = Duration::from_secs(15);
const SESSION_DOWN: Duration = Duration::from_secs(15);

/// One rexa ↔ GoBGP scenario.
struct Case {
    /// Run directory name.
    name: &'static str,
    rexa_ip: &'static str,
    gobgp_ip: &'static str,
    rexa_port: u16,
    gobgp_port: u16,
    /// GoBGP's gRPC API (always an IPv4 loopback address of its own).
    api_host: &'static str,
    api_port: u16,
    rexa_as: u32,
    gobgp_as: u32,
    rexa_id: &'static str,
    gobgp_id: &'static str,
    md5: Option<&'static str>,
    ipv6: bool,
    /// rexa's `static { ... }` routes.
    rexa_routes: &'static str,
    /// Arguments of `gobgp global rib add ...`, one route each, injected after each start.
    gobgp_routes: &'static [&'static str],
}

impl Case {
    fn family(&self) -> &'static str {
        if self.ipv6 {
            "ipv6 unicast"
        } else {
            "ipv4 unicast"
        }
    }

    fn rib_family(&self) -> &'static str {
        if self.ipv6 {
            "ipv6"
        } else {
            "ipv4"
        }
    }

    fn rexa_config(&self) -> String {
        let md5 = self
            .md5
            .map(|p| format!("    md5-password {p};\n"))
            .unwrap_or_default();
        format!(
            "neighbor {peer} {{\n    router-id {id};\n    local-address {rexa};\n    local-as {las};\n    peer-as {pas};\n    hold-time 9;\n    connect {gport};\n    listen {rport};\n{md5}    family {{ {family}; }}\n    static {{\n{routes}    }}\n}}\n",
            peer = self.gobgp_ip,
            id = self.rexa_id,
            rexa = self.rexa_ip,
            las = self.rexa_as,
            pas = self.gobgp_as,
            gport = self.gobgp_port,
            rport = self.rexa_port,
            family = self.family(),
            routes = self.rexa_routes,
        )
    }

    fn gobgp_config(&self) -> String {
        let password = self
            .md5
            .map(|p| format!("    auth-password = \"{p}\"\n"))
            .unwrap_or_default();
        let afi_safi = if self.ipv6 {
            "ipv6-unicast"
        } else {
            "ipv4-unicast"
        };
        format!(
            r#"[global.config]
  as = {gas}
  router-id = "{gid}"
  port = {gport}
  local-address-list = ["{gobgp}"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "{rexa}"
    peer-as = {ras}
{password}  [neighbors.transport.config]
    local-address = "{gobgp}"
    remote-port = {rport}
  [neighbors.timers.config]
    connect-retry = 2
    hold-time = 9
    keepalive-interval = 3
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "{afi_safi}"
"#,
            gas = self.gobgp_as,
            gid = self.gobgp_id,
            gport = self.gobgp_port,
            gobgp = self.gobgp_ip,
            rexa = self.rexa_ip,
            ras = self.rexa_as,
            rport = self.rexa_port,
        )
    }

    /// rexa's name for the neighbor in its log lines.
    fn neighbor(&self) -> String {
        format!("neighbor {}:", self.gobgp_ip)
    }

    fn start_gobgp(&self, dir: &std::path::Path) -> Gobgp {
        let gobgp = Gobgp::start(dir, &self.gobgp_config(), self.api_host, self.api_port);
        for route in self.gobgp_routes {
            let out = gobgp.gobgp(&format!("global rib add {route} -a {}", self.rib_family()));
            assert!(out.trim().is_empty(), "gobgp refused `{route}`: {out}");
        }
        gobgp
    }
}

/// What GoBGP must show for one of rexa's routes: fragments of its line in
/// `gobgp global rib` (next hop, ` AS_PATH `, `{Med: 50}`, ...).
struct InGobgp {
    prefix: &'static str,
    fragments: &'static [&'static str],
}

/// What rexa must log for one of GoBGP's routes: every fragment on one `announced` line.
struct InRexa {
    fragments: &'static [&'static str],
}

fn rib_line(gobgp: &Gobgp, case: &Case, prefix: &str) -> Option<String> {
    gobgp
        .gobgp(&format!("global rib -a {}", case.rib_family()))
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(prefix))
        .map(str::to_owned)
}

fn both_established(gobgp: &Gobgp, rexa: &Rexa, case: &Case, times: usize) -> bool {
    let established = format!("{} session established", case.neighbor());
    wait_for(SESSION_UP, || {
        (gobgp.established(case.rexa_ip) && rexa.count(&established) >= times).then_some(())
    })
    .is_some()
}

fn diagnose(gobgp: &Gobgp, rexa: &Rexa, case: &Case) -> String {
    format!(
        "\n--- gobgp neighbor {peer}:\n{neighbor}\n--- gobgp global rib -a {family}:\n{rib}\n--- rexa log:\n{log}\n--- gobgpd log:\n{glog}",
        peer = case.rexa_ip,
        neighbor = gobgp.gobgp(&format!("neighbor {}", case.rexa_ip)),
        family = case.rib_family(),
        rib = gobgp.gobgp(&format!("global rib -a {}", case.rib_family())),
        log = rexa.log(),
        glog = gobgp.daemon.log(),
    )
}

/// The whole scenario: up, routes both ways, GoBGP stopped and restarted, rexa stopped.
fn run(case: &Case, rexa_routes: &[InGobgp], gobgp_routes: &[InRexa]) {
    if !available("gobgpd") || !available("gobgp") {
        return;
    }
    let dir = run_dir(&format!("gobgp-{}", case.name));
    let mut gobgp = case.start_gobgp(&dir);
    let mut rexa = Rexa::start(&dir, &case.rexa_config(), &[("exabgp_log_routes", "true")]);

    // 1. The session comes up on both sides.
    assert!(
        both_established(&gobgp, &rexa, case, 1),
        "no session{}",
        diagnose(&gobgp, &rexa, case)
    );

    // 2. GoBGP's RIB holds rexa's routes with the configured attributes.
    let check_rib = |gobgp: &Gobgp, rexa: &Rexa, when: &str| {
        for expected in rexa_routes {
            let found = wait_for(ROUTES_IN, || rib_line(gobgp, case, expected.prefix));
            let line = found.unwrap_or_else(|| {
                panic!(
                    "GoBGP never received {} ({when}){}",
                    expected.prefix,
                    diagnose(gobgp, rexa, case)
                )
            });
            for fragment in expected.fragments {
                assert!(
                    line.contains(fragment),
                    "GoBGP's route {} lacks `{fragment}` ({when}):\n{line}{}",
                    expected.prefix,
                    diagnose(gobgp, rexa, case)
                );
            }
        }
    };
    check_rib(&gobgp, &rexa, "first session");

    // 3. rexa logs GoBGP's routes with their attributes.
    for expected in gobgp_routes {
        let mut needles = vec![case.neighbor(), "announced".to_owned()];
        needles.extend(expected.fragments.iter().map(|f| (*f).to_owned()));
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        assert!(
            wait_for(ROUTES_IN, || rexa.line_with(&needles)).is_some(),
            "rexa did not log a route with {needles:?}{}",
            diagnose(&gobgp, &rexa, case)
        );
    }

    // 4. GoBGP stops (SIGTERM by PID): rexa sees the session go down...
    let down = format!("{} session down", case.neighbor());
    let downs_before = rexa.count(&down);
    let ups_before = rexa.count(&format!("{} session established", case.neighbor()));
    assert!(
        gobgp.daemon.terminate().is_some(),
        "gobgpd did not exit on SIGTERM"
    );
    assert!(
        rexa.wait_log(&down, downs_before + 1, SESSION_DOWN),
        "rexa did not notice GoBGP stopping{}",
        diagnose(&gobgp, &rexa, case)
    );
    // ... and re-establishes once GoBGP is back, GoBGP learning rexa's routes again.
    gobgp = case.start_gobgp(&dir);
    assert!(
        both_established(&gobgp, &rexa, case, ups_before + 1),
        "no session after GoBGP's restart{}",
        diagnose(&gobgp, &rexa, case)
    );
    check_rib(&gobgp, &rexa, "after GoBGP's restart");

    // 5. rexa stops (SIGTERM): it exits cleanly and GoBGP got a CEASE 6/2 with its message.
    let status = rexa.terminate();
    assert!(
        status.is_some_and(|s| s.success()),
        "rexa did not exit 0 on SIGTERM: {status:?}{}",
        diagnose(&gobgp, &rexa, case)
    );
    let cease = wait_for(SESSION_DOWN, || {
        let log = gobgp.daemon.log();
        log.lines()
            .find(|l| l.contains("received notification") && l.contains("rexa shutting down"))
            .map(str::to_owned)
    });
    let cease = cease.unwrap_or_else(|| {
        panic!(
            "GoBGP did not log rexa's CEASE{}",
            diagnose(&gobgp, &rexa, case)
        )
    });
    assert!(
        cease.contains("Code=6") && cease.contains("Subcode=2"),
        "not a CEASE / Administrative Shutdown: {cease}"
    );
    assert!(
        wait_for(SESSION_DOWN, || (!gobgp.established(case.rexa_ip))
            .then_some(()))
        .is_some(),
        "GoBGP still shows the session established{}",
        diagnose(&gobgp, &rexa, case)
    );
    gobgp.daemon.stop();
}

/// (a) eBGP over IPv4: MED, communities, a configured AS path and large communities from
/// rexa; GoBGP's route with MED and community comes back.
#[test]
fn ebgp_ipv4_routes_both_ways_restart_and_cease() {
    let case = Case {
        name: "ebgp4",
        rexa_ip: "127.0.3.21",
        gobgp_ip: "127.0.3.22",
        rexa_port: 17951,
        gobgp_port: 17952,
        api_host: "127.0.3.22",
        api_port: 50952,
        rexa_as: 65051,
        gobgp_as: 65052,
        rexa_id: "127.0.3.21",
        gobgp_id: "127.0.3.22",
        md5: None,
        ipv6: false,
        rexa_routes: "        route 10.51.1.0/24 next-hop 192.0.2.51 med 50 community [ 65051:1 ];\n        route 10.51.2.0/24 next-hop 192.0.2.51 as-path [ 65051 64999 ] large-community [ 65051:2:3 ];\n",
        gobgp_routes: &[
            "198.51.100.0/24 nexthop 192.0.2.52 med 7 community 65052:2",
            "198.51.101.0/24 nexthop 192.0.2.52",
        ],
    };
    run(
        &case,
        &[
            InGobgp {
                prefix: "10.51.1.0/24",
                fragments: &[
                    " 192.0.2.51 ",
                    " 65051 ",
                    "{Origin: i}",
                    "{Med: 50}",
                    "{Communities: 65051:1}",
                ],
            },
            InGobgp {
                prefix: "10.51.2.0/24",
                fragments: &[
                    " 192.0.2.51 ",
                    " 65051 64999 ",
                    "{LargeCommunity: [ 65051:2:3]}",
                ],
            },
        ],
        &[
            InRexa {
                fragments: &[
                    "ipv4 unicast 198.51.100.0/24",
                    "next-hop 192.0.2.52",
                    "as-path ( 65052 )",
                    "med 7",
                    "community 65052:2",
                ],
            },
            InRexa {
                fragments: &["ipv4 unicast 198.51.101.0/24", "next-hop 192.0.2.52"],
            },
        ],
    );
}

/// (b) iBGP over IPv4, (d) with a TCP MD5 signature: LOCAL_PREF and MED both ways.
#[test]
fn ibgp_ipv4_with_md5_routes_both_ways_restart_and_cease() {
    let case = Case {
        name: "ibgp4md5",
        rexa_ip: "127.0.3.31",
        gobgp_ip: "127.0.3.32",
        rexa_port: 17961,
        gobgp_port: 17962,
        api_host: "127.0.3.32",
        api_port: 50962,
        rexa_as: 65061,
        gobgp_as: 65061,
        rexa_id: "127.0.3.31",
        gobgp_id: "127.0.3.32",
        md5: Some("rexa-gobgp-secret"),
        ipv6: false,
        rexa_routes: "        route 10.61.1.0/24 next-hop 192.0.2.61 local-preference 200 med 5 community [ 65061:7 ];\n        route 10.61.2.0/24 next-hop 192.0.2.61;\n",
        gobgp_routes: &["198.51.100.0/24 nexthop 192.0.2.62 local-pref 300 med 9"],
    };
    run(
        &case,
        &[
            InGobgp {
                prefix: "10.61.1.0/24",
                fragments: &[
                    " 192.0.2.61 ",
                    "{Med: 5}",
                    "{LocalPref: 200}",
                    "{Communities: 65061:7}",
                ],
            },
            InGobgp {
                prefix: "10.61.2.0/24",
                // ExaBGP's default LOCAL_PREF on iBGP.
                fragments: &[" 192.0.2.61 ", "{LocalPref: 100}"],
            },
        ],
        &[InRexa {
            fragments: &[
                "ipv4 unicast 198.51.100.0/24",
                "next-hop 192.0.2.62",
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
        gobgp_ip: "::1",
        rexa_port: 17971,
        gobgp_port: 17972,
        api_host: "127.0.3.42",
        api_port: 50972,
        rexa_as: 65071,
        gobgp_as: 65072,
        rexa_id: "127.0.3.41",
        gobgp_id: "127.0.3.42",
        md5: None,
        ipv6: true,
        rexa_routes:
            "        route 2001:db8:71::/48 next-hop 2001:db8::71 med 71 community [ 65071:6 ];\n",
        gobgp_routes: &["2001:db8:72::/48 nexthop 2001:db8::72 community 65072:6"],
    };
    run(
        &case,
        &[InGobgp {
            prefix: "2001:db8:71::/48",
            fragments: &[
                " 2001:db8::71 ",
                " 65071 ",
                "{Med: 71}",
                "{Communities: 65071:6}",
            ],
        }],
        &[InRexa {
            fragments: &[
                "ipv6 unicast 2001:db8:72::/48",
                "next-hop 2001:db8::72",
                "as-path ( 65072 )",
                "community 65072:6",
            ],
        }],
    );
}
