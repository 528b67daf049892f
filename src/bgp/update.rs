//! UPDATE messages (RFC 4271 §4.3): withdrawn routes, path attributes and NLRI, owned or as
//! a zero-copy view, the RFC 7606 UPDATE-level checks, End-of-RIB, and UPDATE packing.
//!
//! ```text
//! +-----------------------------+
//! | withdrawn length: 2         |
//! | withdrawn routes (IPv4)     |
//! | path attribute length: 2    |
//! | path attributes             |
//! | NLRI (IPv4 unicast) ...     |  up to the end of the message
//! +-----------------------------+
//! ```
//!
//! Error handling (RFC 7606): framing errors (a length past the end) reset the session with
//! 3/1; a missing ORIGIN, AS_PATH or (with IPv4 NLRI) NEXT_HOP is treat-as-withdraw with 3/3
//! and the type code as data; attribute errors carry the action the attribute decoder gave;
//! NLRI errors reset the session. One decoder, [`Update::decode_rfc7606`], keeps what decodes
//! and notes the rest; [`Update::decode`] is strict over it (every error is `Err`), and
//! [`Update::decode_lenient`] returns the routes to withdraw for treat-as-withdraw errors.

use std::fmt;

use super::attribute::{decode_attributes_detailed, Attribute, AttributeError};
use super::error::{DecodeError, ErrorAction};
use super::family::Family;
use super::message::{size_limit, MessageWriter, UPDATE};
use super::mp::{MpNlri, MpReach, MpUnreach};
use super::negotiated::Negotiated;
use super::nlri::{decode_all, NextHop, Nlri, NlriIter};
use super::notification::Notification;

/// Type codes this module needs to recognise.
const CODE_ORIGIN: u8 = 1;
const CODE_AS_PATH: u8 = 2;
const CODE_NEXT_HOP: u8 = 3;
const CODE_MP_REACH: u8 = 14;
const CODE_MP_UNREACH: u8 = 15;
const FLAG_OPTIONAL: u8 = 0x80;
const FLAG_EXTENDED_LENGTH: u8 = 0x10;

pub use super::message::HEADER_LEN;

// ---------------------------------------------------------------------------------------
// Zero-copy view
// ---------------------------------------------------------------------------------------

/// An UPDATE body split into its three fields without copying or decoding them. Only
/// [`UpdateView::new`] builds one, after checking both length fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateView<'a> {
    withdrawn: &'a [u8],
    attributes: &'a [u8],
    nlri: &'a [u8],
}

impl<'a> UpdateView<'a> {
    /// Splits an UPDATE body (the bytes after the 19-byte header).
    pub fn new(body: &'a [u8]) -> Result<UpdateView<'a>, UpdateError> {
        let (withdrawn_len, rest) = split_len16(body).ok_or(UpdateError::Truncated)?;
        let (withdrawn, rest) =
            split_checked(rest, withdrawn_len).ok_or(UpdateError::WithdrawnLength {
                length: withdrawn_len,
                available: rest.len(),
            })?;
        let (attributes_len, rest) = split_len16(rest).ok_or(UpdateError::Truncated)?;
        let (attributes, nlri) =
            split_checked(rest, attributes_len).ok_or(UpdateError::AttributeLength {
                length: attributes_len,
                available: rest.len(),
            })?;
        Ok(UpdateView {
            withdrawn,
            attributes,
            nlri,
        })
    }

    /// The withdrawn-routes field (IPv4 unicast).
    pub fn withdrawn_bytes(&self) -> &'a [u8] {
        self.withdrawn
    }

