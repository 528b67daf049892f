//! Path attributes (RFC 4271 §4.3 and the RFCs that extend it): typed values, flags,
//! the extended-length form, RFC 7606 error classes, and unknown attributes kept opaque.

mod aigp;
mod as_path;
mod community;
mod error;
mod extended;
mod pmsi;
mod prefix_sid;

use std::fmt;
use std::net::Ipv4Addr;

pub use self::aigp::{Aigp, AigpFault};
pub use self::as_path::{AsPath, AsPathFault, Segment, SegmentKind, AS_TRANS};
pub use self::community::{Community, LargeCommunity, WELL_KNOWN_COMMUNITIES};
pub use self::error::{exabgp_code_name, malformed_action, AttributeError, Fault};
pub use self::extended::{ExtendedCommunity, ExtendedKind, Ipv6ExtendedCommunity};
pub use self::pmsi::{PmsiTunnel, PMSI_INGRESS_REPLICATION, PMSI_NO_TUNNEL};
pub use self::prefix_sid::{
    PrefixSid, PrefixSidFault, PrefixSidTlv, SidInformation, SidStructure, Srv6SubSubTlv,
    Srv6SubTlv, TLV_SRV6_L2_SERVICE, TLV_SRV6_L3_SERVICE,
};

use super::error::ErrorAction;
use super::mp::{MpReach, MpUnreach};
use super::negotiated::Negotiated;
use super::wire::Reader;

/// Attribute flag bits.
pub const FLAG_OPTIONAL: u8 = 0x80;
pub const FLAG_TRANSITIVE: u8 = 0x40;
pub const FLAG_PARTIAL: u8 = 0x20;
pub const FLAG_EXTENDED_LENGTH: u8 = 0x10;

pub const CODE_ORIGIN: u8 = 1;
pub const CODE_AS_PATH: u8 = 2;
pub const CODE_NEXT_HOP: u8 = 3;
pub const CODE_MED: u8 = 4;
pub const CODE_LOCAL_PREF: u8 = 5;
pub const CODE_ATOMIC_AGGREGATE: u8 = 6;
pub const CODE_AGGREGATOR: u8 = 7;
pub const CODE_COMMUNITIES: u8 = 8;
pub const CODE_ORIGINATOR_ID: u8 = 9;
pub const CODE_CLUSTER_LIST: u8 = 10;
pub const CODE_MP_REACH_NLRI: u8 = 14;
pub const CODE_MP_UNREACH_NLRI: u8 = 15;
pub const CODE_EXTENDED_COMMUNITIES: u8 = 16;
pub const CODE_AS4_PATH: u8 = 17;
pub const CODE_AS4_AGGREGATOR: u8 = 18;
pub const CODE_PMSI_TUNNEL: u8 = 22;
pub const CODE_IPV6_EXTENDED_COMMUNITIES: u8 = 25;
pub const CODE_AIGP: u8 = 26;
pub const CODE_LARGE_COMMUNITIES: u8 = 32;
pub const CODE_PREFIX_SID: u8 = 40;

/// One path attribute as it appears in an UPDATE: flags, type code and value bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    pub flags: u8,
    pub code: u8,
    pub value: &'a [u8],
}

impl RawAttribute<'_> {
    /// The attribute as it was on the wire (flags, type, length, value): the data of the
    /// NOTIFICATIONs that RFC 4271 §6.3 says carry the erroneous attribute.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.value.len() + 4);
        encode_header(&mut out, self.flags, self.code, self.value.len());
        out.extend_from_slice(self.value);
        out
    }
}

/// ORIGIN values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    Igp,
    Egp,
    Incomplete,
}

impl Origin {
    pub fn code(self) -> u8 {
        match self {
            Origin::Igp => 0,
            Origin::Egp => 1,
            Origin::Incomplete => 2,
        }
    }

    pub fn from_code(code: u8) -> Option<Origin> {
        match code {
            0 => Some(Origin::Igp),
            1 => Some(Origin::Egp),
            2 => Some(Origin::Incomplete),
            _ => None,
        }
    }

