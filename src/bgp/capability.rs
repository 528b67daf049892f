//! OPEN capabilities (RFC 5492): every code ExaBGP knows plus BGP role and link-local
//! next-hop, each with decode/encode and ExaBGP's JSON name; unknown codes kept byte-exact.
//!
//! A capability on the wire is `code (1) | length (1) | value (length)`.

use std::fmt;

use super::family::{Afi, Family, Safi};
use super::message::MessageError;
use super::wire::{put_u16, put_u32, Reader};

/// Capability codes (IANA "Capability Codes", plus ExaBGP's private ones).
pub mod code {
    pub const MULTIPROTOCOL: u8 = 1;
    pub const ROUTE_REFRESH: u8 = 2;
    pub const EXTENDED_NEXTHOP: u8 = 5;
    pub const EXTENDED_MESSAGE: u8 = 6;
    pub const ROLE: u8 = 9;
    pub const GRACEFUL_RESTART: u8 = 64;
    pub const FOUR_OCTET_AS: u8 = 65;
    pub const MULTISESSION: u8 = 68;
    pub const ADD_PATH: u8 = 69;
    pub const ENHANCED_ROUTE_REFRESH: u8 = 70;
    pub const HOSTNAME: u8 = 73;
    pub const SOFTWARE_VERSION: u8 = 75;
    /// draft-ietf-idr-linklocal-capability, as ExaBGP sends it.
    pub const LINK_LOCAL_NEXTHOP: u8 = 77;
    pub const ROUTE_REFRESH_CISCO: u8 = 128;
    pub const MULTISESSION_CISCO: u8 = 131;
    /// ExaBGP's operational-message capability.
    pub const OPERATIONAL: u8 = 185;
}

/// RFC 5492 §3 leaves the value at most 255 bytes (one length byte).
const MAX_VALUE: usize = 255;

/// One capability as announced in an OPEN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capability {
    /// Code 1 (RFC 4760): one family per capability.
    Multiprotocol(Family),
    /// Code 2 (RFC 2918).
    RouteRefresh,
    /// Code 128: the pre-standard Cisco route refresh.
    RouteRefreshCisco,
    /// Code 5 (RFC 8950): (NLRI family, next-hop AFI) pairs.
    ExtendedNextHop(Vec<(Family, Afi)>),
    /// Code 6 (RFC 8654).
    ExtendedMessage,
    /// Code 9 (RFC 9234).
    Role(Role),
    /// Code 64 (RFC 4724).
    GracefulRestart(GracefulRestart),
    /// Code 65 (RFC 6793): the real AS number.
    FourOctetAs(u32),
    /// Code 68 (draft) or 131 (Cisco).
    MultiSession(MultiSession),
    /// Code 69 (RFC 7911).
    AddPath(Vec<(Family, AddPathMode)>),
    /// Code 70 (RFC 7313).
    EnhancedRouteRefresh,
    /// Code 73 (draft-walton-bgp-hostname-capability).
    Hostname {
        host_name: String,
        domain_name: String,
    },
    /// Code 75 (draft-abraitis-bgp-version-capability).
    SoftwareVersion(String),
    /// Code 77 (draft-ietf-idr-linklocal-capability), empty value.
    LinkLocalNextHop,
    /// Code 185: ExaBGP's operational messages.
    Operational,
    /// Any other code, or a known one whose value we keep verbatim.
    Unknown { code: u8, value: Vec<u8> },
}

/// RFC 4724 graceful restart: 4 flag bits, 12-bit restart time, per-family flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GracefulRestart {
    /// The top 4 bits of the first word (0x8 = Restart State "R", 0x4 = Notification "N").
    pub restart_flags: u8,
    /// Seconds, 0..=4095.
    pub restart_time: u16,
    /// Families with their flag byte (0x80 = Forwarding State).
    pub families: Vec<(Family, u8)>,
}

impl GracefulRestart {
    /// Restart-flags bit ExaBGP labels `"forwarding"` in JSON (RFC 4724 "Restart State").
    pub const RESTART_STATE: u8 = 0x8;
    /// Per-family bit ExaBGP labels `"restart"` in JSON (RFC 4724 "Forwarding State").
    pub const FORWARDING_STATE: u8 = 0x80;
}

