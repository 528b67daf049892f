//! A bounds-checked cursor over received bytes and big-endian writers for encoders.
//! Every read returns `None` past the end, so decoders cannot index out of bounds.

/// Reads big-endian integers and slices from a byte slice without panicking.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes not yet consumed.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    pub fn u8(&mut self) -> Option<u8> {
        let (&first, rest) = self.buf.split_first()?;
        self.buf = rest;
        Some(first)
    }

    pub fn u16(&mut self) -> Option<u16> {
        let bytes = self.array::<2>()?;
        Some(u16::from_be_bytes(bytes))
    }

    pub fn u24(&mut self) -> Option<u32> {
        let [a, b, c] = self.array::<3>()?;
        Some(u32::from_be_bytes([0, a, b, c]))
    }

    pub fn u32(&mut self) -> Option<u32> {
        let bytes = self.array::<4>()?;
        Some(u32::from_be_bytes(bytes))
    }

    pub fn u64(&mut self) -> Option<u64> {
        let bytes = self.array::<8>()?;
        Some(u64::from_be_bytes(bytes))
    }

    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let slice = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Some(out)
    }

    /// Consumes exactly `n` bytes, or nothing when fewer remain.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.buf.len() {
            return None;
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Some(head)
    }

    /// Consumes everything that is left.
    pub fn take_rest(&mut self) -> &'a [u8] {
        let rest = self.buf;
        self.buf = &[];
        rest
    }
}

pub fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

pub fn put_u24(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes()[1..]);
}

pub fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes());
}

/// Reserves a 2-byte big-endian length at the end of `out`; fill it with [`finish_len16`].
pub fn begin_len16(out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    at
}

/// Writes the number of bytes appended since `begin_len16` returned `at`.
/// Saturates at 65535: callers bound their output by the negotiated message size.
pub fn finish_len16(out: &mut [u8], at: usize) {
    let len = out.len().saturating_sub(at + 2);
    let len = u16::try_from(len).unwrap_or(u16::MAX);
    if let Some(slot) = out.get_mut(at..at + 2) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
}

/// Bytes from hex text (tests' vectors); whitespace and the `:` separators of ExaBGP's
/// `.ci` messages are skipped, any other character or an odd digit count panics.
#[cfg(test)]
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    assert!(
        digits.len() % 2 == 0,
        "odd number of hex digits in {text:?}"
    );
    digits
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).expect("ASCII");
            u8::from_str_radix(pair, 16).expect("hex digits")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_stops_at_end() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16(), Some(0x0102));
        assert_eq!(r.u16(), None);
        assert_eq!(r.u8(), Some(3));
        assert_eq!(r.u8(), None);
        assert!(r.is_empty());
    }

    #[test]
    fn length_prefix() {
        let mut out = vec![9];
        let at = begin_len16(&mut out);
        out.extend_from_slice(&[1, 2, 3]);
        finish_len16(&mut out, at);
        assert_eq!(out, vec![9, 0, 3, 1, 2, 3]);
    }

    #[test]
    fn hex_skips_spaces_and_ci_separators() {
        assert_eq!(
            hex("FFFF:0013 04\n0a"),
            vec![0xFF, 0xFF, 0x00, 0x13, 0x04, 0x0A]
        );
        assert_eq!(hex(""), Vec::<u8>::new());
    }

    #[test]
    #[should_panic(expected = "odd number of hex digits")]
    fn hex_refuses_an_odd_digit_count() {
        hex("ABC");
    }
}
