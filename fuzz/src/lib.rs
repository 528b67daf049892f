//! Helpers shared by the fuzz targets: a negotiated context chosen by one input byte,
//! and the round-trip checks every decoder target applies to what it decoded.

use rexa::bgp::family::Afi;
use rexa::bgp::negotiated::{EXTENDED_MAX_MESSAGE, STANDARD_MAX_MESSAGE};
use rexa::bgp::{Family, Negotiated};

/// Families whose ADD-PATH bit a context byte can switch on, two per bit.
const ADDPATH_GROUPS: [[Family; 2]; 3] = [
    [Family::IPV4_UNICAST, Family::IPV4_MULTICAST],
    [Family::IPV6_UNICAST, Family::IPV6_MULTICAST],
    [Family::IPV4_NLRI_MPLS, Family::IPV6_NLRI_MPLS],
];

/// Families the VPN bit adds ADD-PATH for.
const ADDPATH_VPN: [Family; 2] = [Family::IPV4_MPLS_VPN, Family::IPV6_MPLS_VPN];

/// Every family the contexts know about (the `families` list when bit 7 is set): the
/// ones `rexa decode` enables by default.
const ALL_FAMILIES: &[Family] = rexa::cli::decode::DECODE_FAMILIES;

/// A negotiated context chosen by the bits of `selector`:
/// bit 0 4-octet AS, bit 1 extended message size, bits 2-4 ADD-PATH on IPv4 / IPv6 /
/// labeled unicast, bit 5 ADD-PATH on VPNv4/VPNv6, bit 6 RFC 8950 extended next-hop
/// for IPv4 unicast and VPNv4, bit 7 every family negotiated. ADD-PATH is the same in
/// both directions, so what is decoded re-encodes in the same form.
pub fn context(selector: u8) -> Negotiated {
    let bit = |n: u8| selector & (1 << n) != 0;
    let mut addpath = Vec::new();
    for (n, group) in (2u8..).zip(ADDPATH_GROUPS.iter()) {
        if bit(n) {
            addpath.extend_from_slice(group);
        }
    }
    if bit(5) {
        addpath.extend_from_slice(&ADDPATH_VPN);
    }
    let extended_nexthop = if bit(6) {
        vec![
            (Family::IPV4_UNICAST, Afi::IPV6),
            (Family::IPV4_MPLS_VPN, Afi::IPV6),
        ]
    } else {
        Vec::new()
    };
    Negotiated {
        asn4: bit(0),
        families: if bit(7) {
            ALL_FAMILIES.to_vec()
        } else {
            vec![Family::IPV4_UNICAST]
        },
        addpath_receive: addpath.clone(),
        addpath_send: addpath,
        extended_nexthop,
        max_message_size: if bit(1) {
            EXTENDED_MAX_MESSAGE
        } else {
            STANDARD_MAX_MESSAGE
        },
    }
}

/// Splits the first byte off as a context selector; `None` for empty input.
pub fn split_context(data: &[u8]) -> Option<(Negotiated, &[u8])> {
    let (&selector, rest) = data.split_first()?;
    Some((context(selector), rest))
}

use std::fmt::Write as _;

use rexa::bgp::capability::{code_name, iana_class};
use rexa::bgp::message::{kind_name, Header, HEADER_LEN, MARKER};
use rexa::bgp::operational::Operational;
use rexa::bgp::refresh::RouteRefresh;
use rexa::bgp::{Capability, DecodeError, Message, Negotiation, Notification, Open};

/// A sink for the text helpers: formatting must not panic, whatever was decoded.
fn sink() -> String {
    String::new()
}

/// Runs every text and query helper of a decode error (what the session sends back).
pub fn exercise_error(error: &DecodeError) {
    let notification = error.notification();
    let _ = error.action();
    let mut text = sink();
    let _ = write!(text, "{error} {error:?}");
    exercise_notification(&notification);
}

/// The helpers the API and logs call on a NOTIFICATION.
pub fn exercise_notification(notification: &Notification) {
    let _ = notification.code_name();
    let _ = notification.subcode_name();
    let _ = notification.shutdown_communication();
    let _ = notification.exabgp_received_data();
}

/// The helpers the API and logs call on a capability.
pub fn exercise_capability(capability: &Capability) {
    let mut text = sink();
    let _ = write!(text, "{capability}");
    let _ = capability.name();
    let _ = capability.variant();
    let _ = capability.known_to_exabgp5();
    let code = capability.code();
    let _ = code_name(code);
    let _ = iana_class(code);
}