/// ADD-PATH send/receive value (RFC 7911): 1 receive, 2 send, 3 both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddPathMode(pub u8);

impl AddPathMode {
    pub const DISABLED: AddPathMode = AddPathMode(0);
    pub const RECEIVE: AddPathMode = AddPathMode(1);
    pub const SEND: AddPathMode = AddPathMode(2);
    pub const BOTH: AddPathMode = AddPathMode(3);

    pub fn receive(self) -> bool {
        self.0 & 1 != 0
    }

    pub fn send(self) -> bool {
        self.0 & 2 != 0
    }

    /// ExaBGP's JSON value: `disabled`, `receive`, `send`, `send/receive`; `None` for
    /// values RFC 7911 does not define (ExaBGP shows `invalid (N)`, see `Display`).
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "disabled",
            1 => "receive",
            2 => "send",
            3 => "send/receive",
            _ => return None,
        })
    }
}

impl fmt::Display for AddPathMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "invalid ({})", self.0),
        }
    }
}

/// BGP role (RFC 9234).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Role(pub u8);

impl Role {
    pub const PROVIDER: Role = Role(0);
    pub const ROUTE_SERVER: Role = Role(1);
    pub const ROUTE_SERVER_CLIENT: Role = Role(2);
    pub const CUSTOMER: Role = Role(3);
    pub const PEER: Role = Role(4);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "provider",
            1 => "rs",
            2 => "rs-client",
            3 => "customer",
            4 => "peer",
            _ => return None,
        })
    }

    /// The role the peer must have for ours to be consistent (RFC 9234 §4.2).
    pub fn expected_peer_role(self) -> Option<Role> {
        Some(match self.0 {
            0 => Role::CUSTOMER,
            1 => Role::ROUTE_SERVER_CLIENT,
            2 => Role::ROUTE_SERVER,
            3 => Role::PROVIDER,
            4 => Role::PEER,
            _ => return None,
        })
    }
}

/// Multisession (draft-ietf-idr-bgp-multisession, or Cisco's code 131).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiSession {
    /// Sent with code 131 rather than 68.
    pub cisco: bool,
    /// The flags byte; `None` when the value was empty.
    pub flags: Option<u8>,
    /// Capability codes that identify a session ("session id" capabilities).
    pub codes: Vec<u8>,
}

