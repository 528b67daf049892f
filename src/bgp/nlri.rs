//! NLRI: the `Nlri` route value of every decoded family and its wire codec (ADD-PATH path
//! identifiers, a zero-allocation iterator, encoders); prefixes, labels and RDs, next-hops
//! in submodules (VPLS, MUP, MVPN, SR Policy, FlowSpec bodies in their own modules).
//!
//! Decoding never panics: every length comes from the received bytes and is checked before
//! use. Host bits beyond the prefix length are kept as received (ExaBGP prints
//! `10.10.10.255/25` for such a route), so re-encoding is byte-identical.
//!
//! Layouts (RFC 4271 §4.3, RFC 7911, RFC 8277, RFC 4364, RFC 4659):
//!
//! ```text
//! [path id: 4, ADD-PATH only] length-in-bits: 1 [labels: 3 each] [RD: 8] prefix: ceil(bits/8)
//! ```
//!
//! For labeled and VPN routes the length counts the label and RD bits too.

use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

use super::error::ErrorAction;
use super::family::{Afi, Family, Safi};
use super::flow::{FlowError, FlowInline};
use super::mup::MupNlri;
use super::mvpn::MvpnNlri;
use super::notification::Notification;
use super::sr_policy::SrPolicyNlri;
use super::vpls::VplsNlri;

mod labels;
mod next_hop;
mod prefix;

pub use labels::{LabelEntry, Labels, RouteDistinguisher, VpnLabels, MAX_LABELS, WITHDRAW_LABEL};
pub use next_hop::NextHop;
pub use prefix::Prefix;

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// A malformed NLRI or next-hop. The family says which field it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NlriError {
    /// The NLRI field ends in the middle of a route (path id, length byte or prefix bytes).
    Truncated { family: Family },
    /// A prefix length longer than the address (33+ for IPv4, 129+ for IPv6).
    PrefixTooLong { family: Family, bits: u8 },
    /// A labeled/VPN route whose length cannot hold its labels (and RD).
    LengthTooShort { family: Family, bits: u8 },
    /// A label stack without a bottom-of-stack label before the route's length ran out.
    LabelStackUnterminated { family: Family },
    /// A label stack deeper than [`MAX_LABELS`].
    TooManyLabels { family: Family },
    /// An MP_REACH_NLRI / MP_UNREACH_NLRI value shorter than its fixed header.
    MpHeaderTruncated { unreach: bool },
    /// An MP_REACH_NLRI next-hop length that runs past the value or fits no known form.
    NextHopLength { family: Family, len: u8 },
    /// A malformed FlowSpec route.
    Flow { family: Family, error: FlowError },
    /// A VPLS NLRI whose length field is not 17 (RFC 4761 §3.2.2).
    VplsLength { len: u16 },
    /// A MUP route longer than [`super::mup::MUP_MAX_BODY`] bytes.
    MupLength { family: Family, len: u8 },
    /// A MUP route of a known type whose fields do not fit it.
    MupRoute { family: Family, code: u16 },
    /// An SR Policy NLRI whose length is neither 96 nor 192 bits.
    SrPolicyLength { family: Family, bits: u8 },
    /// An MVPN route longer than [`super::mvpn::MVPN_MAX_BODY`] bytes.
    MvpnLength { family: Family, len: u8 },
}

impl NlriError {
    /// UPDATE Message Error (3) with subcode 9 (optional attribute error) for an MP
    /// attribute that cannot be framed, otherwise 10 (invalid network field).
    pub fn notification(&self) -> Notification {
        let subcode = match self {
            NlriError::MpHeaderTruncated { .. } | NlriError::NextHopLength { .. } => 9,
            _ => 10,
        };
        Notification::new(3, subcode, Vec::new())
    }

    /// RFC 7606 §5.3: a malformed NLRI cannot be withdrawn reliably, so the session is
    /// reset (the AFI/SAFI-disable alternative is left to the session layer).
    pub fn action(&self) -> ErrorAction {
        ErrorAction::SessionReset
    }
}

