//! BGP-LS (RFC 7752 / RFC 9552): node, link and prefix NLRI kept as received bytes, their
//! TLV walk, and the BGP-LS attribute (type 29) TLVs: checked, and in ExaBGP 5's JSON.
//!
//! ```text
//! NLRI:      type: 2 | length: 2 | protocol-id: 1 | identifier: 8 | descriptor TLVs...
//! TLV:       type: 2 | length: 2 | value
//! ```
//!
//! Node NLRI (1) carry local node descriptors (256); link NLRI (2) local (256) and remote
//! (257) node descriptors and link descriptors (258-263); prefix NLRI (3 IPv4, 4 IPv6)
//! local node descriptors and prefix descriptors (263-265).

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::family::{Afi, Family, Safi};

/// The family of BGP-LS routes (`bgp-ls bgp-ls`).
pub const BGP_LS_FAMILY: Family = Family::new(Afi::BGP_LS, Safi::BGP_LS);
use super::nlri::NlriError;
use super::wire::Reader;

/// One BGP-LS NLRI: its type, length and value as received.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkStateNlri {
    bytes: Vec<u8>,
}

/// Iterates the TLVs of `bytes`; stops (with `None`) at the first that runs past the end.
pub fn tlvs(bytes: &[u8]) -> impl Iterator<Item = Option<(u16, &[u8])>> + '_ {
    let mut r = Reader::new(bytes);
    std::iter::from_fn(move || {
        if r.is_empty() {
            return None;
        }
        let parsed = (|| {
            let code = r.u16()?;
            let len = r.u16()?;
            let value = r.take(usize::from(len))?;
            Some((code, value))
        })();
        if parsed.is_none() {
            r = Reader::new(&[]);
        }
        Some(parsed)
    })
}

/// The TLVs of `bytes`, or None when one runs past the end.
pub fn all_tlvs(bytes: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    tlvs(bytes).collect()
}

impl LinkStateNlri {
    /// Decodes every NLRI of an NLRI field; one running past the field is an error.
    pub fn decode_all(bytes: &[u8], family: Family) -> Result<Vec<LinkStateNlri>, NlriError> {
        let mut routes = Vec::new();
        let mut r = Reader::new(bytes);
        while !r.is_empty() {
            let start = r.rest();
            r.u16().ok_or(NlriError::Truncated { family })?;
            let len = r.u16().ok_or(NlriError::Truncated { family })?;
            r.take(usize::from(len))
                .ok_or(NlriError::Truncated { family })?;
            let used = start.len() - r.remaining();
            routes.push(LinkStateNlri {
                bytes: start.get(..used).unwrap_or_default().to_vec(),
            });
        }
        Ok(routes)
    }

    /// The NLRI type code (1 node, 2 link, 3 IPv4 prefix, 4 IPv6 prefix).
    pub fn code(&self) -> u16 {
        match self.bytes.as_slice() {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        }
    }

    /// The whole NLRI: type, length and value.
    pub fn raw(&self) -> &[u8] {
        &self.bytes
    }

    /// Appends the NLRI's wire bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }
}

/// `text` as a JSON string: quotes, backslashes and control characters escaped.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn push_hex(out: &mut String, bytes: &[u8]) {
    for byte in bytes {
        let _ = write!(out, "{byte:02X}");
    }
}

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
pub fn address(value: &[u8]) -> Option<IpAddr> {
    match value.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(value).ok()?))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(value).ok()?,
        ))),
        _ => None,
    }
}

/// A bandwidth in IEEE single precision, as Python prints the float (`1e+17` with its
/// sign). NaN and the infinities have no JSON form: the TLV is malformed.
fn float_text(value: &[u8]) -> Option<String> {
    let bits = <[u8; 4]>::try_from(value).ok()?;
    let value = f64::from(f32::from_be_bytes(bits));
    if !value.is_finite() {
        return None;
    }
    let text = format!("{value:?}");
    if text.contains('e') && !text.contains("e-") {
        return Some(text.replace('e', "e+"));
    }
    Some(text)
}

