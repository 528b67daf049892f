//! Configured (and API) routes loaded into the adj-rib-out (`next-hop self` resolved, `split`
//! expanded), streamed into the table at start and as a diff on reload.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::configured::{ConfiguredRoute, FastHash, Location, NextHop, Refusal, RouteAttributes};
use super::{resolve_self, AdjRibOut, AttrId, PathAttributes, Route, RouteContext};
use crate::bgp::attribute::Attribute;
use crate::bgp::family::{Afi, Family, Safi};
use crate::bgp::flow::FlowError;
use crate::bgp::nlri::{Nlri, Prefix};

/// Largest number of routes one `split` may produce.
pub const MAX_SPLIT_ROUTES: u64 = 1 << 24;

/// Why a configured route cannot be put in the adj-rib-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversionError {
    /// The family has no wire encoder yet (MVPN, ...), or an SR Policy segment type other
    /// than A and B.
    Unsupported { family: Family, location: Location },
    /// `next-hop self` with no local address of the route's family (and no router-id for
    /// an IPv4 route).
    NextHopSelf { family: Family, location: Location },
    /// A prefix that does not fit its family (IPv6 prefix in an IPv4 family, bad length).
    BadPrefix { location: Location },
    /// `split` would produce more than [`MAX_SPLIT_ROUTES`] routes.
    SplitTooLarge { routes: u64, location: Location },
    /// A FlowSpec route longer than the adj-rib-out keeps inline.
    Flow {
        error: FlowError,
        location: Location,
    },
}

impl ConversionError {
    pub fn location(&self) -> &Location {
        match self {
            ConversionError::Unsupported { location, .. }
            | ConversionError::NextHopSelf { location, .. }
            | ConversionError::BadPrefix { location }
            | ConversionError::SplitTooLarge { location, .. }
            | ConversionError::Flow { location, .. } => location,
        }
    }
}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConversionError::Unsupported { family, location } => {
                write!(f, "{location}: {family} routes are not yet supported")
            }
            ConversionError::NextHopSelf { family, location } => write!(
                f,
                "{location}: use of \"next-hop self\": no local address for the {family} route"
            ),
            ConversionError::BadPrefix { location } => {
                write!(f, "{location}: the prefix does not fit the route's family")
            }
            ConversionError::SplitTooLarge { routes, location } => write!(
                f,
                "{location}: split would announce {routes} routes, at most {MAX_SPLIT_ROUTES}"
            ),
            ConversionError::Flow { error, location } => write!(f, "{location}: {error}"),
        }
    }
}

impl std::error::Error for ConversionError {}

/// What [`load_configured`] did to an adj-rib-out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Routes queued for announcement (new, or with other attributes than before).
    pub announced: usize,
    /// Routes of an earlier configuration withdrawn because this one no longer has them.
    pub withdrawn: usize,
    /// Configured routes that could not be converted (logged by the caller).
    pub errors: Vec<ConversionError>,
}

impl LoadReport {
    /// True when the (re)load changed nothing in the table.
    pub fn is_empty(&self) -> bool {
        self.announced == 0 && self.withdrawn == 0
    }
}

/// Converts one configured (or API-given) route, appending its routes to `out` (several
/// with `split`).
pub fn convert_route(
    route: &ConfiguredRoute,
    ctx: &RouteContext,
    out: &mut Vec<Route>,
) -> Result<(), ConversionError> {
    convert(route, ctx.local, ctx.transport, ctx.router_id, out)
}

/// The pieces of [`convert_route`] for a plain prefix route (no `withdraw`, no `watchdog`;
/// unicast, multicast, labeled or VPN), for callers that intern the attributes once and
/// reuse them for many prefixes: its attribute set for `ctx` ([`convert_route`]'s, exactly).
/// `None` for a route that is not plain.
pub fn plain_route_attributes(
    route: &ConfiguredRoute,
    ctx: &RouteContext,
) -> Option<Result<PathAttributes, ConversionError>> {
    let family = route.family();
    let plain = !route.control.withdraw
        && route.control.watchdog.is_none()
        && route.is_prefix()
        && prefix_family_supported(family);
    plain.then(|| next_hop_attributes(route, family, ctx.local, ctx.transport, ctx.router_id))
}