impl fmt::Display for NlriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NlriError::Truncated { family } => write!(f, "{family} NLRI truncated"),
            NlriError::PrefixTooLong { family, bits } => {
                write!(f, "{family} NLRI prefix length {bits} is too long")
            }
            NlriError::LengthTooShort { family, bits } => write!(
                f,
                "{family} NLRI length {bits} is too short for its labels and route distinguisher"
            ),
            NlriError::LabelStackUnterminated { family } => write!(
                f,
                "{family} NLRI label stack has no bottom-of-stack label within the route"
            ),
            NlriError::TooManyLabels { family } => {
                write!(f, "{family} NLRI label stack deeper than {MAX_LABELS}")
            }
            NlriError::MpHeaderTruncated { unreach: false } => {
                f.write_str("MP_REACH_NLRI shorter than its AFI, SAFI and next-hop header")
            }
            NlriError::MpHeaderTruncated { unreach: true } => {
                f.write_str("MP_UNREACH_NLRI shorter than its AFI and SAFI")
            }
            NlriError::NextHopLength { family, len } => {
                write!(f, "{family} next-hop length {len} is invalid")
            }
            NlriError::Flow { family, error } => write!(f, "{family} NLRI: {error}"),
            NlriError::VplsLength { len } => {
                write!(f, "l2vpn vpls NLRI length {len} is not 17")
            }
            NlriError::MupLength { family, len } => {
                write!(
                    f,
                    "{family} NLRI route of {len} bytes is longer than any known type"
                )
            }
            NlriError::MupRoute { family, code } => {
                write!(f, "{family} NLRI route type {code} is malformed")
            }
            NlriError::SrPolicyLength { family, bits } => {
                write!(f, "{family} NLRI length {bits} is neither 96 nor 192 bits")
            }
            NlriError::MvpnLength { family, len } => {
                write!(f, "{family} NLRI route of {len} bytes is too long")
            }
        }
    }
}

impl std::error::Error for NlriError {}

// ---------------------------------------------------------------------------------------
// NLRI kinds and values
// ---------------------------------------------------------------------------------------

/// How the NLRI of a family are laid out; families without one are carried opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NlriKind {
    /// Unicast / multicast: length + prefix.
    Prefix { ipv6: bool },
    /// Labeled unicast (SAFI 4, `nlri-mpls`): length + labels + prefix.
    Labeled { ipv6: bool },
    /// VPN (SAFI 128, `mpls-vpn`): length + labels + RD + prefix.
    Vpn { ipv6: bool },
    /// VPLS (RFC 4761, `l2vpn vpls`): 2-byte length + fixed 17-byte route.
    Vpls,
    /// MUP (SAFI 85): architecture, route type, 1-byte length + route.
    Mup { ipv6: bool },
    /// MVPN (SAFI 5, RFC 6514): route type, 1-byte length + route.
    Mvpn { ipv6: bool },
    /// SR Policy (SAFI 73): length + distinguisher + color + endpoint.
    SrPolicy { ipv6: bool },
    /// FlowSpec (SAFI 133/134) routes of the adj-rib-out; never returned by
    /// [`NlriKind::of`], whose callers decode FlowSpec as [`super::flow::FlowNlri`].
    Flow { ipv6: bool },
}

impl NlriKind {
    /// The layout of `family`'s NLRI, or `None` for FlowSpec (decoded by [`super::flow`])
    /// and the families kept opaque (EVPN, BGP-LS, MVPN, RTC and unknown ones).
    pub fn of(family: Family) -> Option<NlriKind> {
        if family == Family::L2VPN_VPLS {
            return Some(NlriKind::Vpls);
        }
        let ipv6 = match family.afi {
            Afi::IPV4 => false,
            Afi::IPV6 => true,
            _ => return None,
        };
        match family.safi {
            Safi::MUP => Some(NlriKind::Mup { ipv6 }),
            Safi::MCAST_VPN => Some(NlriKind::Mvpn { ipv6 }),
            Safi::SR_POLICY => Some(NlriKind::SrPolicy { ipv6 }),
            Safi::UNICAST | Safi::MULTICAST => Some(NlriKind::Prefix { ipv6 }),
            Safi::NLRI_MPLS => Some(NlriKind::Labeled { ipv6 }),
            Safi::MPLS_VPN => Some(NlriKind::Vpn { ipv6 }),
            _ => None,
        }
    }
}

