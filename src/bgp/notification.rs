//! NOTIFICATION messages (RFC 4271 §4.5): codes and subcodes with their names, RFC 4486
//! cease subcodes, and the RFC 8203/9003 shutdown communication.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Error code    | Error subcode |   Data (variable)             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::fmt;
use std::fmt::Write as _;

use super::message::{MessageError, HEADER_LEN, NOTIFICATION};

/// Error codes (RFC 4271 §4.5, RFC 7313, RFC 9687).
pub const MESSAGE_HEADER_ERROR: u8 = 1;
pub const OPEN_MESSAGE_ERROR: u8 = 2;
pub const UPDATE_MESSAGE_ERROR: u8 = 3;
pub const HOLD_TIMER_EXPIRED: u8 = 4;
pub const FSM_ERROR: u8 = 5;
pub const CEASE: u8 = 6;
pub const ROUTE_REFRESH_ERROR: u8 = 7;
pub const SEND_HOLD_TIMER_EXPIRED: u8 = 8;

/// Cease subcodes (RFC 4486, RFC 8538).
pub const CEASE_MAX_PREFIXES: u8 = 1;
pub const CEASE_ADMINISTRATIVE_SHUTDOWN: u8 = 2;
pub const CEASE_PEER_DECONFIGURED: u8 = 3;
pub const CEASE_ADMINISTRATIVE_RESET: u8 = 4;
pub const CEASE_CONNECTION_REJECTED: u8 = 5;
pub const CEASE_OTHER_CONFIGURATION_CHANGE: u8 = 6;
pub const CEASE_CONNECTION_COLLISION: u8 = 7;
pub const CEASE_OUT_OF_RESOURCES: u8 = 8;
pub const CEASE_HARD_RESET: u8 = 9;

/// RFC 9003: the shutdown communication may be up to 255 bytes of UTF-8.
pub const SHUTDOWN_COMMUNICATION_MAX: usize = 255;
/// RFC 8203's older limit, which ExaBGP still applies when it reports a received one.
pub const SHUTDOWN_COMMUNICATION_MAX_LEGACY: usize = 128;

/// A NOTIFICATION, received or to send; also what every decode error carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub code: u8,
    pub subcode: u8,
    /// The data field exactly as on the wire.
    pub data: Vec<u8>,
}

