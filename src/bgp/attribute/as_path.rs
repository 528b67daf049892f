//! AS_PATH and AS4_PATH (RFC 4271, 6793, 5065): segments in 2- or 4-octet form, and the
//! RFC 6793 §4.2.3 reconstruction of the real path from AS_PATH plus AS4_PATH.

use std::fmt;

use crate::bgp::wire::Reader;

/// The AS number a 2-octet speaker sees in place of a 4-octet one (RFC 6793).
pub const AS_TRANS: u32 = 23456;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SegmentKind {
    Set,
    Sequence,
    ConfedSequence,
    ConfedSet,
}

impl SegmentKind {
    pub fn code(self) -> u8 {
        match self {
            SegmentKind::Set => 1,
            SegmentKind::Sequence => 2,
            SegmentKind::ConfedSequence => 3,
            SegmentKind::ConfedSet => 4,
        }
    }

    pub fn from_code(code: u8) -> Option<SegmentKind> {
        match code {
            1 => Some(SegmentKind::Set),
            2 => Some(SegmentKind::Sequence),
            3 => Some(SegmentKind::ConfedSequence),
            4 => Some(SegmentKind::ConfedSet),
            _ => None,
        }
    }

    /// The exact name (`as-confed-sequence` ...), as ExaBGP 6.0 prints it.
    pub fn name(self) -> &'static str {
        match self {
            SegmentKind::Set => "as-set",
            SegmentKind::Sequence => "as-sequence",
            SegmentKind::ConfedSequence => "as-confed-sequence",
            SegmentKind::ConfedSet => "as-confed-set",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Segment {
    pub kind: SegmentKind,
    pub asns: Vec<u32>,
}

/// An AS_PATH (or AS4_PATH) value: segments in wire order, never merged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AsPath {
    pub segments: Vec<Segment>,
}

/// Why an AS path value could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsPathFault {
    /// A segment header or its AS numbers run past the value.
    Truncated,
    /// A segment type other than 1..=4.
    BadSegmentType(u8),
    /// A segment with no AS numbers.
    EmptySegment,
}

impl fmt::Display for AsPathFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AsPathFault::Truncated => f.write_str("a segment runs past the attribute"),
            AsPathFault::BadSegmentType(t) => write!(f, "unknown segment type {t}"),
            AsPathFault::EmptySegment => f.write_str("a segment holds no AS number"),
        }
    }
}

impl AsPath {
    pub fn new(segments: Vec<Segment>) -> Self {
        AsPath { segments }
    }

    /// A path made of one AS_SEQUENCE (no segment at all when `asns` is empty).
    pub fn sequence(asns: &[u32]) -> Self {
        let mut path = AsPath::default();
        path.push(SegmentKind::Sequence, asns);
        path
    }

