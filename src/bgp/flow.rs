//! FlowSpec NLRI (RFC 8955 IPv4 and flow-vpn, RFC 8956 IPv6): bounded decoding into a
//! validated component block, encoding, and ExaBGP's rendering of each component.
//!
//! ```text
//! length: 1 byte (< 0xF0) or 2 bytes (0xFnnn)  [RD: 8, flow-vpn only]  components...
//! prefix component:  type | bits | [offset, IPv6 only] | ceil(bits / 8) bytes
//! operator component: type | (op | value: 1 << ((op >> 4) & 3) bytes)... until the end bit
//! ```
//!
//! The route keeps its component bytes exactly as received (checked once on decode), so
//! re-encoding is byte-identical and iteration afterwards cannot fail.
//!
//! An IPv6 prefix component carries `ceil(bits / 8)` address bytes whatever its offset, as
//! ExaBGP 6.0 (and the conformance fixtures) send it; 5.0.15 and RFC 8956 send only the
//! `bits - offset` pattern bits. Both agree for offset 0, the usual case.

use std::fmt::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::family::{Afi, Family, Safi};
use super::nlri::RouteDistinguisher;

/// Component types (RFC 8955 §4.2.2, RFC 8956 §3).
pub const DESTINATION: u8 = 1;
pub const SOURCE: u8 = 2;
pub const PROTOCOL: u8 = 3;
pub const PORT: u8 = 4;
pub const DESTINATION_PORT: u8 = 5;
pub const SOURCE_PORT: u8 = 6;
pub const ICMP_TYPE: u8 = 7;
pub const ICMP_CODE: u8 = 8;
pub const TCP_FLAGS: u8 = 9;
pub const PACKET_LENGTH: u8 = 10;
pub const DSCP: u8 = 11;
pub const FRAGMENT: u8 = 12;
pub const FLOW_LABEL: u8 = 13;

/// Operator byte bits shared by numeric and bitmask operators.
pub const OP_END: u8 = 0x80;
pub const OP_AND: u8 = 0x40;
const OP_LEN: u8 = 0x30;

/// Largest NLRI length the 2-byte form can carry (RFC 8955 §4.1).
pub const MAX_LENGTH: usize = 0x0FFF;

/// Why a FlowSpec NLRI was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowError {
    /// The length prefix, RD or a component runs past the NLRI.
    Truncated,
    /// An NLRI with no component at all.
    Empty,
    /// A component type unknown for the family (0, 14+, or flow-label in IPv4).
    UnknownComponent { kind: u8 },
    /// Components not in strictly increasing type order (RFC 8955 §4.2).
    OutOfOrder { kind: u8, after: u8 },
    /// A prefix length beyond the address size, or an IPv6 offset beyond the length.
    BadPrefix { kind: u8, bits: u8, offset: u8 },
    /// Components longer than the route can carry (4095 bytes on the wire, or
    /// [`FLOW_INLINE_MAX`] for a route of the adj-rib-out).
    TooLong,
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowError::Truncated => f.write_str("FlowSpec NLRI truncated"),
            FlowError::Empty => f.write_str("FlowSpec NLRI has no component"),
            FlowError::UnknownComponent { kind } => {
                write!(
                    f,
                    "FlowSpec component type {kind} is unknown for this family"
                )
            }
            FlowError::OutOfOrder { kind, after } => {
                write!(f, "FlowSpec component type {kind} follows type {after}")
            }
            FlowError::BadPrefix { kind, bits, offset } => write!(
                f,
                "FlowSpec component {kind} has an invalid prefix length {bits} (offset {offset})"
            ),
            FlowError::TooLong => f.write_str("FlowSpec route too long"),
        }
    }
}

impl std::error::Error for FlowError {}

/// One FlowSpec route: optional RD (flow-vpn) and its validated component bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowNlri {
    ipv6: bool,
    rd: Option<RouteDistinguisher>,
    components: Box<[u8]>,
    /// Received with the 2-byte length form although shorter than 240 bytes; kept so that
    /// re-encoding is byte-identical.
    long_length: bool,
}