/// One decoded route: what the family's NLRI carries plus the ADD-PATH path identifier
/// when the session uses one. At most 40 bytes (asserted below): prefixes, VPLS and SR
/// Policy routes are inline; label stacks, VPN labels + RD, MUP, MVPN and FlowSpec bodies
/// sit behind an `Arc`, so that equal bodies can be shared (the adj-rib-out interns them:
/// the same FlowSpec route to 100 peers is held once) and a clone costs no copy. Build those
/// through [`Nlri::labeled`], [`Nlri::vpn`], [`Nlri::mup`], [`Nlri::mvpn`] and
/// [`Nlri::flow`], and read them through the accessors.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nlri {
    /// Unicast or multicast.
    Prefix {
        path_id: Option<u32>,
        prefix: Prefix,
    },
    /// Labeled unicast (RFC 8277).
    Labeled {
        path_id: Option<u32>,
        labels: Arc<Labels>,
        prefix: Prefix,
    },
    /// VPN unicast (RFC 4364 / 4659).
    Vpn {
        path_id: Option<u32>,
        labels: Arc<VpnLabels>,
        prefix: Prefix,
    },
    /// VPLS (RFC 4761); it has no prefix (see [`Nlri::get_prefix`]).
    Vpls {
        path_id: Option<u32>,
        route: VplsNlri,
        /// Not on the wire: the configuration line of a configured route, 0 otherwise.
        /// ExaBGP sends every configured VPLS route, even two with the same NLRI and
        /// other attributes, so the adj-rib-out keys them apart.
        config_line: u32,
    },
    /// MUP (draft-mpmz-bess-mup-safi); it has no prefix either.
    Mup {
        path_id: Option<u32>,
        route: Arc<MupNlri>,
    },
    /// MVPN (RFC 6514); no prefix.
    Mvpn {
        path_id: Option<u32>,
        route: Arc<MvpnNlri>,
    },
    /// SR Policy (RFC 9830); no prefix either.
    SrPolicy {
        path_id: Option<u32>,
        route: SrPolicyNlri,
    },
    /// A FlowSpec route (configured, from the API or received).
    Flow(Arc<FlowInline>),
}

// Tables hold millions of routes: keep the route value small (issue 9).
const _: () = assert!(std::mem::size_of::<Nlri>() <= 40);

/// What [`Nlri::get_prefix`] returns for routes without a prefix (VPLS, MUP, SR Policy,
/// FlowSpec): `0.0.0.0/0`.
const NO_PREFIX: Prefix = Prefix::DEFAULT_V4;

impl Nlri {
    /// A plain prefix without path id.
    pub fn prefix(prefix: Prefix) -> Nlri {
        Nlri::Prefix {
            path_id: None,
            prefix,
        }
    }

    /// A labeled unicast route.
    pub fn labeled(path_id: Option<u32>, labels: Labels, prefix: Prefix) -> Nlri {
        Nlri::Labeled {
            path_id,
            labels: Arc::new(labels),
            prefix,
        }
    }

    /// A VPN route.
    pub fn vpn(
        path_id: Option<u32>,
        labels: Labels,
        rd: RouteDistinguisher,
        prefix: Prefix,
    ) -> Nlri {
        Nlri::Vpn {
            path_id,
            labels: Arc::new(VpnLabels { labels, rd }),
            prefix,
        }
    }

    /// A MUP route.
    pub fn mup(path_id: Option<u32>, route: MupNlri) -> Nlri {
        Nlri::Mup {
            path_id,
            route: Arc::new(route),
        }
    }

    /// An MVPN route.
    pub fn mvpn(path_id: Option<u32>, route: MvpnNlri) -> Nlri {
        Nlri::Mvpn {
            path_id,
            route: Arc::new(route),
        }
    }

    /// A FlowSpec route.
    pub fn flow(route: FlowInline) -> Nlri {
        Nlri::Flow(Arc::new(route))
    }

