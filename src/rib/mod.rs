//! The RIBs of a peer: the adj-rib-out (coalesced pending changes, interned attribute sets,
//! UPDATE packing as ExaBGP does it, End-of-RIB, re-sends) and the optional adj-rib-in.
//!
//! Data flow: the configuration ([`from_config`]) and the API give routes as
//! (family, [`Nlri`](crate::bgp::nlri::Nlri), [`PathAttributes`]); [`AdjRibOut::announce`] /
//! [`AdjRibOut::withdraw`] record them (the latest change of a route replaces the previous
//! one); the peer calls [`AdjRibOut::session_up`] at ESTABLISHED and then
//! [`AdjRibOut::drain`] whenever its socket can take more, which encodes a bounded number
//! of whole UPDATE messages straight from the table. Nothing is materialised in advance.

pub mod adj_in;
pub mod attributes;
pub mod from_config;
pub mod out;

pub use adj_in::AdjRibIn;
pub use attributes::{AttrId, AttributeTable, PathAttributes, SessionContext};
pub use from_config::{
    diff, neighbor_routes, ConfigRoute, ConversionError, ReloadChanges, RouteSet,
};
pub use out::{mp_next_hop, AdjRibOut, Drained, RibOptions, RibStats};

#[cfg(test)]
mod tests;
