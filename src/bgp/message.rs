//! The BGP message header (RFC 4271 §4.1), framing of a receive buffer, the `Message`
//! enum over every type, and `MessageError` for the header and every non-UPDATE message.
//!
//! ```text
//! marker (16 x 0xFF) | length (2, whole message) | type (1) | body
//! ```

use std::fmt;
use std::net::Ipv4Addr;

use super::error::DecodeError;
use super::negotiated::Negotiated;
use super::negotiated::EXTENDED_MAX_MESSAGE;
use super::notification::Notification;
use super::open::Open;
use super::operational::Operational;
use super::refresh::RouteRefresh;
use super::update::Update;

/// The 16-byte all-ones marker.
pub const MARKER: [u8; 16] = [0xFF; 16];
/// Marker, length and type.
pub const HEADER_LEN: usize = 19;

/// Message type codes.
pub const OPEN: u8 = 1;
pub const UPDATE: u8 = 2;
pub const NOTIFICATION: u8 = 3;
pub const KEEPALIVE: u8 = 4;
pub const ROUTE_REFRESH: u8 = 5;
/// ExaBGP's draft operational message.
pub const OPERATIONAL: u8 = 6;

/// ExaBGP's long message name (raw packet events): `open`, `update`, ..., `unknown`.
pub fn kind_name(kind: u8) -> &'static str {
    match kind {
        OPEN => "open",
        UPDATE => "update",
        NOTIFICATION => "notification",
        KEEPALIVE => "keepalive",
        ROUTE_REFRESH => "route-refresh",
        OPERATIONAL => "operational",
        _ => "unknown",
    }
}

/// A message being appended to a buffer: the only code that writes a header. [`begin`]
/// writes the marker, a length placeholder and the type; the body is appended through
/// `Deref<Target = Vec<u8>>`; the real length is patched in when the writer goes out of
/// scope (as rustls' `LengthPrefixedBuffer` does). The placeholder is 65535, so a message
/// whose writing was cut short never reads as a shorter valid one. [`cancel`] takes the
/// message back out of the buffer.
///
/// ```text
/// begin:  .. | FF x 16 | FF FF | type |
/// drop:   .. | FF x 16 | len   | type | body ... |   len = 19 + body, saturating at 65535
/// ```
///
/// [`begin`]: MessageWriter::begin
/// [`cancel`]: MessageWriter::cancel
pub struct MessageWriter<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
}

impl<'a> MessageWriter<'a> {
    /// Appends the header of a message of type `kind` to `out`.
    pub fn begin(out: &'a mut Vec<u8>, kind: u8) -> MessageWriter<'a> {
        let start = out.len();
        out.extend_from_slice(&MARKER);
        out.extend_from_slice(&[0xFF, 0xFF, kind]);
        MessageWriter { out, start }
    }

    /// The message's length so far, header included.
    pub fn message_len(&self) -> usize {
        self.out.len().saturating_sub(self.start)
    }

    /// Removes the message (header included) from the buffer.
    pub fn cancel(self) {
        self.out.truncate(self.start);
    }
}

impl std::ops::Deref for MessageWriter<'_> {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        self.out
    }
}

impl std::ops::DerefMut for MessageWriter<'_> {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        self.out
    }
}

impl Drop for MessageWriter<'_> {
    fn drop(&mut self) {
        let length = u16::try_from(self.message_len()).unwrap_or(u16::MAX);
        // Absent after `cancel`.
        if let Some(slot) = self.out.get_mut(self.start + 16..self.start + 18) {
            slot.copy_from_slice(&length.to_be_bytes());
        }
    }
}

/// The size messages are packed to: the negotiated maximum (4096, or 65535 with RFC 8654's
/// extended messages), never above what the 2-byte length can say.
pub fn size_limit(ctx: &Negotiated) -> usize {
    ctx.max_message_size.min(EXTENDED_MAX_MESSAGE)
}

/// Appends a KEEPALIVE (a header alone).
pub fn write_keepalive(out: &mut Vec<u8>) {
    drop(MessageWriter::begin(out, KEEPALIVE));
}

