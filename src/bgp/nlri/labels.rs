//! MPLS label stacks (RFC 3107 / 8277) and the route distinguisher (RFC 4364) of labeled
//! and VPN routes, as on the wire.

use std::fmt;
use std::net::Ipv4Addr;

/// Deepest label stack accepted on decode (RFC 8277 multiple labels). Deeper stacks are an
/// NLRI error; real deployments use one to three labels.
pub const MAX_LABELS: usize = 6;

/// The 3-byte label field RFC 3107/8277 put in withdrawals ("compatibility" label).
pub const WITHDRAW_LABEL: u32 = 0x80_0000;

/// One 3-byte label stack entry as on the wire: 20-bit label, 3 TC bits, bottom-of-stack bit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct LabelEntry(pub u32);

impl LabelEntry {
    /// Entry with the given 20-bit label and the bottom-of-stack bit set or not.
    pub fn new(label: u32, bottom: bool) -> LabelEntry {
        LabelEntry(((label & 0xF_FFFF) << 4) | u32::from(bottom))
    }

    /// The 20-bit label value (what ExaBGP prints).
    pub fn label(self) -> u32 {
        (self.0 >> 4) & 0xF_FFFF
    }

    /// The raw 24-bit field.
    pub fn raw(self) -> u32 {
        self.0 & 0xFF_FFFF
    }

    pub fn bottom_of_stack(self) -> bool {
        self.0 & 1 == 1
    }

    /// Ends a stack on decode: bottom-of-stack set, or one of the withdraw/compatibility
    /// values 0x800000 and 0x000000 that withdrawals carry without the bit.
    pub(super) fn ends_stack(self) -> bool {
        self.bottom_of_stack() || self.raw() == WITHDRAW_LABEL || self.raw() == 0
    }
}

/// An MPLS label stack of up to [`MAX_LABELS`] entries, stored inline (no heap).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels {
    entries: [LabelEntry; MAX_LABELS],
    count: u8,
}

impl Labels {
    pub const EMPTY: Labels = Labels {
        entries: [LabelEntry(0); MAX_LABELS],
        count: 0,
    };

    /// A stack holding the single withdraw label 0x800000.
    pub fn withdraw() -> Labels {
        Labels::from_entries(&[LabelEntry(WITHDRAW_LABEL)]).unwrap_or(Labels::EMPTY)
    }

    /// A stack of the given 20-bit labels, the last one marked bottom-of-stack.
    /// `None` when more than [`MAX_LABELS`].
    pub fn from_values(values: &[u32]) -> Option<Labels> {
        let mut stack = Labels::EMPTY;
        for (i, &value) in values.iter().enumerate() {
            stack.push(LabelEntry::new(value, i + 1 == values.len()))?;
        }
        Some(stack)
    }

    /// A stack of raw entries, kept exactly. `None` when more than [`MAX_LABELS`].
    pub fn from_entries(entries: &[LabelEntry]) -> Option<Labels> {
        let mut stack = Labels::EMPTY;
        for &entry in entries {
            stack.push(entry)?;
        }
        Some(stack)
    }

    pub(super) fn push(&mut self, entry: LabelEntry) -> Option<()> {
        let slot = self.entries.get_mut(usize::from(self.count))?;
        *slot = LabelEntry(entry.raw());
        self.count += 1;
        Some(())
    }

    pub fn entries(&self) -> &[LabelEntry] {
        self.entries
            .get(..usize::from(self.count))
            .unwrap_or(&self.entries)
    }

    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes on the wire: 3 per entry.
    pub fn wire_len(&self) -> usize {
        3 * self.len()
    }

    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        for entry in self.entries() {
            out.extend_from_slice(&entry.raw().to_be_bytes()[1..]);
        }
    }
}

impl Default for Labels {
    fn default() -> Self {
        Labels::EMPTY
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries().iter().map(|e| format!("{:06x}", e.raw())))
            .finish()
    }
}

// ---------------------------------------------------------------------------------------
// Route distinguisher
// ---------------------------------------------------------------------------------------

/// An 8-byte route distinguisher (RFC 4364 §4.2), kept raw; `Display` follows ExaBGP:
/// type 0 `65000:1`, type 1 `1.2.3.4:5`, type 2 `4200000000:7`, others `0x` + 16 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RouteDistinguisher(pub [u8; 8]);

impl RouteDistinguisher {
    pub const ZERO: RouteDistinguisher = RouteDistinguisher([0; 8]);

    /// Type 0: 2-byte AS, 4-byte assigned number.
    pub fn as2(asn: u16, assigned: u32) -> RouteDistinguisher {
        let mut b = [0u8; 8];
        b[2..4].copy_from_slice(&asn.to_be_bytes());
        b[4..].copy_from_slice(&assigned.to_be_bytes());
        RouteDistinguisher(b)
    }

    /// Type 1: IPv4 address, 2-byte assigned number.
    pub fn ipv4(addr: Ipv4Addr, assigned: u16) -> RouteDistinguisher {
        let mut b = [0u8; 8];
        b[1] = 1;
        b[2..6].copy_from_slice(&addr.octets());
        b[6..].copy_from_slice(&assigned.to_be_bytes());
        RouteDistinguisher(b)
    }

    /// Type 2: 4-byte AS, 2-byte assigned number.
    pub fn as4(asn: u32, assigned: u16) -> RouteDistinguisher {
        let mut b = [0u8; 8];
        b[1] = 2;
        b[2..6].copy_from_slice(&asn.to_be_bytes());
        b[6..].copy_from_slice(&assigned.to_be_bytes());
        RouteDistinguisher(b)
    }

    pub fn rd_type(&self) -> u16 {
        u16::from_be_bytes([self.0[0], self.0[1]])
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }
}

impl fmt::Display for RouteDistinguisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        match self.rd_type() {
            0 => write!(f, "{}:{}", u16_at(2), u32_at(4)),
            1 => write!(f, "{}.{}.{}.{}:{}", b[2], b[3], b[4], b[5], u16_at(6)),
            2 => write!(f, "{}:{}", u32_at(2), u16_at(6)),
            _ => {
                f.write_str("0x")?;
                b.iter().try_for_each(|byte| write!(f, "{byte:02X}"))
            }
        }
    }
}

impl fmt::Debug for RouteDistinguisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RD({self})")
    }
}

/// The label stack and route distinguisher of a VPN route (shared in [`super::Nlri::Vpn`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VpnLabels {
    pub labels: Labels,
    pub rd: RouteDistinguisher,
}