    /// `igp`, `egp` or `incomplete` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Origin> {
        [Origin::Igp, Origin::Egp, Origin::Incomplete]
            .into_iter()
            .find(|o| o.name().eq_ignore_ascii_case(name))
    }

    pub fn name(self) -> &'static str {
        match self {
            Origin::Igp => "igp",
            Origin::Egp => "egp",
            Origin::Incomplete => "incomplete",
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// AGGREGATOR / AS4_AGGREGATOR: the aggregating AS and router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Aggregator {
    pub asn: u32,
    pub address: Ipv4Addr,
}

impl Aggregator {
    pub fn new(asn: u32, address: Ipv4Addr) -> Self {
        Aggregator { asn, address }
    }
}

impl fmt::Display for Aggregator {
    /// `<asn>:<ip>`, as ExaBGP's JSON shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.asn, self.address)
    }
}

/// A decoded path attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    Origin(Origin),
    /// Encoded with 2- or 4-octet AS numbers after `ctx.asn4`; on a 2-octet session an
    /// AS4_PATH follows when an AS number does not fit.
    AsPath(AsPath),
    NextHop(Ipv4Addr),
    Med(u32),
    LocalPref(u32),
    AtomicAggregate,
    /// Encoded like AS_PATH: AS_TRANS plus an AS4_AGGREGATOR on a 2-octet session.
    Aggregator(Aggregator),
    Communities(Vec<Community>),
    OriginatorId(Ipv4Addr),
    ClusterList(Vec<Ipv4Addr>),
    MpReach(MpReach),
    MpUnreach(MpUnreach),
    ExtendedCommunities(Vec<ExtendedCommunity>),
    As4Path(AsPath),
    As4Aggregator(Aggregator),
    PmsiTunnel(PmsiTunnel),
    Ipv6ExtendedCommunities(Vec<Ipv6ExtendedCommunity>),
    Aigp(Aigp),
    LargeCommunities(Vec<LargeCommunity>),
    PrefixSid(PrefixSid),
    /// Any attribute not decoded, kept byte for byte.
    Unknown {
        flags: u8,
        code: u8,
        value: Vec<u8>,
    },
}

/// The flags RFC 4271 and each attribute's RFC give it (without extended length), for
/// the codes this module decodes; `None` for any other code.
pub fn canonical_flags(code: u8) -> Option<u8> {
    const WELL_KNOWN: u8 = FLAG_TRANSITIVE;
    const OPTIONAL_TRANSITIVE: u8 = FLAG_OPTIONAL | FLAG_TRANSITIVE;
    match code {
        CODE_ORIGIN | CODE_AS_PATH | CODE_NEXT_HOP | CODE_LOCAL_PREF | CODE_ATOMIC_AGGREGATE => {
            Some(WELL_KNOWN)
        }
        CODE_MED | CODE_ORIGINATOR_ID | CODE_CLUSTER_LIST | CODE_MP_REACH_NLRI
        | CODE_MP_UNREACH_NLRI | CODE_AIGP => Some(FLAG_OPTIONAL),
        CODE_AGGREGATOR
        | CODE_COMMUNITIES
        | CODE_EXTENDED_COMMUNITIES
        | CODE_AS4_PATH
        | CODE_AS4_AGGREGATOR
        | CODE_PMSI_TUNNEL
        | CODE_IPV6_EXTENDED_COMMUNITIES
        | CODE_LARGE_COMMUNITIES
        | CODE_PREFIX_SID => Some(OPTIONAL_TRANSITIVE),
        _ => None,
    }
}