    /// The path-attribute field.
    pub fn attribute_bytes(&self) -> &'a [u8] {
        self.attributes
    }

    /// The NLRI field (IPv4 unicast announcements).
    pub fn nlri_bytes(&self) -> &'a [u8] {
        self.nlri
    }

    /// Iterates the withdrawn IPv4 unicast routes.
    pub fn withdrawn(&self, ctx: &Negotiated) -> NlriIter<'a> {
        NlriIter::ipv4_unicast(
            self.withdrawn,
            ctx.addpath_receive(Family::IPV4_UNICAST),
            true,
        )
    }

    /// Iterates the announced IPv4 unicast routes.
    pub fn announced(&self, ctx: &Negotiated) -> NlriIter<'a> {
        NlriIter::ipv4_unicast(self.nlri, ctx.addpath_receive(Family::IPV4_UNICAST), false)
    }

    /// Walks the path attributes as (flags, code, value) without decoding them.
    pub fn raw_attributes(&self) -> RawAttributes<'a> {
        RawAttributes {
            bytes: self.attributes,
        }
    }

    /// The family whose End-of-RIB this UPDATE is: all fields empty (IPv4 unicast), or a
    /// single MP_UNREACH_NLRI holding only AFI and SAFI. This reads the wire form only:
    /// ExaBGP also reports an End-of-RIB when every attribute was dropped by RFC 7606
    /// attribute-discard, which only the decoded [`Update::end_of_rib`] can see.
    pub fn end_of_rib(&self) -> Option<Family> {
        if !self.withdrawn.is_empty() || !self.nlri.is_empty() {
            return None;
        }
        if self.attributes.is_empty() {
            return Some(Family::IPV4_UNICAST);
        }
        let mut attributes = self.raw_attributes();
        let (_, code, value) = attributes.next()?.ok()?;
        if code != CODE_MP_UNREACH || attributes.next().is_some() {
            return None;
        }
        match value {
            [a, b, safi] => Some(Family::new(
                super::family::Afi(u16::from_be_bytes([*a, *b])),
                super::family::Safi(*safi),
            )),
            _ => None,
        }
    }
}

fn split_len16(bytes: &[u8]) -> Option<(usize, &[u8])> {
    match bytes {
        [a, b, rest @ ..] => Some((usize::from(u16::from_be_bytes([*a, *b])), rest)),
        _ => None,
    }
}

fn split_checked(bytes: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    (n <= bytes.len()).then(|| bytes.split_at(n))
}

/// Iterator over the attributes of an attribute field: (flags, type code, value). After a
/// framing error it yields that error once and stops.
#[derive(Debug, Clone)]
pub struct RawAttributes<'a> {
    bytes: &'a [u8],
}

impl<'a> Iterator for RawAttributes<'a> {
    type Item = Result<(u8, u8, &'a [u8]), UpdateError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.bytes.is_empty() {
            return None;
        }
        let parsed = (|| {
            let (flags, code, rest) = match self.bytes {
                [flags, code, rest @ ..] => (*flags, *code, rest),
                _ => return None,
            };
            let (len, rest) = if flags & FLAG_EXTENDED_LENGTH != 0 {
                split_len16(rest)?
            } else {
                let (len, rest) = rest.split_first()?;
                (usize::from(*len), rest)
            };
            let (value, rest) = split_checked(rest, len)?;
            Some((flags, code, value, rest))
        })();
        match parsed {
            Some((flags, code, value, rest)) => {
                self.bytes = rest;
                Some(Ok((flags, code, value)))
            }
            None => {
                self.bytes = &[];
                Some(Err(UpdateError::AttributeFraming))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Owned UPDATE
// ---------------------------------------------------------------------------------------

/// A decoded UPDATE. `withdrawn` and `announced` are the IPv4 unicast fields; routes of
/// other families are in the `MpReach` / `MpUnreach` attributes. Attributes keep the
/// received order, so encoding gives the received bytes back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Update {
    pub withdrawn: Vec<Nlri>,
    pub attributes: Vec<Attribute>,
    pub announced: Vec<Nlri>,
}

/// What [`Update::decode_lenient`] gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A valid UPDATE.
    Update(Update),
    /// An UPDATE with an error whose RFC 7606 action is treat-as-withdraw. `withdraw` is a
    /// withdraw-only UPDATE holding every route the message carried: IPv4 unicast ones in
    /// `withdrawn` (withdrawn and announced fields together), other families as one
    /// `MpUnreach` attribute per MP_REACH_NLRI / MP_UNREACH_NLRI received, in received
    /// order. `error` is what was wrong (its `notification()` is for logging; no
    /// NOTIFICATION is sent for treat-as-withdraw).
    TreatAsWithdraw {
        withdraw: Update,
        error: DecodeError,
    },
}

/// What RFC 7606 did to an UPDATE's path attributes (ExaBGP reports it as the last key of
/// its attribute map, `"error"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeErrorNote {
    /// An attribute error made the UPDATE treat-as-withdraw.
    TreatAsWithdraw,
    /// Malformed attributes were dropped (attribute-discard); the routes stand.
    Discard,
}

