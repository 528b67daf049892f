//! Routes injected through the helper-process API: a helper writes N `announce route`
//! commands as fast as it can; the time until a receiving peer holds every prefix, for rexa
//! and for ExaBGP 5 on the same routes (acks off on both, so the helper never waits).
//!
//! Run: `cargo bench --bench api_push`. It builds the release daemon first, or uses
//! `REXA_BIN`. Settings: `REXA_API_ROUTES` (default 100000, both speakers),
//! `REXA_API_LARGE_ROUTES` (default 1000000, rexa only; 0 skips), `REXA_API_SKIP_EXABGP=1`,
//! `REXA_EXABGP` (default /opt/exabgp5/bin/exabgp), `REXA_API_LIMIT` seconds (default 600).

#[path = "../tests/support/bench.rs"]
mod bench;
#[path = "../tests/support/interop.rs"]
mod interop;
#[path = "../tests/support/sink.rs"]
mod sink;

use bench::{env_flag, env_u32, exabgp_binary, rexa_binary};

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use interop::{run_dir, Daemon};
use rexa::bgp::negotiated::Negotiated;
use sink::{memory_of, table_prefix, SinkListener};

/// Distinct attribute sets the routes cycle through.
const ATTRIBUTE_SETS: u32 = 2_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Speaker {
    Rexa,
    ExaBgp,
}

struct Row {
    speaker: &'static str,
    routes: u32,
    /// Process start to every prefix at the receiver.
    total: Option<Duration>,
    rss: Option<u64>,
    /// Peak resident set (VmHWM) of the daemon.
    peak: Option<u64>,
    note: String,
}

/// The helper's commands: route `i` is the i-th /24 with one of the attribute sets.
fn commands(routes: u32) -> String {
    let mut text = String::with_capacity(routes as usize * 80);
    for i in 0..routes {
        let set = i % ATTRIBUTE_SETS;
        let _ = writeln!(
            text,
            "announce route {}/24 next-hop 192.0.2.1 med {set} community [65000:{set}]",
            table_prefix(i)
        );
    }
    text
}

