//! BGP Prefix-SID (RFC 8669, RFC 9252): label index, originator SRGB and SRv6 L3/L2
//! service TLVs with SID information sub-TLVs and SID structure sub-sub-TLVs.

use std::fmt;
use std::fmt::Write as _;
use std::net::Ipv6Addr;

use crate::bgp::wire::Reader;

pub const TLV_LABEL_INDEX: u8 = 1;
pub const TLV_ORIGINATOR_SRGB: u8 = 3;
pub const TLV_SRV6_L3_SERVICE: u8 = 5;
pub const TLV_SRV6_L2_SERVICE: u8 = 6;
pub const SUB_TLV_SID_INFORMATION: u8 = 1;
pub const SUB_SUB_TLV_SID_STRUCTURE: u8 = 1;

/// The BGP Prefix-SID attribute: its TLVs in received order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PrefixSid {
    pub tlvs: Vec<PrefixSidTlv>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PrefixSidTlv {
    LabelIndex {
        reserved: u8,
        flags: u16,
        index: u32,
    },
    /// SRGB ranges as (base, range), each 24 bits.
    OriginatorSrgb {
        flags: u16,
        ranges: Vec<(u32, u32)>,
    },
    /// SRv6 L3 (type 5) or L2 (type 6) service TLV.
    Srv6Service {
        kind: u8,
        reserved: u8,
        sub_tlvs: Vec<Srv6SubTlv>,
    },
    Unknown {
        kind: u8,
        value: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Srv6SubTlv {
    SidInformation(SidInformation),
    Unknown { kind: u8, value: Vec<u8> },
}

/// SRv6 SID Information sub-TLV (RFC 9252 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SidInformation {
    pub reserved1: u8,
    pub sid: Ipv6Addr,
    pub flags: u8,
    pub endpoint_behavior: u16,
    pub reserved2: u8,
    pub sub_sub_tlvs: Vec<Srv6SubSubTlv>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Srv6SubSubTlv {
    Structure(SidStructure),
    Unknown { kind: u8, value: Vec<u8> },
}

/// SRv6 SID Structure sub-sub-TLV (RFC 9252 §3.2.1), lengths in bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SidStructure {
    pub locator_block_length: u8,
    pub locator_node_length: u8,
    pub function_length: u8,
    pub argument_length: u8,
    pub transposition_length: u8,
    pub transposition_offset: u8,
}

/// Why a Prefix-SID is malformed (RFC 8669 §6: attribute discard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixSidFault {
    Empty,
    /// A TLV (or sub-TLV) header or value runs past its container.
    Truncated,
    LabelIndexLength(u16),
    SrgbLength(u16),
    SidInformationLength(u16),
    SidStructureLength(u16),
}

impl fmt::Display for PrefixSidFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrefixSidFault::Empty => f.write_str("it carries no TLV"),
            PrefixSidFault::Truncated => f.write_str("a TLV runs past its container"),
            PrefixSidFault::LabelIndexLength(n) => {
                write!(f, "label-index TLV of length {n}, expected 7")
            }
            PrefixSidFault::SrgbLength(n) => {
                write!(f, "originator SRGB TLV of length {n}, expected 2 + 6n")
            }
            PrefixSidFault::SidInformationLength(n) => {
                write!(
                    f,
                    "SRv6 SID information sub-TLV of length {n}, expected at least 21"
                )
            }
            PrefixSidFault::SidStructureLength(n) => {
                write!(f, "SRv6 SID structure of length {n}, expected 6")
            }
        }
    }
}

/// Reads type(1) length(2) value TLVs until the reader is empty.
fn read_tlvs<'a>(
    bytes: &'a [u8],
    mut each: impl FnMut(u8, u16, &'a [u8]) -> Result<(), PrefixSidFault>,
) -> Result<(), PrefixSidFault> {
    let mut reader = Reader::new(bytes);
    while !reader.is_empty() {
        let (kind, length) = match (reader.u8(), reader.u16()) {
            (Some(k), Some(l)) => (k, l),
            _ => return Err(PrefixSidFault::Truncated),
        };
        let value = reader
            .take(usize::from(length))
            .ok_or(PrefixSidFault::Truncated)?;
        each(kind, length, value)?;
    }
    Ok(())
}