    pub fn path_id(&self) -> Option<u32> {
        match self {
            Nlri::Prefix { path_id, .. }
            | Nlri::Labeled { path_id, .. }
            | Nlri::Vpn { path_id, .. }
            | Nlri::Vpls { path_id, .. }
            | Nlri::Mup { path_id, .. }
            | Nlri::Mvpn { path_id, .. }
            | Nlri::SrPolicy { path_id, .. } => *path_id,
            Nlri::Flow(_) => None,
        }
    }

    pub fn with_path_id(mut self, id: Option<u32>) -> Nlri {
        match &mut self {
            Nlri::Prefix { path_id, .. }
            | Nlri::Labeled { path_id, .. }
            | Nlri::Vpn { path_id, .. }
            | Nlri::Vpls { path_id, .. }
            | Nlri::Mup { path_id, .. }
            | Nlri::Mvpn { path_id, .. }
            | Nlri::SrPolicy { path_id, .. } => *path_id = id,
            Nlri::Flow(_) => {}
        }
        self
    }

    /// The route's prefix; `0.0.0.0/0` for routes that have none (VPLS, MUP, SR Policy,
    /// FlowSpec).
    pub fn get_prefix(&self) -> Prefix {
        match self {
            Nlri::Prefix { prefix, .. }
            | Nlri::Labeled { prefix, .. }
            | Nlri::Vpn { prefix, .. } => *prefix,
            Nlri::Vpls { .. }
            | Nlri::Mup { .. }
            | Nlri::Mvpn { .. }
            | Nlri::SrPolicy { .. }
            | Nlri::Flow(_) => NO_PREFIX,
        }
    }

    /// The FlowSpec route, for `Nlri::Flow`.
    pub fn as_flow(&self) -> Option<&FlowInline> {
        match self {
            Nlri::Flow(flow) => Some(flow),
            _ => None,
        }
    }

    pub fn labels(&self) -> Option<&Labels> {
        match self {
            Nlri::Prefix { .. }
            | Nlri::Vpls { .. }
            | Nlri::Mup { .. }
            | Nlri::Mvpn { .. }
            | Nlri::SrPolicy { .. }
            | Nlri::Flow(_) => None,
            Nlri::Labeled { labels, .. } => Some(labels),
            Nlri::Vpn { labels, .. } => Some(&labels.labels),
        }
    }

    pub fn rd(&self) -> Option<RouteDistinguisher> {
        match self {
            Nlri::Vpn { labels, .. } => Some(labels.rd),
            Nlri::Flow(flow) => flow.rd(),
            _ => None,
        }
    }

    /// The layout this route is encoded with.
    pub fn kind(&self) -> NlriKind {
        let ipv6 = self.get_prefix().is_ipv6();
        match self {
            Nlri::Prefix { .. } => NlriKind::Prefix { ipv6 },
            Nlri::Labeled { .. } => NlriKind::Labeled { ipv6 },
            Nlri::Vpn { .. } => NlriKind::Vpn { ipv6 },
            Nlri::Vpls { .. } => NlriKind::Vpls,
            Nlri::Mup { route, .. } => NlriKind::Mup { ipv6: route.ipv6 },
            Nlri::Mvpn { route, .. } => NlriKind::Mvpn { ipv6: route.ipv6 },
            Nlri::SrPolicy { route, .. } => NlriKind::SrPolicy {
                ipv6: route.endpoint.is_ipv6(),
            },
            Nlri::Flow(flow) => NlriKind::Flow {
                ipv6: flow.is_ipv6(),
            },
        }
    }

    /// Bits counted by the length byte (labels, RD and prefix).
    fn length_bits(&self) -> usize {
        let prefix = usize::from(self.get_prefix().len());
        match self {
            Nlri::Prefix { .. } => prefix,
            Nlri::Labeled { labels, .. } => labels.wire_len() * 8 + prefix,
            Nlri::Vpn { labels, .. } => labels.labels.wire_len() * 8 + 64 + prefix,
            Nlri::Vpls { .. }
            | Nlri::Mup { .. }
            | Nlri::Mvpn { .. }
            | Nlri::SrPolicy { .. }
            | Nlri::Flow(_) => 0,
        }
    }

