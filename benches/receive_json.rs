//! Routes received and handed to a helper as JSON (`receive { parsed; update; }`): a rexa
//! sender with N static routes connects to the receiver under test, whose helper (`cat`
//! into a file) gets every UPDATE as ExaBGP 5 JSON. Time from the helper's first byte (the
//! `up` event) to the End-of-RIB event; peak RSS (VmHWM) of the receiver; prefixes counted
//! in the helper's file afterwards. rexa and ExaBGP 5 receive from the same fast sender.
//!
//! Run: `cargo bench --bench receive_json`. It builds the release daemon first, or uses
//! `REXA_BIN`. Settings: `REXA_RECV_ROUTES` (default 1000000, rexa), `REXA_RECV_EXABGP_ROUTES`
//! (default 100000; 0 skips ExaBGP), `REXA_RECV_ADJ_RIB_IN=1` (also a row with the adj-rib-in
//! kept, ExaBGP's default), `REXA_EXABGP`, `REXA_RECV_LIMIT` seconds (default 600),
//! `REXA_RECV_BIRD=1` (also a row with BIRD 2 as the sender, one attribute set; its time ends
//! at the last route), `REXA_RECV_KEEP=1` (keep the helper's events in the run directory), `REXA_RECV_SLOW=1` (also
//! a row whose helper sleeps 2 s before reading: back-pressure engaged, its time includes
//! the sleep).

#[path = "../tests/support/bench.rs"]
mod bench;
#[path = "../tests/support/interop.rs"]
mod interop;
#[path = "../tests/support/sink.rs"]
mod sink;

use bench::{env_flag, env_u32, exabgp_binary, rexa_binary};

use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use interop::{run_dir, wait_for, Daemon};
use sink::{memory_of, table_config, TableNeighbor};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Receiver {
    Rexa,
    ExaBgp,
}

struct Row {
    receiver: &'static str,
    setup: &'static str,
    routes: u32,
    elapsed: Option<Duration>,
    prefixes: u64,
    rss: Option<u64>,
    note: String,
}

/// A free TCP port on `address` (bound then released).
fn free_port(address: Ipv4Addr) -> Option<u16> {
    let listener = TcpListener::bind((address, 0)).ok()?;
    listener.local_addr().ok().map(|a| a.port())
}

/// True once the last bytes of `file` hold the End-of-RIB event.
fn ends_with_eor(file: &Path) -> bool {
    let Ok(mut handle) = std::fs::File::open(file) else {
        return false;
    };
    let Ok(len) = handle.seek(SeekFrom::End(0)) else {
        return false;
    };
    let from = len.saturating_sub(4096);
    if handle.seek(SeekFrom::Start(from)).is_err() {
        return false;
    }
    let mut tail = String::new();
    let _ = handle.read_to_string(&mut tail);
    tail.contains("\"eor\"")
}

/// Counts the routes of the helper's events as the file grows (each `{ "nlri": ` once).
#[derive(Default)]
struct Counter {
    offset: u64,
    /// The last bytes read, for a pattern split between two reads.
    carry: Vec<u8>,
    count: u64,
}

impl Counter {
    const PATTERN: &'static [u8] = b"{ \"nlri\": ";

    fn update(&mut self, file: &Path) -> u64 {
        let Ok(mut handle) = std::fs::File::open(file) else {
            return self.count;
        };
        if handle.seek(SeekFrom::Start(self.offset)).is_err() {
            return self.count;
        }
        let mut fresh = Vec::new();
        let Ok(read) = handle.read_to_end(&mut fresh) else {
            return self.count;
        };
        self.offset += read as u64;
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(&fresh);
        self.count += bytes
            .windows(Self::PATTERN.len())
            .filter(|w| *w == Self::PATTERN)
            .count() as u64;
        let keep = bytes.len().min(Self::PATTERN.len() - 1);
        self.carry = bytes.split_off(bytes.len() - keep);
        self.count
    }
}