/// The attribute's name in ExaBGP's JSON (`None` for codes it does not list by name).
pub fn json_key(code: u8) -> Option<&'static str> {
    Some(match code {
        CODE_ORIGIN => "origin",
        CODE_AS_PATH => "as-path",
        CODE_NEXT_HOP => "next-hop",
        CODE_MED => "med",
        CODE_LOCAL_PREF => "local-preference",
        CODE_ATOMIC_AGGREGATE => "atomic-aggregate",
        CODE_AGGREGATOR | CODE_AS4_AGGREGATOR => "aggregator",
        CODE_COMMUNITIES => "community",
        CODE_ORIGINATOR_ID => "originator-id",
        CODE_CLUSTER_LIST => "cluster-list",
        CODE_EXTENDED_COMMUNITIES => "extended-community",
        CODE_PMSI_TUNNEL => "pmsi",
        CODE_IPV6_EXTENDED_COMMUNITIES => "extended-community-ipv6",
        CODE_AIGP => "aigp",
        CODE_LARGE_COMMUNITIES => "large-community",
        CODE_PREFIX_SID => "bgp-prefix-sid",
        _ => return None,
    })
}

/// A readable attribute name for logs and error messages.
pub fn code_name(code: u8) -> &'static str {
    match code {
        CODE_ORIGIN => "ORIGIN",
        CODE_AS_PATH => "AS_PATH",
        CODE_NEXT_HOP => "NEXT_HOP",
        CODE_MED => "MULTI_EXIT_DISC",
        CODE_LOCAL_PREF => "LOCAL_PREF",
        CODE_ATOMIC_AGGREGATE => "ATOMIC_AGGREGATE",
        CODE_AGGREGATOR => "AGGREGATOR",
        CODE_COMMUNITIES => "COMMUNITIES",
        CODE_ORIGINATOR_ID => "ORIGINATOR_ID",
        CODE_CLUSTER_LIST => "CLUSTER_LIST",
        CODE_MP_REACH_NLRI => "MP_REACH_NLRI",
        CODE_MP_UNREACH_NLRI => "MP_UNREACH_NLRI",
        CODE_EXTENDED_COMMUNITIES => "EXTENDED_COMMUNITIES",
        CODE_AS4_PATH => "AS4_PATH",
        CODE_AS4_AGGREGATOR => "AS4_AGGREGATOR",
        CODE_PMSI_TUNNEL => "PMSI_TUNNEL",
        CODE_IPV6_EXTENDED_COMMUNITIES => "IPV6_EXTENDED_COMMUNITIES",
        CODE_AIGP => "AIGP",
        CODE_LARGE_COMMUNITIES => "LARGE_COMMUNITY",
        CODE_PREFIX_SID => "BGP_PREFIX_SID",
        _ => "unknown attribute",
    }
}

/// Whether the flags fit the attribute: Optional and Transitive as its RFC says, and
/// Partial only on an optional attribute (extended length and the low bits are free).
fn flags_fit(code: u8, flags: u8) -> bool {
    let Some(expected) = canonical_flags(code) else {
        return true;
    };
    let mut seen = flags & (FLAG_OPTIONAL | FLAG_TRANSITIVE | FLAG_PARTIAL);
    if expected & FLAG_OPTIONAL != 0 {
        seen &= !FLAG_PARTIAL;
    }
    seen == expected
}

fn ipv4_at(chunk: &[u8]) -> Ipv4Addr {
    let mut octets = [0u8; 4];
    for (slot, byte) in octets.iter_mut().zip(chunk) {
        *slot = *byte;
    }
    Ipv4Addr::from(octets)
}

fn exact_u32(value: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = value.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// Splits a value into whole `N`-byte items, or `None` if the length is not a multiple.
fn fixed_items<const N: usize>(value: &[u8]) -> Option<impl Iterator<Item = [u8; N]> + '_> {
    if value.len() % N != 0 {
        return None;
    }
    Some(value.chunks_exact(N).map(|c| {
        let mut item = [0u8; N];
        item.copy_from_slice(c);
        item
    }))
}