fn put_tlv(out: &mut Vec<u8>, kind: u8, body: impl FnOnce(&mut Vec<u8>)) {
    out.push(kind);
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    body(out);
    let len = u16::try_from(out.len() - at - 2).unwrap_or(u16::MAX);
    if let Some(slot) = out.get_mut(at..at + 2) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
}

impl PrefixSid {
    /// A label-index TLV, and an originator SRGB TLV when `srgbs` is not empty.
    pub fn label_index(index: u32, srgbs: &[(u32, u32)]) -> Self {
        let mut tlvs = vec![PrefixSidTlv::LabelIndex {
            reserved: 0,
            flags: 0,
            index,
        }];
        if !srgbs.is_empty() {
            tlvs.push(PrefixSidTlv::OriginatorSrgb {
                flags: 0,
                ranges: srgbs.to_vec(),
            });
        }
        PrefixSid { tlvs }
    }

    /// One SRv6 service TLV (`l2` picks type 6) holding one SID information sub-TLV.
    pub fn srv6_service(
        l2: bool,
        sid: Ipv6Addr,
        endpoint_behavior: u16,
        structure: Option<SidStructure>,
    ) -> Self {
        let sub_sub_tlvs = structure
            .into_iter()
            .map(Srv6SubSubTlv::Structure)
            .collect();
        PrefixSid {
            tlvs: vec![PrefixSidTlv::Srv6Service {
                kind: if l2 {
                    TLV_SRV6_L2_SERVICE
                } else {
                    TLV_SRV6_L3_SERVICE
                },
                reserved: 0,
                sub_tlvs: vec![Srv6SubTlv::SidInformation(SidInformation {
                    reserved1: 0,
                    sid,
                    flags: 0,
                    endpoint_behavior,
                    reserved2: 0,
                    sub_sub_tlvs,
                })],
            }],
        }
    }

    /// Decodes the TLVs; a repeated label-index or SRGB TLV is dropped (RFC 8669 §6).
    pub fn decode(value: &[u8]) -> Result<PrefixSid, PrefixSidFault> {
        if value.is_empty() {
            return Err(PrefixSidFault::Empty);
        }
        let mut tlvs = Vec::new();
        let (mut seen_index, mut seen_srgb) = (false, false);
        read_tlvs(value, |kind, length, body| {
            let tlv = match kind {
                TLV_LABEL_INDEX => {
                    let mut r = Reader::new(body);
                    match (r.u8(), r.u16(), r.u32(), r.is_empty()) {
                        (Some(reserved), Some(flags), Some(index), true) => {
                            PrefixSidTlv::LabelIndex {
                                reserved,
                                flags,
                                index,
                            }
                        }
                        _ => return Err(PrefixSidFault::LabelIndexLength(length)),
                    }
                }
                TLV_ORIGINATOR_SRGB => {
                    if body.len() < 2 || (body.len() - 2) % 6 != 0 {
                        return Err(PrefixSidFault::SrgbLength(length));
                    }
                    let mut r = Reader::new(body);
                    let flags = r.u16().unwrap_or(0);
                    let mut ranges = Vec::new();
                    while let (Some(base), Some(range)) = (r.u24(), r.u24()) {
                        ranges.push((base, range));
                    }
                    PrefixSidTlv::OriginatorSrgb { flags, ranges }
                }
                TLV_SRV6_L3_SERVICE | TLV_SRV6_L2_SERVICE => {
                    let (reserved, rest) = body.split_first().ok_or(PrefixSidFault::Truncated)?;
                    PrefixSidTlv::Srv6Service {
                        kind,
                        reserved: *reserved,
                        sub_tlvs: decode_sub_tlvs(rest)?,
                    }
                }
                _ => PrefixSidTlv::Unknown {
                    kind,
                    value: body.to_vec(),
                },
            };
            let repeat = match kind {
                TLV_LABEL_INDEX => std::mem::replace(&mut seen_index, true),
                TLV_ORIGINATOR_SRGB => std::mem::replace(&mut seen_srgb, true),
                _ => false,
            };
            if !repeat {
                tlvs.push(tlv);
            }
            Ok(())
        })?;
        Ok(PrefixSid { tlvs })
    }

