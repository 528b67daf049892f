//! The BGP wire format: every message, capability, path attribute and NLRI, pure encode
//! and decode with the negotiated context. No I/O, no clock, no panics on any input.

pub mod attribute;
pub mod capability;
pub mod error;
pub mod evpn;
pub mod family;
pub mod flow;
pub mod linkstate;
pub mod message;
pub mod mp;
pub mod mup;
pub mod mvpn;
pub mod negotiated;
pub mod nlri;
pub mod notification;
pub mod open;
pub mod operational;
pub mod refresh;
pub mod sr_policy;
pub mod update;
pub mod vpls;
pub mod wire;

pub use capability::Capability;
pub use error::{DecodeError, ErrorAction};
pub use family::{Afi, Family, Safi};
pub use message::{Message, MessageError};
pub use negotiated::{Negotiated, Negotiation};
pub use notification::Notification;
pub use open::Open;