impl Capability {
    /// Decodes one capability value.
    pub fn decode(code: u8, value: &[u8]) -> Result<Capability, MessageError> {
        let malformed = |reason: &'static str| MessageError::MalformedCapability { code, reason };
        let mut r = Reader::new(value);
        let capability = match code {
            code::MULTIPROTOCOL => {
                // AFI (2), reserved (1), SAFI (1); ExaBGP ignores anything after.
                let afi = r.u16().ok_or(malformed("shorter than 4 bytes"))?;
                let _reserved = r.u8().ok_or(malformed("shorter than 4 bytes"))?;
                let safi = r.u8().ok_or(malformed("shorter than 4 bytes"))?;
                Capability::Multiprotocol(Family::new(Afi(afi), Safi(safi)))
            }
            code::ROUTE_REFRESH => Capability::RouteRefresh,
            code::ROUTE_REFRESH_CISCO => Capability::RouteRefreshCisco,
            code::EXTENDED_MESSAGE => Capability::ExtendedMessage,
            code::ENHANCED_ROUTE_REFRESH => Capability::EnhancedRouteRefresh,
            code::LINK_LOCAL_NEXTHOP => Capability::LinkLocalNextHop,
            code::OPERATIONAL => Capability::Operational,
            code::EXTENDED_NEXTHOP => {
                let mut entries = Vec::new();
                while !r.is_empty() {
                    // AFI (2), SAFI (2: ExaBGP reads the low byte), next-hop AFI (2).
                    let entry = r.array::<6>().ok_or(malformed("trailing data"))?;
                    let [a0, a1, _, safi, n0, n1] = entry;
                    entries.push((
                        Family::new(Afi(u16::from_be_bytes([a0, a1])), Safi(safi)),
                        Afi(u16::from_be_bytes([n0, n1])),
                    ));
                }
                Capability::ExtendedNextHop(entries)
            }
            code::ROLE => match value {
                [role] => Capability::Role(Role(*role)),
                _ => return Err(malformed("length is not 1")),
            },
            code::GRACEFUL_RESTART => {
                let word = r.u16().ok_or(malformed("shorter than 2 bytes"))?;
                let mut families = Vec::new();
                while !r.is_empty() {
                    let [a0, a1, safi, flags] = r.array::<4>().ok_or(malformed("trailing data"))?;
                    families.push((
                        Family::new(Afi(u16::from_be_bytes([a0, a1])), Safi(safi)),
                        flags,
                    ));
                }
                Capability::GracefulRestart(GracefulRestart {
                    restart_flags: (word >> 12) as u8,
                    restart_time: word & 0x0FFF,
                    families,
                })
            }
            code::FOUR_OCTET_AS => match value {
                [a, b, c, d] => Capability::FourOctetAs(u32::from_be_bytes([*a, *b, *c, *d])),
                _ => return Err(malformed("length is not 4")),
            },
            code::MULTISESSION | code::MULTISESSION_CISCO => {
                let flags = r.u8();
                Capability::MultiSession(MultiSession {
                    cisco: code == code::MULTISESSION_CISCO,
                    flags,
                    codes: r.take_rest().to_vec(),
                })
            }
            code::ADD_PATH => {
                let mut entries = Vec::new();
                while !r.is_empty() {
                    let [a0, a1, safi, mode] = r.array::<4>().ok_or(malformed("trailing data"))?;
                    entries.push((
                        Family::new(Afi(u16::from_be_bytes([a0, a1])), Safi(safi)),
                        AddPathMode(mode),
                    ));
                }
                Capability::AddPath(entries)
            }
            code::HOSTNAME => {
                // An empty value is accepted (ExaBGP): no names.
                let host_name = match r.u8() {
                    None => Vec::new(),
                    Some(len) => r
                        .take(len.into())
                        .ok_or(malformed("host name truncated"))?
                        .to_vec(),
                };
                let domain_name = match r.u8() {
                    None => Vec::new(),
                    Some(len) => r
                        .take(len.into())
                        .ok_or(malformed("domain name truncated"))?
                        .to_vec(),
                };
                Capability::Hostname {
                    host_name: String::from_utf8_lossy(&host_name).into_owned(),
                    domain_name: String::from_utf8_lossy(&domain_name).into_owned(),
                }
            }
            code::SOFTWARE_VERSION => {
                let len = r.u8().ok_or(malformed("empty"))?;
                let text = r.take(len.into()).ok_or(malformed("version truncated"))?;
                Capability::SoftwareVersion(String::from_utf8_lossy(text).into_owned())
            }
            _ => Capability::Unknown {
                code,
                value: value.to_vec(),
            },
        };
        Ok(capability)
    }

    /// The capability code on the wire.
    pub fn code(&self) -> u8 {
        match self {
            Capability::Multiprotocol(_) => code::MULTIPROTOCOL,
            Capability::RouteRefresh => code::ROUTE_REFRESH,
            Capability::RouteRefreshCisco => code::ROUTE_REFRESH_CISCO,
            Capability::ExtendedNextHop(_) => code::EXTENDED_NEXTHOP,
            Capability::ExtendedMessage => code::EXTENDED_MESSAGE,
            Capability::Role(_) => code::ROLE,
            Capability::GracefulRestart(_) => code::GRACEFUL_RESTART,
            Capability::FourOctetAs(_) => code::FOUR_OCTET_AS,
            Capability::MultiSession(ms) if ms.cisco => code::MULTISESSION_CISCO,
            Capability::MultiSession(_) => code::MULTISESSION,
            Capability::AddPath(_) => code::ADD_PATH,
            Capability::EnhancedRouteRefresh => code::ENHANCED_ROUTE_REFRESH,
            Capability::Hostname { .. } => code::HOSTNAME,
            Capability::SoftwareVersion(_) => code::SOFTWARE_VERSION,
            Capability::LinkLocalNextHop => code::LINK_LOCAL_NEXTHOP,
            Capability::Operational => code::OPERATIONAL,
            Capability::Unknown { code, .. } => *code,
        }
    }