    pub fn encode_value(&self, out: &mut Vec<u8>) {
        for tlv in &self.tlvs {
            match tlv {
                PrefixSidTlv::LabelIndex {
                    reserved,
                    flags,
                    index,
                } => put_tlv(out, TLV_LABEL_INDEX, |o| {
                    o.push(*reserved);
                    o.extend_from_slice(&flags.to_be_bytes());
                    o.extend_from_slice(&index.to_be_bytes());
                }),
                PrefixSidTlv::OriginatorSrgb { flags, ranges } => {
                    put_tlv(out, TLV_ORIGINATOR_SRGB, |o| {
                        o.extend_from_slice(&flags.to_be_bytes());
                        for (base, range) in ranges {
                            o.extend_from_slice(&base.to_be_bytes()[1..]);
                            o.extend_from_slice(&range.to_be_bytes()[1..]);
                        }
                    })
                }
                PrefixSidTlv::Srv6Service {
                    kind,
                    reserved,
                    sub_tlvs,
                } => put_tlv(out, *kind, |o| {
                    o.push(*reserved);
                    for sub in sub_tlvs {
                        encode_sub_tlv(o, sub);
                    }
                }),
                PrefixSidTlv::Unknown { kind, value } => {
                    put_tlv(out, *kind, |o| o.extend_from_slice(value))
                }
            }
        }
    }

    /// The label index, when there is a label-index TLV.
    pub fn label_index_value(&self) -> Option<u32> {
        self.tlvs.iter().find_map(|t| match t {
            PrefixSidTlv::LabelIndex { index, .. } => Some(*index),
            _ => None,
        })
    }
}

impl fmt::Display for PrefixSid {
    /// ExaBGP's text: `[ 777 ]`, `[ 300, [ ( 800000,4096 ), ( 1000000,5000 ) ] ]`, or for
    /// SRv6 `[ l3-service [ sid-information [ sid:2001:1:: flags:0 endpoint_behavior:0x0  ] ]`
    /// (ExaBGP leaves the SID information bracket open; copied as printed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(index) = self.label_index_value() {
            let srgb = self.tlvs.iter().find_map(|t| match t {
                PrefixSidTlv::OriginatorSrgb { ranges, .. } => Some(ranges),
                _ => None,
            });
            return match srgb {
                Some(ranges) => {
                    let items: Vec<String> =
                        ranges.iter().map(|(b, r)| format!("( {b},{r} )")).collect();
                    write!(f, "[ {index}, [ {} ] ]", items.join(", "))
                }
                None => write!(f, "[ {index} ]"),
            };
        }
        let parts: Vec<String> = self.tlvs.iter().map(tlv_text).collect();
        write!(f, "[ {} ]", parts.join(", "))
    }
}

fn tlv_text(tlv: &PrefixSidTlv) -> String {
    match tlv {
        PrefixSidTlv::Srv6Service { kind, sub_tlvs, .. } => {
            let name = if *kind == TLV_SRV6_L2_SERVICE {
                "l2-service"
            } else {
                "l3-service"
            };
            let subs: Vec<String> = sub_tlvs.iter().map(sub_tlv_text).collect();
            format!("{name} [ {} ]", subs.join(", "))
        }
        PrefixSidTlv::OriginatorSrgb { ranges, .. } => {
            let items: Vec<String> = ranges.iter().map(|(b, r)| format!("( {b},{r} )")).collect();
            format!("[ {} ]", items.join(", "))
        }
        PrefixSidTlv::LabelIndex { index, .. } => index.to_string(),
        PrefixSidTlv::Unknown { kind, .. } => {
            format!("Attribute with code [ {kind} ] not implemented")
        }
    }
}