/// An UPDATE decoded with RFC 7606 error handling ([`Update::decode_rfc7606`]): every route
/// where it was received, every attribute that decoded, and what happened to the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rfc7606Update {
    /// The routes as received and the attributes kept (AS4_ attributes reconciled unless
    /// the UPDATE is treat-as-withdraw). Mandatory attributes are not checked.
    pub update: Update,
    /// Malformed attributes dropped by attribute-discard.
    pub discarded: Vec<AttributeError>,
    /// The first error that makes the UPDATE treat-as-withdraw.
    pub treat_as_withdraw: Option<AttributeError>,
}

impl Rfc7606Update {
    /// The outcome a report shows: treat-as-withdraw over discard, `None` when every
    /// attribute decoded.
    pub fn note(&self) -> Option<AttributeErrorNote> {
        if self.treat_as_withdraw.is_some() {
            Some(AttributeErrorNote::TreatAsWithdraw)
        } else if !self.discarded.is_empty() {
            Some(AttributeErrorNote::Discard)
        } else {
            None
        }
    }

    /// The UPDATE and its note, as a report shows them.
    pub fn into_parts(self) -> (Update, Option<AttributeErrorNote>) {
        let note = self.note();
        (self.update, note)
    }

    /// Treat-as-withdraw applied to the routes: announced IPv4 routes join the withdrawn
    /// ones (after them) and each MP_REACH_NLRI becomes an MP_UNREACH_NLRI in place, so
    /// every route the message carried is withdrawn, in received order. The other
    /// attributes stay.
    pub fn withdraw_routes(&mut self) {
        let update = &mut self.update;
        update.withdrawn.append(&mut update.announced);
        for attribute in &mut update.attributes {
            if let Attribute::MpReach(reach) = attribute {
                let nlri = std::mem::replace(&mut reach.nlri, MpNlri::Decoded(Vec::new()));
                *attribute = Attribute::MpUnreach(MpUnreach {
                    family: reach.family,
                    nlri,
                    extended_length: true,
                });
            }
        }
    }
}

impl Update {
    /// Decodes an UPDATE body (the bytes after the 19-byte header) with RFC 7606 error
    /// handling, the one decoder behind [`Update::decode`], [`Update::decode_lenient`] and
    /// the reports (`rexa decode`, the sent messages shown to helpers): attributes that do
    /// not decode are discarded or noted as treat-as-withdraw, not failed on. `Err` only for
    /// what resets the session: framing, NLRI, MP_REACH/MP_UNREACH errors.
    pub fn decode_rfc7606(body: &[u8], ctx: &Negotiated) -> Result<Rfc7606Update, DecodeError> {
        let view = UpdateView::new(body)?;
        let mut withdrawn = Vec::new();
        decode_all(view.withdrawn(ctx), &mut withdrawn)?;
        let mut announced = Vec::new();
        decode_all(view.announced(ctx), &mut announced)?;
        let decoded = decode_attributes_detailed(view.attribute_bytes(), ctx)?;
        Ok(Rfc7606Update {
            update: Update {
                withdrawn,
                attributes: decoded.attributes,
                announced,
            },
            discarded: decoded.discarded,
            treat_as_withdraw: decoded.treat_as_withdraw,
        })
    }