/// The shutdown communication of a Cease 6/2 or 6/4 (RFC 9003), decoded leniently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShutdownCommunication<'a> {
    /// The data field is empty (the pre-RFC 8203 form).
    Absent,
    /// The length byte is zero.
    Empty,
    /// A valid UTF-8 message, with whatever followed it.
    Text { text: &'a str, trailing: &'a [u8] },
    /// The length byte says more than the data holds.
    BufferUnderrun { length: u8, rest: &'a [u8] },
    /// The message is not UTF-8.
    InvalidUtf8 { length: u8, rest: &'a [u8] },
}

impl Notification {
    pub fn new(code: u8, subcode: u8, data: Vec<u8>) -> Self {
        Notification {
            code,
            subcode,
            data,
        }
    }

    /// Decodes a NOTIFICATION body (after the 19-byte header): code, subcode, data.
    pub fn decode(body: &[u8]) -> Result<Notification, MessageError> {
        match body {
            [code, subcode, data @ ..] => Ok(Notification::new(*code, *subcode, data.to_vec())),
            _ => Err(MessageError::BadLength {
                length: u16::try_from(HEADER_LEN + body.len()).unwrap_or(u16::MAX),
                kind: NOTIFICATION,
            }),
        }
    }

    /// Appends the NOTIFICATION body (without the header).
    pub fn encode_body(&self, out: &mut Vec<u8>) {
        out.push(self.code);
        out.push(self.subcode);
        out.extend_from_slice(&self.data);
    }

    /// ExaBGP's name of the error code ("Cease"), `None` for codes it does not name.
    pub fn code_name(&self) -> Option<&'static str> {
        code_name(self.code)
    }

    /// ExaBGP's name of the subcode ("Administrative Shutdown").
    pub fn subcode_name(&self) -> Option<&'static str> {
        subcode_name(self.code, self.subcode)
    }

    /// True for Cease 6/2 and 6/4, whose data is an RFC 9003 shutdown communication.
    pub fn carries_shutdown_communication(&self) -> bool {
        self.code == CEASE
            && (self.subcode == CEASE_ADMINISTRATIVE_SHUTDOWN
                || self.subcode == CEASE_ADMINISTRATIVE_RESET)
    }

    /// The RFC 9003 shutdown communication, for 6/2 and 6/4 only.
    pub fn shutdown_communication(&self) -> Option<ShutdownCommunication<'_>> {
        if !self.carries_shutdown_communication() {
            return None;
        }
        let Some((&length, rest)) = self.data.split_first() else {
            return Some(ShutdownCommunication::Absent);
        };
        if length == 0 {
            return Some(ShutdownCommunication::Empty);
        }
        let Some(text) = rest.get(..usize::from(length)) else {
            return Some(ShutdownCommunication::BufferUnderrun { length, rest });
        };
        let trailing = rest.get(usize::from(length)..).unwrap_or_default();
        Some(match std::str::from_utf8(text) {
            Ok(text) => ShutdownCommunication::Text { text, trailing },
            Err(_) => ShutdownCommunication::InvalidUtf8 { length, rest },
        })
    }

    /// The data ExaBGP reports for a *received* NOTIFICATION (api.md §7.4): Cease 6/2 and
    /// 6/4 with data are rewritten into a sentence about the shutdown communication; every
    /// other NOTIFICATION reports its data unchanged. ExaBGP also refuses texts over 128 bytes.
    pub fn exabgp_received_data(&self) -> Vec<u8> {
        let Some(communication) = self.shutdown_communication() else {
            return self.data.clone();
        };
        let rest = self.data.get(1..).unwrap_or_default();
        let length = self.data.first().copied().unwrap_or_default();
        let invalid = |reason: &str| {
            let mut text = format!("invalid Shutdown Communication ({reason}) length : {length} [");
            push_upper_hex(&mut text, rest);
            text.push(']');
            text.into_bytes()
        };
        match communication {
            ShutdownCommunication::Absent => Vec::new(),
            ShutdownCommunication::Empty => b"empty Shutdown Communication.".to_vec(),
            ShutdownCommunication::BufferUnderrun { .. } => invalid("buffer underrun"),
            _ if usize::from(length) > SHUTDOWN_COMMUNICATION_MAX_LEGACY => invalid("too large"),
            ShutdownCommunication::InvalidUtf8 { .. } => invalid("invalid UTF-8"),
            ShutdownCommunication::Text { text, trailing } => {
                let text = text.replace(['\r', '\n'], " ");
                let mut out = format!("Shutdown Communication: \"{text}\"");
                if !trailing.is_empty() {
                    out.push_str(", trailing data: ");
                    push_upper_hex(&mut out, trailing);
                }
                out.into_bytes()
            }
        }
    }

    /// What ExaBGP sends when it raises a NOTIFICATION without explicit data: the English
    /// subcode name as data (length-prefixed for 6/2 and 6/4, as a shutdown communication).
    pub fn with_default_text(code: u8, subcode: u8) -> Notification {
        let text = subcode_name(code, subcode).unwrap_or("unknown notification type");
        if code == CEASE
            && (subcode == CEASE_ADMINISTRATIVE_SHUTDOWN || subcode == CEASE_ADMINISTRATIVE_RESET)
        {
            return Notification::new(code, subcode, shutdown_data(text));
        }
        Notification::new(code, subcode, text.as_bytes().to_vec())
    }

    /// With a text data field (as ExaBGP sends for most errors it detects).
    pub fn with_text(code: u8, subcode: u8, text: &str) -> Notification {
        Notification::new(code, subcode, text.as_bytes().to_vec())
    }

    /// 4/0, sent when the hold timer expires (ExaBGP sends no data).
    pub fn hold_timer_expired() -> Notification {
        Notification::new(HOLD_TIMER_EXPIRED, 0, Vec::new())
    }

    /// 8/0, RFC 9687: the peer did not read our messages for the send hold time.
    pub fn send_hold_timer_expired() -> Notification {
        Notification::new(SEND_HOLD_TIMER_EXPIRED, 0, Vec::new())
    }

    /// Cease 6/2 with an RFC 9003 shutdown communication (truncated to 255 bytes).
    pub fn cease_shutdown(text: &str) -> Notification {
        Notification::new(CEASE, CEASE_ADMINISTRATIVE_SHUTDOWN, shutdown_data(text))
    }

    /// Cease 6/4 with an RFC 9003 shutdown communication (truncated to 255 bytes).
    pub fn cease_reset(text: &str) -> Notification {
        Notification::new(CEASE, CEASE_ADMINISTRATIVE_RESET, shutdown_data(text))
    }

    /// Cease with the given subcode as ExaBGP's `teardown <subcode>` sends it.
    pub fn teardown(subcode: u8) -> Notification {
        Notification::with_default_text(CEASE, subcode)
    }

    /// Cease 6/3 "Peer De-configured" (reload removed or changed the neighbor).
    pub fn cease_peer_deconfigured() -> Notification {
        Notification::with_default_text(CEASE, CEASE_PEER_DECONFIGURED)
    }

    /// Cease 6/5 "Connection Rejected".
    pub fn cease_connection_rejected() -> Notification {
        Notification::with_default_text(CEASE, CEASE_CONNECTION_REJECTED)
    }

    /// Cease 6/7 "Connection Collision Resolution".
    pub fn cease_connection_collision() -> Notification {
        Notification::with_default_text(CEASE, CEASE_CONNECTION_COLLISION)
    }

    /// 5/1: a message other than OPEN in OpenSent (RFC 6608).
    pub fn unexpected_in_open_sent() -> Notification {
        Notification::with_default_text(FSM_ERROR, 1)
    }

    /// 5/2: a message other than KEEPALIVE/NOTIFICATION in OpenConfirm (RFC 6608).
    pub fn unexpected_in_open_confirm() -> Notification {
        Notification::with_default_text(FSM_ERROR, 2)
    }

    /// 5/3: an OPEN in Established (RFC 6608).
    pub fn unexpected_in_established() -> Notification {
        Notification::with_default_text(FSM_ERROR, 3)
    }

    /// 2/6 sent by ExaBGP on a second KEEPALIVE when the hold time is zero.
    pub fn keepalive_with_zero_hold_time() -> Notification {
        Notification::with_text(
            OPEN_MESSAGE_ERROR,
            6,
            "Negotiated holdtime was zero, it was invalid to send us a keepalive messages",
        )
    }

    /// What ExaBGP (at the conformance commit) answers to a message of unknown type:
    /// 1/0 with a sentence; see `encoding/unknown-message.ci`. RFC 4271 wants 1/3
    /// ([`MessageError::UnknownType`]).
    pub fn exabgp_undecodable(kind: u8) -> Notification {
        Notification::with_text(
            MESSAGE_HEADER_ERROR,
            0,
            &format!("can not decode update message of type \"{kind}\""),
        )
    }
}

