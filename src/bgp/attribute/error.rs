//! Malformed path attributes: what was wrong, the NOTIFICATION (RFC 4271 §6.3) and the
//! RFC 7606 action for each attribute (treat-as-withdraw, attribute-discard, reset).

use std::fmt;

use super::aigp::AigpFault;
use super::as_path::AsPathFault;
use super::extended::ExtendedCommunity;
use super::prefix_sid::PrefixSidFault;
use super::{code_name, CODE_AS_PATH};
use crate::bgp::error::ErrorAction;
use crate::bgp::nlri::NlriError;
use crate::bgp::notification::Notification;

/// What is wrong inside a value whose length alone was acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    AsPath(AsPathFault),
    Aigp(AigpFault),
    PrefixSid(PrefixSidFault),
    /// A traffic-rate extended community whose float is NaN or infinite.
    UnusableRate(ExtendedCommunity),
    /// A BGP-LS attribute (29) whose TLVs do not parse.
    LinkState(crate::bgp::linkstate::LinkStateFault),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::AsPath(e) => e.fmt(f),
            Fault::Aigp(e) => e.fmt(f),
            Fault::PrefixSid(e) => e.fmt(f),
            Fault::UnusableRate(c) => write!(f, "traffic-rate {c:?} is not a finite number"),
            Fault::LinkState(e) => e.fmt(f),
        }
    }
}

/// A malformed path attribute. `data` fields hold the whole attribute as received
/// (flags, type, length, value), which the NOTIFICATION carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeError {
    /// The attribute header or value runs past the end of the attribute field.
    Truncated,
    /// An MP_REACH_NLRI / MP_UNREACH_NLRI whose NLRI or next-hop is malformed.
    Nlri(NlriError),
    /// Optional/Transitive/Partial bits that contradict the attribute's RFC.
    Flags { code: u8, flags: u8, data: Vec<u8> },
    /// A value length the attribute cannot have.
    Length {
        code: u8,
        length: usize,
        data: Vec<u8>,
    },
    /// ORIGIN other than 0, 1, 2.
    InvalidOrigin { value: u8, data: Vec<u8> },
    /// A value of the right length whose content is malformed.
    Malformed {
        code: u8,
        fault: Fault,
        data: Vec<u8>,
    },
    /// MP_REACH_NLRI or MP_UNREACH_NLRI more than once (RFC 7606 §3g: session reset).
    DuplicateMp { code: u8 },
    /// The field ends after an attribute's flags and type, inside its length.
    LengthMissing { code: u8 },
}

/// The BGP-LS attribute (RFC 9552 §5.3); malformed, it is discarded (§8.2.2).
const CODE_BGP_LS: u8 = 29;

/// The RFC 7606 action for a malformed attribute of this type (§7, RFC 6793 §6 for the
/// AS4_ attributes, RFC 7311 for AIGP, RFC 8669 §6 for the Prefix-SID).
pub fn malformed_action(code: u8) -> ErrorAction {
    match code {
        super::CODE_MP_REACH_NLRI | super::CODE_MP_UNREACH_NLRI => ErrorAction::SessionReset,
        super::CODE_ATOMIC_AGGREGATE
        | super::CODE_AGGREGATOR
        | super::CODE_AS4_PATH
        | super::CODE_AS4_AGGREGATOR
        | super::CODE_AIGP
        | super::CODE_PREFIX_SID
        | CODE_BGP_LS => ErrorAction::AttributeDiscard,
        _ => ErrorAction::TreatAsWithdraw,
    }
}

/// ExaBGP's lower-case name of an attribute type (`as-path`, `pmsi-tunnel`,
/// `unknown-attribute-0x63`), used in its `due to` error texts.
pub fn exabgp_code_name(code: u8) -> String {
    let name = match code {
        1 => "origin",
        2 => "as-path",
        3 => "next-hop",
        4 => "med",
        5 => "local-preference",
        6 => "atomic-aggregate",
        7 => "aggregator",
        8 => "community",
        9 => "originator-id",
        10 => "cluster-list",
        14 => "mp-reach-nlri",
        15 => "mp-unreach-nlri",
        16 => "extended-community",
        17 => "as4-path",
        18 => "as4-aggregator",
        22 => "pmsi-tunnel",
        25 => "extended-community-ipv6",
        26 => "aigp",
        29 => "bgp-ls",
        32 => "large-community",
        40 => "bgp-prefix-sid",
        other => return format!("unknown-attribute-0x{other:02x}"),
    };
    name.to_string()
}