/// The bytes of every KEEPALIVE, for reports that need them without writing one
/// (equal to what [`write_keepalive`] appends; tested).
pub const KEEPALIVE_MESSAGE: [u8; HEADER_LEN] = {
    let mut bytes = [0xFF; HEADER_LEN];
    bytes[16] = 0;
    bytes[17] = HEADER_LEN as u8;
    bytes[18] = KEEPALIVE;
    bytes
};

/// The smallest valid whole-message length of each type (KEEPALIVE is also the largest).
fn min_length(kind: u8) -> usize {
    match kind {
        OPEN => 29,
        UPDATE => 23,
        NOTIFICATION => 21,
        ROUTE_REFRESH => 23,
        _ => HEADER_LEN,
    }
}

/// A checked header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Whole message length, header included.
    pub length: u16,
    pub kind: u8,
}

impl Header {
    /// Checks the first 19 bytes of `bytes`: marker (1/1), length within
    /// 19..=`max_size` and the per-type rule (1/2). `Ok(None)` if fewer than 19 bytes.
    pub fn parse(bytes: &[u8], max_size: usize) -> Result<Option<Header>, MessageError> {
        let Some(header) = bytes.get(..HEADER_LEN) else {
            return Ok(None);
        };
        let (marker, rest) = header.split_at(MARKER.len());
        if marker != MARKER {
            return Err(MessageError::BadMarker);
        }
        let [l0, l1, kind] = rest else {
            return Ok(None);
        };
        let length = u16::from_be_bytes([*l0, *l1]);
        let kind = *kind;
        let size = usize::from(length);
        let fits = size >= min_length(kind) && size <= max_size;
        if !fits || (kind == KEEPALIVE && size != HEADER_LEN) {
            return Err(MessageError::BadLength { length, kind });
        }
        Ok(Some(Header { length, kind }))
    }
}

/// Framing for the reactor: `Ok(Some(len))` when `buf` starts with a complete message of
/// `len` bytes, `Ok(None)` when more bytes are needed, or the header error to notify.
pub fn frame(buf: &[u8], max_size: usize) -> Result<Option<usize>, MessageError> {
    let Some(header) = Header::parse(buf, max_size)? else {
        return Ok(None);
    };
    let length = usize::from(header.length);
    Ok((buf.len() >= length).then_some(length))
}

/// Any BGP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Open(Open),
    Update(Update),
    Notification(Notification),
    Keepalive,
    RouteRefresh(RouteRefresh),
    Operational(Operational),
}

impl Message {
    /// The type code.
    pub fn kind(&self) -> u8 {
        match self {
            Message::Open(_) => OPEN,
            Message::Update(_) => UPDATE,
            Message::Notification(_) => NOTIFICATION,
            Message::Keepalive => KEEPALIVE,
            Message::RouteRefresh(_) => ROUTE_REFRESH,
            Message::Operational(_) => OPERATIONAL,
        }
    }

    /// Decodes a body of type `kind` (the header already checked by [`frame`]).
    pub fn decode(kind: u8, body: &[u8], ctx: &Negotiated) -> Result<Message, DecodeError> {
        Ok(match kind {
            OPEN => Message::Open(Open::decode(body)?),
            UPDATE => Message::Update(Update::decode(body, ctx)?),
            NOTIFICATION => Message::Notification(Notification::decode(body)?),
            KEEPALIVE if body.is_empty() => Message::Keepalive,
            KEEPALIVE => {
                return Err(MessageError::BadLength {
                    length: u16::try_from(HEADER_LEN + body.len()).unwrap_or(u16::MAX),
                    kind,
                }
                .into())
            }
            ROUTE_REFRESH => Message::RouteRefresh(RouteRefresh::decode(body)?),
            OPERATIONAL => Message::Operational(Operational::decode(body)?),
            _ => return Err(MessageError::UnknownType(kind).into()),
        })
    }