/// Length byte + text, truncated to 255 bytes on a character boundary.
fn shutdown_data(text: &str) -> Vec<u8> {
    let mut end = text.len().min(SHUTDOWN_COMMUNICATION_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = text.get(..end).unwrap_or_default();
    let mut data = Vec::with_capacity(text.len() + 1);
    data.push(u8::try_from(text.len()).unwrap_or(u8::MAX));
    data.extend_from_slice(text.as_bytes());
    data
}

/// Appends `0x` and the uppercase hex of `bytes`.
fn push_upper_hex(out: &mut String, bytes: &[u8]) {
    out.push_str("0x");
    for byte in bytes {
        let _ = write!(out, "{byte:02X}");
    }
}

/// ExaBGP's error-code names, plus codes 7 and 8 which it does not name.
pub fn code_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "Message header error",
        2 => "OPEN message error",
        3 => "UPDATE message error",
        4 => "Hold timer expired",
        5 => "State machine error",
        6 => "Cease",
        7 => "ROUTE-REFRESH message error",
        8 => "Send hold timer expired",
        _ => return None,
    })
}

/// ExaBGP's subcode names (RFC 4271, 5492, 6608, 4486, the multisession draft, 7313),
/// plus a few newer ones it does not name (2/11, 6/9, 6/10).
pub fn subcode_name(code: u8, subcode: u8) -> Option<&'static str> {
    Some(match (code, subcode) {
        (1, 0) | (2, 0) | (3, 0) | (4, 0) | (5, 0) | (6, 0) => "Unspecific",
        (1, 1) => "Connection Not Synchronized",
        (1, 2) => "Bad Message Length",
        (1, 3) => "Bad Message Type",
        (2, 1) => "Unsupported Version Number",
        (2, 2) => "Bad Peer AS",
        (2, 3) => "Bad BGP Identifier",
        (2, 4) => "Unsupported Optional Parameter",
        (2, 5) => "Authentication Notification (Deprecated)",
        (2, 6) => "Unacceptable Hold Time",
        (2, 7) => "Unsupported Capability",
        (2, 8) => "Grouping Conflict",
        (2, 9) => "Grouping Required",
        (2, 10) => "Capability Value Mismatch",
        (2, 11) => "Role Mismatch",
        (3, 1) => "Malformed Attribute List",
        (3, 2) => "Unrecognized Well-known Attribute",
        (3, 3) => "Missing Well-known Attribute",
        (3, 4) => "Attribute Flags Error",
        (3, 5) => "Attribute Length Error",
        (3, 6) => "Invalid ORIGIN Attribute",
        (3, 7) => "AS Routing Loop",
        (3, 8) => "Invalid NEXT_HOP Attribute",
        (3, 9) => "Optional Attribute Error",
        (3, 10) => "Invalid Network Field",
        (3, 11) => "Malformed AS_PATH",
        (5, 1) => "Receive Unexpected Message in OpenSent State",
        (5, 2) => "Receive Unexpected Message in OpenConfirm State",
        (5, 3) => "Receive Unexpected Message in Established State",
        (6, 1) => "Maximum Number of Prefixes Reached",
        (6, 2) => "Administrative Shutdown",
        (6, 3) => "Peer De-configured",
        (6, 4) => "Administrative Reset",
        (6, 5) => "Connection Rejected",
        (6, 6) => "Other Configuration Change",
        (6, 7) => "Connection Collision Resolution",
        (6, 8) => "Out of Resources",
        (6, 9) => "Hard Reset",
        (6, 10) => "BFD Down",
        (7, 1) => "Invalid Message Length",
        (7, 2) => "Malformed Message Subtype",
        _ => return None,
    })
}