impl AttributeError {
    /// The attribute type the error is about (`None` for framing errors and MP errors
    /// reported by the NLRI decoder).
    pub fn code(&self) -> Option<u8> {
        match self {
            AttributeError::Truncated | AttributeError::Nlri(_) => None,
            AttributeError::InvalidOrigin { .. } => Some(super::CODE_ORIGIN),
            AttributeError::Flags { code, .. }
            | AttributeError::Length { code, .. }
            | AttributeError::Malformed { code, .. }
            | AttributeError::DuplicateMp { code }
            | AttributeError::LengthMissing { code } => Some(*code),
        }
    }

    /// The `"error"` text ExaBGP puts in the JSON for this error, given the action taken:
    /// `treat-as-withdraw` or `discard`, with ` due to <attribute>` in the two cases
    /// where ExaBGP names it (a zero-length value and a length cut off by the field end).
    pub fn exabgp_error_text(&self) -> String {
        let action = match self.action() {
            ErrorAction::AttributeDiscard => "discard",
            _ => "treat-as-withdraw",
        };
        match self {
            AttributeError::Length {
                code, length: 0, ..
            }
            | AttributeError::LengthMissing { code } => {
                format!("{action} due to {}", exabgp_code_name(*code))
            }
            _ => action.to_string(),
        }
    }

    pub fn notification(&self) -> Notification {
        match self {
            AttributeError::Truncated => Notification::new(3, 1, Vec::new()),
            AttributeError::Nlri(e) => e.notification(),
            // ExaBGP (after RFC 4760 §7) answers a bad MP flag with Optional Attribute Error.
            AttributeError::Flags { code, data, .. }
                if malformed_action(*code) == ErrorAction::SessionReset =>
            {
                Notification::new(3, 9, data.clone())
            }
            AttributeError::Flags { data, .. } => Notification::new(3, 4, data.clone()),
            AttributeError::Length { data, .. } => Notification::new(3, 5, data.clone()),
            AttributeError::InvalidOrigin { data, .. } => Notification::new(3, 6, data.clone()),
            AttributeError::Malformed { code, .. } if *code == CODE_AS_PATH => {
                Notification::new(3, 11, Vec::new())
            }
            AttributeError::Malformed { data, .. } => Notification::new(3, 9, data.clone()),
            AttributeError::DuplicateMp { .. } | AttributeError::LengthMissing { .. } => {
                Notification::new(3, 1, Vec::new())
            }
        }
    }

    pub fn action(&self) -> ErrorAction {
        match self {
            AttributeError::Truncated | AttributeError::LengthMissing { .. } => {
                ErrorAction::TreatAsWithdraw
            }
            AttributeError::Nlri(e) => e.action(),
            AttributeError::DuplicateMp { .. } => ErrorAction::SessionReset,
            AttributeError::InvalidOrigin { .. } => ErrorAction::TreatAsWithdraw,
            AttributeError::Flags { code, .. }
            | AttributeError::Length { code, .. }
            | AttributeError::Malformed { code, .. } => malformed_action(*code),
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
            AttributeError::Flags { code, flags, .. } => write!(
                f,
                "invalid flags 0x{flags:02X} for {} (type {code})",
                code_name(*code)
            ),
            AttributeError::Length { code, length, .. } => write!(
                f,
                "invalid length {length} for {} (type {code})",
                code_name(*code)
            ),
            AttributeError::InvalidOrigin { value, .. } => write!(f, "invalid ORIGIN {value}"),
            AttributeError::Malformed { code, fault, .. } => {
                write!(f, "malformed {} (type {code}): {fault}", code_name(*code))
            }
            AttributeError::DuplicateMp { code } => {
                write!(f, "{} received more than once", code_name(*code))
            }
            AttributeError::LengthMissing { code } => write!(
                f,
                "the attribute field ends inside the length of {} (type {code})",
                code_name(*code)
            ),
        }
    }
}

impl std::error::Error for AttributeError {}