/// The family a flow route of this AFI (and RD or not) belongs to.
pub fn flow_family(ipv6: bool, vpn: bool) -> Family {
    let afi = if ipv6 { Afi::IPV6 } else { Afi::IPV4 };
    let safi = if vpn { Safi::FLOW_VPN } else { Safi::FLOW };
    Family::new(afi, safi)
}

/// True for ipv4/ipv6 flow and flow-vpn.
pub fn is_flow_family(family: Family) -> bool {
    matches!(family.afi, Afi::IPV4 | Afi::IPV6)
        && matches!(family.safi, Safi::FLOW | Safi::FLOW_VPN)
}

impl FlowNlri {
    /// Decodes one route from the front of `bytes` (a whole NLRI field of `family`);
    /// returns it and the bytes consumed.
    pub fn decode_one(bytes: &[u8], family: Family) -> Result<(FlowNlri, usize), FlowError> {
        let ipv6 = family.afi == Afi::IPV6;
        let vpn = family.safi == Safi::FLOW_VPN;
        let first = *bytes.first().ok_or(FlowError::Truncated)?;
        let (len, head) = if first >= 0xF0 {
            let second = *bytes.get(1).ok_or(FlowError::Truncated)?;
            ((usize::from(first & 0x0F) << 8) | usize::from(second), 2)
        } else {
            (usize::from(first), 1)
        };
        let body = bytes.get(head..head + len).ok_or(FlowError::Truncated)?;
        let (rd, components) = if vpn {
            let rd_bytes: [u8; 8] = body
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .ok_or(FlowError::Truncated)?;
            (
                Some(RouteDistinguisher(rd_bytes)),
                body.get(8..).unwrap_or(&[]),
            )
        } else {
            (None, body)
        };
        validate(components, ipv6)?;
        Ok((
            FlowNlri {
                ipv6,
                rd,
                components: components.into(),
                long_length: head == 2 && len < 0xF0,
            },
            head + len,
        ))
    }

    /// A route from already-encoded components, checked as on decode.
    pub fn from_components(
        ipv6: bool,
        rd: Option<RouteDistinguisher>,
        components: &[u8],
    ) -> Result<FlowNlri, FlowError> {
        validate(components, ipv6)?;
        if components.len() + if rd.is_some() { 8 } else { 0 } > MAX_LENGTH {
            return Err(FlowError::TooLong);
        }
        Ok(FlowNlri {
            ipv6,
            rd,
            components: components.into(),
            long_length: false,
        })
    }

    pub fn is_ipv6(&self) -> bool {
        self.ipv6
    }

    pub fn rd(&self) -> Option<RouteDistinguisher> {
        self.rd
    }

    pub fn family(&self) -> Family {
        flow_family(self.ipv6, self.rd.is_some())
    }

    /// The raw component bytes.
    pub fn component_bytes(&self) -> &[u8] {
        &self.components
    }

    fn body_len(&self) -> usize {
        self.components.len() + if self.rd.is_some() { 8 } else { 0 }
    }

    /// Bytes [`FlowNlri::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        let len = self.body_len();
        len + if len < 0xF0 && !self.long_length {
            1
        } else {
            2
        }
    }

    /// Appends the length prefix, RD and components.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let len = self.body_len().min(MAX_LENGTH);
        if len < 0xF0 && !self.long_length {
            out.push(len as u8);
        } else {
            out.push(0xF0 | (len >> 8) as u8);
            out.push((len & 0xFF) as u8);
        }
        if let Some(rd) = self.rd {
            out.extend_from_slice(&rd.0);
        }
        out.extend_from_slice(&self.components);
    }

    /// The components in order.
    pub fn components(&self) -> Components<'_> {
        Components {
            bytes: &self.components,
            ipv6: self.ipv6,
        }
    }

    /// ExaBGP's `string`: `flow <key> <values>... [rd <rd>] [next-hop <ip>]`.
    pub fn write_string<W: Write>(&self, out: &mut W, next_hop: Option<IpAddr>) -> fmt::Result {
        write_flow_string(out, self.components(), self.rd, next_hop)
    }

    /// The route in the inline form the adj-rib-out keys routes by; `None` when its
    /// components are longer than [`FLOW_INLINE_MAX`].
    pub fn inline(&self) -> Option<FlowInline> {
        if self.long_length {
            return None;
        }
        let mut bytes = [0u8; FLOW_INLINE_MAX];
        bytes
            .get_mut(..self.components.len())?
            .copy_from_slice(&self.components);
        Some(FlowInline {
            ipv6: self.ipv6,
            rd: self.rd,
            len: u8::try_from(self.components.len()).ok()?,
            bytes,
        })
    }
}