    /// Decodes an UPDATE body. Every error is returned, including treat-as-withdraw ones
    /// (a missing mandatory attribute too); see [`Update::decode_lenient`].
    pub fn decode(body: &[u8], ctx: &Negotiated) -> Result<Update, DecodeError> {
        let decoded = Update::decode_rfc7606(body, ctx)?;
        if let Some(error) = decoded.treat_as_withdraw {
            return Err(error.into());
        }
        decoded.update.check_mandatory()?;
        Ok(decoded.update)
    }

    /// Decodes like [`Update::decode`], but an error whose action is treat-as-withdraw
    /// gives [`Decoded::TreatAsWithdraw`] with the routes to withdraw (what the peer acts
    /// on). Errors that reset the session (framing, NLRI, malformed MP attributes) are
    /// still `Err`.
    ///
    /// When the attribute field cannot be walked to its end, the MP attributes found
    /// before the broken one are used; IPv4 routes are always complete since their fields
    /// are framed by the UPDATE itself.
    pub fn decode_lenient(body: &[u8], ctx: &Negotiated) -> Result<Decoded, DecodeError> {
        let mut decoded = Update::decode_rfc7606(body, ctx)?;
        let error = match decoded.treat_as_withdraw.take() {
            Some(error) => DecodeError::from(error),
            None => match decoded.update.check_mandatory() {
                Ok(()) => return Ok(Decoded::Update(decoded.update)),
                Err(error) => DecodeError::from(error),
            },
        };
        decoded.withdraw_routes();
        decoded
            .update
            .attributes
            .retain(|a| matches!(a, Attribute::MpUnreach(_)));
        Ok(Decoded::TreatAsWithdraw {
            withdraw: decoded.update,
            error,
        })
    }

    /// RFC 7606 §3 (d): ORIGIN and AS_PATH when any route is announced, NEXT_HOP too when
    /// IPv4 routes are in the NLRI field. LOCAL_PREF on iBGP is the session's concern.
    fn check_mandatory(&self) -> Result<(), UpdateError> {
        let mp_announces = self.attributes.iter().any(|a| match a {
            Attribute::MpReach(mp) => !mp.nlri.is_empty(),
            _ => false,
        });
        if self.announced.is_empty() && !mp_announces {
            return Ok(());
        }
        let has = |code: u8| self.attributes.iter().any(|a| a.code() == code);
        for code in [CODE_ORIGIN, CODE_AS_PATH] {
            if !has(code) {
                return Err(UpdateError::MissingAttribute { code });
            }
        }
        if !self.announced.is_empty() && !has(CODE_NEXT_HOP) {
            return Err(UpdateError::MissingAttribute {
                code: CODE_NEXT_HOP,
            });
        }
        Ok(())
    }

    /// Appends the UPDATE body (without the header). Path identifiers are written for the
    /// families with `ctx.addpath_send`.
    pub fn encode_body(&self, out: &mut Vec<u8>, ctx: &Negotiated) {
        let addpath = ctx.addpath_send(Family::IPV4_UNICAST);
        let at = super::wire::begin_len16(out);
        for route in &self.withdrawn {
            route.encode(out, addpath);
        }
        super::wire::finish_len16(out, at);
        let at = super::wire::begin_len16(out);
        for attribute in &self.attributes {
            attribute.encode(out, ctx);
        }
        super::wire::finish_len16(out, at);
        for route in &self.announced {
            route.encode(out, addpath);
        }
    }

    /// Appends the whole message: header and body.
    pub fn encode_message(&self, out: &mut Vec<u8>, ctx: &Negotiated) {
        self.encode_body(&mut MessageWriter::begin(out, UPDATE), ctx);
    }

