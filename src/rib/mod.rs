//! The RIBs of a peer: the adj-rib-out (coalesced pending changes, interned attribute sets,
//! UPDATE packing as ExaBGP does it, End-of-RIB, re-sends) and the optional adj-rib-in.
//!
//! Data flow: the configuration and the API give routes as [`Route`]s (family,
//! [`Nlri`](crate::bgp::nlri::Nlri), [`PathAttributes`], watchdog); [`AdjRibOut::announce`] /
//! [`AdjRibOut::withdraw`] record them (the latest change of a route replaces the previous
//! one); the peer calls [`AdjRibOut::session_up`] at ESTABLISHED and then
//! [`AdjRibOut::drain`] whenever its socket can take more, which encodes a bounded number
//! of whole UPDATE messages straight from the table. Nothing is materialised in advance.
//!
//! ```text
//! daemon start / reload     neighbor.load_routes_into(rib) (config::Neighbor, calling
//!                           rib::load_configured with the neighbor's RouteContext)
//!                           -> LoadReport (takes the routes out of the configuration,
//!                           freeing them chunk by chunk as they enter the table; on
//!                           reload only the difference is queued, routes the new
//!                           configuration lacks are withdrawn)
//! API                       announce / withdraw / announce_watchdog / withdraw_watchdog /
//!                           queue_eor / clear / resend(None, borr)   (flush adj-rib out)
//! peer                      session_up(SendContext) at ESTABLISHED, session_down on
//!                           close, resend(Some(family), enhanced) on ROUTE-REFRESH,
//!                           drain(out, n) while the output is under its high-water mark
//! ```
//!
//! Wire rules (ExaBGP 5, checked against its encoding vectors): attributes in type-code
//! order with ORIGIN / AS_PATH / LOCAL_PREF defaults (no LOCAL_PREF on eBGP), NEXT_HOP
//! whenever the next-hop is IPv4, MP_REACH_NLRI last; IPv4 unicast with an IPv4 next-hop in
//! the classic fields, grouped by (attributes, next-hop) when `group-updates` is on and
//! split at the negotiated size; every other family one route per UPDATE; withdrawals of
//! labeled and VPN routes carry their attributes; End-of-RIB for each negotiated family
//! after the initial table unless `manual-eor`.

pub mod adj_in;
pub mod attributes;
pub mod bodies;
pub mod configured;
mod keys;
pub mod load;
pub mod out;
pub mod route;
mod slab;

pub use adj_in::AdjRibIn;
pub use attributes::{resolve_self, AttrId, AttributeTable, PathAttributes, SendContext};
pub use configured::{ConfiguredRoute, Location, NextHop, Refusal, RouteAttributes, RouteControl};
pub use load::{load_configured, ConversionError, LoadReport};
pub use out::{mp_next_hop, AdjRibOut, Drained, RibOptions, RibStats};
pub use route::{Route, RouteContext};

#[cfg(test)]
pub(crate) mod tests;