/// Writes `flow <key> <values>... [rd <rd>] [next-hop <ip>]`.
fn write_flow_string<W: Write>(
    out: &mut W,
    components: Components<'_>,
    rd: Option<RouteDistinguisher>,
    next_hop: Option<IpAddr>,
) -> fmt::Result {
    let ipv6 = components.ipv6;
    out.write_str("flow")?;
    for component in components {
        write!(out, " {} ", component.keyword(ipv6))?;
        let several = component.value_count() > 1;
        if several {
            out.write_str("[ ")?;
        }
        for (index, group) in component.groups().enumerate() {
            if index > 0 {
                out.write_str(" ")?;
            }
            group.write(out)?;
        }
        if several {
            out.write_str(" ]")?;
        }
    }
    if let Some(rd) = rd {
        write!(out, " rd {rd}")?;
    }
    if let Some(next_hop) = next_hop {
        write!(out, " next-hop {next_hop}")?;
    }
    Ok(())
}

/// Longest component block a [`FlowInline`] holds (configured and API routes; received
/// routes of any length stay [`FlowNlri`]).
pub const FLOW_INLINE_MAX: usize = 96;

/// A FlowSpec route stored inline (Copy, no heap) so that it can be an [`Nlri`] of the
/// adj-rib-out: validated components of at most [`FLOW_INLINE_MAX`] bytes.
///
/// [`Nlri`]: super::nlri::Nlri
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowInline {
    ipv6: bool,
    rd: Option<RouteDistinguisher>,
    len: u8,
    bytes: [u8; FLOW_INLINE_MAX],
}

impl FlowInline {
    /// Checks and stores `components`; an error when invalid or too long.
    pub fn new(
        ipv6: bool,
        rd: Option<RouteDistinguisher>,
        components: &[u8],
    ) -> Result<FlowInline, FlowError> {
        validate(components, ipv6)?;
        let len = u8::try_from(components.len()).map_err(|_| FlowError::TooLong)?;
        let mut bytes = [0u8; FLOW_INLINE_MAX];
        bytes
            .get_mut(..components.len())
            .ok_or(FlowError::TooLong)?
            .copy_from_slice(components);
        Ok(FlowInline {
            ipv6,
            rd,
            len,
            bytes,
        })
    }

    pub fn is_ipv6(&self) -> bool {
        self.ipv6
    }

    pub fn rd(&self) -> Option<RouteDistinguisher> {
        self.rd
    }

    pub fn family(&self) -> Family {
        flow_family(self.ipv6, self.rd.is_some())
    }

    pub fn component_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    pub fn components(&self) -> Components<'_> {
        Components {
            bytes: self.component_bytes(),
            ipv6: self.ipv6,
        }
    }

    /// Bytes [`FlowInline::encode`] appends (always the 1-byte length form: at most
    /// 96 + 8 bytes).
    pub fn encoded_len(&self) -> usize {
        1 + usize::from(self.len) + if self.rd.is_some() { 8 } else { 0 }
    }

    /// Appends the length, RD and components.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push((self.encoded_len() - 1) as u8);
        if let Some(rd) = self.rd {
            out.extend_from_slice(&rd.0);
        }
        out.extend_from_slice(self.component_bytes());
    }

    /// ExaBGP's `string` of the route.
    pub fn write_string<W: Write>(&self, out: &mut W, next_hop: Option<IpAddr>) -> fmt::Result {
        write_flow_string(out, self.components(), self.rd, next_hop)
    }

    /// The same route as a [`FlowNlri`].
    pub fn to_flow_nlri(&self) -> FlowNlri {
        FlowNlri {
            ipv6: self.ipv6,
            rd: self.rd,
            components: self.component_bytes().into(),
            long_length: false,
        }
    }
}

impl fmt::Debug for FlowInline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write_string(&mut text, None)?;
        write!(f, "FlowInline({text})")
    }
}

