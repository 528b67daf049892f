//! Path attributes (RFC 4271 §4.3 and the RFCs that extend it): typed values, flags,
//! the extended-length form, RFC 7606 error classes, and unknown attributes kept opaque.
//! STUB: filled in by the attributes work; the interface below is fixed.

use std::fmt;

use super::error::ErrorAction;
use super::mp::{MpReach, MpUnreach};
use super::negotiated::Negotiated;
use super::nlri::NlriError;
use super::notification::Notification;
use super::wire::Reader;

/// Attribute flag bits.
pub const FLAG_OPTIONAL: u8 = 0x80;
pub const FLAG_TRANSITIVE: u8 = 0x40;
pub const FLAG_PARTIAL: u8 = 0x20;
pub const FLAG_EXTENDED_LENGTH: u8 = 0x10;

pub const CODE_MP_REACH_NLRI: u8 = 14;
pub const CODE_MP_UNREACH_NLRI: u8 = 15;

/// One path attribute as it appears in an UPDATE: flags, type code and value bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    pub flags: u8,
    pub code: u8,
    pub value: &'a [u8],
}

/// A decoded path attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    MpReach(MpReach),
    MpUnreach(MpUnreach),
    /// Any attribute not decoded, kept byte for byte.
    Unknown {
        flags: u8,
        code: u8,
        value: Vec<u8>,
    },
}

impl Attribute {
    pub fn code(&self) -> u8 {
        match self {
            Attribute::MpReach(_) => CODE_MP_REACH_NLRI,
            Attribute::MpUnreach(_) => CODE_MP_UNREACH_NLRI,
            Attribute::Unknown { code, .. } => *code,
        }
    }

    /// Decodes one attribute's value.
    pub fn decode(raw: RawAttribute<'_>, ctx: &Negotiated) -> Result<Attribute, AttributeError> {
        match raw.code {
            CODE_MP_REACH_NLRI => Ok(Attribute::MpReach(
                MpReach::decode(raw.value, ctx).map_err(AttributeError::Nlri)?,
            )),
            CODE_MP_UNREACH_NLRI => Ok(Attribute::MpUnreach(
                MpUnreach::decode(raw.value, ctx).map_err(AttributeError::Nlri)?,
            )),
            code => Ok(Attribute::Unknown {
                flags: raw.flags,
                code,
                value: raw.value.to_vec(),
            }),
        }
    }

    /// Appends flags, type, length and value.
    pub fn encode(&self, out: &mut Vec<u8>, ctx: &Negotiated) {
        let mut value = Vec::new();
        let (flags, code) = match self {
            Attribute::MpReach(mp) => {
                mp.encode_value(&mut value, ctx);
                (FLAG_OPTIONAL, CODE_MP_REACH_NLRI)
            }
            Attribute::MpUnreach(mp) => {
                mp.encode_value(&mut value, ctx);
                (FLAG_OPTIONAL, CODE_MP_UNREACH_NLRI)
            }
            Attribute::Unknown {
                flags,
                code,
                value: v,
            } => {
                value.extend_from_slice(v);
                (*flags, *code)
            }
        };
        encode_header(out, flags, code, value.len());
        out.extend_from_slice(&value);
    }
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

/// Splits the path-attribute field of an UPDATE into raw attributes.
pub fn split_attributes(
    bytes: &[u8],
) -> impl Iterator<Item = Result<RawAttribute<'_>, AttributeError>> {
    let mut reader = Reader::new(bytes);
    std::iter::from_fn(move || {
        if reader.is_empty() {
            return None;
        }
        Some(read_one(&mut reader))
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
    let value = len
        .and_then(|n| reader.take(n))
        .ok_or(AttributeError::Truncated)?;
    // Stop iterating after an error by consuming the rest.
    Ok(RawAttribute { flags, code, value })
}

/// Decodes the whole path-attribute field of an UPDATE, in received order.
pub fn decode_attributes(bytes: &[u8], ctx: &Negotiated) -> Result<Vec<Attribute>, AttributeError> {
    let mut out = Vec::new();
    for raw in split_attributes(bytes) {
        out.push(Attribute::decode(raw?, ctx)?);
    }
    Ok(out)
}

/// A malformed path attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeError {
    /// The attribute header or value runs past the end of the attribute field.
    Truncated,
    /// An MP_REACH_NLRI / MP_UNREACH_NLRI whose NLRI or next-hop is malformed.
    Nlri(NlriError),
}

impl AttributeError {
    pub fn notification(&self) -> Notification {
        match self {
            AttributeError::Truncated => Notification::new(3, 1, Vec::new()),
            AttributeError::Nlri(e) => e.notification(),
        }
    }

    pub fn action(&self) -> ErrorAction {
        match self {
            AttributeError::Truncated => ErrorAction::TreatAsWithdraw,
            AttributeError::Nlri(e) => e.action(),
        }
    }
}

impl fmt::Display for AttributeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributeError::Truncated => {
                f.write_str("path attribute runs past the attribute field")
            }
            AttributeError::Nlri(e) => write!(f, "in MP_REACH/MP_UNREACH: {e}"),
        }
    }
}