    /// Decodes one whole message (header and body, nothing more), checking the header
    /// against `ctx.max_message_size`.
    pub fn decode_message(bytes: &[u8], ctx: &Negotiated) -> Result<Message, DecodeError> {
        let header = Header::parse(bytes, ctx.max_message_size)?;
        let header = match header {
            Some(header) if usize::from(header.length) == bytes.len() => header,
            Some(header) => {
                return Err(MessageError::BadLength {
                    length: header.length,
                    kind: header.kind,
                }
                .into())
            }
            None => return Err(MessageError::Truncated.into()),
        };
        let body = bytes.get(HEADER_LEN..).unwrap_or_default();
        Message::decode(header.kind, body, ctx)
    }

    /// Appends the whole message, header included. The length field saturates at 65535;
    /// callers keep messages within the negotiated size.
    pub fn encode(&self, out: &mut Vec<u8>, ctx: &Negotiated) {
        let mut message = MessageWriter::begin(out, self.kind());
        match self {
            Message::Open(open) => open.encode_body(&mut message),
            Message::Update(update) => update.encode_body(&mut message, ctx),
            Message::Notification(notification) => notification.encode_body(&mut message),
            Message::Keepalive => {}
            Message::RouteRefresh(refresh) => refresh.encode_body(&mut message),
            Message::Operational(operational) => operational.encode_body(&mut message),
        }
    }

    /// The whole message as a new buffer.
    pub fn to_bytes(&self, ctx: &Negotiated) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out, ctx);
        out
    }
}