/// Checks a component block: known types in increasing order, each complete.
fn validate(bytes: &[u8], ipv6: bool) -> Result<(), FlowError> {
    if bytes.is_empty() {
        return Err(FlowError::Empty);
    }
    let max_kind = if ipv6 { FLOW_LABEL } else { FRAGMENT };
    let mut at = 0;
    let mut previous = 0u8;
    while at < bytes.len() {
        let kind = *bytes.get(at).ok_or(FlowError::Truncated)?;
        if kind == 0 || kind > max_kind {
            return Err(FlowError::UnknownComponent { kind });
        }
        if kind <= previous {
            return Err(FlowError::OutOfOrder {
                kind,
                after: previous,
            });
        }
        previous = kind;
        at = component_end(bytes, at + 1, kind, ipv6)?;
    }
    Ok(())
}

/// The index just past the component whose value starts at `at`.
fn component_end(bytes: &[u8], mut at: usize, kind: u8, ipv6: bool) -> Result<usize, FlowError> {
    if kind == DESTINATION || kind == SOURCE {
        let bits = *bytes.get(at).ok_or(FlowError::Truncated)?;
        at += 1;
        let offset = if ipv6 {
            let offset = *bytes.get(at).ok_or(FlowError::Truncated)?;
            at += 1;
            offset
        } else {
            0
        };
        let max = if ipv6 { 128 } else { 32 };
        if bits > max || offset > bits {
            return Err(FlowError::BadPrefix { kind, bits, offset });
        }
        let end = at + usize::from(bits).div_ceil(8);
        if end > bytes.len() {
            return Err(FlowError::Truncated);
        }
        return Ok(end);
    }
    loop {
        let op = *bytes.get(at).ok_or(FlowError::Truncated)?;
        let end = at + 1 + value_len(op);
        if end > bytes.len() {
            return Err(FlowError::Truncated);
        }
        at = end;
        if op & OP_END != 0 {
            return Ok(at);
        }
    }
}

fn value_len(op: u8) -> usize {
    1 << ((op & OP_LEN) >> 4)
}

/// The operator-byte length bits for a value: the smallest of 1, 2, 4 or 8 bytes.
pub fn length_bits_for(value: u64) -> u8 {
    if value <= 0xFF {
        0x00
    } else if value <= 0xFFFF {
        0x10
    } else if value <= 0xFFFF_FFFF {
        0x20
    } else {
        0x30
    }
}

/// Appends one operator/value term with the smallest value size.
pub fn encode_term(out: &mut Vec<u8>, op: u8, value: u64, and: bool, last: bool) {
    let len_bits = length_bits_for(value);
    let mut byte = (op & 0x0F) | len_bits;
    if and {
        byte |= OP_AND;
    }
    if last {
        byte |= OP_END;
    }
    out.push(byte);
    let n = value_len(len_bits);
    let all = value.to_be_bytes();
    out.extend_from_slice(all.get(8 - n..).unwrap_or(&all));
}

/// Appends a prefix component (type, bits, [offset], ceil(bits / 8) address bytes).
pub fn encode_prefix(out: &mut Vec<u8>, kind: u8, addr: IpAddr, bits: u8, offset: u8) {
    out.push(kind);
    out.push(bits);
    let n = usize::from(bits).div_ceil(8);
    match addr {
        IpAddr::V4(a) => {
            let o = a.octets();
            out.extend_from_slice(o.get(..n.min(4)).unwrap_or(&o));
        }
        IpAddr::V6(a) => {
            out.push(offset);
            let o = a.octets();
            out.extend_from_slice(o.get(..n.min(16)).unwrap_or(&o));
        }
    }
}

/// Iterates the components of a validated block.
#[derive(Debug, Clone)]
pub struct Components<'a> {
    bytes: &'a [u8],
    ipv6: bool,
}

impl<'a> Iterator for Components<'a> {
    type Item = Component<'a>;

    fn next(&mut self) -> Option<Component<'a>> {
        let kind = *self.bytes.first()?;
        let end = component_end(self.bytes, 1, kind, self.ipv6).ok()?;
        let value = self.bytes.get(1..end)?;
        self.bytes = self.bytes.get(end..).unwrap_or(&[]);
        Some(Component {
            kind,
            value,
            ipv6: self.ipv6,
        })
    }
}

