//! The negotiated session context: the one value every decoder and encoder takes.
//! Built from the two OPENs once a session is up, or from defaults for `rexa decode`.

use super::family::{Afi, Family};

/// What both sides agreed on. Decoders read the `receive` side, encoders the `send` side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Both sides announced the 4-octet AS capability: AS numbers in AS_PATH and
    /// AGGREGATOR are 4 bytes, and AS4_PATH / AS4_AGGREGATOR are not used.
    pub asn4: bool,
    /// Families both sides announced (multiprotocol capability).
    pub families: Vec<Family>,
    /// Families whose received NLRI carry an ADD-PATH path identifier.
    pub addpath_receive: Vec<Family>,
    /// Families whose sent NLRI carry an ADD-PATH path identifier.
    pub addpath_send: Vec<Family>,
    /// (NLRI family, next-hop AFI) pairs agreed by the extended next-hop capability (RFC 8950).
    pub extended_nexthop: Vec<(Family, Afi)>,
    /// Largest message either side may send: 4096, or 65535 with RFC 8654 extended messages.
    pub max_message_size: usize,
}

/// The standard limit of RFC 4271.
pub const STANDARD_MAX_MESSAGE: usize = 4096;
/// The limit once RFC 8654 extended messages are negotiated.
pub const EXTENDED_MAX_MESSAGE: usize = 65535;

impl Default for Negotiated {
    /// What ExaBGP's decoder assumes: 4-octet AS, no ADD-PATH, standard message size.
    fn default() -> Self {
        Negotiated {
            asn4: true,
            families: Vec::new(),
            addpath_receive: Vec::new(),
            addpath_send: Vec::new(),
            extended_nexthop: Vec::new(),
            max_message_size: STANDARD_MAX_MESSAGE,
        }
    }
}

impl Negotiated {
    pub fn addpath_receive(&self, family: Family) -> bool {
        self.addpath_receive.contains(&family)
    }

    pub fn addpath_send(&self, family: Family) -> bool {
        self.addpath_send.contains(&family)
    }

    pub fn extended_nexthop(&self, family: Family, nexthop_afi: Afi) -> bool {
        self.extended_nexthop.contains(&(family, nexthop_afi))
    }
}
