//! Table push of the whole daemon: N distinct IPv4 /24 routes (2,000 attribute sets) from a
//! generated configuration to a receiving peer, side by side with ExaBGP 5 and into GoBGP.
//!
//! Run: `cargo bench --bench table_push`. It builds the release daemon first
//! (`cargo build --release --bin rexa`; benches get no `CARGO_BIN_EXE_*`), or uses
//! `REXA_BIN=/path/to/rexa`. Settings (environment):
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `REXA_PUSH_ROUTES` | 1000000 | routes of the main rexa → sink run |
//! | `REXA_PUSH_SMALL_ROUTES` | 100000 | routes of the side-by-side rexa / ExaBGP runs (0 skips both) |
//! | `REXA_PUSH_GOBGP_ROUTES` | `REXA_PUSH_ROUTES` | routes of the rexa → GoBGP run |
//! | `REXA_PUSH_SKIP_EXABGP` | unset | `1` skips ExaBGP |
//! | `REXA_PUSH_SKIP_GOBGP` | unset | `1` skips GoBGP |
//! | `REXA_EXABGP` | /opt/exabgp5/bin/exabgp | the ExaBGP to compare with |
//!
//! Figures: start → Established (configuration load), Established (the sink's KEEPALIVE) →
//! last UPDATE, prefixes per second over that span, UPDATE bytes against the minimum
//! (4 bytes per /24 plus the fewest UPDATEs that can carry each attribute set), and the
//! speaker's VmRSS after the push, VmHWM (the configuration-parse peak), and RSS per route
//! (VmRSS minus that of the same daemon with one route, over N).

#[path = "../tests/support/bench.rs"]
mod bench;
#[path = "../tests/support/interop.rs"]
mod interop;
#[path = "../tests/support/sink.rs"]
mod sink;

use bench::{env_flag, env_u32, exabgp_binary, rexa_binary};

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use interop::{run_dir, wait_for, Daemon, Gobgp};
use sink::{memory_of, table_config, SinkListener, TableNeighbor};

const ATTRIBUTE_SETS: u32 = 2_000;
const MAX_MESSAGE: u64 = 4096;
/// UPDATE header, withdrawn-routes length and path-attribute length.
const UPDATE_OVERHEAD: u64 = 19 + 2 + 2;

/// Route `i`'s attributes: one of [`ATTRIBUTE_SETS`] MED / community pairs.
fn attributes(i: u32) -> String {
    let set = i % ATTRIBUTE_SETS;
    format!("med {set} community [65000:{set}]")
}

/// The fewest UPDATE bytes that carry `routes` /24s spread over the attribute sets, each
/// set's path attributes taking `attribute_len` bytes.
fn minimum_bytes(routes: u32, attribute_len: u64) -> u64 {
    let room = MAX_MESSAGE - UPDATE_OVERHEAD - attribute_len;
    let sets = routes.min(ATTRIBUTE_SETS);
    (0..sets)
        .map(|set| {
            let count =
                u64::from(routes / ATTRIBUTE_SETS + u32::from(set < routes % ATTRIBUTE_SETS));
            let nlri = 4 * count;
            let updates = nlri.div_ceil(room).max(1);
            nlri + updates * (UPDATE_OVERHEAD + attribute_len)
        })
        .sum()
}

/// One line of the table.
#[derive(Default)]
struct Row {
    speaker: String,
    receiver: String,
    routes: u32,
    /// Process start to Established.
    load: Option<Duration>,
    /// Established to the last UPDATE (or to the receiver holding every route).
    push: Option<Duration>,
    /// Process start to every route at the receiver.
    total: Option<Duration>,
    updates: Option<u64>,
    wire_ratio: Option<f64>,
    rss: Option<u64>,
    hwm: Option<u64>,
    rss_per_route: Option<f64>,
    note: String,
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

fn seconds(d: Option<Duration>) -> String {
    d.map_or("-".to_owned(), |d| format!("{:.3}", d.as_secs_f64()))
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<13} {:<7} {:>9} {:>9} {:>9} {:>9} {:>12} {:>8} {:>7} {:>8} {:>8} {:>9}  note",
        "speaker",
        "to",
        "routes",
        "load s",
        "push s",
        "total s",
        "prefixes/s",
        "UPDATEs",
        "wire/min",
        "RSS MiB",
        "HWM MiB",
        "RSS B/rt"
    );
    for row in rows {
        let rate = row
            .push
            .filter(|d| !d.is_zero())
            .map_or("-".to_owned(), |d| {
                format!("{:.0}", f64::from(row.routes) / d.as_secs_f64())
            });
        println!(
            "{:<13} {:<7} {:>9} {:>9} {:>9} {:>9} {:>12} {:>8} {:>7} {:>8} {:>8} {:>9}  {}",
            row.speaker,
            row.receiver,
            row.routes,
            seconds(row.load),
            seconds(row.push),
            seconds(row.total),
            rate,
            row.updates.map_or("-".to_owned(), |u| u.to_string()),
            row.wire_ratio.map_or("-".to_owned(), |r| format!("{r:.3}")),
            row.rss.map_or("-".to_owned(), mib),
            row.hwm.map_or("-".to_owned(), mib),
            row.rss_per_route
                .map_or("-".to_owned(), |r| format!("{r:.1}")),
            row.note
        );
    }
    println!();
    println!("load: process start to Established; push: Established (the receiver's KEEPALIVE)");
    println!("to the last UPDATE (GoBGP: to its neighbor count showing every route accepted);");
    println!(
        "wire/min: UPDATE bytes over the minimum; RSS B/rt: (VmRSS - VmRSS with 1 route) / routes."
    );
}

