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

/// BGP message header size (marker, length, type) and the UPDATE type code.
pub const HEADER_LEN: usize = 19;
const MESSAGE_TYPE_UPDATE: u8 = 2;

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
        let start = begin_message(out);
        self.encode_body(out, ctx);
        finish_message(out, start);
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

/// Appends the 19-byte header with a zero length; returns where the message starts.
fn begin_message(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0xFF; 16]);
    out.extend_from_slice(&[0, 0, MESSAGE_TYPE_UPDATE]);
    start
}

/// Writes the message length into the header begun at `start`.
fn finish_message(out: &mut [u8], start: usize) {
    let len = out.len().saturating_sub(start);
    let len = u16::try_from(len).unwrap_or(u16::MAX);
    if let Some(slot) = out.get_mut(start + 16..start + 18) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
}

/// The message size limit for packing: the negotiated one, never above 65535.
fn limit(ctx: &Negotiated) -> usize {
    ctx.max_message_size
        .min(super::negotiated::EXTENDED_MAX_MESSAGE)
}

/// Appends routes while they fit under `budget` total bytes of `out` (from `start`).
#[inline]
fn pack_routes(
    out: &mut Vec<u8>,
    start: usize,
    budget: usize,
    routes: &[Nlri],
    addpath: bool,
) -> usize {
    let mut written = 0;
    for route in routes {
        if out.len() - start + route.encoded_len(addpath) > budget {
            break;
        }
        route.encode(out, addpath);
        written += 1;
    }
    written
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
    let start = begin_message(out);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(
        &u16::try_from(attributes.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(attributes);
    let addpath = ctx.addpath_send(Family::IPV4_UNICAST);
    let written = if attributes.len() > usize::from(u16::MAX) {
        0
    } else {
        pack_routes(out, start, limit(ctx), routes, addpath)
    };
    if written == 0 {
        out.truncate(start);
    } else {
        finish_message(out, start);
    }
    written
}

/// Writes one whole UPDATE withdrawing IPv4 unicast routes in the withdrawn field, as many
/// as fit; returns how many (nothing is appended when none).
pub fn write_ipv4_withdraw(out: &mut Vec<u8>, routes: &[Nlri], ctx: &Negotiated) -> usize {
    let start = begin_message(out);
    let at = super::wire::begin_len16(out);
    let addpath = ctx.addpath_send(Family::IPV4_UNICAST);
    // Keep 2 bytes for the (empty) attribute length.
    let written = pack_routes(out, start, limit(ctx).saturating_sub(2), routes, addpath);
    super::wire::finish_len16(out, at);
    out.extend_from_slice(&[0, 0]);
    if written == 0 {
        out.truncate(start);
    } else {
        finish_message(out, start);
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
    let start = begin_message(out);
    out.extend_from_slice(&[0, 0]);
    let attributes_at = super::wire::begin_len16(out);
    out.extend_from_slice(attributes);
    // Extended-length header first; shrunk below when the value is short.
    let attribute_start = out.len();
    out.extend_from_slice(&[FLAG_OPTIONAL | FLAG_EXTENDED_LENGTH, code, 0, 0]);
    let value_start = out.len();
    head(out);
    let written = pack_routes(out, start, limit(ctx), routes, ctx.addpath_send(family));
    if written == 0 {
        out.truncate(start);
        return 0;
    }
    let value_len = out.len() - value_start;
    // ExaBGP (4.x to 6.0) writes both with the one-byte length when the value fits in 255
    // bytes and the extended one otherwise; only its End-of-RIB is always extended.
    match u8::try_from(value_len).ok() {
        Some(short) => {
            out[attribute_start] = FLAG_OPTIONAL;
            out[attribute_start + 2] = short;
            out.remove(attribute_start + 3);
        }
        None => {
            let long = u16::try_from(value_len).unwrap_or(u16::MAX);
            out[attribute_start + 2..attribute_start + 4].copy_from_slice(&long.to_be_bytes());
        }
    }
    super::wire::finish_len16(out, attributes_at);
    finish_message(out, start);
    written
}

/// Appends the End-of-RIB message (header included) of `family`.
pub fn write_end_of_rib(out: &mut Vec<u8>, family: Family) {
    let start = begin_message(out);
    if family == Family::IPV4_UNICAST {
        out.extend_from_slice(&[0, 0, 0, 0]);
    } else {
        // ExaBGP's form: extended length even for the 3-byte value.
        out.extend_from_slice(&[
            0,
            0,
            0,
            7,
            FLAG_OPTIONAL | FLAG_EXTENDED_LENGTH,
            CODE_MP_UNREACH,
            0,
            3,
        ]);
        out.extend_from_slice(&family.afi.0.to_be_bytes());
        out.push(family.safi.0);
    }
    finish_message(out, start);
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
mod tests {
    use super::*;
    use crate::bgp::attribute::AttributeError;
    use crate::bgp::nlri::{NlriError, Prefix};
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(|b| b.is_ascii_hexdigit()).collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    /// ORIGIN igp, empty AS_PATH, NEXT_HOP 10.0.0.1, LOCAL_PREF 100.
    const ATTRIBUTES: &str = "40010100 400200 4003040A000001 40050400000064";

    fn route(a: u8, b: u8, c: u8) -> Nlri {
        Nlri::prefix(Prefix::v4(Ipv4Addr::new(a, b, c, 0), 24).unwrap())
    }

    fn body(withdrawn: &str, attributes: &str, nlri: &str) -> Vec<u8> {
        let (w, a, n) = (hex(withdrawn), hex(attributes), hex(nlri));
        let mut out = Vec::new();
        out.extend_from_slice(&(w.len() as u16).to_be_bytes());
        out.extend_from_slice(&w);
        out.extend_from_slice(&(a.len() as u16).to_be_bytes());
        out.extend_from_slice(&a);
        out.extend_from_slice(&n);
        out
    }

    #[test]
    fn decode_and_encode_ipv4() {
        let ctx = Negotiated::default();
        let bytes = body("18CB0071", ATTRIBUTES, "18C63364 200A000001");
        let update = Update::decode(&bytes, &ctx).unwrap();
        assert_eq!(update.withdrawn, [route(203, 0, 113)]);
        assert_eq!(update.announced.len(), 2);
        assert_eq!(update.attributes.len(), 4);
        let mut out = Vec::new();
        update.encode_body(&mut out, &ctx);
        assert_eq!(out, bytes);
        let mut message = Vec::new();
        update.encode_message(&mut message, &ctx);
        assert_eq!(message.len(), HEADER_LEN + bytes.len());
        assert_eq!(&message[16..19], &[0, (HEADER_LEN + bytes.len()) as u8, 2]);
    }

    /// Found by the `update` fuzz target: a lone malformed AS4_AGGREGATOR is discarded
    /// (RFC 7606), which leaves a decoded End-of-RIB (as ExaBGP 5.0.15 reports it) while
    /// the wire form is not the RFC 4724 marker.
    #[test]
    fn discarded_attributes_leave_an_end_of_rib() {
        let ctx = Negotiated::default();
        let bytes = body("", "401200", "");
        assert_eq!(UpdateView::new(&bytes).unwrap().end_of_rib(), None);
        let update = Update::decode(&bytes, &ctx).unwrap();
        assert!(update.attributes.is_empty());
        assert_eq!(update.end_of_rib(), Some(Family::IPV4_UNICAST));
    }

    #[test]
    fn framing_errors_reset_the_session() {
        let ctx = Negotiated::default();
        for bad in [
            hex(""),
            hex("00"),
            hex("0005 18"),
            hex("0000 00"),
            hex("0000 0010 400101"),
        ] {
            let err = Update::decode(&bad, &ctx).unwrap_err();
            assert_eq!(err.action(), ErrorAction::SessionReset, "{bad:02X?}");
            assert_eq!(err.notification().code, 3);
            assert_eq!(err.notification().subcode, 1);
            assert!(Update::decode_lenient(&bad, &ctx).is_err());
        }
        assert_eq!(
            UpdateView::new(&hex("0005 18")),
            Err(UpdateError::WithdrawnLength {
                length: 5,
                available: 1
            })
        );
    }

    #[test]
    fn nlri_errors_reset_the_session() {
        let ctx = Negotiated::default();
        let bad = body("", ATTRIBUTES, "210A0A0A0A0A");
        let err = Update::decode(&bad, &ctx).unwrap_err();
        assert_eq!(
            err,
            DecodeError::Nlri(NlriError::PrefixTooLong {
                family: Family::IPV4_UNICAST,
                bits: 33
            })
        );
        assert_eq!(err.action(), ErrorAction::SessionReset);
        assert_eq!(err.notification().subcode, 10);
        let truncated = body("180A", "", "");
        assert!(Update::decode_lenient(&truncated, &ctx).is_err());
    }

    #[test]
    fn missing_mandatory_is_treat_as_withdraw() {
        let ctx = Negotiated::default();
        // No NEXT_HOP with IPv4 NLRI.
        let bytes = body("180A0000", "40010100 400200", "180A0001");
        let err = Update::decode(&bytes, &ctx).unwrap_err();
        assert_eq!(
            err,
            DecodeError::Update(UpdateError::MissingAttribute { code: 3 })
        );
        assert_eq!(err.action(), ErrorAction::TreatAsWithdraw);
        assert_eq!(err.notification(), Notification::new(3, 3, vec![3]));
        match Update::decode_lenient(&bytes, &ctx).unwrap() {
            Decoded::TreatAsWithdraw { withdraw, error } => {
                assert_eq!(error, err);
                assert_eq!(withdraw.withdrawn, [route(10, 0, 0), route(10, 0, 1)]);
                assert!(withdraw.announced.is_empty());
            }
            other => panic!("{other:?}"),
        }
        // MP_REACH with routes but no ORIGIN: its routes become an MP_UNREACH.
        let mp = "800E0E 00020110 20010DB8000000000000000000000001 00 2020010DB8";
        let mp = mp.replace("800E0E", "800E1A");
        let bytes = body("", &format!("400200 {mp}"), "");
        match Update::decode_lenient(&bytes, &ctx).unwrap() {
            Decoded::TreatAsWithdraw { withdraw, error } => {
                assert_eq!(
                    error,
                    DecodeError::Update(UpdateError::MissingAttribute { code: 1 })
                );
                let unreach: Vec<_> = withdraw.mp_unreach().collect();
                assert_eq!(unreach.len(), 1);
                assert_eq!(unreach[0].family, Family::IPV6_UNICAST);
                assert_eq!(unreach[0].nlri.routes()[0].to_string(), "2001:db8::/32");
            }
            other => panic!("{other:?}"),
        }
        // Withdraw-only UPDATEs need no attributes.
        let bytes = body("180A0000", "", "");
        assert!(matches!(
            Update::decode_lenient(&bytes, &ctx).unwrap(),
            Decoded::Update(_)
        ));
    }

    #[test]
    fn attribute_framing_error_is_withdrawn_leniently() {
        let ctx = Negotiated::default();
        // The stub attribute decoder treats an overrunning attribute as treat-as-withdraw;
        // whatever the attribute work decides, the lenient path follows its action().
        let bytes = body("", "40010100 4002FF", "180A0001");
        let err = Update::decode(&bytes, &ctx).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::Attribute(AttributeError::Truncated)
        ));
        match Update::decode_lenient(&bytes, &ctx) {
            Ok(Decoded::TreatAsWithdraw { withdraw, .. }) => {
                assert_eq!(withdraw.withdrawn, [route(10, 0, 1)])
            }
            Err(e) => assert_ne!(e.action(), ErrorAction::TreatAsWithdraw),
            Ok(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn end_of_rib() {
        let ctx = Negotiated::default();
        for family in [
            Family::IPV4_UNICAST,
            Family::IPV6_UNICAST,
            Family::IPV4_FLOW,
            Family::L2VPN_EVPN,
        ] {
            let mut message = Vec::new();
            write_end_of_rib(&mut message, family);
            let expected = if family == Family::IPV4_UNICAST {
                hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 0017 02 00000000")
            } else {
                let mut m = hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 001E 02 00000007 900F0003");
                m.extend_from_slice(&family.afi.0.to_be_bytes());
                m.push(family.safi.0);
                m
            };
            assert_eq!(message, expected);
            let body = &message[HEADER_LEN..];
            assert_eq!(UpdateView::new(body).unwrap().end_of_rib(), Some(family));
            let update = Update::decode(body, &ctx).unwrap();
            assert_eq!(update.end_of_rib(), Some(family));
            let marker = Update::end_of_rib_marker(family);
            assert_eq!(marker.end_of_rib(), Some(family));
        }
        let bytes = body("180A0000", "", "");
        assert_eq!(UpdateView::new(&bytes).unwrap().end_of_rib(), None);
        assert_eq!(Update::decode(&bytes, &ctx).unwrap().end_of_rib(), None);
    }

    #[test]
    fn packing_ipv4_fills_the_message() {
        let ctx = Negotiated::default();
        let attributes = hex(ATTRIBUTES);
        let routes: Vec<Nlri> = (0..2000u32)
            .map(|i| route(10, (i >> 8) as u8, i as u8))
            .collect();
        let mut out = Vec::new();
        let mut sent = 0;
        let mut messages = 0;
        while sent < routes.len() {
            let start = out.len();
            let n = write_ipv4_announce(&mut out, &attributes, &routes[sent..], &ctx);
            assert!(n > 0);
            let message = &out[start..];
            assert!(message.len() <= 4096);
            assert_eq!(
                usize::from(u16::from_be_bytes([message[16], message[17]])),
                message.len()
            );
            let update = Update::decode(&message[HEADER_LEN..], &ctx).unwrap();
            assert_eq!(update.announced, routes[sent..sent + n]);
            // Full unless it is the last one.
            if sent + n < routes.len() {
                assert!(message.len() + 4 > 4096);
            }
            sent += n;
            messages += 1;
        }
        assert_eq!(messages, 2);
        assert_eq!(write_ipv4_announce(&mut out, &attributes, &[], &ctx), 0);

        let mut out = Vec::new();
        let n = write_ipv4_withdraw(&mut out, &routes, &ctx);
        assert!(out.len() <= 4096 && out.len() + 4 > 4096);
        let update = Update::decode(&out[HEADER_LEN..], &ctx).unwrap();
        assert_eq!(update.withdrawn, routes[..n]);
    }

    #[test]
    fn packing_mp_routes() {
        let family = Family::IPV6_UNICAST;
        let ctx = Negotiated {
            addpath_send: vec![family],
            addpath_receive: vec![family],
            ..Negotiated::default()
        };
        let attributes = hex("40010100 400200");
        let routes: Vec<Nlri> = (0..1000u16)
            .map(|i| {
                let mut addr = [0u8; 16];
                addr[..2].copy_from_slice(&[0x20, 0x01]);
                addr[2..4].copy_from_slice(&i.to_be_bytes());
                Nlri::prefix(Prefix::v6(addr.into(), 32).unwrap()).with_path_id(Some(7))
            })
            .collect();
        let next_hop = NextHop::Ipv6("2001:db8::1".parse().unwrap());
        // Few routes: one-byte attribute length, as ExaBGP.
        let mut out = Vec::new();
        assert_eq!(
            write_mp_announce(&mut out, &attributes, family, &next_hop, &routes[..2], &ctx),
            2
        );
        let body = &out[HEADER_LEN..];
        let mp_at = 4 + attributes.len();
        assert_eq!(&body[mp_at..mp_at + 2], &[0x80, 0x0E]);
        let update = Update::decode(body, &ctx).unwrap();
        let reach: Vec<_> = update.mp_reach().collect();
        assert_eq!(reach[0].nlri.routes(), &routes[..2]);
        assert_eq!(reach[0].next_hop, next_hop);
        let mut again = Vec::new();
        update.encode_body(&mut again, &ctx);
        assert_eq!(again, body);
        // Many routes: extended length, full message.
        let mut out = Vec::new();
        let n = write_mp_announce(&mut out, &attributes, family, &next_hop, &routes, &ctx);
        assert!(out.len() <= 4096 && out.len() + 9 > 4096);
        let update = Update::decode(&out[HEADER_LEN..], &ctx).unwrap();
        assert_eq!(
            update.mp_reach().next().unwrap().nlri.routes(),
            &routes[..n]
        );
        // Withdrawals.
        let mut out = Vec::new();
        let n = write_mp_withdraw(&mut out, family, &routes, &ctx);
        let update = Update::decode(&out[HEADER_LEN..], &ctx).unwrap();
        assert_eq!(
            update.mp_unreach().next().unwrap().nlri.routes(),
            &routes[..n]
        );
        assert_eq!(&out[HEADER_LEN + 4..HEADER_LEN + 6], &[0x90, 0x0F]);
    }

    /// ExaBGP 5.0.15 (`Attribute._attribute`) writes MP_UNREACH_NLRI with the one-byte
    /// length when the value fits in 255 bytes: flag 0x80, not 0x90.
    #[test]
    fn short_mp_unreach_uses_the_one_byte_length() {
        let ctx = Negotiated::default();
        let prefix = Prefix::new("2001:db8::".parse().unwrap(), 32).unwrap();
        let mut out = Vec::new();
        let n = write_mp_withdraw(
            &mut out,
            Family::IPV6_UNICAST,
            &[Nlri::prefix(prefix)],
            &ctx,
        );
        assert_eq!(n, 1);
        assert_eq!(
            out,
            hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 0022 02 0000 000B 800F08 0002 01 20 20010DB8")
        );
    }

    proptest! {
        #[test]
        fn random_bodies_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120),
                                     addpath in any::<bool>()) {
            let ctx = Negotiated {
                addpath_receive: if addpath { vec![Family::IPV4_UNICAST] } else { vec![] },
                addpath_send: if addpath { vec![Family::IPV4_UNICAST] } else { vec![] },
                ..Negotiated::default()
            };
            let _ = Update::decode_lenient(&bytes, &ctx);
            if let Ok(view) = UpdateView::new(&bytes) {
                let _ = view.end_of_rib();
                for _ in view.raw_attributes() {}
                for _ in view.announced(&ctx) {}
            }
        }

        #[test]
        fn random_framed_bodies_never_panic(withdrawn in proptest::collection::vec(any::<u8>(), 0..20),
                                            attributes in proptest::collection::vec(any::<u8>(), 0..40),
                                            nlri in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut bytes = Vec::new();
            bytes.extend_from_slice(&(withdrawn.len() as u16).to_be_bytes());
            bytes.extend_from_slice(&withdrawn);
            bytes.extend_from_slice(&(attributes.len() as u16).to_be_bytes());
            bytes.extend_from_slice(&attributes);
            bytes.extend_from_slice(&nlri);
            let ctx = Negotiated::default();
            let _ = Update::decode_lenient(&bytes, &ctx);
        }

        #[test]
        fn ipv4_update_round_trip(withdrawn in proptest::collection::vec((any::<[u8; 4]>(), 0u8..=32), 0..10),
                                  announced in proptest::collection::vec((any::<[u8; 4]>(), 0u8..=32), 0..10)) {
            let to_nlri = |(a, l): &([u8; 4], u8)| Nlri::prefix(Prefix::v4((*a).into(), *l).unwrap());
            let ctx = Negotiated::default();
            let mut attributes = vec![];
            if !announced.is_empty() {
                attributes = crate::bgp::attribute::decode_attributes(&hex(ATTRIBUTES), &ctx).unwrap();
            }
            let update = Update {
                withdrawn: withdrawn.iter().map(to_nlri).collect(),
                attributes,
                announced: announced.iter().map(to_nlri).collect(),
            };
            let mut out = Vec::new();
            update.encode_body(&mut out, &ctx);
            prop_assert_eq!(Update::decode(&out, &ctx).unwrap(), update);
        }
    }
}