/// What the FSM does with a received OPEN: validation and negotiation against itself
/// and against a plain local OPEN.
pub fn exercise_open(open: &Open) {
    let _ = open.validate();
    let _ = open.asn();
    let _ = open.asn4();
    let _ = open.families();
    for capability in open.capabilities() {
        exercise_capability(capability);
    }
    let local = Open::new(65000, 90, std::net::Ipv4Addr::new(192, 0, 2, 1), Vec::new());
    for (a, b) in [(open, open), (&local, open), (open, &local)] {
        let negotiation = Negotiation::new(a, b);
        let _ = negotiation.validate();
        let _ = Negotiated::from_opens(a, b);
    }
}

pub fn exercise_refresh(refresh: &RouteRefresh) {
    let mut text = sink();
    let _ = write!(text, "{}", refresh.family());
    let _ = refresh.subtype.name();
    let _ = refresh.subtype.is_known();
}

pub fn exercise_operational(operational: &Operational) {
    let _ = operational.name();
    let _ = operational.kind_code();
    if let Some(family) = operational.family() {
        let mut text = sink();
        let _ = write!(text, "{family} {}", family.slash_name());
    }
}

/// Every helper for whichever message was decoded.
pub fn exercise_message(message: &Message) {
    let _ = kind_name(message.kind());
    match message {
        Message::Open(open) => exercise_open(open),
        Message::Notification(notification) => exercise_notification(notification),
        Message::RouteRefresh(refresh) => exercise_refresh(refresh),
        Message::Operational(operational) => exercise_operational(operational),
        Message::Update(update) => exercise_attributes(&update.attributes),
        Message::Keepalive => {}
    }
}

/// Debug text cut to a readable size for assertion messages.
pub fn short_debug<T: std::fmt::Debug>(value: &T) -> String {
    let mut text = format!("{value:?}");
    if text.len() > 1200 {
        let mut end = 1200;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(" ...");
    }
    text
}

/// The round-trip property: `reencode` (encode, then decode) must give `value` back.
/// Values that `lossy` marks are representations that cannot keep every received byte
/// (documented in the decoder); for them one pass must reach a fixed point instead.
pub fn assert_round_trip<T, E, F>(what: &str, value: &T, lossy: bool, reencode: F)
where
    T: PartialEq + std::fmt::Debug,
    E: std::fmt::Display,
    F: Fn(&T) -> Result<T, E>,
{
    let again = match reencode(value) {
        Ok(again) => again,
        Err(e) => panic!(
            "re-encoded {what} does not decode ({e}): {}",
            short_debug(value)
        ),
    };
    if !lossy {
        assert!(
            again == *value,
            "re-encoded {what} differs:\n  was {}\n  now {}",
            short_debug(value),
            short_debug(&again)
        );
        return;
    }
    match reencode(&again) {
        Ok(third) => assert!(
            third == again,
            "{what} does not settle after one re-encoding:\n  was {}\n  now {}",
            short_debug(&again),
            short_debug(&third)
        ),
        Err(e) => panic!(
            "twice re-encoded {what} does not decode ({e}): {}",
            short_debug(&again)
        ),
    }
}

/// Capabilities kept as text: invalid UTF-8 is replaced (U+FFFD takes 3 bytes) and the
/// encoder cuts names to the 255-byte value, so the bytes cannot always come back.
pub fn lossy_capability(capability: &Capability) -> bool {
    matches!(
        capability,
        Capability::Hostname { .. } | Capability::SoftwareVersion(_)
    )
}

/// An OPERATIONAL of a known type whose length field disagrees with its data is kept as
/// `Unknown` without that field; re-encoding writes the true length, so it then decodes
/// as the known type.
pub fn lossy_operational(operational: &Operational) -> bool {
    matches!(operational, Operational::Unknown { kind: 1..=8, .. })
}

pub fn lossy_message(message: &Message) -> bool {
    match message {
        Message::Open(open) => open.capabilities().any(lossy_capability),
        Message::Operational(operational) => lossy_operational(operational),
        _ => false,
    }
}