/// Which daemon to start on a generated configuration.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Speaker {
    Rexa,
    ExaBgp,
}

fn start_speaker(speaker: Speaker, binary: &Path, dir: &Path, config: &Path) -> Daemon {
    match speaker {
        Speaker::Rexa => Daemon::spawn(
            "rexa",
            dir,
            Command::new(binary)
                .arg(config)
                .env("exabgp_tcp_bind", "")
                .env("exabgp_daemon_user", "root")
                .env(
                    "exabgp_log_level",
                    std::env::var("REXA_PUSH_LOG").unwrap_or_else(|_| "INFO".to_owned()),
                ),
        ),
        Speaker::ExaBgp => Daemon::spawn(
            "exabgp",
            dir,
            Command::new(binary)
                .arg(config)
                .env("exabgp_daemon_user", "root")
                .env("exabgp_daemon_drop", "false")
                .env("exabgp_api_cli", "false")
                .env("exabgp_tcp_bind", "")
                .env("exabgp_log_level", "WARNING"),
        ),
    }
}

/// Starts `speaker` with `routes` routes towards a sink and measures the push.
fn push_to_sink(speaker: Speaker, binary: &Path, routes: u32, name: &str, local: Ipv4Addr) -> Row {
    let mut row = Row {
        speaker: match speaker {
            Speaker::Rexa => "rexa".to_owned(),
            Speaker::ExaBgp => "ExaBGP 5".to_owned(),
        },
        receiver: "sink".to_owned(),
        routes,
        ..Row::default()
    };
    let dir = run_dir(&format!("table_push/{name}"));
    let peer = Ipv4Addr::from(u32::from(local) + 1);
    let listener = match SinkListener::bind(peer, None) {
        Ok(listener) => listener,
        Err(e) => {
            row.note = format!("cannot listen on {peer}: {e}");
            return row;
        }
    };
    let neighbor = TableNeighbor {
        local,
        peer,
        port: listener.port(),
        local_as: 65000,
        peer_as: 65001,
    };
    let config = dir.join("table.conf");
    if let Err(e) = std::fs::write(&config, table_config(&[neighbor], routes, attributes)) {
        row.note = format!("cannot write the configuration: {e}");
        return row;
    }
    let started = Instant::now();
    let mut daemon = start_speaker(speaker, binary, &dir, &config);
    let limit = Duration::from_secs(env_u32("REXA_PUSH_LIMIT", 600).into());
    let mut sink = match listener.accept(65001, peer, limit) {
        Ok(sink) => sink,
        Err(e) => {
            row.note = format!("no session: {e}; log {}", dir.display());
            return row;
        }
    };
    row.load = Some(sink.established - started);
    let mut attribute_len = 0u64;
    match sink.receive_until_eor(limit, |view| {
        attribute_len = view.attribute_bytes().len() as u64
    }) {
        Ok(received) => {
            row.push = Some(received.last_update);
            row.total = Some(sink.established - started + received.last_update);
            row.updates = Some(received.updates);
            row.wire_ratio =
                Some(received.update_bytes as f64 / minimum_bytes(routes, attribute_len) as f64);
            if received.announced != u64::from(routes) {
                row.note = format!("received {} prefixes, not {routes}", received.announced);
            }
        }
        Err(e) => row.note = format!("{e}"),
    }
    // Let the daemon settle (freed buffers) before reading its memory.
    std::thread::sleep(Duration::from_millis(300));
    if let Some((rss, hwm)) = memory_of(daemon.pid()) {
        row.rss = Some(rss);
        row.hwm = Some(hwm);
    }
    daemon.stop();
    row
}