/// One component: its type and value bytes (prefix or operator terms).
#[derive(Debug, Clone, Copy)]
pub struct Component<'a> {
    pub kind: u8,
    value: &'a [u8],
    ipv6: bool,
}

/// One operator/value pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub op: u8,
    pub value: u64,
}

impl Term {
    pub fn and(&self) -> bool {
        self.op & OP_AND != 0
    }
}

impl<'a> Component<'a> {
    /// ExaBGP's key for the component in this AFI.
    pub fn keyword(&self, ipv6: bool) -> &'static str {
        match (self.kind, ipv6) {
            (DESTINATION, false) => "destination-ipv4",
            (DESTINATION, true) => "destination-ipv6",
            (SOURCE, false) => "source-ipv4",
            (SOURCE, true) => "source-ipv6",
            (PROTOCOL, false) => "protocol",
            (PROTOCOL, true) => "next-header",
            (PORT, _) => "port",
            (DESTINATION_PORT, _) => "destination-port",
            (SOURCE_PORT, _) => "source-port",
            (ICMP_TYPE, _) => "icmp-type",
            (ICMP_CODE, _) => "icmp-code",
            (TCP_FLAGS, _) => "tcp-flags",
            (PACKET_LENGTH, _) => "packet-length",
            (DSCP, false) => "dscp",
            (DSCP, true) => "traffic-class",
            (FRAGMENT, _) => "fragment",
            _ => "flow-label",
        }
    }

    fn is_prefix(&self) -> bool {
        self.kind == DESTINATION || self.kind == SOURCE
    }

    /// The prefix, its length and offset, for destination/source components.
    pub fn prefix(&self) -> Option<(IpAddr, u8, u8)> {
        if !self.is_prefix() {
            return None;
        }
        let bits = *self.value.first()?;
        let (offset, start) = if self.ipv6 {
            (*self.value.get(1)?, 2)
        } else {
            (0, 1)
        };
        let wire = self.value.get(start..)?;
        let addr = if self.ipv6 {
            let mut b = [0u8; 16];
            b.get_mut(..wire.len())?.copy_from_slice(wire);
            IpAddr::V6(Ipv6Addr::from(b))
        } else {
            let mut b = [0u8; 4];
            b.get_mut(..wire.len())?.copy_from_slice(wire);
            IpAddr::V4(Ipv4Addr::from(b))
        };
        Some((addr, bits, offset))
    }

    /// The operator terms (none for prefix components).
    pub fn terms(&self) -> Terms<'a> {
        Terms {
            bytes: if self.is_prefix() { &[] } else { self.value },
        }
    }

    /// How many values ExaBGP counts (terms, or 1 for a prefix): more than one is
    /// bracketed in the `string`.
    pub fn value_count(&self) -> usize {
        if self.is_prefix() {
            1
        } else {
            self.terms().count()
        }
    }

    /// The values as ExaBGP lists them: terms joined by `&` when AND-ed.
    pub fn groups(&self) -> Groups<'a> {
        Groups {
            component: *self,
            rest: self.terms().bytes,
            prefix_done: false,
        }
    }

    fn bitmask(&self) -> bool {
        self.kind == TCP_FLAGS || self.kind == FRAGMENT
    }
}

/// Iterates the terms of an operator component.
#[derive(Debug, Clone)]
pub struct Terms<'a> {
    bytes: &'a [u8],
}

impl Iterator for Terms<'_> {
    type Item = Term;

    fn next(&mut self) -> Option<Term> {
        let op = *self.bytes.first()?;
        let n = value_len(op);
        let raw = self.bytes.get(1..1 + n)?;
        let value = raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        self.bytes = if op & OP_END != 0 {
            &[]
        } else {
            self.bytes.get(1 + n..).unwrap_or(&[])
        };
        Some(Term { op, value })
    }
}

/// Iterates the values of a component as ExaBGP groups them.
pub struct Groups<'a> {
    component: Component<'a>,
    /// Term bytes not yet grouped.
    rest: &'a [u8],
    prefix_done: bool,
}

/// One listed value: a prefix, or a run of AND-ed terms (their bytes).
pub struct Group<'a> {
    component: Component<'a>,
    terms: &'a [u8],
    prefix: bool,
}