impl Attribute {
    pub fn code(&self) -> u8 {
        match self {
            Attribute::Origin(_) => CODE_ORIGIN,
            Attribute::AsPath(_) => CODE_AS_PATH,
            Attribute::NextHop(_) => CODE_NEXT_HOP,
            Attribute::Med(_) => CODE_MED,
            Attribute::LocalPref(_) => CODE_LOCAL_PREF,
            Attribute::AtomicAggregate => CODE_ATOMIC_AGGREGATE,
            Attribute::Aggregator(_) => CODE_AGGREGATOR,
            Attribute::Communities(_) => CODE_COMMUNITIES,
            Attribute::OriginatorId(_) => CODE_ORIGINATOR_ID,
            Attribute::ClusterList(_) => CODE_CLUSTER_LIST,
            Attribute::MpReach(_) => CODE_MP_REACH_NLRI,
            Attribute::MpUnreach(_) => CODE_MP_UNREACH_NLRI,
            Attribute::ExtendedCommunities(_) => CODE_EXTENDED_COMMUNITIES,
            Attribute::As4Path(_) => CODE_AS4_PATH,
            Attribute::As4Aggregator(_) => CODE_AS4_AGGREGATOR,
            Attribute::PmsiTunnel(_) => CODE_PMSI_TUNNEL,
            Attribute::Ipv6ExtendedCommunities(_) => CODE_IPV6_EXTENDED_COMMUNITIES,
            Attribute::Aigp(_) => CODE_AIGP,
            Attribute::LargeCommunities(_) => CODE_LARGE_COMMUNITIES,
            Attribute::PrefixSid(_) => CODE_PREFIX_SID,
            Attribute::Unknown { code, .. } => *code,
        }
    }