fn uint(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 8 {
        return None;
    }
    Some(value.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// `{"X": 0, ...}`: one key per named bit from the most significant, then RSV.
fn flags_text(byte: u8, names: &[&str]) -> String {
    let mut out = String::from("{");
    for (index, name) in names.iter().enumerate() {
        let bit = (byte >> (7 - index)) & 1;
        let _ = write!(out, "\"{name}\": {bit}, ");
    }
    out.push_str("\"RSV\": 0}");
    out
}

/// How an attribute TLV is shown: its own key (repeated when the TLV is), or an item of
/// a list under the first key of its kind (`spaced`: `[ a, b ]` rather than `[a, b]`).
enum Shown {
    Key(&'static str, String),
    Item(String, String, bool),
}

/// One key of the attribute object: a single value, or a list (`spaced` as in [`Shown`]).
enum Entry {
    Single(String),
    List(Vec<String>, bool),
}

/// SRv6 SID structure sub-TLV (1252) of an SRv6 End.X SID, if present.
fn sid_structure(sub_tlvs: &[u8]) -> Option<Option<String>> {
    for (code, v) in all_tlvs(sub_tlvs)? {
        if code == 1252 {
            let [block, node, function, argument] = <[u8; 4]>::try_from(v).ok()?;
            return Some(Some(format!(
                ", \"srv6-sid-structure\": {{\"loc_block_len\": {block}, \"loc_node_len\": {node}, \"func_len\": {function}, \"arg_len\": {argument}}}"
            )));
        }
    }
    Some(None)
}

/// SRv6 End.X SID (1106) and its IS-IS LAN form (1107, with a 6-byte neighbor id).
fn srv6_end_x(v: &[u8], lan: bool) -> Option<String> {
    let mut r = Reader::new(v);
    let behavior = r.u16()?;
    let flags = flags_text(r.u8()?, &["B", "S", "P"]);
    let algorithm = r.u8()?;
    let weight = r.u8()?;
    r.u8()?;
    let neighbor = if lan {
        let mut hex = String::new();
        push_hex(&mut hex, r.take(6)?);
        format!(", \"neighbor-id\": \"{hex}\"")
    } else {
        String::new()
    };
    let sid = Ipv6Addr::from(r.array::<16>()?);
    let structure = sid_structure(r.rest())?.unwrap_or_default();
    Some(format!(
        "{{\"flags\": {flags}{neighbor}, \"behavior\": {behavior}, \"algorithm\": {algorithm}, \"weight\": {weight}, \"sid\": \"{sid}\"{structure}}}"
    ))
}

/// IS-IS Adjacency SID (1099): flags, weight, reserved, then labels (V and L set) or
/// 4-byte indexes.
fn sr_adjacency(v: &[u8]) -> Option<String> {
    let mut r = Reader::new(v);
    let flags = r.u8()?;
    let weight = r.u8()?;
    r.u16()?;
    let label = flags & 0x30 == 0x30;
    let mut sids = Vec::new();
    let mut undecoded = Vec::new();
    while !r.is_empty() {
        let sid = if label { r.u24() } else { r.u32() };
        match sid {
            Some(sid) => sids.push(sid.to_string()),
            None => {
                let mut hex = String::from("\"");
                push_hex(&mut hex, r.take_rest());
                hex.push('"');
                undecoded.push(hex);
            }
        }
    }
    Some(format!(
        "{{\"flags\": {}, \"sids\": [{}], \"weight\": {weight}, \"undecoded-sids\": [{}]}}",
        flags_text(flags, &["F", "B", "V", "L", "S", "P"]),
        sids.join(", "),
        undecoded.join(", ")
    ))
}

/// One attribute TLV as ExaBGP 5 shows it; None for those it shows as generic.
fn attribute_tlv(code: u16, v: &[u8]) -> Option<Vec<Shown>> {
    let key = |name: &'static str, text: String| Some(vec![Shown::Key(name, text)]);
    match code {
        1026 => key("node-name", json_string(&String::from_utf8_lossy(v))),
        1027 => key("area-id", format!("\"{}\"", uint(v)?)),
        1028 | 1029 => Some(vec![Shown::Item(
            "local-te-router-ids".to_owned(),
            format!("\"{}\"", address(v)?),
            false,
        )]),
        1030 | 1031 => key("remote-te-router-id", format!("\"{}\"", address(v)?)),
        1034 => {
            let flags = flags_text(*v.first()?, &["I", "V"]);
            let mut ranges = Vec::new();
            let mut r = Reader::new(v.get(2..)?);
            while !r.is_empty() {
                let range = r.u24()?;
                let _sub_type = r.u16()?;
                let len = r.u16()?;
                let sid = uint(r.take(usize::from(len))?)?;
                ranges.push(format!("[{range}, {sid}]"));
            }
            Some(vec![
                Shown::Key("sr-capability-flags", flags),
                Shown::Key("sids", format!("[{}]", ranges.join(", "))),
            ])
        }
        1035 => {
            let algorithms: Vec<String> = v.iter().map(u8::to_string).collect();
            key("sr-algorithms", format!("[{}]", algorithms.join(", ")))
        }
        1088 => key("admin-group-mask", uint(v)?.to_string()),
        1089 => key("maximum-link-bandwidth", float_text(v)?),
        1090 => key("maximum-reservable-link-bandwidth", float_text(v)?),
        1091 => {
            let floats: Option<Vec<String>> = v.chunks(4).map(float_text).collect();
            key("unreserved-bandwidth", format!("[{}]", floats?.join(", ")))
        }
        1092 => key("te-metric", uint(v)?.to_string()),
        1095 => key("igp-metric", uint(v)?.to_string()),
        1099 => key("sr-adj", sr_adjacency(v)?),
        1106 => Some(vec![Shown::Item(
            "srv6-endx".to_owned(),
            srv6_end_x(v, false)?,
            true,
        )]),
        1107 => Some(vec![Shown::Item(
            "srv6-lan-endx-isis".to_owned(),
            srv6_end_x(v, true)?,
            true,
        )]),
        1155 => key("prefix-metric", uint(v)?.to_string()),
        1170 => key(
            "sr-prefix-attribute-flags",
            flags_text(*v.first()?, &["X", "R", "N"]),
        ),
        _ => None,
    }
}

/// Why a BGP-LS attribute value is malformed (RFC 9552 §8.2.2: the attribute is discarded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStateFault {
    /// A TLV runs past the end of the attribute.
    TlvTruncated,
    /// A TLV of a known type whose value does not fit it.
    TlvMalformed { code: u16, len: usize },
}

impl std::fmt::Display for LinkStateFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkStateFault::TlvTruncated => f.write_str("a BGP-LS TLV runs past the attribute"),
            LinkStateFault::TlvMalformed { code, len } => {
                write!(f, "BGP-LS TLV {code} of {len} bytes is malformed")
            }
        }
    }
}