    /// Appends a segment (nothing when `asns` is empty).
    pub fn push(&mut self, kind: SegmentKind, asns: &[u32]) {
        if !asns.is_empty() {
            self.segments.push(Segment {
                kind,
                asns: asns.to_vec(),
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Any AS number that does not fit 2 octets.
    pub fn needs_asn4(&self) -> bool {
        self.segments
            .iter()
            .any(|s| s.asns.iter().any(|&a| a > u32::from(u16::MAX)))
    }

    /// Decodes a value with 2- or 4-octet AS numbers.
    pub fn decode(value: &[u8], asn4: bool) -> Result<AsPath, AsPathFault> {
        let mut reader = Reader::new(value);
        let mut segments = Vec::new();
        while !reader.is_empty() {
            let (code, count) = match (reader.u8(), reader.u8()) {
                (Some(c), Some(n)) => (c, usize::from(n)),
                _ => return Err(AsPathFault::Truncated),
            };
            let kind = SegmentKind::from_code(code).ok_or(AsPathFault::BadSegmentType(code))?;
            if count == 0 {
                return Err(AsPathFault::EmptySegment);
            }
            let width = if asn4 { 4 } else { 2 };
            let bytes = reader.take(count * width).ok_or(AsPathFault::Truncated)?;
            let asns = bytes
                .chunks_exact(width)
                .map(|c| c.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
                .collect();
            segments.push(Segment { kind, asns });
        }
        Ok(AsPath { segments })
    }

    /// Appends the value; with `asn4` false, numbers above 65535 become AS_TRANS.
    /// Segments longer than 255 AS numbers are split.
    pub fn encode_value(&self, out: &mut Vec<u8>, asn4: bool) {
        for segment in &self.segments {
            for chunk in segment.asns.chunks(255) {
                out.push(segment.kind.code());
                out.push(chunk.len() as u8);
                for &asn in chunk {
                    if asn4 {
                        out.extend_from_slice(&asn.to_be_bytes());
                    } else {
                        let two = u16::try_from(asn).unwrap_or(AS_TRANS as u16);
                        out.extend_from_slice(&two.to_be_bytes());
                    }
                }
            }
        }
    }

    /// How many AS numbers the path counts for (RFC 4271 §9.1.2.2): a set counts one,
    /// confederation segments none (RFC 5065 §5.3).
    pub fn path_length(&self) -> usize {
        self.segments.iter().map(segment_length).sum()
    }

    /// RFC 6793 §4.2.3: the path an OLD speaker's AS_PATH and AS4_PATH describe. When the
    /// AS_PATH counts fewer AS numbers than the AS4_PATH the AS4_PATH is ignored;
    /// otherwise the leading part of the AS_PATH is prepended to the AS4_PATH.
    pub fn merge_as4(as_path: &AsPath, as4_path: &AsPath) -> AsPath {
        let count2 = as_path.path_length();
        let count4 = as4_path.path_length();
        if count2 < count4 {
            return as_path.clone();
        }
        let mut wanted = count2 - count4;
        let mut merged: Vec<Segment> = Vec::new();
        for segment in &as_path.segments {
            if wanted == 0 {
                break;
            }
            if segment.kind == SegmentKind::Sequence && segment.asns.len() > wanted {
                merged.push(Segment {
                    kind: SegmentKind::Sequence,
                    asns: segment.asns.iter().take(wanted).copied().collect(),
                });
                break;
            }
            wanted = wanted.saturating_sub(segment_length(segment));
            merged.push(segment.clone());
        }
        merged.extend(as4_path.segments.iter().cloned());
        // Join neighbouring sequences (and confederation sequences) at the seam.
        let mut joined: Vec<Segment> = Vec::with_capacity(merged.len());
        for segment in merged {
            match joined.last_mut() {
                Some(last)
                    if last.kind == segment.kind
                        && matches!(
                            segment.kind,
                            SegmentKind::Sequence | SegmentKind::ConfedSequence
                        ) =>
                {
                    last.asns.extend_from_slice(&segment.asns);
                }
                _ => joined.push(segment),
            }
        }
        AsPath { segments: joined }
    }
}

fn segment_length(segment: &Segment) -> usize {
    match segment.kind {
        SegmentKind::Sequence => segment.asns.len(),
        SegmentKind::Set => 1,
        SegmentKind::ConfedSequence | SegmentKind::ConfedSet => 0,
    }
}

impl fmt::Display for AsPath {
    /// ExaBGP's text form: `( 1 2 )` for sequences, `[ 3 4 ]` for sets, `{( )}` and
    /// `{[ ]}` for the confederation ones, space separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for segment in &self.segments {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            let (open, close) = match segment.kind {
                SegmentKind::Sequence => ("(", ")"),
                SegmentKind::Set => ("[", "]"),
                SegmentKind::ConfedSequence => ("{(", ")}"),
                SegmentKind::ConfedSet => ("{[", "]}"),
            };
            f.write_str(open)?;
            for asn in &segment.asns {
                write!(f, " {asn}")?;
            }
            write!(f, " {close}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(parts: &[(SegmentKind, &[u32])]) -> AsPath {
        let mut p = AsPath::default();
        for (kind, asns) in parts {
            p.push(*kind, asns);
        }
        p
    }

    #[test]
    fn two_and_four_octet_forms() {
        let p = path(&[
            (SegmentKind::Sequence, &[65001, 70000]),
            (SegmentKind::Set, &[7, 8]),
        ]);
        let mut four = Vec::new();
        p.encode_value(&mut four, true);
        assert_eq!(AsPath::decode(&four, true), Ok(p.clone()));
        let mut two = Vec::new();
        p.encode_value(&mut two, false);
        assert_eq!(two, vec![2, 2, 0xFD, 0xE9, 0x5B, 0xA0, 1, 2, 0, 7, 0, 8]);
        assert!(p.needs_asn4());
    }

    #[test]
    fn faults() {
        assert_eq!(AsPath::decode(&[2], true), Err(AsPathFault::Truncated));
        assert_eq!(
            AsPath::decode(&[2, 1, 0, 0, 0], true),
            Err(AsPathFault::Truncated)
        );
        assert_eq!(
            AsPath::decode(&[9, 1, 0, 1], false),
            Err(AsPathFault::BadSegmentType(9))
        );
        assert_eq!(
            AsPath::decode(&[2, 0], false),
            Err(AsPathFault::EmptySegment)
        );
        assert_eq!(AsPath::decode(&[], false), Ok(AsPath::default()));
    }

    #[test]
    fn merge_rfc6793() {
        let as2 = AsPath::sequence(&[65001, AS_TRANS, AS_TRANS]);
        let as4 = AsPath::sequence(&[70000, 80000]);
        assert_eq!(
            AsPath::merge_as4(&as2, &as4),
            AsPath::sequence(&[65001, 70000, 80000])
        );
        // AS4_PATH longer than AS_PATH: ignored.
        let long4 = AsPath::sequence(&[1, 2, 3, 4]);
        assert_eq!(AsPath::merge_as4(&as2, &long4), as2);
        // A set counts as one.
        let as2 = path(&[
            (SegmentKind::Sequence, &[1, AS_TRANS]),
            (SegmentKind::Set, &[5, 6]),
        ]);
        let as4 = path(&[
            (SegmentKind::Sequence, &[70000]),
            (SegmentKind::Set, &[5, 6]),
        ]);
        assert_eq!(
            AsPath::merge_as4(&as2, &as4),
            path(&[
                (SegmentKind::Sequence, &[1, 70000]),
                (SegmentKind::Set, &[5, 6])
            ])
        );
    }

    #[test]
    fn text_form() {
        let p = path(&[
            (SegmentKind::Sequence, &[65001, 65002]),
            (SegmentKind::Set, &[7]),
        ]);
        assert_eq!(p.to_string(), "( 65001 65002 ) [ 7 ]");
    }

    #[test]
    fn long_segment_is_split() {
        let asns: Vec<u32> = (1..=300).collect();
        let p = AsPath::sequence(&asns);
        let mut out = Vec::new();
        p.encode_value(&mut out, true);
        assert_eq!(out.len(), 2 + 255 * 4 + 2 + 45 * 4);
    }
}
