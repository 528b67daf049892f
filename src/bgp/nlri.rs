//! NLRI: prefixes, labeled and VPN routes, ADD-PATH identifiers and next-hops per family.
//! STUB: filled in by the NLRI work; `NlriError`'s methods are the fixed interface.

use std::fmt;

use super::error::ErrorAction;
use super::notification::Notification;

/// A malformed NLRI or next-hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NlriError {
    /// The NLRI field ends in the middle of a route.
    Truncated,
}

impl NlriError {
    pub fn notification(&self) -> Notification {
        match self {
            NlriError::Truncated => Notification::new(3, 10, Vec::new()),
        }
    }

    pub fn action(&self) -> ErrorAction {
        match self {
            NlriError::Truncated => ErrorAction::SessionReset,
        }
    }
}

impl fmt::Display for NlriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NlriError::Truncated => f.write_str("NLRI truncated"),
        }
    }
}