    /// The End-of-RIB marker of `family` (RFC 4724 §2): an empty UPDATE for IPv4
    /// unicast, a lone empty MP_UNREACH_NLRI otherwise.
    pub fn end_of_rib_marker(family: Family) -> Update {
        let attributes = if family == Family::IPV4_UNICAST {
            Vec::new()
        } else {
            vec![Attribute::MpUnreach(MpUnreach::end_of_rib(family))]
        };
        Update {
            withdrawn: Vec::new(),
            attributes,
            announced: Vec::new(),
        }
    }

    /// The family this UPDATE is the End-of-RIB marker of, if it is one. On a received
    /// UPDATE this is ExaBGP's rule: no route and no attribute left after decoding (an
    /// UPDATE whose only attributes were discarded as malformed counts).
    pub fn end_of_rib(&self) -> Option<Family> {
        if !self.withdrawn.is_empty() || !self.announced.is_empty() {
            return None;
        }
        match self.attributes.as_slice() {
            [] => Some(Family::IPV4_UNICAST),
            [Attribute::MpUnreach(mp)] if mp.is_end_of_rib() => Some(mp.family),
            _ => None,
        }
    }

    /// The MP_REACH_NLRI attributes (normally at most one).
    pub fn mp_reach(&self) -> impl Iterator<Item = &MpReach> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::MpReach(mp) => Some(mp),
            _ => None,
        })
    }

    /// The MP_UNREACH_NLRI attributes (normally at most one).
    pub fn mp_unreach(&self) -> impl Iterator<Item = &MpUnreach> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::MpUnreach(mp) => Some(mp),
            _ => None,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Packing (for the adj-rib-out)
// ---------------------------------------------------------------------------------------

/// Appends routes while the message stays within `budget` bytes; returns how many.
#[inline]
fn pack_routes(
    message: &mut MessageWriter<'_>,
    budget: usize,
    routes: &[Nlri],
    addpath: bool,
) -> usize {
    let mut written = 0;
    for route in routes {
        if message.message_len() + route.encoded_len(addpath) > budget {
            break;
        }
        route.encode(message, addpath);
        written += 1;
    }
    written
}

/// The room kept for an MP_REACH_NLRI header by [`nlri_room`]: flags, code, 2-byte length,
/// AFI, SAFI, next-hop length, a next-hop of up to 32 bytes, reserved. (Only MVPN routes
/// are gathered this way; whatever still does not fit is left out by the writers.)
const MP_REACH_HEAD_MAX: usize = 4 + 3 + 1 + 32 + 1;

/// How many bytes of NLRI an UPDATE can still take after its header, its two length
/// fields and `attributes_len` bytes of attributes, with room for an MP_REACH_NLRI header
/// when `multiprotocol`: what a packer may gather for one message.
pub fn nlri_room(ctx: &Negotiated, attributes_len: usize, multiprotocol: bool) -> usize {
    let mp = if multiprotocol { MP_REACH_HEAD_MAX } else { 0 };
    size_limit(ctx).saturating_sub(HEADER_LEN + 4 + attributes_len + mp)
}