    /// ExaBGP's JSON `"name"` (api.md §7.4). ExaBGP writes no `name` key for 73 and 75,
    /// and 5.0 does not know 9 or 77 (it reports them as unknown: see [`Self::known_to_exabgp5`]).
    pub fn name(&self) -> &'static str {
        match self {
            Capability::Multiprotocol(_) => "multiprotocol",
            Capability::RouteRefresh | Capability::RouteRefreshCisco => "route-refresh",
            Capability::ExtendedNextHop(_) => "nexthop",
            Capability::ExtendedMessage => "extended-message",
            Capability::Role(_) => "role",
            Capability::GracefulRestart(_) => "graceful restart",
            Capability::FourOctetAs(_) => "asn4",
            Capability::MultiSession(_) => "multisession",
            Capability::AddPath(_) => "addpath",
            Capability::EnhancedRouteRefresh => "enhanced-route-refresh",
            Capability::Hostname { .. } => "hostname",
            Capability::SoftwareVersion(_) => "software-version",
            Capability::LinkLocalNextHop => "link-local-nexthop",
            Capability::Operational => "operational",
            Capability::Unknown { .. } => "unknown",
        }
    }

    /// ExaBGP 5.0 decodes this capability (false for role, link-local and unknown codes,
    /// which its JSON shows as `{ "name": "unknown", ... }`).
    pub fn known_to_exabgp5(&self) -> bool {
        !matches!(
            self,
            Capability::Role(_) | Capability::LinkLocalNextHop | Capability::Unknown { .. }
        )
    }

    /// `"RFC"` or `"Cisco"`, the JSON `variant` of route refresh and multisession.
    pub fn variant(&self) -> Option<&'static str> {
        match self {
            Capability::RouteRefresh => Some("RFC"),
            Capability::RouteRefreshCisco => Some("Cisco"),
            Capability::MultiSession(ms) => Some(if ms.cisco { "Cisco" } else { "RFC" }),
            _ => None,
        }
    }

    /// Appends the capability value only (no code, no length).
    pub fn encode_value(&self, out: &mut Vec<u8>) {
        match self {
            Capability::Multiprotocol(family) => {
                put_u16(out, family.afi.0);
                out.push(0);
                out.push(family.safi.0);
            }
            Capability::RouteRefresh
            | Capability::RouteRefreshCisco
            | Capability::ExtendedMessage
            | Capability::EnhancedRouteRefresh
            | Capability::LinkLocalNextHop
            | Capability::Operational => {}
            Capability::ExtendedNextHop(entries) => {
                for (family, nexthop) in entries {
                    put_u16(out, family.afi.0);
                    put_u16(out, family.safi.0.into());
                    put_u16(out, nexthop.0);
                }
            }
            Capability::Role(role) => out.push(role.0),
            Capability::GracefulRestart(gr) => {
                let word = (u16::from(gr.restart_flags & 0x0F) << 12) | (gr.restart_time & 0x0FFF);
                put_u16(out, word);
                for (family, flags) in &gr.families {
                    put_u16(out, family.afi.0);
                    out.push(family.safi.0);
                    out.push(*flags);
                }
            }
            Capability::FourOctetAs(asn) => put_u32(out, *asn),
            Capability::MultiSession(ms) => {
                if let Some(flags) = ms.flags {
                    out.push(flags);
                }
                out.extend_from_slice(&ms.codes);
            }
            Capability::AddPath(entries) => {
                for (family, mode) in entries {
                    put_u16(out, family.afi.0);
                    out.push(family.safi.0);
                    out.push(mode.0);
                }
            }
            Capability::Hostname {
                host_name,
                domain_name,
            } => {
                // Both names and their two length bytes share the 255-byte value.
                let used = put_short_string(out, host_name, MAX_VALUE - 2);
                put_short_string(out, domain_name, MAX_VALUE - 2 - used);
            }
            Capability::SoftwareVersion(version) => {
                put_short_string(out, version, MAX_VALUE - 1);
            }
            Capability::Unknown { value, .. } => out.extend_from_slice(value),
        }
    }

    /// Appends code, length and value. A value longer than 255 bytes is cut to 255.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.code());
        let at = out.len();
        out.push(0);
        self.encode_value(out);
        let len = out.len() - at - 1;
        if len > MAX_VALUE {
            out.truncate(at + 1 + MAX_VALUE);
        }
        if let Some(slot) = out.get_mut(at) {
            *slot = u8::try_from(len.min(MAX_VALUE)).unwrap_or(u8::MAX);
        }
    }

    /// Decodes a sequence of capabilities (the value of an OPEN parameter of type 2).
    pub fn decode_all(mut bytes: &[u8]) -> Result<Vec<Capability>, MessageError> {
        let mut capabilities = Vec::new();
        while let [code, len, rest @ ..] = bytes {
            let value = rest
                .get(..usize::from(*len))
                .ok_or(MessageError::MalformedCapability {
                    code: *code,
                    reason: "value runs past the parameter",
                })?;
            capabilities.push(Capability::decode(*code, value)?);
            bytes = rest.get(usize::from(*len)..).unwrap_or_default();
        }
        match bytes {
            [] => Ok(capabilities),
            [code] => Err(MessageError::MalformedCapability {
                code: *code,
                reason: "no length byte",
            }),
            _ => Ok(capabilities),
        }
    }
}