    /// Decodes one attribute's value. Known codes with flags that contradict their RFC
    /// are a flags error; the caller ([`decode_attributes`]) applies RFC 7606.
    pub fn decode(raw: RawAttribute<'_>, ctx: &Negotiated) -> Result<Attribute, AttributeError> {
        if !flags_fit(raw.code, raw.flags) {
            return Err(AttributeError::Flags {
                code: raw.code,
                flags: raw.flags,
                data: raw.to_wire(),
            });
        }
        let length_error = || AttributeError::Length {
            code: raw.code,
            length: raw.value.len(),
            data: raw.to_wire(),
        };
        let malformed = |fault: Fault| AttributeError::Malformed {
            code: raw.code,
            fault,
            data: raw.to_wire(),
        };
        let value = raw.value;
        // Every known attribute but these has a value (ExaBGP: treat-as-withdraw).
        if value.is_empty()
            && canonical_flags(raw.code).is_some()
            && !matches!(
                raw.code,
                CODE_ATOMIC_AGGREGATE
                    | CODE_AS_PATH
                    | CODE_PREFIX_SID
                    | CODE_MP_REACH_NLRI
                    | CODE_MP_UNREACH_NLRI
            )
        {
            return Err(length_error());
        }
        let attribute = match raw.code {
            CODE_ORIGIN => match value {
                [code] => Attribute::Origin(Origin::from_code(*code).ok_or_else(|| {
                    AttributeError::InvalidOrigin {
                        value: *code,
                        data: raw.to_wire(),
                    }
                })?),
                _ => return Err(length_error()),
            },
            CODE_AS_PATH => Attribute::AsPath(
                AsPath::decode(value, ctx.asn4).map_err(|f| malformed(Fault::AsPath(f)))?,
            ),
            CODE_AS4_PATH => Attribute::As4Path(
                AsPath::decode(value, true).map_err(|f| malformed(Fault::AsPath(f)))?,
            ),
            CODE_NEXT_HOP => match value {
                [a, b, c, d] => Attribute::NextHop(Ipv4Addr::new(*a, *b, *c, *d)),
                _ => return Err(length_error()),
            },
            CODE_MED => Attribute::Med(exact_u32(value).ok_or_else(length_error)?),
            CODE_LOCAL_PREF => Attribute::LocalPref(exact_u32(value).ok_or_else(length_error)?),
            CODE_ATOMIC_AGGREGATE if value.is_empty() => Attribute::AtomicAggregate,
            CODE_ATOMIC_AGGREGATE => return Err(length_error()),
            CODE_AGGREGATOR => {
                let width = if ctx.asn4 { 8 } else { 6 };
                if value.len() != width {
                    return Err(length_error());
                }
                let (asn, ip) = value.split_at(width - 4);
                let asn = asn.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
                Attribute::Aggregator(Aggregator::new(asn, ipv4_at(ip)))
            }
            CODE_AS4_AGGREGATOR => match value {
                [a, b, c, d, ip @ ..] if ip.len() == 4 => Attribute::As4Aggregator(
                    Aggregator::new(u32::from_be_bytes([*a, *b, *c, *d]), ipv4_at(ip)),
                ),
                _ => return Err(length_error()),
            },
            CODE_COMMUNITIES => Attribute::Communities(
                fixed_items::<4>(value)
                    .ok_or_else(length_error)?
                    .map(|b| Community(u32::from_be_bytes(b)))
                    .collect(),
            ),
            CODE_ORIGINATOR_ID => match value {
                [a, b, c, d] => Attribute::OriginatorId(Ipv4Addr::new(*a, *b, *c, *d)),
                _ => return Err(length_error()),
            },
            CODE_CLUSTER_LIST => Attribute::ClusterList(
                fixed_items::<4>(value)
                    .ok_or_else(length_error)?
                    .map(Ipv4Addr::from)
                    .collect(),
            ),
            CODE_MP_REACH_NLRI => {
                let mut mp = MpReach::decode(value, ctx).map_err(AttributeError::Nlri)?;
                mp.extended_length = raw.flags & FLAG_EXTENDED_LENGTH != 0;
                Attribute::MpReach(mp)
            }
            CODE_MP_UNREACH_NLRI => {
                let mut mp = MpUnreach::decode(value, ctx).map_err(AttributeError::Nlri)?;
                mp.extended_length = raw.flags & FLAG_EXTENDED_LENGTH != 0;
                Attribute::MpUnreach(mp)
            }
            CODE_EXTENDED_COMMUNITIES => {
                let list: Vec<ExtendedCommunity> = fixed_items::<8>(value)
                    .ok_or_else(length_error)?
                    .map(ExtendedCommunity)
                    .collect();
                if let Some(bad) = list.iter().find(|c| c.has_unusable_rate()) {
                    return Err(malformed(Fault::UnusableRate(*bad)));
                }
                Attribute::ExtendedCommunities(list)
            }
            CODE_IPV6_EXTENDED_COMMUNITIES => Attribute::Ipv6ExtendedCommunities(
                fixed_items::<20>(value)
                    .ok_or_else(length_error)?
                    .map(Ipv6ExtendedCommunity)
                    .collect(),
            ),
            CODE_LARGE_COMMUNITIES => Attribute::LargeCommunities(
                fixed_items::<12>(value)
                    .ok_or_else(length_error)?
                    .map(LargeCommunity::from_bytes)
                    .collect(),
            ),
            CODE_PMSI_TUNNEL => {
                Attribute::PmsiTunnel(PmsiTunnel::decode(value).ok_or_else(length_error)?)
            }
            CODE_AIGP => {
                Attribute::Aigp(Aigp::decode(value).map_err(|f| malformed(Fault::Aigp(f)))?)
            }
            CODE_PREFIX_SID => Attribute::PrefixSid(
                PrefixSid::decode(value).map_err(|f| malformed(Fault::PrefixSid(f)))?,
            ),
            code => {
                if code == 29 {
                    crate::bgp::linkstate::check_attribute(value)
                        .map_err(|f| malformed(Fault::LinkState(f)))?;
                }
                Attribute::Unknown {
                    flags: raw.flags,
                    code,
                    value: value.to_vec(),
                }
            }
        };
        Ok(attribute)
    }

    /// Appends flags, type, length and value with the canonical flags. AS_PATH and
    /// AGGREGATOR holding 4-octet AS numbers on a 2-octet session also append their
    /// AS4_PATH / AS4_AGGREGATOR (RFC 6793). Optional attributes with an empty value are
    /// not written (as ExaBGP does). Unknown attributes keep their received flags.
    pub fn encode(&self, out: &mut Vec<u8>, ctx: &Negotiated) {
        self.encode_flagged(out, ctx, None);
    }