impl fmt::Display for Notification {
    /// ExaBGP's log form: `Cease / Administrative Shutdown / <data>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code_name().unwrap_or("unknown error");
        let subcode = self.subcode_name().unwrap_or("unknow reason");
        write!(f, "{code} / {subcode}")?;
        if self.data.is_empty() {
            return Ok(());
        }
        match std::str::from_utf8(&self.data) {
            Ok(text) if text.is_ascii() => write!(f, " / {}", text.escape_debug()),
            _ => {
                let mut hex = String::new();
                push_upper_hex(&mut hex, &self.data);
                write!(f, " / {hex}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decode_and_encode() {
        let body = [6, 2, 3, b'b', b'y', b'e'];
        let n = Notification::decode(&body).unwrap();
        assert_eq!(n, Notification::cease_shutdown("bye"));
        let mut out = Vec::new();
        n.encode_body(&mut out);
        assert_eq!(out, body);
        assert!(Notification::decode(&[6]).is_err());
        assert!(Notification::decode(&[]).is_err());
    }

    #[test]
    fn shutdown_communication_forms() {
        let text = Notification::new(6, 2, b"\x03bye\x01".to_vec());
        assert_eq!(
            text.shutdown_communication(),
            Some(ShutdownCommunication::Text {
                text: "bye",
                trailing: &[1]
            })
        );
        assert_eq!(
            text.exabgp_received_data(),
            b"Shutdown Communication: \"bye\", trailing data: 0x01".to_vec()
        );
        let under = Notification::new(6, 4, vec![5, b'a']);
        assert_eq!(
            under.exabgp_received_data(),
            b"invalid Shutdown Communication (buffer underrun) length : 5 [0x61]".to_vec()
        );
        let bad = Notification::new(6, 2, vec![1, 0xFF]);
        assert!(matches!(
            bad.shutdown_communication(),
            Some(ShutdownCommunication::InvalidUtf8 { .. })
        ));
        assert_eq!(
            Notification::new(6, 2, vec![0]).exabgp_received_data(),
            b"empty Shutdown Communication.".to_vec()
        );
        assert_eq!(
            Notification::new(6, 2, vec![]).shutdown_communication(),
            Some(ShutdownCommunication::Absent)
        );
        let mut big = vec![200];
        big.extend(std::iter::repeat(b'x').take(200));
        assert!(
            String::from_utf8(Notification::new(6, 2, big).exabgp_received_data())
                .unwrap()
                .starts_with("invalid Shutdown Communication (too large) length : 200")
        );
        assert_eq!(
            Notification::new(3, 1, vec![1]).shutdown_communication(),
            None
        );
        // api.md §7.4: received "shutdownnow".
        let n = Notification::cease_shutdown("shutdownnow");
        assert_eq!(
            n.exabgp_received_data(),
            b"Shutdown Communication: \"shutdownnow\"".to_vec()
        );
    }

    #[test]
    fn shutdown_text_is_truncated_on_a_char_boundary() {
        let text = "é".repeat(200);
        let n = Notification::cease_shutdown(&text);
        assert_eq!(n.data[0], 254);
        assert_eq!(n.data.len(), 255);
        assert!(std::str::from_utf8(&n.data[1..]).is_ok());
    }

    #[test]
    fn exabgp_defaults() {
        assert_eq!(Notification::with_default_text(4, 0).data, b"Unspecific");
        let teardown = Notification::teardown(2);
        assert_eq!(teardown.data[0], 23);
        assert_eq!(&teardown.data[1..], b"Administrative Shutdown");
        // `teardown 4` as ExaBGP 5.0.15 sends it (issue 10): length byte, then the text.
        let mut out = Vec::new();
        Notification::teardown(4).encode_body(&mut out);
        assert_eq!(out, b"\x06\x04\x14Administrative Reset".to_vec());
        // Other subcodes: the name alone (ExaBGP prefixes only 2 and 4).
        assert_eq!(Notification::teardown(3).data, b"Peer De-configured");
        assert_eq!(
            Notification::teardown(99).data,
            b"unknown notification type"
        );
        assert_eq!(Notification::hold_timer_expired().data, b"");
        // encoding/unknown-message.ci
        let mut out = Vec::new();
        Notification::exabgp_undecodable(255).encode_body(&mut out);
        assert_eq!(
            out,
            b"\x01\x00can not decode update message of type \"255\"".to_vec()
        );
    }

    #[test]
    fn names_and_display() {
        let n = Notification::new(6, 2, Vec::new());
        assert_eq!(n.to_string(), "Cease / Administrative Shutdown");
        assert_eq!(
            Notification::new(99, 99, vec![0xAB]).to_string(),
            "unknown error / unknow reason / 0xAB"
        );
        assert_eq!(subcode_name(7, 1), Some("Invalid Message Length"));
        for code in 1..=6 {
            assert!(code_name(code).is_some());
            assert!(subcode_name(code, 0).is_some() || code == 7);
        }
    }

    proptest! {
        #[test]
        fn round_trip(code: u8, subcode: u8, data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let n = Notification::new(code, subcode, data);
            let mut out = Vec::new();
            n.encode_body(&mut out);
            prop_assert_eq!(Notification::decode(&out).unwrap(), n.clone());
            let _ = n.exabgp_received_data();
            let _ = n.to_string();
        }
    }
}