/// rexa announcing `routes` /24s (2,000 attribute sets) to the receiver.
fn rexa_sender_config(sender: Ipv4Addr, receiver: Ipv4Addr, port: u16, routes: u32) -> String {
    table_config(
        &[TableNeighbor {
            local: sender,
            peer: receiver,
            port,
            local_as: 65000,
            peer_as: 65001,
        }],
        routes,
        |i| {
            let set = i % 2_000;
            format!("med {set} community [65000:{set}]")
        },
    )
}

/// BIRD announcing `routes` /24s (the same as rexa's, one attribute set) to the receiver.
fn bird_sender_config(sender: Ipv4Addr, receiver: Ipv4Addr, port: u16, routes: u32) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(routes as usize * 32 + 1024);
    let _ = write!(
        text,
        "router id {sender};\nprotocol device {{}}\nprotocol static originated {{ ipv4; "
    );
    for i in 0..routes {
        let _ = write!(text, "route {}/24 blackhole; ", sink::table_prefix(i));
    }
    let _ = write!(
        text,
        "}}\nprotocol bgp receiver {{\n  local {sender} as 65000;\n  \
         neighbor {receiver} port {port} as 65001;\n  strict bind yes;\n  multihop;\n  \
         connect retry time 1;\n  \
         ipv4 {{ import none; export all; next hop address 192.0.2.1; }};\n}}\n"
    );
    text
}

/// Prefixes announced in the helper's JSON lines (each `"nlri"` entry of an `announce`).
fn count_prefixes(file: &Path) -> u64 {
    let Ok(text) = std::fs::read_to_string(file) else {
        return 0;
    };
    let mut total = 0u64;
    for line in text.lines() {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let announce = &value["neighbor"]["message"]["update"]["announce"];
        if let Some(families) = announce.as_object() {
            for hops in families.values().filter_map(|v| v.as_object()) {
                total += hops
                    .values()
                    .filter_map(|v| v.as_array())
                    .map(|a| a.len() as u64)
                    .sum::<u64>();
            }
        }
    }
    total
}

/// Who sends the routes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sender {
    /// rexa with the routes as static routes (2,000 attribute sets).
    Rexa,
    /// BIRD 2 with the routes as static routes (one attribute set).
    Bird,
}

/// One run: the sender, the routes, and the receiver's configuration.
#[derive(Clone, Copy)]
struct Setup {
    sender: Sender,
    routes: u32,
    adj_rib_in: bool,
    /// Seconds the helper sleeps before reading.
    helper_sleep: u32,
}

