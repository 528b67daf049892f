//! A peer that stops reading must not slow the others nor make the daemon's memory grow:
//! rexa waits on its socket, keeps serving a normal peer, coalesces repeated reloads of the
//! same routes, and sends the slow peer the final state once it reads again.

mod support {
    pub mod interop;
    pub mod sink;
}

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rexa::bgp::negotiated::Negotiated;
use support::interop::{run_dir, wait_for, Daemon};
use support::sink::{med, memory_of, prefix_key, table_config, SinkListener, TableNeighbor};

/// Routes per neighbor: one UPDATE each (`group-updates false`, ~55 bytes), so each
/// version of the table is ~2 MB on the wire and the slow peer's 4 KiB window stalls it.
const ROUTES: u32 = 40_000;
const RELOADS: u32 = 10;
/// Allowed growth of the RSS peak from the first half of the reloads to the second.
const RSS_SLACK: u64 = 8 << 20;
const LOCAL: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 88);
const NORMAL: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 89);
const SLOW: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 90);

/// The configuration for both neighbors, every route with MED `med`.
fn config(normal_port: u16, slow_port: u16, med: u32) -> String {
    let neighbor = |peer, port| TableNeighbor {
        local: LOCAL,
        peer,
        port,
        local_as: 65000,
        peer_as: 65001,
    };
    table_config(
        &[neighbor(NORMAL, normal_port), neighbor(SLOW, slow_port)],
        ROUTES,
        |_| format!("med {med}"),
    )
    .replace(
        "  hold-time 180;\n",
        "  hold-time 180;\n  group-updates false;\n",
    )
}

/// The MED of reload `k` (1-based): the two files alternate, the last one is 2.
fn reload_med(k: u32) -> u32 {
    if k % 2 == 1 {
        1
    } else {
        2
    }
}

/// Per-prefix MED as last received, and how many prefixes currently have `med`.
#[derive(Default)]
struct Table {
    med: HashMap<u64, u32>,
    end_of_rib: bool,
}

impl Table {
    fn update(&mut self, view: &rexa::bgp::update::UpdateView<'_>) {
        let ctx = Negotiated::default();
        let value = med(view).unwrap_or(u32::MAX);
        for nlri in view.announced(&ctx).flatten() {
            if let Some(key) = prefix_key(&nlri) {
                self.med.insert(key, value);
            }
        }
        for nlri in view.withdrawn(&ctx).flatten() {
            if let Some(key) = prefix_key(&nlri) {
                self.med.remove(&key);
            }
        }
    }

    fn all_at(&self, med: u32) -> bool {
        self.med.len() == ROUTES as usize && self.med.values().all(|m| *m == med)
    }
}

