//! UPDATE messages (RFC 4271 §4.3): withdrawn routes, path attributes and NLRI.
//! STUB: filled in by the NLRI/UPDATE work; `Update::decode` / `encode_body` are the interface.

use std::fmt;

use super::attribute::{decode_attributes, Attribute};
use super::error::{DecodeError, ErrorAction};
use super::negotiated::Negotiated;
use super::notification::Notification;
use super::wire::Reader;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub withdrawn: Vec<u8>,
    pub attributes: Vec<Attribute>,
    pub nlri: Vec<u8>,
}

impl Update {
    /// Decodes an UPDATE body (the bytes after the 19-byte header).
    pub fn decode(body: &[u8], ctx: &Negotiated) -> Result<Update, DecodeError> {
        let mut r = Reader::new(body);
        let wlen = r.u16().ok_or(UpdateError::Truncated)?;
        let withdrawn = r.take(wlen.into()).ok_or(UpdateError::Truncated)?.to_vec();
        let alen = r.u16().ok_or(UpdateError::Truncated)?;
        let attrs = r.take(alen.into()).ok_or(UpdateError::Truncated)?;
        let attributes = decode_attributes(attrs, ctx)?;
        Ok(Update {
            withdrawn,
            attributes,
            nlri: r.take_rest().to_vec(),
        })
    }

    /// Appends the UPDATE body (without the header).
    pub fn encode_body(&self, out: &mut Vec<u8>, ctx: &Negotiated) {
        out.extend_from_slice(&(self.withdrawn.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.withdrawn);
        let at = super::wire::begin_len16(out);
        for a in &self.attributes {
            a.encode(out, ctx);
        }
        super::wire::finish_len16(out, at);
        out.extend_from_slice(&self.nlri);
    }
}

/// Malformed UPDATE framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateError {
    /// A length field points past the end of the message.
    Truncated,
}

impl UpdateError {
    pub fn notification(&self) -> Notification {
        match self {
            UpdateError::Truncated => Notification::new(3, 1, Vec::new()),
        }
    }

    pub fn action(&self) -> ErrorAction {
        ErrorAction::SessionReset
    }
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateError::Truncated => f.write_str("UPDATE length fields exceed the message"),
        }
    }
}