/// Writes one whole UPDATE message (header included) announcing IPv4 unicast routes in
/// the NLRI field with the already-encoded path-attribute block `attributes` (which must
/// hold ORIGIN, AS_PATH and NEXT_HOP), packing as many of `routes` as fit in
/// `ctx.max_message_size`. Returns how many were written; when none fit (or `routes` is
/// empty) nothing is appended.
pub fn write_ipv4_announce(
    out: &mut Vec<u8>,
    attributes: &[u8],
    routes: &[Nlri],
    ctx: &Negotiated,
) -> usize {
    let mut message = MessageWriter::begin(out, UPDATE);
    message.extend_from_slice(&[0, 0]);
    message.extend_from_slice(
        &u16::try_from(attributes.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    message.extend_from_slice(attributes);
    let addpath = ctx.addpath_send(Family::IPV4_UNICAST);
    let written = if attributes.len() > usize::from(u16::MAX) {
        0
    } else {
        pack_routes(&mut message, size_limit(ctx), routes, addpath)
    };
    if written == 0 {
        message.cancel();
    }
    written
}

/// Writes one whole UPDATE withdrawing IPv4 unicast routes in the withdrawn field, as many
/// as fit; returns how many (nothing is appended when none).
pub fn write_ipv4_withdraw(out: &mut Vec<u8>, routes: &[Nlri], ctx: &Negotiated) -> usize {
    let mut message = MessageWriter::begin(out, UPDATE);
    let at = super::wire::begin_len16(&mut message);
    let addpath = ctx.addpath_send(Family::IPV4_UNICAST);
    // Keep 2 bytes for the (empty) attribute length.
    let budget = size_limit(ctx).saturating_sub(2);
    let written = pack_routes(&mut message, budget, routes, addpath);
    super::wire::finish_len16(&mut message, at);
    message.extend_from_slice(&[0, 0]);
    if written == 0 {
        message.cancel();
    }
    written
}

/// Writes one whole UPDATE announcing routes of `family` in an MP_REACH_NLRI placed after
/// the already-encoded attributes `attributes` (ExaBGP puts MP_REACH_NLRI last), as many
/// as fit; returns how many (nothing is appended when none). The attribute header uses
/// the one-byte length when the value fits in 255 bytes, as ExaBGP does.
pub fn write_mp_announce(
    out: &mut Vec<u8>,
    attributes: &[u8],
    family: Family,
    next_hop: &NextHop,
    routes: &[Nlri],
    ctx: &Negotiated,
) -> usize {
    let head = MpReach {
        family,
        next_hop: next_hop.clone(),
        reserved: 0,
        nlri: MpNlri::Decoded(Vec::new()),
        extended_length: false,
    };
    write_mp(out, attributes, CODE_MP_REACH, routes, ctx, family, |out| {
        head.encode_head(out)
    })
}

/// Writes one whole UPDATE withdrawing routes of `family` in an MP_UNREACH_NLRI (no other
/// attribute; the one-byte length when the value fits in 255 bytes, as ExaBGP writes it),
/// as many as fit; returns how many (nothing is appended when none).
pub fn write_mp_withdraw(
    out: &mut Vec<u8>,
    family: Family,
    routes: &[Nlri],
    ctx: &Negotiated,
) -> usize {
    write_mp(out, &[], CODE_MP_UNREACH, routes, ctx, family, |out| {
        out.extend_from_slice(&family.afi.0.to_be_bytes());
        out.push(family.safi.0);
    })
}

/// An UPDATE withdrawing `routes` in MP_UNREACH_NLRI after the path attributes
/// `attributes` (already encoded), as ExaBGP withdraws MVPN routes: the attribute's length
/// is one byte when the value fits. Returns how many routes fit.
pub fn write_mp_withdraw_after(
    out: &mut Vec<u8>,
    attributes: &[u8],
    family: Family,
    routes: &[Nlri],
    ctx: &Negotiated,
) -> usize {
    write_mp(
        out,
        attributes,
        CODE_MP_UNREACH,
        routes,
        ctx,
        family,
        |out| {
            out.extend_from_slice(&family.afi.0.to_be_bytes());
            out.push(family.safi.0);
        },
    )
}

fn write_mp(
    out: &mut Vec<u8>,
    attributes: &[u8],
    code: u8,
    routes: &[Nlri],
    ctx: &Negotiated,
    family: Family,
    head: impl FnOnce(&mut Vec<u8>),
) -> usize {
    let mut message = MessageWriter::begin(out, UPDATE);
    message.extend_from_slice(&[0, 0]);
    let attributes_at = super::wire::begin_len16(&mut message);
    message.extend_from_slice(attributes);
    // Extended-length header first; shrunk below when the value is short.
    let attribute_start = message.len();
    message.extend_from_slice(&[FLAG_OPTIONAL | FLAG_EXTENDED_LENGTH, code, 0, 0]);
    let value_start = message.len();
    head(&mut message);
    let addpath = ctx.addpath_send(family);
    let written = pack_routes(&mut message, size_limit(ctx), routes, addpath);
    if written == 0 {
        message.cancel();
        return 0;
    }
    let value_len = message.len() - value_start;
    // ExaBGP (4.x to 6.0) writes both with the one-byte length when the value fits in 255
    // bytes and the extended one otherwise; only its End-of-RIB is always extended.
    match u8::try_from(value_len).ok() {
        Some(short) => {
            message[attribute_start] = FLAG_OPTIONAL;
            message[attribute_start + 2] = short;
            message.remove(attribute_start + 3);
        }
        None => {
            let long = u16::try_from(value_len).unwrap_or(u16::MAX);
            message[attribute_start + 2..attribute_start + 4].copy_from_slice(&long.to_be_bytes());
        }
    }
    super::wire::finish_len16(&mut message, attributes_at);
    written
}

/// Appends the End-of-RIB message (header included) of `family`.
pub fn write_end_of_rib(out: &mut Vec<u8>, family: Family) {
    let mut message = MessageWriter::begin(out, UPDATE);
    if family == Family::IPV4_UNICAST {
        message.extend_from_slice(&[0, 0, 0, 0]);
    } else {
        // ExaBGP's form: extended length even for the 3-byte value.
        message.extend_from_slice(&[
            0,
            0,
            0,
            7,
            FLAG_OPTIONAL | FLAG_EXTENDED_LENGTH,
            CODE_MP_UNREACH,
            0,
            3,
        ]);
        message.extend_from_slice(&family.afi.0.to_be_bytes());
        message.push(family.safi.0);
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// Malformed UPDATE framing, or a missing well-known attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateError {
    /// The body is too short to hold the two length fields.
    Truncated,
    /// The withdrawn-routes length points past the end of the message.
    WithdrawnLength { length: usize, available: usize },
    /// The path-attribute length points past the end of the message.
    AttributeLength { length: usize, available: usize },
    /// An attribute header or value runs past the attribute field (raw walk).
    AttributeFraming,
    /// A well-known mandatory attribute is missing (RFC 7606 §3 (d)).
    MissingAttribute { code: u8 },
}

impl UpdateError {
    /// 3/1 malformed attribute list for framing, 3/3 with the type code for a missing
    /// attribute.
    pub fn notification(&self) -> Notification {
        match self {
            UpdateError::MissingAttribute { code } => Notification::new(3, 3, vec![*code]),
            _ => Notification::new(3, 1, Vec::new()),
        }
    }

    pub fn action(&self) -> ErrorAction {
        match self {
            UpdateError::MissingAttribute { .. } => ErrorAction::TreatAsWithdraw,
            _ => ErrorAction::SessionReset,
        }
    }
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateError::Truncated => f.write_str("UPDATE body shorter than its length fields"),
            UpdateError::WithdrawnLength { length, available } => write!(
                f,
                "UPDATE withdrawn routes length {length} exceeds the {available} bytes left"
            ),
            UpdateError::AttributeLength { length, available } => write!(
                f,
                "UPDATE path attribute length {length} exceeds the {available} bytes left"
            ),
            UpdateError::AttributeFraming => {
                f.write_str("path attribute runs past the attribute field")
            }
            UpdateError::MissingAttribute { code } => {
                let name = match *code {
                    CODE_ORIGIN => "ORIGIN",
                    CODE_AS_PATH => "AS_PATH",
                    CODE_NEXT_HOP => "NEXT_HOP",
                    _ => "attribute",
                };
                write!(f, "UPDATE misses well-known attribute {name} ({code})")
            }
        }
    }
}

#[cfg(test)]
mod tests;