/// Bytes of the term starting at `bytes[0]`, bounded by the slice.
fn term_len(bytes: &[u8]) -> usize {
    bytes
        .first()
        .map_or(0, |op| (1 + value_len(*op)).min(bytes.len()))
}

impl<'a> Iterator for Groups<'a> {
    type Item = Group<'a>;

    fn next(&mut self) -> Option<Group<'a>> {
        if self.component.is_prefix() {
            if self.prefix_done {
                return None;
            }
            self.prefix_done = true;
            return Some(Group {
                component: self.component,
                terms: &[],
                prefix: true,
            });
        }
        let first = *self.rest.first()?;
        let mut end = term_len(self.rest);
        let mut last = first;
        // Following terms with the AND bit join this value (`>8080&<8088`).
        while last & OP_END == 0 {
            let Some(&op) = self.rest.get(end) else {
                break;
            };
            if op & OP_AND == 0 {
                break;
            }
            end += term_len(self.rest.get(end..).unwrap_or(&[]));
            last = op;
        }
        let terms = self.rest.get(..end).unwrap_or(&[]);
        self.rest = if last & OP_END != 0 {
            &[]
        } else {
            self.rest.get(end..).unwrap_or(&[])
        };
        Some(Group {
            component: self.component,
            terms,
            prefix: false,
        })
    }
}

impl Group<'_> {
    /// Writes the value as ExaBGP prints it (`10.0.0.0/24`, `::1/128/120`, `>8080&<8088`,
    /// `=tcp`, `!=syn+ack`).
    pub fn write<W: Write>(&self, out: &mut W) -> fmt::Result {
        if self.prefix {
            if let Some((addr, bits, offset)) = self.component.prefix() {
                write!(out, "{addr}/{bits}")?;
                if self.component.ipv6 {
                    write!(out, "/{offset}")?;
                }
            }
            return Ok(());
        }
        let terms = Terms { bytes: self.terms };
        for (index, term) in terms.enumerate() {
            if index > 0 {
                out.write_str("&")?;
            }
            if self.component.bitmask() {
                write_bitmask(out, self.component.kind, term)?;
            } else {
                write_numeric(out, self.component.kind, term)?;
            }
        }
        Ok(())
    }
}

fn write_numeric<W: Write>(out: &mut W, kind: u8, term: Term) -> fmt::Result {
    let op = match term.op & 0x07 {
        0 => return out.write_str("false"),
        7 => return out.write_str("true"),
        1 => "=",
        2 => ">",
        3 => ">=",
        4 => "<",
        5 => "<=",
        _ => "!=",
    };
    out.write_str(op)?;
    let name = match kind {
        PROTOCOL => protocol_name(term.value),
        ICMP_TYPE => icmp_type_name(term.value),
        _ => None,
    };
    match name {
        Some(name) => out.write_str(name),
        None => write!(out, "{}", term.value),
    }
}

fn write_bitmask<W: Write>(out: &mut W, kind: u8, term: Term) -> fmt::Result {
    if term.op & 0x02 != 0 {
        out.write_str("!")?;
    }
    if term.op & 0x01 != 0 {
        out.write_str("=")?;
    }
    let names: &[(u64, &str)] = if kind == TCP_FLAGS {
        TCP_FLAG_NAMES
    } else {
        FRAGMENT_NAMES
    };
    let mut first = true;
    for (bit, name) in names {
        if term.value & bit != 0 {
            if !first {
                out.write_str("+")?;
            }
            first = false;
            out.write_str(name)?;
        }
    }
    Ok(())
}

const TCP_FLAG_NAMES: &[(u64, &str)] = &[
    (0x01, "fin"),
    (0x02, "syn"),
    (0x04, "rst"),
    (0x08, "push"),
    (0x10, "ack"),
    (0x20, "urg"),
    (0x40, "ece"),
    (0x80, "cwr"),
    (0x100, "ns"),
];

const FRAGMENT_NAMES: &[(u64, &str)] = &[
    (0x01, "dont-fragment"),
    (0x02, "is-fragment"),
    (0x04, "first-fragment"),
    (0x08, "last-fragment"),
];