/// The wire NLRI [`convert_route`] gives a plain prefix route (several with `split`), in
/// address order, with `prefix` (of the route's address family) in place of the route's
/// own; they do not depend on the neighbor.
pub fn plain_route_nlris(
    route: &ConfiguredRoute,
    prefix: Prefix,
    visit: impl FnMut(Nlri),
) -> Result<(), ConversionError> {
    prefix_nlris_of(route, Some(prefix), visit)
}

/// Loads (or reloads) a neighbor's configured routes into its adj-rib-out: routes new or
/// changed since the last load are queued, unchanged ones cost nothing, routes of the last
/// load that this one lacks are withdrawn (the table remembers which routes the
/// configuration owns, so no copy of the previous configuration is kept). Watchdog routes
/// keep the state the API last gave their group. Routes given by value are freed as they
/// enter the table.
pub fn load_configured<R: std::borrow::Borrow<ConfiguredRoute>>(
    ctx: &RouteContext,
    routes: impl IntoIterator<Item = R>,
    rib: &mut AdjRibOut,
) -> LoadReport {
    let mut report = LoadReport::default();
    // Plain prefix routes (the bulk of a large table) with the same parsed attribute set
    // and family share one conversion and one interning. The key holds the set, so its
    // address is not reused while the key is in the map.
    let mut shared: HashMap<(usize, Family), (Arc<RouteAttributes>, AttrId), FastHash> =
        HashMap::default();
    // The other routes: consecutive ones usually share their attributes (`split`, `nlri`
    // lists): intern once per run.
    let mut last: Option<(PathAttributes, AttrId)> = None;
    let mut scratch = Vec::new();
    for route in routes {
        let route = route.borrow();
        let family = route.family();
        let plain = !route.control.withdraw
            && route.control.watchdog.is_none()
            && route.is_prefix()
            && prefix_family_supported(family);
        if plain {
            let key = (Arc::as_ptr(&route.attributes) as usize, family);
            let id = match shared.get(&key) {
                Some((_, id)) => *id,
                None => {
                    match next_hop_attributes(
                        route,
                        family,
                        ctx.local,
                        ctx.transport,
                        ctx.router_id,
                    ) {
                        Ok(attributes) => {
                            let id = rib.intern(&attributes);
                            shared.insert(key, (route.attributes.clone(), id));
                            id
                        }
                        Err(error) => {
                            report.errors.push(error);
                            continue;
                        }
                    }
                }
            };
            let result = prefix_nlris(route, |nlri| {
                rib.retain(id);
                if rib.announce_configured(family, nlri, id) {
                    report.announced += 1;
                }
            });
            if let Err(error) = result {
                report.errors.push(error);
            }
            continue;
        }
        if let Err(error) = convert_route(route, ctx, &mut scratch) {
            scratch.clear();
            report.errors.push(error);
            continue;
        }
        for route in scratch.drain(..) {
            let mut announce = !route.withdrawn;
            if let Some(name) = &route.watchdog {
                announce = rib.add_watchdog_route(
                    name,
                    route.family,
                    route.nlri.clone(),
                    &route.attributes,
                    announce,
                );
            }
            if !announce {
                continue;
            }
            let id = match &last {
                Some((attributes, id)) if *attributes == route.attributes => *id,
                _ => {
                    if let Some((_, id)) = last.take() {
                        rib.release(id);
                    }
                    let id = rib.intern(&route.attributes);
                    last = Some((route.attributes, id));
                    id
                }
            };
            rib.retain(id);
            if rib.announce_configured(route.family, route.nlri, id) {
                report.announced += 1;
            }
        }
    }
    if let Some((_, id)) = last {
        rib.release(id);
    }
    for (_, (_, id)) in shared {
        rib.release(id);
    }
    report.withdrawn = rib.withdraw_unconfigured();
    report
}