/// Errors in the header and in every non-UPDATE message, and the OPEN checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageError {
    /// The 16-byte marker is not all ones (1/1).
    BadMarker,
    /// Length outside 19..=max or against the type's rule (1/2, data = the length field).
    BadLength { length: u16, kind: u8 },
    /// Fewer than 19 bytes given to a whole-message decoder (1/0).
    Truncated,
    /// A message type we do not know (1/3, data = the type).
    UnknownType(u8),
    /// OPEN version is not 4 (2/1, data = the version we support).
    BadVersion(u8),
    /// The peer's AS is not the configured one (2/2).
    BadPeerAs { received: u32, expected: u32 },
    /// BGP identifier 0, or ours on an iBGP session (2/3).
    BadBgpIdentifier(Ipv4Addr),
    /// An optional parameter other than capabilities (2/4).
    UnsupportedOptionalParameter(u8),
    /// The deprecated authentication parameter (2/5).
    AuthenticationParameter,
    /// Hold time 1 or 2 (2/6).
    UnacceptableHoldTime(u16),
    /// Both sides use multisession but disagree on the session ids (2/8).
    GroupingConflict,
    /// We require multisession and the peer did not announce it (2/9).
    GroupingRequired,
    /// RFC 9234 roles are inconsistent (2/11).
    RoleMismatch,
    /// OPEN parameter lengths do not add up (2/0).
    MalformedOpen { reason: &'static str },
    /// A capability value does not follow its layout (2/0).
    MalformedCapability { code: u8, reason: &'static str },
    /// A ROUTE-REFRESH of the wrong length (7/1, data = the whole message).
    RefreshLength { message: Vec<u8> },
    /// An OPERATIONAL message too short for its header (1/0).
    MalformedOperational { reason: &'static str },
}

impl MessageError {
    /// The NOTIFICATION to send for this error.
    pub fn notification(&self) -> Notification {
        use MessageError as E;
        match self {
            E::BadMarker => Notification::new(1, 1, Vec::new()),
            E::BadLength { length, .. } => Notification::new(1, 2, length.to_be_bytes().to_vec()),
            E::Truncated => Notification::with_text(1, 0, &self.to_string()),
            E::UnknownType(kind) => Notification::new(1, 3, vec![*kind]),
            E::BadVersion(_) => Notification::new(2, 1, vec![0, super::open::BGP_VERSION]),
            E::BadPeerAs { .. }
            | E::BadBgpIdentifier(_)
            | E::UnsupportedOptionalParameter(_)
            | E::UnacceptableHoldTime(_) => {
                let subcode = match self {
                    E::BadPeerAs { .. } => 2,
                    E::BadBgpIdentifier(_) => 3,
                    E::UnsupportedOptionalParameter(_) => 4,
                    _ => 6,
                };
                Notification::with_text(2, subcode, &self.to_string())
            }
            E::AuthenticationParameter => Notification::with_default_text(2, 5),
            E::GroupingConflict => Notification::with_text(2, 8, &self.to_string()),
            E::GroupingRequired => Notification::with_text(2, 9, &self.to_string()),
            E::RoleMismatch => Notification::new(2, 11, Vec::new()),
            E::MalformedOpen { .. } | E::MalformedCapability { .. } => {
                Notification::with_text(2, 0, &self.to_string())
            }
            E::RefreshLength { message } => Notification::new(7, 1, message.clone()),
            E::MalformedOperational { .. } => Notification::with_text(1, 0, &self.to_string()),
        }
    }
}

impl fmt::Display for MessageError {
    /// The texts follow ExaBGP's where it has one (they go in NOTIFICATION data).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::BadMarker => f.write_str("the message marker is not 16 bytes of 0xFF"),
            MessageError::BadLength { length, kind } => write!(
                f,
                "invalid length {length} for a message of type {kind} ({})",
                kind_name(*kind)
            ),
            MessageError::Truncated => f.write_str("message shorter than the 19-byte header"),
            MessageError::UnknownType(kind) => {
                write!(f, "can not decode message of type \"{kind}\"")
            }
            MessageError::BadVersion(version) => write!(f, "version number: {version}"),
            MessageError::BadPeerAs { received, expected } => write!(
                f,
                "ASN in OPEN ({received}) did not match ASN expected ({expected})"
            ),
            MessageError::BadBgpIdentifier(id) if id.is_unspecified() => {
                f.write_str("0.0.0.0 is an invalid router_id")
            }
            MessageError::BadBgpIdentifier(id) => write!(
                f,
                "BGP Identifier collision, same router-id ({id}) on both sides of this IBGP session"
            ),
            MessageError::UnsupportedOptionalParameter(kind) => {
                write!(f, "unknown OPEN parameter {kind:#x}")
            }
            MessageError::AuthenticationParameter => {
                f.write_str("OPEN carries the deprecated authentication parameter")
            }
            MessageError::UnacceptableHoldTime(hold) => {
                write!(f, "Hold Time is invalid ({hold})")
            }
            MessageError::GroupingConflict => {
                f.write_str("multisession, our peer did not reply with the same sessionid")
            }
            MessageError::GroupingRequired => {
                f.write_str("multisession is mandatory with this peer")
            }
            MessageError::RoleMismatch => f.write_str("BGP roles do not match (RFC 9234)"),
            MessageError::MalformedOpen { reason } => write!(f, "invalid OPEN: {reason}"),
            MessageError::MalformedCapability { code, reason } => {
                write!(f, "invalid capability {code}: {reason}")
            }
            MessageError::RefreshLength { message } => write!(
                f,
                "invalid ROUTE-REFRESH length {} (RFC 7313)",
                message.len()
            ),
            MessageError::MalformedOperational { reason } => {
                write!(f, "invalid operational message: {reason}")
            }
        }
    }
}