fn run(speaker: Speaker, binary: &Path, routes: u32, name: &str, local: Ipv4Addr) -> Row {
    let mut row = Row {
        speaker: match speaker {
            Speaker::Rexa => "rexa",
            Speaker::ExaBgp => "ExaBGP 5",
        },
        routes,
        total: None,
        rss: None,
        peak: None,
        note: String::new(),
    };
    let dir = run_dir(&format!("api_push/{name}"));
    let peer = Ipv4Addr::from(u32::from(local) + 1);
    let listener = match SinkListener::bind(peer, None) {
        Ok(listener) => listener,
        Err(e) => {
            row.note = format!("cannot listen on {peer}: {e}");
            return row;
        }
    };
    if let Err(e) = std::fs::write(dir.join("routes.txt"), commands(routes)) {
        row.note = format!("cannot write the commands: {e}");
        return row;
    }
    // Writes every command, then waits (acks are off: nothing is written to it). It must not
    // exit: a helper that ends is respawned and would send everything again.
    let helper = dir.join("helper.sh");
    let script = format!(
        "#!/bin/sh\ncat {}\nexec sleep 100000\n",
        dir.join("routes.txt").display()
    );
    if std::fs::write(&helper, script).is_err() {
        row.note = "cannot write the helper".into();
        return row;
    }
    let config = format!(
        "process feeder {{\n  run /bin/sh {helper};\n  encoder text;\n}}\n\
         neighbor {peer} {{\n  router-id {local};\n  local-address {local};\n  local-as 65000;\n  \
         peer-as 65001;\n  connect {port};\n  family {{ ipv4 unicast; }}\n  \
         api {{ processes [ feeder ]; }}\n}}\n",
        helper = helper.display(),
        port = listener.port(),
    );
    let conf = dir.join("api.conf");
    if std::fs::write(&conf, config).is_err() {
        row.note = "cannot write the configuration".into();
        return row;
    }
    let started = Instant::now();
    let mut command = Command::new(binary);
    command
        .arg(&conf)
        .env("exabgp_tcp_bind", "")
        .env("exabgp_daemon_user", "root")
        .env("exabgp_api_ack", "false")
        .env("exabgp_api_cli", "false");
    let mut daemon = match speaker {
        Speaker::Rexa => Daemon::spawn("rexa", &dir, command.env("exabgp_log_level", "WARNING")),
        Speaker::ExaBgp => Daemon::spawn(
            "exabgp",
            &dir,
            command
                .env("exabgp_daemon_user", "root")
                .env("exabgp_daemon_drop", "false")
                .env("exabgp_log_level", "WARNING"),
        ),
    };
    let limit = Duration::from_secs(env_u32("REXA_API_LIMIT", 600).into());
    match listener.accept(65001, peer, limit) {
        Ok(mut sink) => {
            let ctx = Negotiated::default();
            let mut count = 0u64;
            let result = sink.receive_until(limit, |view| {
                if let Some(view) = view {
                    count += view.announced(&ctx).count() as u64;
                }
                count >= u64::from(routes)
            });
            match result {
                Ok(_) => row.total = Some(started.elapsed()),
                Err(e) => row.note = format!("{e} after {count} prefixes"),
            }
        }
        Err(e) => row.note = format!("no session: {e}"),
    }
    std::thread::sleep(Duration::from_millis(300));
    if let Some((rss, peak)) = memory_of(daemon.pid()) {
        row.rss = Some(rss);
        row.peak = Some(peak);
    }
    daemon.stop();
    row
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("api_push: run with `cargo bench --bench api_push`");
        return;
    }
    let routes = env_u32("REXA_API_ROUTES", 100_000);
    let large = env_u32("REXA_API_LARGE_ROUTES", 1_000_000);
    let binary = rexa_binary();
    let mut rows = vec![run(
        Speaker::Rexa,
        &binary,
        routes,
        "rexa",
        Ipv4Addr::new(127, 0, 0, 90),
    )];
    if large > 0 {
        rows.push(run(
            Speaker::Rexa,
            &binary,
            large,
            "rexa-large",
            Ipv4Addr::new(127, 0, 0, 92),
        ));
    }
    let exabgp = exabgp_binary();
    if env_flag("REXA_API_SKIP_EXABGP") {
        println!("ExaBGP skipped (REXA_API_SKIP_EXABGP=1)");
    } else if !exabgp.is_file() {
        println!("ExaBGP skipped: {} not found", exabgp.display());
    } else {
        rows.push(run(
            Speaker::ExaBgp,
            &exabgp,
            routes,
            "exabgp",
            Ipv4Addr::new(127, 0, 0, 94),
        ));
    }
    println!();
    println!(
        "{:<10} {:>9} {:>10} {:>12} {:>9} {:>9}  note",
        "speaker", "routes", "total s", "routes/s", "RSS MiB", "peak MiB"
    );
    let mib =
        |bytes: Option<u64>| bytes.map_or("-".into(), |b| format!("{:.1}", b as f64 / 1048576.0));
    for row in &rows {
        println!(
            "{:<10} {:>9} {:>10} {:>12} {:>9} {:>9}  {}",
            row.speaker,
            row.routes,
            row.total
                .map_or("-".into(), |d| format!("{:.3}", d.as_secs_f64())),
            row.total.map_or("-".into(), |d| format!(
                "{:.0}",
                f64::from(row.routes) / d.as_secs_f64()
            )),
            mib(row.rss),
            mib(row.peak),
            row.note
        );
    }
    println!();
    println!("total: process start to the receiver holding every prefix (the helper writes");
    println!("one `announce route` line per prefix; 2,000 attribute sets; acks off); RSS: after");
    println!("the last prefix arrived; peak: VmHWM, the daemon's peak resident set.");
}
