//! Address families: AFI and SAFI codes, the (AFI, SAFI) pair, and ExaBGP's names for them.
//! Unknown codes are kept as they are, so any family can be carried and reported.

use std::fmt;

/// Address Family Identifier (IANA "Address Family Numbers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Afi(pub u16);

impl Afi {
    pub const IPV4: Afi = Afi(1);
    pub const IPV6: Afi = Afi(2);
    pub const L2VPN: Afi = Afi(25);
    pub const BGP_LS: Afi = Afi(16388);

    /// ExaBGP's lower-case name, when it has one.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Afi::IPV4 => "ipv4",
            Afi::IPV6 => "ipv6",
            Afi::L2VPN => "l2vpn",
            Afi::BGP_LS => "bgp-ls",
            _ => return None,
        })
    }

    pub fn from_name(name: &str) -> Option<Afi> {
        Some(match name {
            "ipv4" => Afi::IPV4,
            "ipv6" => Afi::IPV6,
            "l2vpn" => Afi::L2VPN,
            "bgp-ls" => Afi::BGP_LS,
            _ => return None,
        })
    }
}

impl fmt::Display for Afi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown afi {}", self.0),
        }
    }
}

/// Subsequent Address Family Identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Safi(pub u8);

impl Safi {
    pub const UNICAST: Safi = Safi(1);
    pub const MULTICAST: Safi = Safi(2);
    /// Labeled unicast (RFC 8277); ExaBGP calls it `nlri-mpls`.
    pub const NLRI_MPLS: Safi = Safi(4);
    pub const MCAST_VPN: Safi = Safi(5);
    pub const VPLS: Safi = Safi(65);
    pub const EVPN: Safi = Safi(70);
    pub const BGP_LS: Safi = Safi(71);
    pub const BGP_LS_VPN: Safi = Safi(72);
    pub const SR_POLICY: Safi = Safi(73);
    pub const MUP: Safi = Safi(85);
    /// VPN unicast (RFC 4364 / 4659); ExaBGP calls it `mpls-vpn`.
    pub const MPLS_VPN: Safi = Safi(128);
    pub const RTC: Safi = Safi(132);
    pub const FLOW: Safi = Safi(133);
    pub const FLOW_VPN: Safi = Safi(134);

    /// ExaBGP's lower-case name, when it has one.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Safi::UNICAST => "unicast",
            Safi::MULTICAST => "multicast",
            Safi::NLRI_MPLS => "nlri-mpls",
            Safi::MCAST_VPN => "mcast-vpn",
            Safi::VPLS => "vpls",
            Safi::EVPN => "evpn",
            Safi::BGP_LS => "bgp-ls",
            Safi::BGP_LS_VPN => "bgp-ls-vpn",
            Safi::SR_POLICY => "sr-policy",
            Safi::MUP => "mup",
            Safi::MPLS_VPN => "mpls-vpn",
            Safi::RTC => "rtc",
            Safi::FLOW => "flow",
            Safi::FLOW_VPN => "flow-vpn",
            _ => return None,
        })
    }

    /// Accepts ExaBGP's names and the 6.0 alias `labeled-unicast`.
    pub fn from_name(name: &str) -> Option<Safi> {
        Some(match name {
            "unicast" => Safi::UNICAST,
            "multicast" => Safi::MULTICAST,
            "nlri-mpls" | "labeled-unicast" => Safi::NLRI_MPLS,
            "mcast-vpn" => Safi::MCAST_VPN,
            "vpls" => Safi::VPLS,
            "evpn" => Safi::EVPN,
            "bgp-ls" => Safi::BGP_LS,
            "bgp-ls-vpn" => Safi::BGP_LS_VPN,
            "sr-policy" => Safi::SR_POLICY,
            "mup" => Safi::MUP,
            "mpls-vpn" => Safi::MPLS_VPN,
            "rtc" => Safi::RTC,
            "flow" => Safi::FLOW,
            "flow-vpn" => Safi::FLOW_VPN,
            _ => return None,
        })
    }
}

impl fmt::Display for Safi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown safi {}", self.0),
        }
    }
}

/// An (AFI, SAFI) pair. `Display` gives ExaBGP's `"ipv4 unicast"` form;
/// [`Family::slash_name`] the `"ipv4/unicast"` form used for capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Family {
    pub afi: Afi,
    pub safi: Safi,
}

impl Family {
    pub const fn new(afi: Afi, safi: Safi) -> Family {
        Family { afi, safi }
    }

    pub const IPV4_UNICAST: Family = Family::new(Afi::IPV4, Safi::UNICAST);
    pub const IPV4_MULTICAST: Family = Family::new(Afi::IPV4, Safi::MULTICAST);
    pub const IPV4_NLRI_MPLS: Family = Family::new(Afi::IPV4, Safi::NLRI_MPLS);
    pub const IPV4_MPLS_VPN: Family = Family::new(Afi::IPV4, Safi::MPLS_VPN);
    pub const IPV4_FLOW: Family = Family::new(Afi::IPV4, Safi::FLOW);
    pub const IPV4_FLOW_VPN: Family = Family::new(Afi::IPV4, Safi::FLOW_VPN);
    pub const IPV6_UNICAST: Family = Family::new(Afi::IPV6, Safi::UNICAST);
    pub const IPV6_MULTICAST: Family = Family::new(Afi::IPV6, Safi::MULTICAST);
    pub const IPV6_NLRI_MPLS: Family = Family::new(Afi::IPV6, Safi::NLRI_MPLS);
    pub const IPV6_MPLS_VPN: Family = Family::new(Afi::IPV6, Safi::MPLS_VPN);
    pub const IPV6_FLOW: Family = Family::new(Afi::IPV6, Safi::FLOW);
    pub const IPV6_FLOW_VPN: Family = Family::new(Afi::IPV6, Safi::FLOW_VPN);
    pub const L2VPN_VPLS: Family = Family::new(Afi::L2VPN, Safi::VPLS);
    pub const L2VPN_EVPN: Family = Family::new(Afi::L2VPN, Safi::EVPN);

    /// Parses `"ipv4 unicast"`, `"ipv4/unicast"` or the two words separately.
    pub fn from_names(afi: &str, safi: &str) -> Option<Family> {
        Some(Family::new(Afi::from_name(afi)?, Safi::from_name(safi)?))
    }

    pub fn parse(text: &str) -> Option<Family> {
        let mut words = text.split([' ', '/']).filter(|w| !w.is_empty());
        let family = Family::from_names(words.next()?, words.next()?)?;
        match words.next() {
            None => Some(family),
            Some(_) => None,
        }
    }

    /// `"ipv4/unicast"`, as ExaBGP writes capability families.
    pub fn slash_name(self) -> String {
        format!("{}/{}", self.afi, self.safi)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.afi, self.safi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for family in [
            Family::IPV4_UNICAST,
            Family::IPV6_MPLS_VPN,
            Family::L2VPN_EVPN,
        ] {
            assert_eq!(Family::parse(&family.to_string()), Some(family));
            assert_eq!(Family::parse(&family.slash_name()), Some(family));
        }
        assert_eq!(Family::IPV4_NLRI_MPLS.to_string(), "ipv4 nlri-mpls");
        assert_eq!(
            Family::parse("ipv4 labeled-unicast"),
            Some(Family::IPV4_NLRI_MPLS)
        );
        assert_eq!(Family::parse("ipv4 unicast extra"), None);
        assert_eq!(Family::parse("ipv9 unicast"), None);
    }
}