/// Decodes one whole message; on success re-encodes it and requires the same value back.
pub fn check_whole_message(bytes: &[u8], ctx: &Negotiated) {
    match Message::decode_message(bytes, ctx) {
        Ok(message) => {
            exercise_message(&message);
            check_event_json(bytes, &message, ctx, bytes.len() as u8);
            check_event_text(bytes, &message, ctx, bytes.len() as u8);
            assert_round_trip("message", &message, lossy_message(&message), |m| {
                let again = m.to_bytes(ctx);
                let header = Header::parse(&again, usize::MAX)
                    .expect("a re-encoded message has a valid header")
                    .expect("a re-encoded message has a whole header");
                assert_eq!(usize::from(header.length), again.len());
                Message::decode(
                    header.kind,
                    again.get(HEADER_LEN..).unwrap_or_default(),
                    ctx,
                )
            });
        }
        Err(error) => exercise_error(&error),
    }
}

/// `body` prefixed with the marker, a length field covering it and `kind`.
pub fn with_header(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&MARKER);
    let length = u16::try_from(HEADER_LEN + body.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.push(kind);
    out.extend_from_slice(body);
    out
}

/// The JSON entry and names of every attribute (what the API writes for an UPDATE).
pub fn exercise_attributes(attributes: &[rexa::bgp::attribute::Attribute]) {
    for attribute in attributes {
        let _ = rexa::api::attribute::json_entry(attribute);
        let code = attribute.code();
        let _ = rexa::bgp::attribute::json_key(code);
        let _ = rexa::bgp::attribute::code_name(code);
    }
}

use rexa::api::json::{Direction, Envelope, EventHead, NeighborIdentity, RawMessage};
use rexa::api::message_json::{
    write_keepalive, write_negotiated_event, write_notification, write_open_event,
    write_operational, write_raw_message_event, write_refresh, write_update_event,
    UpdateJsonOptions,
};

/// An UPDATE decoded for a report (`rexa decode`), with `withdraw` as a live session shows
/// it: treat-as-withdraw applied to its routes.
fn decode_update_for_report(
    body: &[u8],
    ctx: &rexa::bgp::Negotiated,
    withdraw: bool,
) -> Result<
    (
        rexa::bgp::update::Update,
        Option<rexa::bgp::update::AttributeErrorNote>,
    ),
    rexa::bgp::DecodeError,
> {
    let mut decoded = rexa::bgp::update::Update::decode_rfc7606(body, ctx)?;
    if withdraw && decoded.treat_as_withdraw.is_some() {
        decoded.withdraw_routes();
    }
    Ok(decoded.into_parts())
}

/// Requires every line of `out` to be one valid JSON value. With `srv6_exempt`, a line
/// holding an SRv6 service list may be invalid: ExaBGP 5.0.15 writes an empty string for
/// each SRv6 service sub-TLV it does not know (`"l3-service": [ , ]`), and rexa writes
/// the same bytes on purpose.
pub fn assert_json_lines(out: &[u8], srv6_exempt: bool) {
    for line in out.split(|&b| b == b'\n').filter(|line| !line.is_empty()) {
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(line) {
            let text = String::from_utf8_lossy(line);
            let srv6 = text.contains("-service\": [");
            assert!(srv6_exempt && srv6, "invalid JSON ({e}): {text}");
        }
    }
}

/// True when an UPDATE carries an SRv6 service sub-TLV that ExaBGP's JSON leaves empty.
pub fn has_unknown_srv6_sub_tlv(attributes: &[rexa::bgp::attribute::Attribute]) -> bool {
    use rexa::bgp::attribute::{Attribute, PrefixSidTlv, Srv6SubTlv};
    attributes.iter().any(|attribute| match attribute {
        Attribute::PrefixSid(sid) => sid.tlvs.iter().any(|tlv| match tlv {
            PrefixSidTlv::Srv6Service { sub_tlvs, .. } => sub_tlvs
                .iter()
                .any(|sub| matches!(sub, Srv6SubTlv::Unknown { .. })),
            _ => false,
        }),
        _ => false,
    })
}