fn sub_tlv_text(sub: &Srv6SubTlv) -> String {
    match sub {
        Srv6SubTlv::SidInformation(info) => {
            let mut s = format!(
                "sid-information [ sid:{} flags:0 endpoint_behavior:0x{:x} ",
                info.sid, info.endpoint_behavior
            );
            if !info.sub_sub_tlvs.is_empty() {
                let parts: Vec<String> = info
                    .sub_sub_tlvs
                    .iter()
                    .map(|t| match t {
                        Srv6SubSubTlv::Structure(st) => format!(
                            "sid-structure [{},{},{},{},{},{}]",
                            st.locator_block_length,
                            st.locator_node_length,
                            st.function_length,
                            st.argument_length,
                            st.transposition_length,
                            st.transposition_offset
                        ),
                        Srv6SubSubTlv::Unknown { kind, .. } => {
                            format!("SRv6 Service Data Sub-Sub-TLV type {kind} not implemented")
                        }
                    })
                    .collect();
                let _ = write!(s, " [ {} ]", parts.join(", "));
            }
            s
        }
        Srv6SubTlv::Unknown { kind, .. } => {
            format!("SRv6 Service Sub-TLV type {kind} not implemented")
        }
    }
}

fn decode_sub_tlvs(bytes: &[u8]) -> Result<Vec<Srv6SubTlv>, PrefixSidFault> {
    let mut subs = Vec::new();
    read_tlvs(bytes, |kind, length, body| {
        if kind != SUB_TLV_SID_INFORMATION {
            subs.push(Srv6SubTlv::Unknown {
                kind,
                value: body.to_vec(),
            });
            return Ok(());
        }
        let mut r = Reader::new(body);
        let fields = (r.u8(), r.array::<16>(), r.u8(), r.u16(), r.u8());
        let (Some(reserved1), Some(sid), Some(flags), Some(behavior), Some(reserved2)) = fields
        else {
            return Err(PrefixSidFault::SidInformationLength(length));
        };
        let mut sub_sub_tlvs = Vec::new();
        read_tlvs(r.rest(), |kind, length, body| {
            if kind == SUB_SUB_TLV_SID_STRUCTURE {
                let b: [u8; 6] = body
                    .try_into()
                    .map_err(|_| PrefixSidFault::SidStructureLength(length))?;
                sub_sub_tlvs.push(Srv6SubSubTlv::Structure(SidStructure {
                    locator_block_length: b[0],
                    locator_node_length: b[1],
                    function_length: b[2],
                    argument_length: b[3],
                    transposition_length: b[4],
                    transposition_offset: b[5],
                }));
            } else {
                sub_sub_tlvs.push(Srv6SubSubTlv::Unknown {
                    kind,
                    value: body.to_vec(),
                });
            }
            Ok(())
        })?;
        subs.push(Srv6SubTlv::SidInformation(SidInformation {
            reserved1,
            sid: Ipv6Addr::from(sid),
            flags,
            endpoint_behavior: behavior,
            reserved2,
            sub_sub_tlvs,
        }));
        Ok(())
    })?;
    Ok(subs)
}