/// The route's wire attributes with its next-hop (an address, or `next-hop self` resolved
/// now or left for the session).
fn next_hop_attributes(
    route: &ConfiguredRoute,
    family: Family,
    local: Option<IpAddr>,
    transport: Afi,
    router_id: Ipv4Addr,
) -> Result<PathAttributes, ConversionError> {
    let attributes = PathAttributes::new(None, wire_attributes(&route.attributes));
    Ok(match route.attributes.next_hop {
        None => attributes,
        Some(NextHop::Address(address)) => attributes.with_next_hop(Some(address)),
        // The local address is learnt from the socket: the session resolves it.
        Some(NextHop::SelfAddress) if local.is_none() && family.afi == transport => {
            attributes.with_self_next_hop(family.afi)
        }
        Some(NextHop::SelfAddress) => attributes.with_next_hop(Some(
            resolve_self(family.afi, local, Some(router_id)).ok_or_else(|| {
                ConversionError::NextHopSelf {
                    family,
                    location: route.location.clone(),
                }
            })?,
        )),
    })
}

fn convert(
    route: &ConfiguredRoute,
    local: Option<IpAddr>,
    transport: Afi,
    router_id: Ipv4Addr,
    out: &mut Vec<Route>,
) -> Result<(), ConversionError> {
    let location = route.location.clone();
    let family = route.family();
    match route.control.refused {
        Some(Refusal::Unsupported) => {
            return Err(ConversionError::Unsupported { family, location })
        }
        Some(Refusal::FlowTooLong) => {
            return Err(ConversionError::Flow {
                error: FlowError::TooLong,
                location,
            })
        }
        None => {}
    }
    if let Nlri::Flow(_) = &route.nlri {
        convert_flow(route, out);
        return Ok(());
    }
    if !route.is_prefix() {
        let attributes = next_hop_attributes(route, family, local, transport, router_id)?;
        // ExaBGP sends no NEXT_HOP attribute with VPLS, SR Policy and IPv6 MUP routes, even
        // for an IPv4 next-hop (it goes IPv4-mapped in MP_REACH_NLRI).
        // MVPN routes have it in both families (ExaBGP 5.0.15, encoding/conf-mvpn.ci).
        let mp_only = matches!(family.safi, Safi::VPLS | Safi::SR_POLICY);
        let mp_only = mp_only || (family.afi == Afi::IPV6 && family.safi != Safi::MCAST_VPN);
        let attributes = if mp_only {
            attributes.with_mp_next_hop_only()
        } else {
            attributes
        };
        out.push(Route {
            family,
            nlri: route.nlri.clone(),
            attributes,
            watchdog: route.control.watchdog.clone(),
            withdrawn: route.control.withdraw,
            name: route.control.name.clone(),
        });
        return Ok(());
    }
    if !prefix_family_supported(family) {
        return Err(ConversionError::Unsupported { family, location });
    }
    let attributes = next_hop_attributes(route, family, local, transport, router_id)?;
    prefix_nlris(route, |nlri| {
        out.push(Route {
            family,
            nlri,
            attributes: attributes.clone(),
            watchdog: route.control.watchdog.clone(),
            withdrawn: route.control.withdraw,
            name: route.control.name.clone(),
        })
    })
}

/// Unicast, multicast, labeled and VPN routes of IPv4 and IPv6.
fn prefix_family_supported(family: Family) -> bool {
    matches!(
        family.safi,
        Safi::UNICAST | Safi::MULTICAST | Safi::NLRI_MPLS | Safi::MPLS_VPN
    ) && (family.afi == Afi::IPV4 || family.afi == Afi::IPV6)
}

/// The wire NLRI of a configured prefix route (several with `split`), given to `visit` in
/// address order.
fn prefix_nlris(route: &ConfiguredRoute, visit: impl FnMut(Nlri)) -> Result<(), ConversionError> {
    prefix_nlris_of(route, None, visit)
}