/// Writes the API event the daemon sends for a received `message` (whole message bytes in
/// `bytes`), raw packet event included, and requires valid JSON. `variant` picks the
/// direction and the UPDATE options.
pub fn check_event_json(bytes: &[u8], message: &Message, ctx: &Negotiated, variant: u8) {
    let envelope = Envelope {
        version: rexa::api::json::FORMAT_VERSION_5,
        time: 1.5,
        host: "fuzz",
        pid: 2,
        ppid: 1,
    };
    let loopback = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    let neighbor = NeighborIdentity {
        local_address: loopback,
        peer_address: loopback,
        local_asn: 65000,
        peer_asn: 65001,
        router_id: Some(std::net::Ipv4Addr::new(10, 0, 0, 1)),
    };
    let (header, body) = bytes.split_at(HEADER_LEN.min(bytes.len()));
    let head = EventHead {
        envelope: &envelope,
        counter: 7,
        kind: kind_name(message.kind()),
        raw: (variant & 1 != 0).then_some(RawMessage { header, body }),
        neighbor: &neighbor,
    };
    let direction = match variant & 6 {
        0 => Direction::Receive,
        2 => Direction::Send,
        _ => Direction::In,
    };
    let mut out = Vec::new();
    let mut srv6_exempt = false;
    match message {
        Message::Open(open) => {
            write_open_event(&mut out, &head, direction, open);
            out.push(b'\n');
            let local = Open::new(65000, 90, std::net::Ipv4Addr::new(192, 0, 2, 1), Vec::new());
            write_negotiated_event(&mut out, &head, &Negotiation::new(&local, open));
        }
        Message::Update(_) => {
            let options = UpdateJsonOptions {
                aigp: variant & 8 != 0,
                compact: variant & 16 != 0,
            };
            match decode_update_for_report(body, ctx, variant & 32 != 0) {
                Ok((update, note)) => {
                    srv6_exempt = has_unknown_srv6_sub_tlv(&update.attributes);
                    write_update_event(&mut out, &head, direction, &update, note, options)
                }
                Err(e) => panic!("an UPDATE that decodes does not decode for the report: {e}"),
            }
        }
        Message::Notification(notification) => {
            write_notification(&mut out, &head, direction, notification)
        }
        Message::Keepalive => write_keepalive(&mut out, &head, direction),
        Message::RouteRefresh(refresh) => write_refresh(&mut out, &head, direction, refresh),
        Message::Operational(operational) => {
            write_operational(&mut out, &head, direction, operational)
        }
    }
    out.push(b'\n');
    write_raw_message_event(&mut out, &head, direction, header, body, None);
    assert_json_lines(&out, srv6_exempt);
}

/// Writes the text events (`encoder text`) the daemon sends for a received `message`, raw
/// packet event included, and requires every line to be one whole event line: peer
/// supplied text must not start a line of its own.
pub fn check_event_text(bytes: &[u8], message: &Message, ctx: &Negotiated, variant: u8) {
    use rexa::api::text;
    let envelope = Envelope {
        version: rexa::api::json::FORMAT_VERSION_5,
        time: 1.5,
        host: "fuzz",
        pid: 2,
        ppid: 1,
    };
    let loopback = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    let neighbor = NeighborIdentity {
        local_address: loopback,
        peer_address: loopback,
        local_asn: 65000,
        peer_asn: 65001,
        router_id: None,
    };
    let (header, body) = bytes.split_at(HEADER_LEN.min(bytes.len()));
    let head = EventHead {
        envelope: &envelope,
        counter: 0,
        kind: kind_name(message.kind()),
        raw: (variant & 1 != 0).then_some(RawMessage { header, body }),
        neighbor: &neighbor,
    };
    let direction = match variant & 6 {
        0 => Direction::Receive,
        2 => Direction::Send,
        _ => Direction::In,
    };
    let mut out = Vec::new();
    match message {
        Message::Open(open) => text::write_open_event(&mut out, &head, direction, open),
        Message::Update(_) => {
            let options = text::UpdateTextOptions {
                aigp: variant & 8 != 0,
            };
            match decode_update_for_report(body, ctx, variant & 32 != 0) {
                Ok((update, note)) => {
                    text::write_update_event(&mut out, &head, direction, &update, note, options)
                }
                Err(e) => panic!("an UPDATE that decodes does not decode for the report: {e}"),
            }
        }
        Message::Notification(notification) => {
            text::write_notification(&mut out, &head, direction, notification)
        }
        Message::Keepalive => text::write_keepalive(&mut out, &head, direction),
        Message::RouteRefresh(refresh) => text::write_refresh(&mut out, &head, direction, refresh),
        Message::Operational(operational) => {
            text::write_operational(&mut out, &head, direction, operational)
        }
    }
    text::write_raw_message_event(&mut out, &head, direction, header, body);
    let text = std::str::from_utf8(&out).expect("text events are UTF-8");
    for line in text.split('\n').filter(|line| !line.is_empty()) {
        assert!(
            line.starts_with("neighbor 127.0.0.1 ") || line.starts_with(" header 0x"),
            "a line that is not an event line: {line:?}"
        );
    }
}