    /// False when labels, RD and prefix together exceed the 255 bits the length byte can
    /// count (possible only for hand-built deep label stacks); such a route cannot be sent.
    pub fn is_encodable(&self) -> bool {
        self.length_bits() <= 255
    }

    /// Bytes [`Nlri::encode`] appends; `addpath` adds the 4-byte path identifier.
    pub fn encoded_len(&self, addpath: bool) -> usize {
        if let Nlri::Flow(flow) = self {
            return flow.encoded_len();
        }
        if let Nlri::Vpls { .. } = self {
            return if addpath { 4 } else { 0 } + VplsNlri::encoded_len();
        }
        if let Nlri::Mup { route, .. } = self {
            return if addpath { 4 } else { 0 } + route.encoded_len();
        }
        if let Nlri::Mvpn { route, .. } = self {
            return if addpath { 4 } else { 0 } + route.encoded_len();
        }
        if let Nlri::SrPolicy { route, .. } = self {
            return if addpath { 4 } else { 0 } + route.encoded_len();
        }
        let head = if addpath { 5 } else { 1 };
        let prefix = self.get_prefix().wire_bytes().len();
        head + match self {
            Nlri::Prefix { .. } => prefix,
            Nlri::Labeled { labels, .. } => labels.wire_len() + prefix,
            Nlri::Vpn { labels, .. } => labels.labels.wire_len() + 8 + prefix,
            Nlri::Flow(flow) => flow.encoded_len() - 1,
            Nlri::Vpls { .. } | Nlri::Mup { .. } | Nlri::Mvpn { .. } | Nlri::SrPolicy { .. } => 0,
        }
    }

    /// Appends the route. With `addpath` the path id goes first (0 when there is none);
    /// without, a path id is left out. The length byte saturates at 255 (only reachable
    /// with a hand-built label stack that no peer could decode either).
    #[inline]
    pub fn encode(&self, out: &mut Vec<u8>, addpath: bool) {
        if let Nlri::Flow(flow) = self {
            // ExaBGP sends no path identifier with FlowSpec routes.
            flow.encode(out);
            return;
        }
        if addpath {
            out.extend_from_slice(&self.path_id().unwrap_or(0).to_be_bytes());
        }
        if let Nlri::Vpls { route, .. } = self {
            route.encode(out);
            return;
        }
        if let Nlri::Mup { route, .. } = self {
            route.encode(out);
            return;
        }
        if let Nlri::Mvpn { route, .. } = self {
            route.encode(out);
            return;
        }
        if let Nlri::SrPolicy { route, .. } = self {
            route.encode(out);
            return;
        }
        out.push(u8::try_from(self.length_bits()).unwrap_or(u8::MAX));
        match self {
            Nlri::Prefix { .. }
            | Nlri::Vpls { .. }
            | Nlri::Mup { .. }
            | Nlri::Mvpn { .. }
            | Nlri::SrPolicy { .. }
            | Nlri::Flow(_) => {}
            Nlri::Labeled { labels, .. } => labels.encode(out),
            Nlri::Vpn { labels, .. } => {
                labels.labels.encode(out);
                out.extend_from_slice(&labels.rd.0);
            }
        }
        out.extend_from_slice(self.get_prefix().wire_bytes());
    }