/// [`prefix_nlris`], with `prefix` (of the route's address family) in place of the route's
/// own when given.
fn prefix_nlris_of(
    route: &ConfiguredRoute,
    prefix: Option<Prefix>,
    mut visit: impl FnMut(Nlri),
) -> Result<(), ConversionError> {
    let family = route.family();
    let location = &route.location;
    let own = &route.nlri;
    if !route.is_prefix() || !prefix_family_supported(family) {
        return Err(ConversionError::Unsupported {
            family,
            location: location.clone(),
        });
    }
    let prefix = &prefix.unwrap_or(own.get_prefix());
    let build = |prefix: Prefix| with_prefix(own, prefix);
    let wire_prefix = |addr: IpAddr, len: u8| -> Option<Prefix> {
        match (addr, family.afi) {
            (IpAddr::V4(a), Afi::IPV4) => Prefix::v4(a, len),
            (IpAddr::V6(a), Afi::IPV6) => Prefix::v6(a, len),
            _ => None,
        }
    };
    let bad_prefix = || ConversionError::BadPrefix {
        location: location.clone(),
    };
    match route.control.split {
        Some(split) if split > prefix.len() && split <= if prefix.is_ipv6() { 128 } else { 32 } => {
            let count = 1u64
                .checked_shl(u32::from(split - prefix.len()))
                .filter(|n| *n <= MAX_SPLIT_ROUTES)
                .ok_or(ConversionError::SplitTooLarge {
                    routes: 1u64
                        .checked_shl(u32::from(split - prefix.len()))
                        .unwrap_or(u64::MAX),
                    location: location.clone(),
                })?;
            for index in 0..count {
                let addr = sub_prefix(prefix.addr(), split, index);
                visit(build(wire_prefix(addr, split).ok_or_else(bad_prefix)?));
            }
        }
        // The prefix is already a wire prefix: it only has to be of the family's AFI.
        _ => visit(build(
            Some(*prefix)
                .filter(|p| p.afi() == family.afi)
                .ok_or_else(bad_prefix)?,
        )),
    }
    Ok(())
}

/// A FlowSpec route: its NLRI inline, its attributes as parsed (the actions are among the
/// extended communities), the next-hop only in MP_REACH_NLRI.
fn convert_flow(route: &ConfiguredRoute, out: &mut Vec<Route>) {
    let attributes = &route.attributes;
    let next_hop = match attributes.next_hop {
        Some(NextHop::Address(address)) => Some(address),
        _ => None,
    };
    out.push(Route {
        family: route.family(),
        nlri: route.nlri.clone(),
        attributes: PathAttributes::new(None, wire_attributes(attributes))
            .with_next_hop(next_hop)
            .with_mp_next_hop_only(),
        watchdog: route.control.watchdog.clone(),
        withdrawn: route.control.withdraw,
        name: route.control.name.clone(),
    });
}

/// `nlri` (a prefix, labeled or VPN route) for `prefix`: same path id, and the same
/// shared labels and RD.
pub(crate) fn with_prefix(nlri: &Nlri, prefix: Prefix) -> Nlri {
    match nlri {
        Nlri::Labeled {
            path_id, labels, ..
        } => Nlri::Labeled {
            path_id: *path_id,
            labels: labels.clone(),
            prefix,
        },
        Nlri::Vpn {
            path_id, labels, ..
        } => Nlri::Vpn {
            path_id: *path_id,
            labels: labels.clone(),
            prefix,
        },
        other => Nlri::Prefix {
            path_id: other.path_id(),
            prefix,
        },
    }
}

/// The `index`-th sub-prefix of length `len` inside the prefix starting at `base`.
fn sub_prefix(base: IpAddr, len: u8, index: u64) -> IpAddr {
    match base {
        IpAddr::V4(a) => {
            let shift = 32 - u32::from(len.min(32));
            let offset = (index as u128).checked_shl(shift).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from((u128::from(u32::from(a)) + offset) as u32))
        }
        IpAddr::V6(a) => {
            let shift = 128 - u32::from(len.min(128));
            let offset = u128::from(index).checked_shl(shift).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a).wrapping_add(offset)))
        }
    }
}

/// The wire attributes a configured route carries (next-hop apart): the typed ones, then
/// the raw ones, so that a raw attribute replaces a typed one of its code.
pub fn wire_attributes(a: &RouteAttributes) -> Vec<Attribute> {
    a.typed().iter().chain(a.raw()).cloned().collect()
}