fn run(
    receiver: Receiver,
    binary: &Path,
    sender_binary: &Path,
    setup: Setup,
    name: &str,
    base: Ipv4Addr,
) -> Row {
    let Setup {
        sender: sender_kind,
        routes,
        adj_rib_in,
        helper_sleep,
    } = setup;
    let mut row = Row {
        receiver: match receiver {
            Receiver::Rexa => "rexa",
            Receiver::ExaBgp => "ExaBGP 5",
        },
        setup: match (sender_kind, adj_rib_in, helper_sleep > 0) {
            (Sender::Bird, _, _) => "from BIRD",
            (_, true, _) => "adj-rib-in kept",
            (_, false, false) => "adj-rib-in false",
            (_, false, true) => "helper sleeps 2s",
        },
        routes,
        elapsed: None,
        prefixes: 0,
        rss: None,
        note: String::new(),
    };
    let dir = run_dir(&format!("receive_json/{name}"));
    let sender_address = base;
    let receiver_address = Ipv4Addr::from(u32::from(base) + 1);
    let Some(port) = free_port(receiver_address) else {
        row.note = format!("no free port on {receiver_address}");
        return row;
    };
    let out = dir.join("events.json");
    let helper = dir.join("helper.sh");
    // Not `exec cat`: the shell keeps its stdout (rexa's end of the pipe) open.
    let script = format!("#!/bin/sh\nsleep {helper_sleep}\ncat > {}\n", out.display());
    if std::fs::write(&helper, script).is_err() {
        row.note = "cannot write the helper".into();
        return row;
    }
    let receiver_config = format!(
        "process monitor {{\n  run /bin/sh {helper};\n  encoder json;\n}}\n\
         neighbor {sender_address} {{\n  router-id {receiver_address};\n  \
         local-address {receiver_address};\n  local-as 65001;\n  peer-as 65000;\n  \
         passive;\n  hold-time 180;\n  adj-rib-in {adj};\n  family {{ ipv4 unicast; }}\n  \
         api {{ processes [ monitor ]; neighbor-changes; receive {{ parsed; update; }} }}\n}}\n",
        helper = helper.display(),
        adj = adj_rib_in,
    );
    let sender_config = match sender_kind {
        Sender::Rexa => rexa_sender_config(sender_address, receiver_address, port, routes),
        Sender::Bird => bird_sender_config(sender_address, receiver_address, port, routes),
    };
    let receiver_conf = dir.join("receiver.conf");
    let sender_conf = dir.join("sender.conf");
    if std::fs::write(&receiver_conf, receiver_config).is_err()
        || std::fs::write(&sender_conf, sender_config).is_err()
    {
        row.note = "cannot write the configurations".into();
        return row;
    }
    let mut command = Command::new(binary);
    command
        .arg(&receiver_conf)
        .env("exabgp_tcp_bind", receiver_address.to_string())
        .env("exabgp_tcp_port", port.to_string())
        .env("exabgp_api_cli", "false")
        // The helper writes into the run directory: stay root (ExaBGP is told the same).
        .env("exabgp_daemon_user", "root")
        .env("exabgp_log_level", "WARNING");
    let mut daemon = match receiver {
        Receiver::Rexa => Daemon::spawn("receiver", &dir, &mut command),
        Receiver::ExaBgp => Daemon::spawn(
            "receiver",
            &dir,
            command
                .env("exabgp_daemon_user", "root")
                .env("exabgp_daemon_drop", "false"),
        ),
    };
    let address = std::net::SocketAddr::from((receiver_address, port));
    if wait_for(Duration::from_secs(30), || {
        interop::listening(address).then_some(())
    })
    .is_none()
    {
        row.note = format!("the receiver does not listen: {}", daemon.log());
        daemon.stop();
        return row;
    }
    let mut sender = match sender_kind {
        Sender::Rexa => Daemon::spawn(
            "sender",
            &dir,
            Command::new(sender_binary)
                .arg(&sender_conf)
                .env("exabgp_tcp_bind", "")
                .env("exabgp_api_cli", "false")
                .env("exabgp_daemon_user", "root")
                .env("exabgp_log_level", "WARNING"),
        ),
        Sender::Bird => Daemon::spawn(
            "sender",
            &dir,
            Command::new("bird")
                .arg("-f")
                .arg("-c")
                .arg(&sender_conf)
                .arg("-s")
                .arg(dir.join("bird.ctl"))
                .arg("-P")
                .arg(dir.join("bird.pid")),
        ),
    };
    // BIRD sends no End-of-RIB here (no graceful restart): its end is the last route.
    let mut counter = Counter::default();
    let limit = Duration::from_secs(env_u32("REXA_RECV_LIMIT", 600).into());
    let started = Instant::now();
    let mut first = None;
    loop {
        if first.is_none() && std::fs::metadata(&out).is_ok_and(|m| m.len() > 0) {
            first = Some(Instant::now());
        }
        let done = match sender_kind {
            Sender::Rexa => ends_with_eor(&out),
            Sender::Bird => counter.update(&out) >= u64::from(routes),
        };
        if first.is_some() && done {
            row.elapsed = first.map(|at| at.elapsed());
            break;
        }
        if started.elapsed() > limit || !daemon.running() || !sender.running() {
            row.note = format!("not every route within {limit:?}");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    row.rss = memory_of(daemon.pid()).map(|(_, peak)| peak);
    sender.stop();
    daemon.stop();
    row.prefixes = count_prefixes(&out);
    if row.prefixes != u64::from(routes) && row.note.is_empty() {
        row.note = format!("{} prefixes in the helper's events", row.prefixes);
    }
    if !env_flag("REXA_RECV_KEEP") {
        let _ = std::fs::remove_file(&out);
    }
    row
}

fn print(rows: &[Row]) {
    println!();
    println!(
        "{:<9} {:<17} {:>9} {:>9} {:>12} {:>14}  note",
        "receiver", "configuration", "routes", "time s", "prefixes/s", "peak RSS MiB"
    );
    for row in rows {
        println!(
            "{:<9} {:<17} {:>9} {:>9} {:>12} {:>14}  {}",
            row.receiver,
            row.setup,
            row.routes,
            row.elapsed
                .map_or("-".into(), |d| format!("{:.3}", d.as_secs_f64())),
            row.elapsed.map_or("-".into(), |d| format!(
                "{:.0}",
                f64::from(row.routes) / d.as_secs_f64()
            )),
            row.rss
                .map_or("-".into(), |r| format!("{:.1}", r as f64 / 1048576.0)),
            row.note
        );
    }
    println!();
    println!("time: the helper's first byte (the `up` event) to the End-of-RIB event; the");
    println!("sender is rexa (2,000 attribute sets, UPDATEs packed as ExaBGP does); peak RSS");
    println!("is the receiver's VmHWM; the helper is `cat` into a file. \"from BIRD\": BIRD 2");
    println!("sends (one attribute set, no End-of-RIB: the time ends at the last route).");
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("receive_json: run with `cargo bench --bench receive_json`");
        return;
    }
    let routes = env_u32("REXA_RECV_ROUTES", 1_000_000);
    let exabgp_routes = env_u32("REXA_RECV_EXABGP_ROUTES", 100_000);
    let binary: PathBuf = rexa_binary();
    let mut rows = vec![run(
        Receiver::Rexa,
        &binary,
        &binary,
        Setup {
            sender: Sender::Rexa,
            routes,
            adj_rib_in: false,
            helper_sleep: 0,
        },
        "rexa",
        Ipv4Addr::new(127, 0, 0, 150),
    )];
    if env_flag("REXA_RECV_SLOW") {
        rows.push(run(
            Receiver::Rexa,
            &binary,
            &binary,
            Setup {
                sender: Sender::Rexa,
                routes,
                adj_rib_in: false,
                helper_sleep: 2,
            },
            "rexa-slow",
            Ipv4Addr::new(127, 0, 0, 158),
        ));
    }
    if env_flag("REXA_RECV_ADJ_RIB_IN") {
        rows.push(run(
            Receiver::Rexa,
            &binary,
            &binary,
            Setup {
                sender: Sender::Rexa,
                routes,
                adj_rib_in: true,
                helper_sleep: 0,
            },
            "rexa-adj-rib-in",
            Ipv4Addr::new(127, 0, 0, 152),
        ));
    }
    if env_flag("REXA_RECV_BIRD") && interop::available("bird") {
        rows.push(run(
            Receiver::Rexa,
            &binary,
            &binary,
            Setup {
                sender: Sender::Bird,
                routes,
                adj_rib_in: false,
                helper_sleep: 0,
            },
            "rexa-bird",
            Ipv4Addr::new(127, 0, 0, 160),
        ));
    }
    let exabgp = exabgp_binary();
    if exabgp_routes == 0 {
        println!("ExaBGP skipped (REXA_RECV_EXABGP_ROUTES=0)");
    } else if !exabgp.is_file() {
        println!("ExaBGP skipped: {} not found", exabgp.display());
    } else {
        rows.push(run(
            Receiver::Rexa,
            &binary,
            &binary,
            Setup {
                sender: Sender::Rexa,
                routes: exabgp_routes,
                adj_rib_in: false,
                helper_sleep: 0,
            },
            "rexa-small",
            Ipv4Addr::new(127, 0, 0, 154),
        ));
        rows.push(run(
            Receiver::ExaBgp,
            &exabgp,
            &binary,
            Setup {
                sender: Sender::Rexa,
                routes: exabgp_routes,
                adj_rib_in: false,
                helper_sleep: 0,
            },
            "exabgp",
            Ipv4Addr::new(127, 0, 0, 156),
        ));
    }
    print(&rows);
}