    /// Like [`Attribute::encode`] but with the flags received for this attribute (its
    /// `RawAttribute::flags`), so a forwarded attribute keeps its Partial bit and an
    /// extended length the peer chose for a short value: with the flags of the wire,
    /// `decode` then `encode_with_flags` gives back the received bytes.
    pub fn encode_with_flags(&self, out: &mut Vec<u8>, ctx: &Negotiated, received_flags: u8) {
        self.encode_flagged(out, ctx, Some(received_flags));
    }

    fn encode_flagged(&self, out: &mut Vec<u8>, ctx: &Negotiated, received: Option<u8>) {
        let code = self.code();
        let mut value = Vec::new();
        let canonical = self.encode_value(&mut value, ctx);
        let flags = received.unwrap_or(canonical);
        let optional_and_empty = flags & FLAG_OPTIONAL != 0
            && value.is_empty()
            && !matches!(self, Attribute::Unknown { .. });
        if !optional_and_empty {
            write_attribute(out, flags, code, &value);
        }
        if ctx.asn4 {
            return;
        }
        match self {
            Attribute::AsPath(path) if path.needs_asn4() => {
                let confed_free = AsPath::new(
                    path.segments
                        .iter()
                        .filter(|s| matches!(s.kind, SegmentKind::Sequence | SegmentKind::Set))
                        .cloned()
                        .collect(),
                );
                Attribute::As4Path(confed_free).encode(out, ctx);
            }
            Attribute::Aggregator(aggregator) if aggregator.asn > u32::from(u16::MAX) => {
                Attribute::As4Aggregator(*aggregator).encode(out, ctx);
            }
            _ => {}
        }
    }

    /// Appends the attribute value alone (no header) and returns the canonical flags
    /// (the received ones for an unknown attribute).
    pub fn encode_value(&self, value: &mut Vec<u8>, ctx: &Negotiated) -> u8 {
        let code = self.code();
        let mut flags = canonical_flags(code).unwrap_or(FLAG_OPTIONAL | FLAG_TRANSITIVE);
        match self {
            Attribute::Origin(origin) => value.push(origin.code()),
            Attribute::AsPath(path) => path.encode_value(value, ctx.asn4),
            Attribute::NextHop(ip) | Attribute::OriginatorId(ip) => {
                value.extend_from_slice(&ip.octets())
            }
            Attribute::Med(n) | Attribute::LocalPref(n) => {
                value.extend_from_slice(&n.to_be_bytes())
            }
            Attribute::AtomicAggregate => {}
            Attribute::Aggregator(aggregator) => {
                if ctx.asn4 {
                    value.extend_from_slice(&aggregator.asn.to_be_bytes());
                } else {
                    let two = u16::try_from(aggregator.asn).unwrap_or(AS_TRANS as u16);
                    value.extend_from_slice(&two.to_be_bytes());
                }
                value.extend_from_slice(&aggregator.address.octets());
            }
            Attribute::As4Aggregator(aggregator) => {
                value.extend_from_slice(&aggregator.asn.to_be_bytes());
                value.extend_from_slice(&aggregator.address.octets());
            }
            Attribute::Communities(list) => {
                for c in list {
                    value.extend_from_slice(&c.0.to_be_bytes());
                }
            }
            Attribute::ClusterList(list) => {
                for ip in list {
                    value.extend_from_slice(&ip.octets());
                }
            }
            Attribute::MpReach(mp) => {
                mp.encode_value(value, ctx);
                if mp.extended_length {
                    flags |= FLAG_EXTENDED_LENGTH;
                }
            }
            Attribute::MpUnreach(mp) => {
                mp.encode_value(value, ctx);
                // ExaBGP writes the End-of-RIB marker (AFI/SAFI only) with extended length:
                // the constructors set `extended_length`, a decoded value keeps the flag
                // received (so a received marker re-encodes as it came).
                if mp.extended_length {
                    flags |= FLAG_EXTENDED_LENGTH;
                }
            }
            Attribute::ExtendedCommunities(list) => {
                for c in list {
                    value.extend_from_slice(&c.0);
                }
            }
            Attribute::As4Path(path) => path.encode_value(value, true),
            Attribute::PmsiTunnel(pmsi) => pmsi.encode_value(value),
            Attribute::Ipv6ExtendedCommunities(list) => {
                for c in list {
                    value.extend_from_slice(&c.0);
                }
            }
            Attribute::Aigp(aigp) => value.extend_from_slice(&aigp.tlvs),
            Attribute::LargeCommunities(list) => {
                for c in list {
                    value.extend_from_slice(&c.to_bytes());
                }
            }
            Attribute::PrefixSid(sid) => sid.encode_value(value),
            Attribute::Unknown {
                flags: received,
                value: v,
                ..
            } => {
                value.extend_from_slice(v);
                flags = *received;
            }
        }
        flags
    }
}