fn encode_sub_tlv(out: &mut Vec<u8>, sub: &Srv6SubTlv) {
    match sub {
        Srv6SubTlv::SidInformation(info) => put_tlv(out, SUB_TLV_SID_INFORMATION, |o| {
            o.push(info.reserved1);
            o.extend_from_slice(&info.sid.octets());
            o.push(info.flags);
            o.extend_from_slice(&info.endpoint_behavior.to_be_bytes());
            o.push(info.reserved2);
            for subsub in &info.sub_sub_tlvs {
                match subsub {
                    Srv6SubSubTlv::Structure(s) => put_tlv(o, SUB_SUB_TLV_SID_STRUCTURE, |o| {
                        o.extend_from_slice(&[
                            s.locator_block_length,
                            s.locator_node_length,
                            s.function_length,
                            s.argument_length,
                            s.transposition_length,
                            s.transposition_offset,
                        ])
                    }),
                    Srv6SubSubTlv::Unknown { kind, value } => {
                        put_tlv(o, *kind, |o| o.extend_from_slice(value))
                    }
                }
            }
        }),
        Srv6SubTlv::Unknown { kind, value } => put_tlv(out, *kind, |o| o.extend_from_slice(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::wire::hex;

    #[test]
    fn unknown_srv6_sub_tlvs_keep_the_json_valid() {
        let sid = PrefixSid {
            tlvs: vec![PrefixSidTlv::Srv6Service {
                kind: TLV_SRV6_L3_SERVICE,
                reserved: 0,
                sub_tlvs: vec![
                    Srv6SubTlv::Unknown {
                        kind: 9,
                        value: vec![1, 2],
                    },
                    Srv6SubTlv::Unknown {
                        kind: 7,
                        value: Vec::new(),
                    },
                ],
            }],
        };
        let json = crate::api::attribute::prefix_sid_json(&sid);
        let value: serde_json::Value = serde_json::from_str(&json).expect(&json);
        assert_eq!(value["l3-service"][0]["sub-tlv"], 9);
        assert_eq!(value["l3-service"][0]["value"], "0x0102");
    }

    #[test]
    fn label_index_and_srgb() {
        let bytes = hex("0100070000000000012C03000E00000C35000010000F4240001388");
        let sid = PrefixSid::decode(&bytes).expect("decodes");
        assert_eq!(
            sid,
            PrefixSid::label_index(300, &[(800000, 4096), (1000000, 5000)])
        );
        let mut out = Vec::new();
        sid.encode_value(&mut out);
        assert_eq!(out, bytes);
        assert_eq!(
            crate::api::attribute::prefix_sid_json(&sid),
            "{ \"sr-label-index\": 300, \"sr-srgbs\": [[800000, 4096], [1000000, 5000]] }"
        );
        assert_eq!(
            sid.to_string(),
            "[ 300, [ ( 800000,4096 ), ( 1000000,5000 ) ] ]"
        );
        assert_eq!(PrefixSid::label_index(777, &[]).to_string(), "[ 777 ]");
    }

    #[test]
    fn srv6_l3_service() {
        let bytes = hex("05001900010015002001000100000000000000000000000000000000");
        let sid = PrefixSid::decode(&bytes).expect("decodes");
        let mut out = Vec::new();
        sid.encode_value(&mut out);
        assert_eq!(out, bytes);
        assert_eq!(
            crate::api::attribute::prefix_sid_json(&sid),
            "{ \"l3-service\": [ { \"sid\": \"2001:1::\", \"flags\": 0, \"endpoint_behavior\": 0 } ] }"
        );
        let built = PrefixSid::srv6_service(
            false,
            "2001:db8:1:1::".parse().expect("ip"),
            19,
            Some(SidStructure {
                locator_block_length: 64,
                locator_node_length: 24,
                function_length: 16,
                ..SidStructure::default()
            }),
        );
        let mut out = Vec::new();
        built.encode_value(&mut out);
        assert_eq!(PrefixSid::decode(&out), Ok(built));
    }

    #[test]
    fn faults() {
        assert_eq!(PrefixSid::decode(&[]), Err(PrefixSidFault::Empty));
        assert_eq!(
            PrefixSid::decode(&[1, 0, 7, 0]),
            Err(PrefixSidFault::Truncated)
        );
        assert_eq!(
            PrefixSid::decode(&[1, 0, 2, 0, 0]),
            Err(PrefixSidFault::LabelIndexLength(2))
        );
        assert_eq!(
            PrefixSid::decode(&[3, 0, 3, 0, 0, 0]),
            Err(PrefixSidFault::SrgbLength(3))
        );
    }
}
