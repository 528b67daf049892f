//! Reload (SIGUSR1, SIGUSR2, `reload`): the configuration read again and the running
//! neighbors moved to it, by key and typed definition, routes applied as a diff.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::bgp::notification::Notification;
use crate::config::model::{Config, Neighbor};
use crate::reactor::notify::{self, Status};
use crate::reactor::{EndpointId, Reactor};

use super::endpoint::NeighborEndpoint;
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

pub(super) struct Running {
    pub(super) id: EndpointId,
    /// The definition it runs with, routes and source position left out (see
    /// [`definition`]), compared on reload.
    pub(super) definition: Box<Neighbor>,
}

/// Runs `f` on `neighbor` without its routes and source position (put back after): what
/// a reload compares. Two neighbors equal this way differ at most in their routes, which a
/// reload applies as a diff. Borrows the routes out instead of cloning them.
pub(super) fn without_routes<T>(neighbor: &mut Neighbor, f: impl FnOnce(&Neighbor) -> T) -> T {
    let routes = std::mem::take(&mut neighbor.routes);
    let location = std::mem::replace(
        &mut neighbor.location,
        crate::config::error::Location::new(std::sync::Arc::from(""), 0, 0),
    );
    let result = f(neighbor);
    neighbor.routes = routes;
    neighbor.location = location;
    result
}

/// The definition a running neighbor keeps (see [`without_routes`]).
pub(super) fn definition(neighbor: &mut Neighbor) -> Box<Neighbor> {
    without_routes(neighbor, |bare| Box::new(bare.clone()))
}

impl Daemon {
    /// SIGUSR1: re-read the configuration. Neighbors whose definition did not change keep
    /// their sessions and get the difference of their routes (deleted routes withdrawn,
    /// new or changed ones announced, nothing else re-sent); removed neighbors get a Cease;
    /// changed ones restart; new ones start. An invalid file changes nothing.
    pub(super) fn reload(&mut self, reactor: &mut Reactor<NeighborEndpoint>) {
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
    fn apply(&mut self, reactor: &mut Reactor<NeighborEndpoint>, config: &mut Config) {
        // Where each wanted neighbor is, and whether it runs already with the same definition.
        let mut wanted: HashMap<NeighborKey, (usize, bool)> = HashMap::new();
        for (index, neighbor) in config.neighbors.iter_mut().enumerate() {
            let key = NeighborKey::of(neighbor);
            let same = self.running.get(&key).is_some_and(|running| {
                without_routes(neighbor, |bare| *bare == *running.definition)
            });
            wanted.insert(key, (index, same));
        }
        let keys: Vec<NeighborKey> = self.running.keys().cloned().collect();
        for key in keys {
            let Some(running) = self.running.get_mut(&key) else {
                continue;
            };
            let id = running.id;
            let same = wanted
                .get(&key)
                .filter(|(_, same)| *same)
                .and_then(|(index, _)| config.neighbors.get_mut(*index));
            match same {
                Some(neighbor) => {
                    // The routes leave the configuration as they enter the table.
                    let report = reactor.with_endpoint(id, |session, _| {
                        neighbor.load_routes_into(session.peer.rib_mut())
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
                    reactor.with_endpoint(id, |session, _| {
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
    fn definitions_tell_changed_neighbors_but_not_moved_routes() {
        let text = |hold: u16, route: &str| {
            format!(
                "neighbor 127.0.0.2 {{ router-id 10.0.0.1; local-address 127.0.0.1; \
                 local-as 65001; peer-as 65002; hold-time {hold}; family {{ ipv4 unicast; }} \
                 static {{ route {route} next-hop 127.0.0.1; }} }}"
            )
        };
        let parse = |text: &str| crate::config::parse(text, "t.conf").expect("valid");
        let mut a = parse(&text(180, "10.0.0.0/24"));
        // Other routes, two lines further down: the same definition.
        let mut b = parse(&format!("\n\n{}", text(180, "10.0.1.0/24")));
        let mut c = parse(&text(90, "10.0.0.0/24"));
        let kept = definition(&mut a.neighbors[0]);
        assert!(without_routes(&mut b.neighbors[0], |bare| *bare == *kept));
        assert!(!without_routes(&mut c.neighbors[0], |bare| *bare == *kept));
        assert!(kept.routes.is_empty());
        assert!(!a.neighbors[0].routes.is_empty(), "the routes are put back");
    }
}