fn protocol_name(value: u64) -> Option<&'static str> {
    Some(match value {
        1 => "icmp",
        2 => "igmp",
        6 => "tcp",
        8 => "egp",
        17 => "udp",
        46 => "rsvp",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        89 => "ospf",
        94 => "ipip",
        103 => "pim",
        132 => "sctp",
        _ => return None,
    })
}

fn icmp_type_name(value: u64) -> Option<&'static str> {
    Some(match value {
        0 => "echo-reply",
        3 => "unreachable",
        5 => "redirect",
        8 => "echo-request",
        9 => "router-advertisement",
        10 => "router-solicit",
        11 => "time-exceeded",
        12 => "parameter-problem",
        13 => "timestamp",
        14 => "timestamp-reply",
        40 => "photuris",
        41 => "experimental-mobility",
        42 => "extended-echo-request",
        43 => "extended-echo-reply",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(hex: &str, family: Family) -> Result<(FlowNlri, usize), FlowError> {
        FlowNlri::decode_one(&crate::bgp::wire::hex(hex), family)
    }

    fn string(hex: &str, family: Family) -> String {
        let (route, _) = decode(hex, family).unwrap();
        let mut s = String::new();
        route.write_string(&mut s, None).unwrap();
        s
    }

    #[test]
    fn renders_like_exabgp() {
        let v4 = flow_family(false, false);
        assert_eq!(
            string("07030106C1118106".replace("C111", "4111").as_str(), v4),
            "flow protocol [ =tcp&=udp =tcp ]"
        );
    }

    #[test]
    fn bitmask_and_numeric_forms() {
        let v4 = flow_family(false, false);
        assert_eq!(
            string("09090002011042048312", v4),
            "flow tcp-flags [ syn =ack&!rst !=syn+ack ]"
        );
        assert_eq!(
            string("110300060106020603060406050606068706", v4),
            "flow protocol [ false =tcp >tcp >=tcp <tcp <=tcp !=tcp true ]"
        );
        assert_eq!(string("0404910050", v4).as_str(), "flow port =80");
    }

    #[test]
    fn ipv6_and_vpn() {
        let v6 = flow_family(true, false);
        assert_eq!(
            string("0E01400020010DB800000000038111", v6),
            "flow destination-ipv6 2001:db8::/64/0 next-header =udp"
        );
        let vpn = flow_family(false, true);
        assert_eq!(
            string("0B0000FFFF00010000038106", vpn),
            "flow protocol =tcp rd 65535:65536"
        );
    }

    #[test]
    fn refuses_malformed() {
        let v4 = flow_family(false, false);
        assert_eq!(decode("", v4), Err(FlowError::Truncated));
        assert_eq!(decode("00", v4), Err(FlowError::Empty));
        assert_eq!(decode("0203", v4), Err(FlowError::Truncated));
        assert_eq!(
            decode("03D18105", v4),
            Err(FlowError::UnknownComponent { kind: 0xD1 })
        );
        assert!(matches!(
            decode("0603810603 8106".replace(' ', "").as_str(), v4),
            Err(FlowError::OutOfOrder { .. })
        ));
        assert_eq!(
            decode("0301 21 00".replace(' ', "").as_str(), v4),
            Err(FlowError::BadPrefix {
                kind: 1,
                bits: 33,
                offset: 0
            })
        );
        assert_eq!(decode("F1", v4), Err(FlowError::Truncated));
        // The 2-byte length form for a short route is kept as received.
        let (route, used) = decode("F003038106", v4).unwrap();
        let mut wire = Vec::new();
        route.encode(&mut wire);
        assert_eq!((used, route.encoded_len()), (5, 5));
        assert_eq!(wire, [0xF0, 3, 3, 0x81, 6]);
    }

    #[test]
    fn round_trips_long_form() {
        let v4 = flow_family(false, false);
        let mut body = Vec::new();
        body.push(PORT);
        for i in 0..150u64 {
            encode_term(&mut body, 0x01, i, false, i == 149);
        }
        let route = FlowNlri::from_components(false, None, &body).unwrap();
        let mut wire = Vec::new();
        route.encode(&mut wire);
        assert_eq!(wire[0], 0xF1);
        assert_eq!(wire.len(), route.encoded_len());
        let (back, used) = FlowNlri::decode_one(&wire, v4).unwrap();
        assert_eq!(used, wire.len());
        assert_eq!(back, route);
    }
}