/// rexa → GoBGP: when GoBGP has accepted every route.
fn push_to_gobgp(binary: &Path, routes: u32) -> Row {
    let mut row = Row {
        speaker: "rexa".to_owned(),
        receiver: "GoBGP".to_owned(),
        routes,
        ..Row::default()
    };
    let dir = run_dir("table_push/gobgp");
    let (rexa_ip, gobgp_ip) = (Ipv4Addr::new(127, 0, 0, 86), Ipv4Addr::new(127, 0, 0, 87));
    let port = match std::net::TcpListener::bind((gobgp_ip, 0)) {
        Ok(l) => l.local_addr().map(|a| a.port()).unwrap_or(17987),
        Err(_) => 17987,
    };
    let gobgp = Gobgp::start(
        &dir,
        &format!(
            r#"
[global.config]
  as = 65001
  router-id = "{gobgp_ip}"
  port = {port}
  local-address-list = ["{gobgp_ip}"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "{rexa_ip}"
    peer-as = 65000
  [neighbors.transport.config]
    local-address = "{gobgp_ip}"
    passive-mode = true
  [neighbors.timers.config]
    hold-time = 180
    keepalive-interval = 60
"#
        ),
        &gobgp_ip.to_string(),
        50987,
    );
    let neighbor = TableNeighbor {
        local: rexa_ip,
        peer: gobgp_ip,
        port,
        local_as: 65000,
        peer_as: 65001,
    };
    let config = dir.join("table.conf");
    if let Err(e) = std::fs::write(&config, table_config(&[neighbor], routes, attributes)) {
        row.note = format!("cannot write the configuration: {e}");
        return row;
    }
    let started = Instant::now();
    let mut daemon = start_speaker(Speaker::Rexa, binary, &dir, &config);
    let neighbor_text = rexa_ip.to_string();
    let established = wait_for(Duration::from_secs(300), || {
        gobgp.established(&neighbor_text).then(Instant::now)
    });
    let Some(established) = established else {
        row.note = format!("no session; logs in {}", dir.display());
        return row;
    };
    row.load = Some(established - started);
    let accepted = |text: &str| -> u64 {
        text.lines()
            .find(|l| l.trim_start().starts_with("Accepted:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let mut last = 0;
    let done = wait_for(Duration::from_secs(600), || {
        last = accepted(&gobgp.gobgp(&format!("neighbor {neighbor_text}")));
        (last >= u64::from(routes)).then(Instant::now)
    });
    match done {
        Some(done) => {
            row.push = Some(done - established);
            row.total = Some(done - started);
        }
        None => row.note = format!("GoBGP accepted {last} of {routes}"),
    }
    if let Some((rss, hwm)) = memory_of(daemon.pid()) {
        row.rss = Some(rss);
        row.hwm = Some(hwm);
    }
    if let Some((rss, _)) = memory_of(gobgp.daemon.pid()) {
        row.note = format!("{} gobgpd RSS {} MiB", row.note, mib(rss));
    }
    daemon.stop();
    row
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would too: run only under bench.
    if !std::env::args().any(|a| a == "--bench") {
        println!("table_push: run with `cargo bench --bench table_push`");
        return;
    }
    let routes = env_u32("REXA_PUSH_ROUTES", 1_000_000);
    let small = env_u32("REXA_PUSH_SMALL_ROUTES", 100_000);
    let gobgp_routes = env_u32("REXA_PUSH_GOBGP_ROUTES", routes);
    let binary = rexa_binary();
    println!("table_push: rexa {}", binary.display());
    let mut rows = Vec::new();

    let baseline = push_to_sink(
        Speaker::Rexa,
        &binary,
        1,
        "rexa-1",
        Ipv4Addr::new(127, 0, 0, 80),
    );
    let baseline_rss = baseline.rss;
    rows.push(baseline);
    let per_route = |row: &mut Row| {
        if let (Some(rss), Some(base)) = (row.rss, baseline_rss) {
            row.rss_per_route = Some(rss.saturating_sub(base) as f64 / f64::from(row.routes));
        }
    };

    let mut main_row = push_to_sink(
        Speaker::Rexa,
        &binary,
        routes,
        "rexa-n",
        Ipv4Addr::new(127, 0, 0, 80),
    );
    per_route(&mut main_row);
    rows.push(main_row);

    if small > 0 {
        let mut row = push_to_sink(
            Speaker::Rexa,
            &binary,
            small,
            "rexa-small",
            Ipv4Addr::new(127, 0, 0, 82),
        );
        per_route(&mut row);
        rows.push(row);
        let exabgp = exabgp_binary();
        if env_flag("REXA_PUSH_SKIP_EXABGP") {
            println!("ExaBGP skipped (REXA_PUSH_SKIP_EXABGP=1)");
        } else if !exabgp.is_file() {
            println!("ExaBGP skipped: {} not found", exabgp.display());
        } else {
            rows.push(push_to_sink(
                Speaker::ExaBgp,
                &exabgp,
                small,
                "exabgp-small",
                Ipv4Addr::new(127, 0, 0, 84),
            ));
        }
    }

    if env_flag("REXA_PUSH_SKIP_GOBGP") {
        println!("GoBGP skipped (REXA_PUSH_SKIP_GOBGP=1)");
    } else if !interop::available("gobgpd") {
        println!("GoBGP skipped: gobgpd not installed");
    } else {
        let mut row = push_to_gobgp(&binary, gobgp_routes);
        per_route(&mut row);
        rows.push(row);
    }
    print_table(&rows);
}
