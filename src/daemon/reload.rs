//! Reload (SIGUSR1, SIGUSR2, `reload`): the configuration read again and the running
//! neighbors moved to it, by key and definition fingerprint, routes applied as a diff.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::bgp::notification::Notification;
use crate::config::model::{Config, Neighbor};
use crate::reactor::notify::{self, Status};
use crate::reactor::{Reactor, SessionId};

use super::session::NeighborSession;
use super::{config_directory, load, Daemon};

/// How a neighbor is recognised across reloads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct NeighborKey {
    pub(super) peer: IpAddr,
    pub(super) len: u8,
    pub(super) local: Option<IpAddr>,
}

impl NeighborKey {
    pub(super) fn of(neighbor: &Neighbor) -> NeighborKey {
        NeighborKey {
            peer: neighbor.peer_address,
            len: neighbor.peer_prefix_len,
            local: neighbor.local_address,
        }
    }
}

/// A 64-bit fingerprint of a neighbor's whole definition (every field, through its
/// `Debug` form, hashed as it is written): a thousand neighbors keep 8 bytes each, not
/// a kilobyte of text, to tell a changed definition on reload.
fn fingerprint(neighbor: &Neighbor) -> u64 {
    use std::hash::Hasher;
    struct HashWriter(std::collections::hash_map::DefaultHasher);
    impl std::fmt::Write for HashWriter {
        fn write_str(&mut self, text: &str) -> std::fmt::Result {
            self.0.write(text.as_bytes());
            Ok(())
        }
    }
    let mut writer = HashWriter(std::collections::hash_map::DefaultHasher::new());
    let _ = write!(writer, "{neighbor:?}");
    writer.0.finish()
}

pub(super) struct Running {
    pub(super) id: SessionId,
    /// A fingerprint of the definition it runs with, routes and source positions left
    /// out, compared on reload.
    pub(super) definition: u64,
}

/// The fingerprint of a neighbor's definition without its routes and source position:
/// two neighbors with the same one differ at most in their routes, which a reload
/// applies as a diff. Borrows the routes out instead of cloning them.
pub(super) fn definition_fingerprint(neighbor: &mut Neighbor) -> u64 {
    let routes = std::mem::take(&mut neighbor.routes);
    let location = std::mem::replace(
        &mut neighbor.location,
        crate::config::error::Location::new(std::sync::Arc::from(""), 0, 0),
    );
    let print = fingerprint(neighbor);
    neighbor.routes = routes;
    neighbor.location = location;
    print
}

impl Daemon {
    /// SIGUSR1: re-read the configuration. Neighbors whose definition did not change keep
    /// their sessions and get the difference of their routes (deleted routes withdrawn,
    /// new or changed ones announced, nothing else re-sent); removed neighbors get a Cease;
    /// changed ones restart; new ones start. An invalid file changes nothing.
    pub(super) fn reload(&mut self, reactor: &mut Reactor<NeighborSession>) {
        notify::notify(Status::Reloading);
        if self.env.debug.rotate && self.configs.len() > 1 {
            self.active = (self.active + 1) % self.configs.len();
        }
        let path = self.configs[self.active].clone();
        log::info!("reloading {}", path.display());
        // Helpers and neighbors may change: the route lines' cache starts afresh.
        self.route_cache.neighbors_changed();
        match load(&path, &self.env) {
            Err(errors) => {
                log::error!("reload refused, the running configuration is kept:\n{errors}");
            }
            Ok(mut config) => {
                // Added neighbors may listen where nothing listens yet (and need their
                // MD5 keys on the listeners) before they start.
                if let Err(error) = self.listen(reactor, &config) {
                    log::error!("reload: {error}");
                }
                self.config_dir = config_directory(&path);
                let config_dir = self.config_dir.clone();
                self.helpers
                    .reconcile(reactor, &config.processes, &config_dir);
                self.apply(reactor, &mut config);
                drop(config);
                crate::sys::release_free_memory();
            }
        }
        notify::notify(Status::Ready);
    }

    /// Moves the running neighbors to `config` (see [`Daemon::reload`]).
    fn apply(&mut self, reactor: &mut Reactor<NeighborSession>, config: &mut Config) {
        let prints: Vec<u64> = config
            .neighbors
            .iter_mut()
            .map(definition_fingerprint)
            .collect();
        let wanted: HashMap<NeighborKey, (usize, u64)> = config
            .neighbors
            .iter()
            .zip(prints)
            .enumerate()
            .map(|(index, (n, print))| (NeighborKey::of(n), (index, print)))
            .collect();
        let keys: Vec<NeighborKey> = self.running.keys().cloned().collect();
        for key in keys {
            let Some(running) = self.running.get_mut(&key) else {
                continue;
            };
            let id = running.id;
            let same = wanted
                .get(&key)
                .filter(|(_, print)| *print == running.definition)
                .and_then(|(index, _)| config.neighbors.get_mut(*index));
            match same {
                Some(neighbor) => {
                    // The routes leave the configuration as they enter the table.
                    let report = reactor.with_session(id, |session, _| {
                        crate::config::to_rib::load_configured_owned(
                            neighbor,
                            session.peer.rib_mut(),
                        )
                    });
                    let name = neighbor.peer_text();
                    for error in report.iter().flat_map(|r| &r.errors) {
                        log::error!("neighbor {name}: {error}");
                    }
                    if let Some(report) = report.filter(|r| !r.is_empty()) {
                        log::info!(
                            "neighbor {name}: reload withdraws {} and announces {} route(s)",
                            report.withdrawn,
                            report.announced
                        );
                    }
                }
                None => {
                    let what = if wanted.contains_key(&key) {
                        "changed"
                    } else {
                        "removed"
                    };
                    log::info!("neighbor {}: {what}, stopping it", key.peer);
                    reactor.with_session(id, |session, _| {
                        session
                            .peer
                            .shutdown(Notification::cease_peer_deconfigured())
                    });
                    self.running.remove(&key);
                }
            }
        }
        self.start(reactor, config);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_changed_definitions() {
        let text = |hold: u16| {
            format!(
                "neighbor 127.0.0.2 {{ router-id 10.0.0.1; local-address 127.0.0.1; \
                 local-as 65001; peer-as 65002; hold-time {hold}; family {{ ipv4 unicast; }} }}"
            )
        };
        let parse = |text: &str| crate::config::parse(text, "t.conf").expect("valid");
        let a = parse(&text(180));
        let b = parse(&text(180));
        let c = parse(&text(90));
        assert_eq!(fingerprint(&a.neighbors[0]), fingerprint(&b.neighbors[0]));
        assert_ne!(fingerprint(&a.neighbors[0]), fingerprint(&c.neighbors[0]));
    }
}