#[test]
fn a_stalled_peer_neither_blocks_others_nor_grows_memory() {
    let dir = run_dir("slow_peer");
    let normal = SinkListener::bind(NORMAL, None).expect("listen for the normal peer");
    let slow = SinkListener::bind(SLOW, Some(4096)).expect("listen for the slow peer");
    let (normal_port, slow_port) = (normal.port(), slow.port());
    let path = dir.join("slow.conf");
    std::fs::write(&path, config(normal_port, slow_port, 0)).expect("write configuration");
    let mut rexa = Daemon::spawn(
        "rexa",
        &dir,
        Command::new(env!("CARGO_BIN_EXE_rexa"))
            .arg(&path)
            .env("exabgp_tcp_bind", "")
            // Stay root as the test is (tests/daemon_privileges.rs covers the drop).
            .env("exabgp_daemon_user", "root"),
    );

    // The normal peer reads all the time, on its own thread.
    let normal_table = Arc::new(Mutex::new(Table::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let updates = Arc::new(AtomicU64::new(0));
    let reader = {
        let (table, stop, updates) = (normal_table.clone(), stop.clone(), updates.clone());
        std::thread::spawn(move || -> Result<(), String> {
            let mut sink = normal
                .accept(65001, NORMAL, Duration::from_secs(60))
                .map_err(|e| format!("normal peer: {e}"))?;
            let result = sink.receive_until(Duration::from_secs(120), |view| {
                let mut table = table.lock().unwrap_or_else(|e| e.into_inner());
                match view {
                    Some(view) => {
                        table.update(view);
                        updates.fetch_add(1, Ordering::Relaxed);
                    }
                    None => table.end_of_rib = true,
                }
                stop.load(Ordering::Relaxed)
            });
            match result {
                Ok(_) => Ok(()),
                Err(e) if stop.load(Ordering::Relaxed) => {
                    let _ = e;
                    Ok(())
                }
                Err(e) => Err(format!("normal peer: {e}")),
            }
        })
    };
    let mut slow_sink = slow
        .accept(65001, SLOW, Duration::from_secs(60))
        .expect("the slow peer's session");

    let normal_at = |med: u32| {
        let table = normal_table.lock().unwrap_or_else(|e| e.into_inner());
        table.end_of_rib && table.all_at(med)
    };
    assert!(
        wait_for(Duration::from_secs(60), || normal_at(0).then_some(())).is_some(),
        "the normal peer did not get the table while the other one is stalled; log:\n{}",
        rexa.log()
    );

    // Reloads alternating two files that differ only in the MED of the same routes.
    let mut rss_after = Vec::new();
    for k in 1..=RELOADS {
        std::fs::write(&path, config(normal_port, slow_port, reload_med(k))).expect("write");
        let status = Command::new("kill")
            .arg("-USR1")
            .arg(rexa.pid().to_string())
            .status();
        assert!(status.is_ok_and(|s| s.success()), "kill -USR1");
        let applied = wait_for(Duration::from_secs(30), || {
            normal_at(reload_med(k)).then_some(())
        });
        assert!(
            applied.is_some(),
            "reload {k}: the normal peer did not get MED {}; log:\n{}",
            reload_med(k),
            rexa.log()
        );
        let (rss, _) = memory_of(rexa.pid()).expect("rexa's memory");
        rss_after.push(rss);
    }
    // The allocator returns freed parse memory to the system only now and then, so RSS
    // swings from one reload to the next: the bound is on its peak, which must not rise
    // from the first half of the reloads to the second.
    let (first, second) = rss_after.split_at(rss_after.len() / 2);
    let early = first.iter().copied().max().unwrap_or(0);
    let late = second.iter().copied().max().unwrap_or(0);
    eprintln!(
        "slow peer: RSS after each reload (MiB): {:?}",
        rss_after.iter().map(|r| r >> 20).collect::<Vec<_>>()
    );
    assert!(
        late <= early + RSS_SLACK,
        "RSS peak grew from {early} to {late} bytes over {RELOADS} reloads while a peer was stalled"
    );

    // The slow peer reads again: it must converge to the last file, End-of-RIB included.
    let mut slow_table = Table::default();
    let final_med = reload_med(RELOADS);
    let received = slow_sink.receive_until(Duration::from_secs(60), |view| {
        match view {
            Some(view) => slow_table.update(view),
            None => slow_table.end_of_rib = true,
        }
        slow_table.end_of_rib && slow_table.all_at(final_med)
    });
    stop.store(true, Ordering::Relaxed);
    let slow_updates = received.as_ref().map_or(0, |r| r.updates);
    eprintln!(
        "slow peer: {slow_updates} UPDATEs after resuming; the normal peer got {}",
        updates.load(Ordering::Relaxed)
    );
    let wrong = slow_table.med.values().filter(|m| **m != final_med).count();
    assert!(
        received.is_ok(),
        "the slow peer did not converge ({:?}): {} prefixes, {} with another MED, EOR {}",
        received.err().map(|e| e.to_string()),
        slow_table.med.len(),
        wrong,
        slow_table.end_of_rib
    );
    // Coalesced: far fewer than one UPDATE per route per reload.
    assert!(
        slow_updates < u64::from(ROUTES) * u64::from(RELOADS + 1) / 2,
        "the slow peer got {slow_updates} UPDATEs: changes were queued, not coalesced"
    );
    rexa.stop();
    let normal_result = reader.join().expect("normal peer thread");
    assert!(normal_result.is_ok(), "{normal_result:?}");
    assert!(updates.load(Ordering::Relaxed) >= u64::from(ROUTES) * u64::from(RELOADS + 1));
}