fn write_attribute(out: &mut Vec<u8>, flags: u8, code: u8, value: &[u8]) {
    encode_header(out, flags, code, value.len());
    out.extend_from_slice(value);
}

/// Writes flags, type and length, choosing the extended length when needed or already flagged.
pub fn encode_header(out: &mut Vec<u8>, flags: u8, code: u8, len: usize) {
    if len > 255 || flags & FLAG_EXTENDED_LENGTH != 0 {
        out.push(flags | FLAG_EXTENDED_LENGTH);
        out.push(code);
        out.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
    } else {
        out.push(flags);
        out.push(code);
        out.push(len as u8);
    }
}

/// Splits the path-attribute field of an UPDATE into raw attributes. After a framing
/// error ([`AttributeError::Truncated`]) the iterator ends.
pub fn split_attributes(
    bytes: &[u8],
) -> impl Iterator<Item = Result<RawAttribute<'_>, AttributeError>> {
    let mut reader = Reader::new(bytes);
    std::iter::from_fn(move || {
        if reader.is_empty() {
            return None;
        }
        let one = read_one(&mut reader);
        if one.is_err() {
            reader.take_rest();
        }
        Some(one)
    })
}

fn read_one<'a>(reader: &mut Reader<'a>) -> Result<RawAttribute<'a>, AttributeError> {
    let (flags, code) = match (reader.u8(), reader.u8()) {
        (Some(f), Some(c)) => (f, c),
        _ => return Err(AttributeError::Truncated),
    };
    let len = if flags & FLAG_EXTENDED_LENGTH != 0 {
        reader.u16().map(usize::from)
    } else {
        reader.u8().map(usize::from)
    };
    let len = len.ok_or(AttributeError::LengthMissing { code })?;
    let value = reader.take(len).ok_or(AttributeError::Truncated)?;
    Ok(RawAttribute { flags, code, value })
}

/// The attribute field of an UPDATE after RFC 7606 handling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodedAttributes {
    /// The attributes kept, in received order (AS4_PATH / AS4_AGGREGATOR reconciled).
    pub attributes: Vec<Attribute>,
    /// Malformed attributes dropped by attribute-discard (ExaBGP: `"error": "discard"`).
    pub discarded: Vec<AttributeError>,
    /// The first error that makes the UPDATE treat-as-withdraw (ExaBGP:
    /// `"error": "treat-as-withdraw"`); the attributes decoded anyway are still listed.
    pub treat_as_withdraw: Option<AttributeError>,
}