impl std::error::Error for MessageError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::negotiated::EXTENDED_MAX_MESSAGE;
    use crate::bgp::refresh::RefreshSubtype;
    use crate::bgp::wire::hex;
    use crate::bgp::Family;

    fn keepalive() -> Vec<u8> {
        Message::Keepalive.to_bytes(&Negotiated::default())
    }

    #[test]
    fn keepalive_is_19_bytes() {
        let bytes = keepalive();
        assert_eq!(bytes.len(), 19);
        assert_eq!(&bytes[16..], &[0, 19, 4]);
        assert_eq!(
            Message::decode_message(&bytes, &Negotiated::default()).unwrap(),
            Message::Keepalive
        );
        let mut written = Vec::new();
        write_keepalive(&mut written);
        assert_eq!(written, bytes);
        assert_eq!(KEEPALIVE_MESSAGE.as_slice(), bytes.as_slice());
    }

    #[test]
    fn message_writer_patches_the_length_when_done() {
        let mut out = vec![7];
        {
            let mut message = MessageWriter::begin(&mut out, UPDATE);
            // Until it is done the length reads as the largest possible.
            assert_eq!(message[17..19], [0xFF, 0xFF]);
            message.extend_from_slice(&[0, 0, 0, 0]);
            assert_eq!(message.message_len(), 23);
        }
        assert_eq!(out[0], 7);
        assert_eq!(&out[1..17], &MARKER);
        assert_eq!(&out[17..], &[0, 23, UPDATE, 0, 0, 0, 0]);
        assert_eq!(frame(&out[1..], 4096), Ok(Some(23)));
    }

    #[test]
    fn a_cancelled_message_leaves_the_buffer_as_it_was() {
        let mut out = vec![1, 2, 3];
        let mut message = MessageWriter::begin(&mut out, UPDATE);
        message.extend_from_slice(&[0; 40]);
        message.cancel();
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn keepalive_and_size_limit() {
        let mut out = Vec::new();
        write_keepalive(&mut out);
        assert_eq!(out, keepalive());
        let mut ctx = Negotiated::default();
        assert_eq!(size_limit(&ctx), 4096);
        ctx.max_message_size = 1 << 20;
        assert_eq!(size_limit(&ctx), EXTENDED_MAX_MESSAGE);
    }

    #[test]
    fn framing() {
        let max = 4096;
        let mut buf = keepalive();
        buf.extend_from_slice(&keepalive()[..5]);
        assert_eq!(frame(&buf, max), Ok(Some(19)));
        assert_eq!(frame(&buf[19..], max), Ok(None));
        assert_eq!(frame(&buf[..18], max), Ok(None));

        let mut bad = keepalive();
        bad[3] = 0;
        assert_eq!(frame(&bad, max), Err(MessageError::BadMarker));
        assert_eq!(MessageError::BadMarker.notification().subcode, 1);

        let mut long_keepalive = keepalive();
        long_keepalive[17] = 20;
        let err = frame(&long_keepalive, max).unwrap_err();
        assert_eq!(
            err,
            MessageError::BadLength {
                length: 20,
                kind: 4
            }
        );
        assert_eq!(err.notification(), Notification::new(1, 2, vec![0, 20]));

        let mut big = keepalive();
        big[16] = 0x20;
        big[17] = 0;
        big[18] = UPDATE;
        assert!(frame(&big, max).is_err());
        assert_eq!(frame(&big, EXTENDED_MAX_MESSAGE), Ok(None));

        let mut short_open = keepalive();
        short_open[17] = 28;
        short_open[18] = OPEN;
        assert!(frame(&short_open, max).is_err());
        let mut tiny = keepalive();
        tiny[17] = 18;
        tiny[18] = 9;
        assert!(frame(&tiny, max).is_err());
    }

    #[test]
    fn unknown_type_is_1_3() {
        let err = Message::decode(9, &[], &Negotiated::default()).unwrap_err();
        let n = err.notification();
        assert_eq!((n.code, n.subcode, n.data), (1, 3, vec![9]));
        assert_eq!(kind_name(9), "unknown");
        assert_eq!(kind_name(ROUTE_REFRESH), "route-refresh");
    }

    #[test]
    fn route_refresh_whole_message() {
        let ctx = Negotiated::default();
        let message =
            Message::RouteRefresh(RouteRefresh::new(Family::IPV6_UNICAST, RefreshSubtype::END));
        let bytes = message.to_bytes(&ctx);
        assert_eq!(bytes.len(), 23);
        assert_eq!(&bytes[16..], &[0, 23, 5, 0, 2, 2, 1]);
        assert_eq!(Message::decode_message(&bytes, &ctx).unwrap(), message);
        let mut wrong = bytes.clone();
        wrong.truncate(22);
        assert!(Message::decode_message(&wrong, &ctx).is_err());
    }

    #[test]
    fn error_notifications() {
        let cases = [
            (MessageError::BadVersion(3), 2, 1),
            (MessageError::UnacceptableHoldTime(2), 2, 6),
            (MessageError::BadBgpIdentifier(Ipv4Addr::UNSPECIFIED), 2, 3),
            (
                MessageError::MalformedCapability {
                    code: 65,
                    reason: "x",
                },
                2,
                0,
            ),
            (MessageError::UnsupportedOptionalParameter(9), 2, 4),
            (MessageError::AuthenticationParameter, 2, 5),
            (MessageError::GroupingConflict, 2, 8),
            (MessageError::GroupingRequired, 2, 9),
            (MessageError::RoleMismatch, 2, 11),
        ];
        for (error, code, subcode) in cases {
            let n = error.notification();
            assert_eq!((n.code, n.subcode), (code, subcode), "{error}");
            assert!(!error.to_string().is_empty());
        }
        assert_eq!(
            MessageError::UnacceptableHoldTime(2).notification().data,
            b"Hold Time is invalid (2)".to_vec()
        );
    }

    /// Every non-UPDATE `raw:` message of the conformance `.ci` files, and the decoding OPEN.
    fn conformance_messages() -> Vec<Vec<u8>> {
        let root = std::env::var("REXA_CONFORMANCE")
            .unwrap_or_else(|_| format!("{}/tests/data/exabgp", env!("CARGO_MANIFEST_DIR")));
        let root = std::path::PathBuf::from(root);
        let encoding = root.join("encoding");
        let entries = std::fs::read_dir(&encoding)
            .unwrap_or_else(|e| panic!("conformance data missing at {}: {e}", encoding.display()));
        let mut messages = Vec::new();
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("ci") {
                continue;
            }
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let Some((_, raw)) = line.split_once("raw:") else {
                    continue;
                };
                let bytes = hex(raw);
                if bytes.get(18) != Some(&UPDATE) {
                    messages.push(bytes);
                }
            }
        }
        let open = std::fs::read_to_string(root.join("decoding/bgp-open-sofware-version"))
            .expect("decoding/bgp-open-sofware-version missing");
        messages.push(hex(open.lines().nth(1).unwrap()));
        messages
    }

    #[test]
    fn conformance_round_trip() {
        let ctx = Negotiated::default();
        let messages = conformance_messages();
        assert!(messages.len() >= 5, "found {}", messages.len());
        for bytes in messages {
            assert_eq!(frame(&bytes, 4096), Ok(Some(bytes.len())));
            let message = Message::decode_message(&bytes, &ctx)
                .unwrap_or_else(|e| panic!("{e} decoding {bytes:02X?}"));
            assert_eq!(message.to_bytes(&ctx), bytes);
            for len in 0..bytes.len() {
                assert!(Message::decode_message(&bytes[..len], &ctx).is_err());
                let body = &bytes[HEADER_LEN.min(len)..len];
                if len > HEADER_LEN && bytes[18] == OPEN {
                    assert!(Message::decode(OPEN, body, &ctx).is_err());
                }
            }
        }
    }

    #[test]
    fn conformance_link_local_open() {
        let bytes = hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0035:01:04FFFD00B40A000002180206010400020001020641040000FFFD0202060002024D00");
        let Message::Open(open) = Message::decode_message(&bytes, &Negotiated::default()).unwrap()
        else {
            panic!("not an OPEN");
        };
        assert!(open.has_capability(crate::bgp::capability::code::LINK_LOCAL_NEXTHOP));
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics_and_reencodes_stably(
            kind in proptest::prop_oneof![proptest::prelude::Just(1u8), proptest::prelude::Just(3u8),
                proptest::prelude::Just(4u8), proptest::prelude::Just(5u8), proptest::prelude::Just(6u8),
                proptest::prelude::any::<u8>()],
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120),
        ) {
            let ctx = Negotiated::default();
            if kind == UPDATE {
                return Ok(());
            }
            if let Ok(message) = Message::decode(kind, &body, &ctx) {
                let bytes = message.to_bytes(&ctx);
                let again = Message::decode_message(&bytes, &ctx).unwrap();
                proptest::prop_assert_eq!(again.to_bytes(&ctx), bytes);
            }
            let mut framed = MARKER.to_vec();
            framed.extend_from_slice(&((HEADER_LEN + body.len()) as u16).to_be_bytes());
            framed.push(kind);
            framed.extend_from_slice(&body);
            let _ = frame(&framed, 4096);
            let _ = Message::decode_message(&framed, &ctx);
        }
    }
}
