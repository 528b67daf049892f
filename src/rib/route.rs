//! A route as the adj-rib-out is given it (by the configuration or the API): the wire NLRI
//! and attribute set, plus what never goes on the wire (watchdog group, start withdrawn, name).

use std::net::{IpAddr, Ipv4Addr};

use super::attributes::PathAttributes;
use crate::bgp::family::{Afi, Family};
use crate::bgp::nlri::Nlri;

/// One route ready for the adj-rib-out (a `split` route is already one per sub-prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub family: Family,
    pub nlri: Nlri,
    pub attributes: PathAttributes,
    /// `watchdog NAME`: the group the API toggles with `announce|withdraw watchdog NAME`.
    pub watchdog: Option<String>,
    /// `withdraw`: the route starts withdrawn (announced later through its watchdog).
    pub withdrawn: bool,
    /// `name`: a label for logs and the API.
    pub name: Option<String>,
}

/// What building a neighbor's routes needs to know about the neighbor (`next-hop self`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteContext {
    /// The configured local address; `None` (auto): `next-hop self` of the transport's
    /// AFI is left for each session to resolve.
    pub local: Option<IpAddr>,
    /// The AFI of the peer address (the TCP session's).
    pub transport: Afi,
    pub router_id: Ipv4Addr,
}