/// Decodes the whole path-attribute field with RFC 7606 error handling, the way ExaBGP
/// does it: duplicates after the first are ignored (a duplicate MP_REACH/MP_UNREACH
/// resets the session), unknown attributes are kept (the JSON writer hides the
/// non-transitive ones, as ExaBGP does; they are never re-advertised), malformed
/// attributes are discarded or make the UPDATE treat-as-withdraw, and without
/// treat-as-withdraw the AS4_ attributes are reconciled (RFC 6793 §4.2.3).
/// `Err` only for the errors that reset the session (or disable the AFI/SAFI).
pub fn decode_attributes_detailed(
    bytes: &[u8],
    ctx: &Negotiated,
) -> Result<DecodedAttributes, AttributeError> {
    let mut result = DecodedAttributes::default();
    let mut seen = [false; 256];
    for raw in split_attributes(bytes) {
        let raw = match raw {
            Ok(raw) => raw,
            Err(e) => {
                result.treat_as_withdraw.get_or_insert(e);
                break;
            }
        };
        let first = !std::mem::replace(&mut seen[usize::from(raw.code)], true);
        if !first {
            if matches!(raw.code, CODE_MP_REACH_NLRI | CODE_MP_UNREACH_NLRI) {
                return Err(AttributeError::DuplicateMp { code: raw.code });
            }
            continue;
        }
        match Attribute::decode(raw, ctx) {
            Ok(attribute) => result.attributes.push(attribute),
            Err(e) => match e.action() {
                ErrorAction::AttributeDiscard => result.discarded.push(e),
                ErrorAction::TreatAsWithdraw => {
                    result.treat_as_withdraw.get_or_insert(e);
                }
                ErrorAction::SessionReset | ErrorAction::AfiSafiDisable => return Err(e),
            },
        }
    }
    if result.treat_as_withdraw.is_none() {
        reconcile_four_octet_as(&mut result.attributes);
    }
    Ok(result)
}

/// Decodes the whole path-attribute field of an UPDATE, in received order, applying
/// attribute-discard internally; `Err` for treat-as-withdraw and stronger actions
/// (see [`AttributeError::action`]).
pub fn decode_attributes(bytes: &[u8], ctx: &Negotiated) -> Result<Vec<Attribute>, AttributeError> {
    let decoded = decode_attributes_detailed(bytes, ctx)?;
    match decoded.treat_as_withdraw {
        Some(e) => Err(e),
        None => Ok(decoded.attributes),
    }
}

fn position(attributes: &[Attribute], code: u8) -> Option<usize> {
    attributes.iter().position(|a| a.code() == code)
}

/// RFC 6793 §4.2.3 as ExaBGP applies it to every received UPDATE: with both AGGREGATOR and
/// AS4_AGGREGATOR, an AGGREGATOR that is not AS_TRANS wins and both AS4_ attributes are
/// dropped; otherwise the AGGREGATOR takes the AS4_AGGREGATOR's value. Then AS4_PATH is
/// merged into AS_PATH ([`AsPath::merge_as4`]) and removed.
pub fn reconcile_four_octet_as(attributes: &mut Vec<Attribute>) {
    let aggregator = position(attributes, CODE_AGGREGATOR);
    let aggregator4 = position(attributes, CODE_AS4_AGGREGATOR);
    if let (Some(at), Some(at4)) = (aggregator, aggregator4) {
        let real = match (attributes.get(at), attributes.get(at4)) {
            (Some(Attribute::Aggregator(a)), Some(Attribute::As4Aggregator(a4))) => {
                (a.asn == AS_TRANS).then_some(*a4)
            }
            _ => None,
        };
        match real {
            Some(a4) => {
                if let Some(slot) = attributes.get_mut(at) {
                    *slot = Attribute::Aggregator(a4);
                }
                attributes.retain(|a| a.code() != CODE_AS4_AGGREGATOR);
            }
            None => {
                attributes.retain(|a| !matches!(a.code(), CODE_AS4_AGGREGATOR | CODE_AS4_PATH));
                return;
            }
        }
    }
    let (Some(at), Some(at4)) = (
        position(attributes, CODE_AS_PATH),
        position(attributes, CODE_AS4_PATH),
    ) else {
        return;
    };
    let merged = match (attributes.get(at), attributes.get(at4)) {
        (Some(Attribute::AsPath(p2)), Some(Attribute::As4Path(p4))) => AsPath::merge_as4(p2, p4),
        _ => return,
    };
    if let Some(slot) = attributes.get_mut(at) {
        *slot = Attribute::AsPath(merged);
    }
    attributes.retain(|a| a.code() != CODE_AS4_PATH);
}

#[cfg(test)]
mod tests;