    /// Decodes one route from the front of `bytes`, returning it and the bytes consumed.
    #[inline]
    pub fn decode_one(
        bytes: &[u8],
        kind: NlriKind,
        family: Family,
        addpath: bool,
        withdraw: bool,
    ) -> Result<(Nlri, usize), NlriError> {
        if let NlriKind::Flow { .. } = kind {
            // The flow length prefix is not a bit count, and FlowSpec carries no path
            // identifier (ExaBGP neither sends nor expects one).
            let (route, used) = super::flow::FlowNlri::decode_one(bytes, family)
                .map_err(|error| NlriError::Flow { family, error })?;
            let inline = route.inline().ok_or(NlriError::Flow {
                family,
                error: FlowError::TooLong,
            })?;
            return Ok((Nlri::flow(inline), used));
        }
        let truncated = NlriError::Truncated { family };
        let (path_id, mut at) = if addpath {
            let id = bytes.get(..4).ok_or(truncated.clone())?;
            (Some(u32::from_be_bytes([id[0], id[1], id[2], id[3]])), 4)
        } else {
            (None, 0)
        };
        if kind == NlriKind::Vpls {
            let rest = bytes.get(at..).ok_or(truncated)?;
            let (route, used) = VplsNlri::decode(rest, family)?;
            return Ok((
                Nlri::Vpls {
                    path_id,
                    route,
                    config_line: 0,
                },
                at + used,
            ));
        }
        if let NlriKind::Mup { .. } = kind {
            let rest = bytes.get(at..).ok_or(truncated)?;
            let (route, used) = MupNlri::decode(rest, family)?;
            return Ok((Nlri::mup(path_id, route), at + used));
        }
        if let NlriKind::Mvpn { .. } = kind {
            let rest = bytes.get(at..).ok_or(truncated)?;
            let (route, used) = MvpnNlri::decode(rest, family)?;
            return Ok((Nlri::mvpn(path_id, route), at + used));
        }
        if let NlriKind::SrPolicy { .. } = kind {
            let rest = bytes.get(at..).ok_or(truncated)?;
            let (route, used) = SrPolicyNlri::decode(rest, family)?;
            return Ok((Nlri::SrPolicy { path_id, route }, at + used));
        }
        let bits = *bytes.get(at).ok_or(truncated.clone())?;
        at += 1;
        match kind {
            NlriKind::Prefix { ipv6 } => {
                let (prefix, used) = read_prefix(bytes, at, bits, ipv6, family)?;
                Ok((Nlri::Prefix { path_id, prefix }, used))
            }
            NlriKind::Labeled { ipv6 } => {
                let (labels, after) = read_labels(bytes, at, bits, family, withdraw)?;
                let rest = bits - (labels.wire_len() * 8) as u8;
                let (prefix, used) = read_prefix(bytes, after, rest, ipv6, family)?;
                Ok((Nlri::labeled(path_id, labels, prefix), used))
            }
            NlriKind::Flow { .. }
            | NlriKind::Vpls
            | NlriKind::Mup { .. }
            | NlriKind::Mvpn { .. }
            | NlriKind::SrPolicy { .. } => Err(truncated),
            NlriKind::Vpn { ipv6 } => {
                let (labels, after) = read_labels(bytes, at, bits, family, withdraw)?;
                let label_bits = labels.wire_len() * 8;
                let rest = usize::from(bits)
                    .checked_sub(label_bits + 64)
                    .ok_or(NlriError::LengthTooShort { family, bits })?;
                let rd_bytes = bytes.get(after..after + 8).ok_or(truncated)?;
                let mut rd = [0u8; 8];
                rd.copy_from_slice(rd_bytes);
                // rest <= 255 because it is derived from a u8 by subtraction.
                let (prefix, used) = read_prefix(bytes, after + 8, rest as u8, ipv6, family)?;
                Ok((
                    Nlri::vpn(path_id, labels, RouteDistinguisher(rd), prefix),
                    used,
                ))
            }
        }
    }
}

impl fmt::Display for Nlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Nlri::Flow(flow) = self {
            return flow.write_string(f, None);
        }
        if let Nlri::Vpls { route, .. } = self {
            return write!(f, "{route}");
        }
        if let Nlri::Mup { route, .. } = self {
            let afi = if route.ipv6 { "ipv6" } else { "ipv4" };
            return write!(f, "afi {afi} safi mup");
        }
        if let Nlri::Mvpn { route, .. } = self {
            let afi = if route.ipv6 { "ipv6" } else { "ipv4" };
            return write!(f, "afi {afi} safi mcast-vpn");
        }
        if let Nlri::SrPolicy { route, .. } = self {
            return write!(f, "{route}");
        }
        write!(f, "{}", self.get_prefix())?;
        if let Some(id) = self.path_id() {
            write!(f, " path-information {}", Ipv4Addr::from(id))?;
        }
        if let Some(labels) = self.labels() {
            f.write_str(" label [")?;
            for entry in labels.entries() {
                write!(f, " {}", entry.label())?;
            }
            f.write_str(" ]")?;
        }
        if let Some(rd) = self.rd() {
            write!(f, " rd {rd}")?;
        }
        Ok(())
    }
}

