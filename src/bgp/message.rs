//! The BGP message header (RFC 4271 §4.1) and the `Message` enum over every type.
//! STUB: filled in by the messages work.

use std::fmt;

use super::notification::Notification;

/// Errors in the header and in every non-UPDATE message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageError {
    /// The 16-byte marker is not all ones.
    BadMarker,
}

impl MessageError {
    pub fn notification(&self) -> Notification {
        match self {
            MessageError::BadMarker => Notification::new(1, 1, Vec::new()),
        }
    }
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::BadMarker => f.write_str("the message marker is not 16 bytes of 0xFF"),
        }
    }
}