/// Length byte + UTF-8 of at most `max` bytes (cut on a character boundary); returns
/// the text length written.
fn put_short_string(out: &mut Vec<u8>, text: &str, max: usize) -> usize {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = text.get(..end).unwrap_or_default();
    out.push(u8::try_from(text.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(text.as_bytes());
    text.len()
}

/// ExaBGP's `iana` class of an unknown capability code in JSON.
pub fn iana_class(code: u8) -> &'static str {
    match code {
        70..=127 => "unassigned",
        128..=255 => "reserved",
        _ => "unknown",
    }
}

/// ExaBGP's name of a capability code (used e.g. for the session-id list of the
/// multisession capability in JSON): `multiprotocol`, `graceful-restart`, ...,
/// `unassigned-0x4d`, `reserved-0xc8`, `capability-0x9`.
pub fn code_name(code: u8) -> String {
    let name = match code {
        0 => "reserved",
        1 => "multiprotocol",
        2 => "route-refresh",
        3 => "outbound-route-filtering",
        4 => "multiple-routes",
        5 => "nexthop",
        6 => "extended-message",
        64 => "graceful-restart",
        65 => "asn4",
        67 => "dynamic-capability",
        68 => "multi-session",
        69 => "add-path",
        70 => "enhanced-route-refresh",
        73 => "hostname",
        75 => "software-version",
        128 => "cisco-route-refresh",
        // sic: ExaBGP's spelling.
        131 => "cisco-multi-sesion",
        185 => "operational",
        _ => {
            return format!(
                "{}-{code:#x}",
                iana_class(code).replace("unknown", "capability")
            );
        }
    };
    name.to_string()
}

impl fmt::Display for Capability {
    /// ExaBGP's text form of one capability (its text encoder lower-cases the list),
    /// e.g. `Multiprotocol(ipv4 unicast)`, `ASN4(65001)`, `Route Refresh`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capability::Multiprotocol(family) => write!(f, "Multiprotocol({family})"),
            Capability::RouteRefresh => f.write_str("Route Refresh"),
            Capability::RouteRefreshCisco => f.write_str("Cisco Route Refresh"),
            Capability::ExtendedNextHop(entries) => {
                f.write_str("NextHop(")?;
                for (i, (family, nh)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{family} {nh}")?;
                }
                f.write_str(")")
            }
            Capability::ExtendedMessage => write!(f, "Extended Message({})", 65535),
            Capability::Role(role) => match role.name() {
                Some(name) => write!(f, "Role({name})"),
                None => write!(f, "Role({})", role.0),
            },
            Capability::GracefulRestart(gr) => {
                write!(
                    f,
                    "Graceful Restart Flags {:#x} Time {} ",
                    gr.restart_flags, gr.restart_time
                )?;
                for (i, (family, flags)) in gr.families.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{}={flags:#x}", family.slash_name())?;
                }
                Ok(())
            }
            Capability::FourOctetAs(asn) => write!(f, "ASN4({asn})"),
            Capability::MultiSession(ms) => {
                f.write_str(if ms.cisco {
                    "Multisession "
                } else {
                    "Multisession (RFC) "
                })?;
                for (i, code) in ms.codes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    f.write_str(&code_name(*code))?;
                }
                Ok(())
            }
            Capability::AddPath(entries) => {
                f.write_str("AddPath(")?;
                for (i, (family, mode)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{mode} {family}")?;
                }
                f.write_str(")")
            }
            Capability::EnhancedRouteRefresh => f.write_str("Enhanced Route Refresh"),
            Capability::Hostname {
                host_name,
                domain_name,
            } => write!(f, "Hostname({host_name} {domain_name})"),
            Capability::SoftwareVersion(version) => write!(f, "Software({version})"),
            Capability::LinkLocalNextHop => f.write_str("Link-Local NextHop"),
            Capability::Operational => f.write_str("Operational"),
            Capability::Unknown { code, .. } => match iana_class(*code) {
                "reserved" => write!(f, "Reserved {}", code_name(*code)),
                "unassigned" => write!(f, "Unassigned {}", code_name(*code)),
                _ => write!(f, "Unknown {}", code_name(*code)),
            },
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip(capability: &Capability) -> Capability {
        let mut out = Vec::new();
        capability.encode(&mut out);
        let decoded = Capability::decode_all(&out).unwrap();
        assert_eq!(decoded.len(), 1);
        let mut again = Vec::new();
        decoded[0].encode(&mut again);
        assert_eq!(again, out);
        decoded.into_iter().next().unwrap()
    }

    #[test]
    fn known_values() {
        let mp = Capability::decode(1, &[0, 2, 0, 1]).unwrap();
        assert_eq!(mp, Capability::Multiprotocol(Family::IPV6_UNICAST));
        assert_eq!(
            Capability::decode(65, &[0, 0, 0xFD, 0xE9]).unwrap(),
            Capability::FourOctetAs(65001)
        );
        assert!(Capability::decode(65, &[0, 0, 0xFD]).is_err());
        assert!(Capability::decode(1, &[0, 1, 0]).is_err());
        let nh = Capability::decode(5, &[0, 1, 0, 1, 0, 2]).unwrap();
        assert_eq!(
            nh,
            Capability::ExtendedNextHop(vec![(Family::IPV4_UNICAST, Afi::IPV6)])
        );
        let gr = Capability::decode(64, &[0x80, 0x78, 0, 1, 1, 0x80]).unwrap();
        assert_eq!(
            gr,
            Capability::GracefulRestart(GracefulRestart {
                restart_flags: 8,
                restart_time: 120,
                families: vec![(Family::IPV4_UNICAST, 0x80)],
            })
        );
        let host = Capability::decode(73, b"\x02r1\x0bexample.net").unwrap();
        assert_eq!(
            host,
            Capability::Hostname {
                host_name: "r1".into(),
                domain_name: "example.net".into()
            }
        );
        assert!(Capability::decode(73, b"\x05r1").is_err());
        assert!(Capability::decode(75, b"").is_err());
        assert_eq!(Capability::decode(9, &[3]).unwrap().name(), "role");
        assert_eq!(
            Capability::decode(0x83, &[0, 1]).unwrap().variant(),
            Some("Cisco")
        );
        assert_eq!(AddPathMode(3).name(), Some("send/receive"));
        assert_eq!(AddPathMode(7).to_string(), "invalid (7)");
        assert_eq!(code_name(77), "unassigned-0x4d");
        assert_eq!(code_name(66), "capability-0x42");
        assert_eq!(code_name(200), "reserved-0xc8");
        assert_eq!(
            Capability::AddPath(vec![(Family::IPV4_UNICAST, AddPathMode::BOTH)]).to_string(),
            "AddPath(send/receive ipv4 unicast)"
        );
        assert_eq!(iana_class(66), "unknown");
        assert_eq!(iana_class(100), "unassigned");
        assert_eq!(iana_class(200), "reserved");
    }

    #[test]
    fn decode_all_rejects_truncation() {
        assert!(Capability::decode_all(&[65, 4, 0, 0]).is_err());
        assert!(Capability::decode_all(&[65]).is_err());
        assert_eq!(Capability::decode_all(&[]).unwrap(), vec![]);
        assert_eq!(
            Capability::decode_all(&[2, 0, 70, 0]).unwrap(),
            vec![Capability::RouteRefresh, Capability::EnhancedRouteRefresh]
        );
    }

    #[test]
    fn long_strings_are_cut() {
        let cap = Capability::SoftwareVersion("x".repeat(400));
        let mut out = Vec::new();
        cap.encode(&mut out);
        assert_eq!(out.len(), 2 + 255);
        assert!(Capability::decode_all(&out).is_ok());
        let cap = Capability::Hostname {
            host_name: "h".repeat(300),
            domain_name: "d".repeat(300),
        };
        let mut out = Vec::new();
        cap.encode(&mut out);
        assert_eq!(out.len(), 2 + 255);
        assert!(Capability::decode_all(&out).is_ok());
    }

    pub(crate) fn family() -> impl Strategy<Value = Family> {
        (any::<u16>(), any::<u8>()).prop_map(|(a, s)| Family::new(Afi(a), Safi(s)))
    }

    pub(crate) fn capability() -> impl Strategy<Value = Capability> {
        let known = [
            0u8, 1, 2, 5, 6, 9, 64, 65, 68, 69, 70, 73, 75, 77, 128, 131, 185,
        ];
        prop_oneof![
            family().prop_map(Capability::Multiprotocol),
            Just(Capability::RouteRefresh),
            Just(Capability::RouteRefreshCisco),
            Just(Capability::ExtendedMessage),
            Just(Capability::EnhancedRouteRefresh),
            Just(Capability::LinkLocalNextHop),
            Just(Capability::Operational),
            proptest::collection::vec((family(), any::<u16>().prop_map(Afi)), 0..10)
                .prop_map(Capability::ExtendedNextHop),
            any::<u8>().prop_map(|r| Capability::Role(Role(r))),
            (
                0u8..16,
                0u16..4096,
                proptest::collection::vec((family(), any::<u8>()), 0..10)
            )
                .prop_map(|(restart_flags, restart_time, families)| {
                    Capability::GracefulRestart(GracefulRestart {
                        restart_flags,
                        restart_time,
                        families,
                    })
                }),
            any::<u32>().prop_map(Capability::FourOctetAs),
            (
                any::<bool>(),
                any::<u8>(),
                proptest::collection::vec(any::<u8>(), 0..5)
            )
                .prop_map(|(cisco, flags, codes)| Capability::MultiSession(
                    MultiSession {
                        cisco,
                        flags: Some(flags),
                        codes
                    }
                )),
            proptest::collection::vec((family(), any::<u8>().prop_map(AddPathMode)), 0..10)
                .prop_map(Capability::AddPath),
            ("[a-z0-9.-]{0,40}", "[a-z0-9.-]{0,40}").prop_map(|(host_name, domain_name)| {
                Capability::Hostname {
                    host_name,
                    domain_name,
                }
            }),
            "\\PC{0,60}".prop_map(Capability::SoftwareVersion),
            (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40))
                .prop_filter("unknown code", move |(code, _)| !known.contains(code))
                .prop_map(|(code, value)| Capability::Unknown { code, value }),
        ]
    }

    proptest! {
        #[test]
        fn capability_round_trip(capability in capability()) {
            prop_assert_eq!(round_trip(&capability), capability);
        }

        #[test]
        fn capability_decode_never_panics(code: u8, value in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(capability) = Capability::decode(code, &value) {
                let _ = capability.to_string();
                let mut out = Vec::new();
                capability.encode(&mut out);
            }
        }
    }
}