/// Checks a BGP-LS attribute value: every TLV inside it, and every TLV of a type with a
/// rendering parses (ExaBGP discards the attribute otherwise).
pub fn check_attribute(value: &[u8]) -> Result<(), LinkStateFault> {
    for tlv in tlvs(value) {
        let (code, v) = tlv.ok_or(LinkStateFault::TlvTruncated)?;
        if is_known_attribute_tlv(code) && attribute_tlv(code, v).is_none() {
            return Err(LinkStateFault::TlvMalformed { code, len: v.len() });
        }
    }
    Ok(())
}

/// The attribute TLV types [`attribute_tlv`] renders.
fn is_known_attribute_tlv(code: u16) -> bool {
    matches!(
        code,
        1026..=1031 | 1034 | 1035 | 1088..=1092 | 1095 | 1099 | 1106 | 1107 | 1155 | 1170
    )
}

/// ExaBGP 5's JSON object for a BGP-LS attribute value (`{ "igp-metric": 1 }`), or None
/// when its TLVs do not parse. Keys follow the TLVs' order; TLVs without a rendering are
/// shown as `"generic-lsid-<code>": ["0x<HEX>"]`, repeated ones gathered in one list.
pub fn attribute_json(value: &[u8]) -> Option<String> {
    // Keys in first-seen order.
    let mut entries: Vec<(String, Entry)> = Vec::new();
    for (code, v) in all_tlvs(value)? {
        let shown = attribute_tlv(code, v).unwrap_or_else(|| {
            let mut hex = String::from("\"0x");
            push_hex(&mut hex, v);
            hex.push('"');
            vec![Shown::Item(format!("generic-lsid-{code}"), hex, false)]
        });
        for item in shown {
            match item {
                Shown::Key(key, text) => entries.push((key.to_owned(), Entry::Single(text))),
                Shown::Item(key, text, spaced) => {
                    let list = entries.iter_mut().find_map(|(k, e)| match e {
                        Entry::List(items, _) if *k == key => Some(items),
                        _ => None,
                    });
                    match list {
                        Some(items) => items.push(text),
                        None => entries.push((key, Entry::List(vec![text], spaced))),
                    }
                }
            }
        }
    }
    let mut out = String::from("{ ");
    for (index, (key, entry)) in entries.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "\"{key}\": ");
        match entry {
            Entry::Single(text) => out.push_str(text),
            Entry::List(items, true) => {
                let _ = write!(out, "[ {} ]", items.join(", "));
            }
            Entry::List(items, false) => {
                let _ = write!(out, "[{}]", items.join(", "));
            }
        }
    }
    out.push_str(" }");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn link_nlri_round_trip() {
        let bytes = hex("0002005103000000000000000001000020020000040000000102010004C0A87A7E0202000400000000020300040A0A0A0A01010020020000040000000102010004C0A87A7E0202000400000000020300040A020202");
        let routes = LinkStateNlri::decode_all(&bytes, BGP_LS_FAMILY).unwrap();
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].code(), 2);
        let mut out = Vec::new();
        routes[0].encode(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn truncated_nlri_is_an_error() {
        assert!(LinkStateNlri::decode_all(&[0, 1, 0, 5, 1], BGP_LS_FAMILY).is_err());
        assert!(LinkStateNlri::decode_all(&[0], BGP_LS_FAMILY).is_err());
    }

    #[test]
    fn node_name_is_a_json_string() {
        assert_eq!(
            attribute_json(&hex("04020004613C225C")).as_deref(),
            Some(r#"{ "node-name": "a<\"\\" }"#)
        );
        assert_eq!(
            attribute_json(&hex("0402000101")).as_deref(),
            Some(r#"{ "node-name": "\u0001" }"#)
        );
    }

    #[test]
    fn bandwidths_are_finite_json_numbers() {
        assert_eq!(
            attribute_json(&hex("044100044CEE6B28")).as_deref(),
            Some(r#"{ "maximum-link-bandwidth": 125000000.0 }"#)
        );
        assert_eq!(
            attribute_json(&hex("044100045C000000")).as_deref(),
            Some(r#"{ "maximum-link-bandwidth": 1.4411518807585587e+17 }"#)
        );
        // NaN: no JSON form, the attribute is discarded.
        assert!(check_attribute(&hex("044100047FC00000")).is_err());
    }

    #[test]
    fn malformed_attribute_tlvs() {
        assert_eq!(check_attribute(&hex("04470003000001")), Ok(()));
        assert_eq!(check_attribute(&hex("07D00001FF")), Ok(()));
        assert_eq!(
            check_attribute(&hex("04470000")),
            Err(LinkStateFault::TlvMalformed { code: 1095, len: 0 })
        );
        assert_eq!(
            check_attribute(&hex("044700")),
            Err(LinkStateFault::TlvTruncated)
        );
    }

    #[test]
    fn attribute_metrics_and_unknown() {
        assert_eq!(
            attribute_json(&hex("04470003000001")).as_deref(),
            Some(r#"{ "igp-metric": 1 }"#)
        );
        assert_eq!(
            attribute_json(&hex("010A0002010A")).as_deref(),
            Some(r#"{ "generic-lsid-266": ["0x010A"] }"#)
        );
        assert_eq!(attribute_json(&hex("0447")), None);
    }
}
