//! The decode error every `bgp` decoder returns: what went wrong, the NOTIFICATION to
//! send for it, and for UPDATEs the RFC 7606 action that replaces a session reset.

use std::fmt;

use super::attribute::AttributeError;
use super::message::MessageError;
use super::nlri::NlriError;
use super::notification::Notification;
use super::update::UpdateError;

/// What the session does about a malformed UPDATE (RFC 7606 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorAction {
    /// Send the NOTIFICATION and close the session (RFC 4271 behaviour).
    SessionReset,
    /// Stop using the AFI/SAFI (or reset when that cannot be done).
    AfiSafiDisable,
    /// Treat every NLRI of the UPDATE as withdrawn.
    TreatAsWithdraw,
    /// Drop the offending attribute and keep the rest of the UPDATE.
    AttributeDiscard,
}

/// Any failure to decode bytes received from a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Header, OPEN, capabilities, NOTIFICATION, ROUTE-REFRESH, OPERATIONAL.
    Message(MessageError),
    /// UPDATE framing: withdrawn/attribute/NLRI lengths.
    Update(UpdateError),
    /// A path attribute.
    Attribute(AttributeError),
    /// An NLRI or next-hop.
    Nlri(NlriError),
}

impl DecodeError {
    /// The NOTIFICATION to send to the peer for this error.
    pub fn notification(&self) -> Notification {
        match self {
            DecodeError::Message(e) => e.notification(),
            DecodeError::Update(e) => e.notification(),
            DecodeError::Attribute(e) => e.notification(),
            DecodeError::Nlri(e) => e.notification(),
        }
    }

    /// What the session does about it (RFC 7606); non-UPDATE errors reset the session.
    pub fn action(&self) -> ErrorAction {
        match self {
            DecodeError::Message(_) => ErrorAction::SessionReset,
            DecodeError::Update(e) => e.action(),
            DecodeError::Attribute(e) => e.action(),
            DecodeError::Nlri(e) => e.action(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Message(e) => e.fmt(f),
            DecodeError::Update(e) => e.fmt(f),
            DecodeError::Attribute(e) => e.fmt(f),
            DecodeError::Nlri(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<MessageError> for DecodeError {
    fn from(e: MessageError) -> Self {
        DecodeError::Message(e)
    }
}

impl From<UpdateError> for DecodeError {
    fn from(e: UpdateError) -> Self {
        DecodeError::Update(e)
    }
}

impl From<AttributeError> for DecodeError {
    fn from(e: AttributeError) -> Self {
        DecodeError::Attribute(e)
    }
}

impl From<NlriError> for DecodeError {
    fn from(e: NlriError) -> Self {
        DecodeError::Nlri(e)
    }
}