#[inline]
fn read_prefix(
    bytes: &[u8],
    at: usize,
    bits: u8,
    ipv6: bool,
    family: Family,
) -> Result<(Prefix, usize), NlriError> {
    let max = if ipv6 { 128 } else { 32 };
    if bits > max {
        return Err(NlriError::PrefixTooLong { family, bits });
    }
    let n = usize::from(bits).div_ceil(8);
    let wire = bytes
        .get(at..at + n)
        .ok_or(NlriError::Truncated { family })?;
    let prefix = Prefix::from_wire(wire, bits, ipv6).ok_or(NlriError::Truncated { family })?;
    Ok((prefix, at + n))
}

/// Reads labels until one ends the stack; errors when the stack would need more bits than
/// the route's length holds, more bytes than the field has, or more than [`MAX_LABELS`].
/// In a withdrawal exactly one label field is present (RFC 8277 §2.4).
#[inline]
fn read_labels(
    bytes: &[u8],
    mut at: usize,
    bits: u8,
    family: Family,
    withdraw: bool,
) -> Result<(Labels, usize), NlriError> {
    let mut labels = Labels::EMPTY;
    let mut remaining = usize::from(bits);
    loop {
        if remaining < 24 {
            return Err(if labels.is_empty() {
                NlriError::LengthTooShort { family, bits }
            } else {
                NlriError::LabelStackUnterminated { family }
            });
        }
        let raw = bytes
            .get(at..at + 3)
            .ok_or(NlriError::Truncated { family })?;
        let entry = LabelEntry(u32::from_be_bytes([0, raw[0], raw[1], raw[2]]));
        labels
            .push(entry)
            .ok_or(NlriError::TooManyLabels { family })?;
        at += 3;
        remaining -= 24;
        if withdraw || entry.ends_stack() {
            return Ok((labels, at));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Iteration over an NLRI field
// ---------------------------------------------------------------------------------------

/// Yields the routes of one NLRI field one at a time, without allocating. After an error it
/// yields that error once and then stops.
#[derive(Debug, Clone)]
pub struct NlriIter<'a> {
    bytes: &'a [u8],
    kind: NlriKind,
    family: Family,
    addpath: bool,
    withdraw: bool,
}

impl<'a> NlriIter<'a> {
    /// Iterates `bytes` as routes of `family` laid out as `kind`. `addpath` says whether
    /// each route starts with a path identifier; `withdraw` that the field lists
    /// withdrawals (one label field per labeled route).
    pub fn new(
        bytes: &'a [u8],
        kind: NlriKind,
        family: Family,
        addpath: bool,
        withdraw: bool,
    ) -> NlriIter<'a> {
        NlriIter {
            bytes,
            kind,
            family,
            addpath,
            withdraw,
        }
    }

    /// The IPv4 unicast routes of an UPDATE's withdrawn or NLRI field.
    pub fn ipv4_unicast(bytes: &'a [u8], addpath: bool, withdraw: bool) -> NlriIter<'a> {
        NlriIter::new(
            bytes,
            NlriKind::Prefix { ipv6: false },
            Family::IPV4_UNICAST,
            addpath,
            withdraw,
        )
    }

    pub fn family(&self) -> Family {
        self.family
    }

    /// The bytes not yet decoded.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes
    }
}

impl Iterator for NlriIter<'_> {
    type Item = Result<Nlri, NlriError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.bytes.is_empty() {
            return None;
        }
        match Nlri::decode_one(
            self.bytes,
            self.kind,
            self.family,
            self.addpath,
            self.withdraw,
        ) {
            Ok((nlri, used)) => {
                self.bytes = self.bytes.get(used..).unwrap_or(&[]);
                Some(Ok(nlri))
            }
            Err(e) => {
                self.bytes = &[];
                Some(Err(e))
            }
        }
    }
}

/// Decodes a whole NLRI field into `out` (which the caller may reuse between messages).
pub fn decode_all(iter: NlriIter<'_>, out: &mut Vec<Nlri>) -> Result<(), NlriError> {
    for nlri in iter {
        out.push(nlri?);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
