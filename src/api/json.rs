//! The JSON writer for helper-process events: a streaming writer into a byte buffer and the
//! ExaBGP 5 event envelope (`exabgp`, `time`, ..., `neighbor`) with its exact key order and spacing.
//!
//! ExaBGP builds its JSON by string formatting, so its spacing is not regular (`"host" : `,
//! `"router-id": "x" , `, two spaces before some closing braces). Byte-compatible output is
//! cheap, so the writer does not insert separators itself: callers write punctuation with
//! [`JsonWriter::raw`] and values with the typed methods, which quote and escape.
//! Nothing here builds a value tree, and writing a value never allocates beyond the buffer.

use std::fmt;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};

/// The JSON format version ExaBGP 5 reports in `"exabgp"` (the format, not the release).
pub const FORMAT_VERSION_5: &str = "5.0.0";

/// The host name as Python's `socket.gethostname()` gives it (the envelope's `host`).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Seconds since the epoch (the envelope's `time`).
pub fn now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Appends JSON text to a byte buffer. Output is always ASCII.
pub struct JsonWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> JsonWriter<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        JsonWriter { out }
    }

    /// The buffer written so far (including what was in it before).
    pub fn buffer(&self) -> &[u8] {
        self.out
    }

    /// Writes `text` verbatim: punctuation, spacing, or text known to need no escaping.
    pub fn raw(&mut self, text: &str) -> &mut Self {
        self.out.extend_from_slice(text.as_bytes());
        self
    }

    /// Writes an AFI's name, unquoted (see [`super::names`]).
    pub fn afi(&mut self, afi: crate::bgp::Afi) -> &mut Self {
        super::names::write_afi(self.out, afi);
        self
    }

    /// Writes a SAFI's name, unquoted.
    pub fn safi(&mut self, safi: crate::bgp::Safi) -> &mut Self {
        super::names::write_safi(self.out, safi);
        self
    }

    /// Writes a family's name, quoted: `"ipv4 unicast"` (update maps) or `"ipv4/unicast"`
    /// (OPEN capabilities).
    pub fn family(&mut self, family: crate::bgp::Family, separator: &str) -> &mut Self {
        self.out.push(b'"');
        super::names::write_family(self.out, family, separator);
        self.out.push(b'"');
        self
    }

    /// Writes `"key": ` (the usual ExaBGP spacing: none before the colon, one after).
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.string(key).raw(": ")
    }

    /// Writes a quoted string, escaped as Python's `json.dumps` does with `ensure_ascii`.
    pub fn string(&mut self, value: &str) -> &mut Self {
        self.out.push(b'"');
        escape_into(self.out, value);
        self.out.push(b'"');
        self
    }

    /// Writes a quoted string holding the `Display` text of `value`, escaped.
    pub fn display_string(&mut self, value: impl fmt::Display) -> &mut Self {
        self.out.push(b'"');
        let mut sink = EscapingSink { out: self.out };
        // Writing into a Vec cannot fail; a failing Display impl only truncates the string.
        let _ = fmt::write(&mut sink, format_args!("{value}"));
        self.out.push(b'"');
        self
    }

    /// Writes the `Display` text of `value` unquoted and unescaped: for numbers and other
    /// values whose text is plain ASCII without quotes or backslashes.
    pub fn display(&mut self, value: impl fmt::Display) -> &mut Self {
        let _ = write!(self.out, "{value}");
        self
    }

    pub fn u64(&mut self, value: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = value;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.out.extend_from_slice(&digits[at..]);
        self
    }

    pub fn u32(&mut self, value: u32) -> &mut Self {
        self.u64(value.into())
    }

    pub fn i64(&mut self, value: i64) -> &mut Self {
        if value < 0 {
            self.out.push(b'-');
        }
        self.u64(value.unsigned_abs())
    }

    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.raw(if value { "true" } else { "false" })
    }

    /// Writes a float the way Python's `repr` does (ExaBGP's `time`): the shortest text that
    /// reads back to the same value, `.0` on integral values, exponent form below 1e-4 and
    /// from 1e16 (`1e-05`, `1e+16`). JSON has no NaN or infinity: those are written `null`.
    pub fn float(&mut self, value: f64) -> &mut Self {
        write_python_float(self.out, value);
        self
    }

    /// Writes `bytes` as a big-endian unsigned integer in decimal, for values wider than 64
    /// bits (ExaBGP prints an IPv6 extended community as one 160-bit number).
    /// Inputs longer than 32 bytes keep only their last 32 bytes.
    pub fn big_unsigned(&mut self, bytes: &[u8]) -> &mut Self {
        write_big_unsigned(self.out, bytes);
        self
    }

    /// Writes uppercase hex digits, unquoted and without `0x`.
    pub fn hex_upper(&mut self, bytes: &[u8]) -> &mut Self {
        write_hex(self.out, bytes, HEX_UPPER);
        self
    }

    /// Writes lowercase hex digits, unquoted and without `0x`.
    pub fn hex_lower(&mut self, bytes: &[u8]) -> &mut Self {
        write_hex(self.out, bytes, HEX_LOWER);
        self
    }

    /// Writes `"0x<HEX>"` with uppercase digits (`"0x"` for no bytes), ExaBGP's form for
    /// message header/body and NOTIFICATION data.
    pub fn hex_string_upper(&mut self, bytes: &[u8]) -> &mut Self {
        self.raw("\"0x").hex_upper(bytes).raw("\"")
    }

    /// Writes an IPv4 address in dotted-quad form, unquoted (the hot path of prefix lists).
    pub fn ipv4(&mut self, address: Ipv4Addr) -> &mut Self {
        for (index, octet) in address.octets().into_iter().enumerate() {
            if index > 0 {
                self.out.push(b'.');
            }
            if octet >= 100 {
                self.out.push(b'0' + octet / 100);
            }
            if octet >= 10 {
                self.out.push(b'0' + octet / 10 % 10);
            }
            self.out.push(b'0' + octet % 10);
        }
        self
    }

    /// Writes an IP address as a quoted string (`"192.0.2.1"`, `"2001:db8::1"`).
    pub fn ip_string(&mut self, address: IpAddr) -> &mut Self {
        self.out.push(b'"');
        let _ = write!(self.out, "{address}");
        self.out.push(b'"');
        self
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

fn write_hex(out: &mut Vec<u8>, bytes: &[u8], digits: &[u8; 16]) {
    out.reserve(bytes.len() * 2);
    for &byte in bytes {
        out.push(digits[usize::from(byte >> 4)]);
        out.push(digits[usize::from(byte & 0x0f)]);
    }
}

/// Escapes `value` for the inside of a JSON string: `"` and `\` backslashed, the usual short
/// forms for \b \f \n \r \t, every other byte outside printable ASCII as `\u00xx`, and
/// characters beyond U+FFFF as a surrogate pair, lowercase hex (Python's `ensure_ascii`).
pub fn escape_into(out: &mut Vec<u8>, value: &str) {
    escape_with(value, |text| out.extend_from_slice(text.as_bytes()));
}

/// [`escape_into`] for a `String` (the `show` reports, built as text).
pub fn escape_into_string(out: &mut String, value: &str) {
    escape_with(value, |text| out.push_str(text));
}

/// The one JSON string escaper: hands `emit` the escaped text of `value` in pieces (runs of
/// characters written as they are, and escapes).
fn escape_with(value: &str, mut emit: impl FnMut(&str)) {
    let verbatim = |c: char| matches!(c, ' '..='~') && c != '"' && c != '\\';
    if value.bytes().all(|b| verbatim(char::from(b))) {
        emit(value);
        return;
    }
    let mut start = 0;
    for (at, ch) in value.char_indices() {
        if verbatim(ch) {
            continue;
        }
        if start < at {
            emit(&value[start..at]);
        }
        start = at + ch.len_utf8();
        match ch {
            '"' => emit("\\\""),
            '\\' => emit("\\\\"),
            '\n' => emit("\\n"),
            '\r' => emit("\\r"),
            '\t' => emit("\\t"),
            '\u{8}' => emit("\\b"),
            '\u{c}' => emit("\\f"),
            _ => {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    let mut escape = *b"\\u0000";
                    for (slot, shift) in escape[2..].iter_mut().zip([12, 8, 4, 0]) {
                        *slot = HEX_LOWER[usize::from((*unit >> shift) & 0xf)];
                    }
                    // Only ASCII was written.
                    emit(std::str::from_utf8(&escape).unwrap_or_default());
                }
            }
        }
    }
    if start < value.len() {
        emit(&value[start..]);
    }
}

/// A `fmt::Write` that escapes everything written through it.
struct EscapingSink<'a> {
    out: &'a mut Vec<u8>,
}

impl fmt::Write for EscapingSink<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.out, s);
        Ok(())
    }
}

/// A fixed-size `fmt::Write` target, to format without allocating.
struct StackText {
    bytes: [u8; 40],
    len: usize,
}

impl StackText {
    fn new() -> Self {
        StackText {
            bytes: [0; 40],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn write_python_float(out: &mut Vec<u8>, value: f64) {
    if !value.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e9", "1e-5", "0e0".
    let mut text = StackText::new();
    if fmt::write(&mut text, format_args!("{value:e}")).is_err() {
        out.extend_from_slice(b"null");
        return;
    }
    let text = text.as_bytes();
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let Some(e_at) = text.iter().position(|&b| b == b'e') else {
        out.extend_from_slice(b"null");
        return;
    };
    let (mantissa, exponent_text) = text.split_at(e_at);
    let exponent: i32 = std::str::from_utf8(exponent_text.get(1..).unwrap_or_default())
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    // The significant digits without the decimal point.
    let mut digits = [0u8; 24];
    let mut count = 0;
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        if let Some(slot) = digits.get_mut(count) {
            *slot = b;
            count += 1;
        }
    }
    let digits = digits.get(..count).unwrap_or_default();
    if negative {
        out.push(b'-');
    }
    if !(-4..16).contains(&exponent) {
        // d[.ddd]e+XX, at least two exponent digits.
        if let Some((first, rest)) = digits.split_first() {
            out.push(*first);
            if !rest.is_empty() {
                out.push(b'.');
                out.extend_from_slice(rest);
            }
        }
        out.push(b'e');
        out.push(if exponent < 0 { b'-' } else { b'+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push(b'0');
        }
        let _ = write!(out, "{magnitude}");
    } else if exponent < 0 {
        out.extend_from_slice(b"0.");
        for _ in 0..(-exponent - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(digits);
    } else {
        let integral = exponent as usize + 1;
        if digits.len() <= integral {
            out.extend_from_slice(digits);
            for _ in digits.len()..integral {
                out.push(b'0');
            }
            out.extend_from_slice(b".0");
        } else {
            let (whole, fraction) = digits.split_at(integral);
            out.extend_from_slice(whole);
            out.push(b'.');
            out.extend_from_slice(fraction);
        }
    }
}

fn write_big_unsigned(out: &mut Vec<u8>, bytes: &[u8]) {
    let bytes = bytes.get(bytes.len().saturating_sub(32)..).unwrap_or(bytes);
    // Big-endian 32-bit limbs, most significant first.
    let mut limbs = [0u32; 8];
    let limb_count = bytes.len().div_ceil(4);
    let pad = limb_count * 4 - bytes.len();
    for (i, &byte) in bytes.iter().enumerate() {
        let position = i + pad;
        if let Some(limb) = limbs.get_mut(position / 4) {
            *limb |= u32::from(byte) << (8 * (3 - position % 4));
        }
    }
    let limbs = limbs.get_mut(..limb_count).unwrap_or_default();
    // Repeated division by 10^9 gives base-1e9 chunks, least significant first.
    let mut chunks = [0u32; 9];
    let mut chunk_count = 0;
    loop {
        let mut remainder: u64 = 0;
        let mut all_zero = true;
        for limb in limbs.iter_mut() {
            let current = (remainder << 32) | u64::from(*limb);
            *limb = (current / 1_000_000_000) as u32;
            remainder = current % 1_000_000_000;
            all_zero &= *limb == 0;
        }
        if let Some(slot) = chunks.get_mut(chunk_count) {
            *slot = remainder as u32;
            chunk_count += 1;
        }
        if all_zero {
            break;
        }
    }
    let mut chunks = chunks.get(..chunk_count).unwrap_or_default().iter().rev();
    if let Some(first) = chunks.next() {
        let _ = write!(out, "{first}");
    }
    for chunk in chunks {
        let _ = write!(out, "{chunk:09}");
    }
}

/// Which way a message went, as the event's `direction` reports it.
pub use crate::peer::Direction;

/// The daemon-wide part of every event: format version, clock and process identity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Envelope<'a> {
    /// `"5.0.0"` for the ExaBGP 5 format ([`FORMAT_VERSION_5`]).
    pub version: &'a str,
    /// Seconds since the epoch.
    pub time: f64,
    pub host: &'a str,
    pub pid: u32,
    pub ppid: u32,
}

impl<'a> Envelope<'a> {
    /// The ExaBGP 5 envelope of an event written now by process `pid` (child of `ppid`) on
    /// `host`.
    pub fn now(host: &'a str, pid: u32, ppid: u32) -> Envelope<'a> {
        Envelope {
            version: FORMAT_VERSION_5,
            time: now_seconds(),
            host,
            pid,
            ppid,
        }
    }
}

/// Who an event is about: the `neighbor` object's identity keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighborIdentity {
    pub local_address: IpAddr,
    pub peer_address: IpAddr,
    pub local_asn: u32,
    pub peer_asn: u32,
    /// The local router-id; the key is left out when none is known.
    pub router_id: Option<Ipv4Addr>,
}

/// The raw bytes of the message an event reports, added as `header` / `body` hex when the
/// helper asked for them (`consolidate`). Each key is omitted when its bytes are empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawMessage<'a> {
    /// The 19-byte BGP header.
    pub header: &'a [u8],
    /// The message body.
    pub body: &'a [u8],
}

/// Everything before the event's own content: envelope, per-neighbor counter, event type,
/// optional raw message and neighbor identity.
#[derive(Debug, Clone, Copy)]
pub struct EventHead<'a> {
    pub envelope: &'a Envelope<'a>,
    /// Per-neighbor sequence number, starting at 1.
    pub counter: u64,
    /// The event `type`: `update`, `open`, `keepalive`, `state`, ...
    pub kind: &'a str,
    pub raw: Option<RawMessage<'a>>,
    pub neighbor: &'a NeighborIdentity,
}

/// Writes `{ "exabgp": ..., "type": "<kind>", ` up to (not including) the `neighbor` key.
/// `counter` is left out when `None` (the shutdown event).
pub fn write_envelope(w: &mut JsonWriter<'_>, envelope: &Envelope<'_>, counter: Option<u64>) {
    w.raw("{ ").key("exabgp").string(envelope.version);
    w.raw(", ").key("time").float(envelope.time);
    w.raw(", \"host\" : ").string(envelope.host);
    w.raw(", \"pid\" : ").u32(envelope.pid);
    w.raw(", \"ppid\" : ").u32(envelope.ppid);
    if let Some(counter) = counter {
        w.raw(", ").key("counter").u64(counter);
    }
    w.raw(", ");
}

/// Writes a complete event about a neighbor: the envelope, the neighbor's identity, then
/// whatever `content` writes inside the `neighbor` object (after `"router-id": "x" , `),
/// then the closing ` } }`. No newline is added.
pub fn write_neighbor_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    content: impl FnOnce(&mut JsonWriter<'_>),
) {
    let mut w = JsonWriter::new(out);
    write_envelope(&mut w, head.envelope, Some(head.counter));
    w.key("type").string(head.kind).raw(", ");
    if let Some(raw) = head.raw {
        if !raw.header.is_empty() {
            w.key("header").hex_string_upper(raw.header).raw(", ");
        }
        if !raw.body.is_empty() {
            w.key("body").hex_string_upper(raw.body).raw(", ");
        }
    }
    let neighbor = head.neighbor;
    w.key("neighbor").raw("{ ");
    w.key("address").raw("{ ").key("local");
    w.ip_string(neighbor.local_address).raw(", ").key("peer");
    w.ip_string(neighbor.peer_address).raw(" }, ");
    w.key("asn").raw("{ ").key("local").u32(neighbor.local_asn);
    w.raw(", ").key("peer").u32(neighbor.peer_asn).raw(" }, ");
    if let Some(router_id) = neighbor.router_id {
        w.key("router-id")
            .ip_string(IpAddr::V4(router_id))
            .raw(" , ");
    }
    content(&mut w);
    w.raw(" } }");
}

/// Writes `"direction": "<dir>"`, the first key of every message event's content.
pub fn write_direction(w: &mut JsonWriter<'_>, direction: Direction) {
    w.key("direction").string(direction.as_str());
}

/// A state change event (`type` `state`): `"state": "up"`, with `"reason"` when going down.
pub fn write_state_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    state: &str,
    reason: Option<&str>,
) {
    write_neighbor_event(out, head, |w| {
        w.key("state").string(state);
        if let Some(reason) = reason {
            w.raw(", ").key("reason").string(reason);
        }
    });
}

/// A KEEPALIVE event: only the direction (ExaBGP leaves two spaces before the brace).
pub fn write_keepalive_event(out: &mut Vec<u8>, head: &EventHead<'_>, direction: Direction) {
    write_neighbor_event(out, head, |w| {
        write_direction(w, direction);
        w.raw(" ");
    });
}

/// A NOTIFICATION event. `data` is reported as hex and again as text (`message`, the bytes
/// decoded as UTF-8 with U+FFFD replacement). The caller passes the bytes to report: for a
/// received Cease 6/2 or 6/4 ExaBGP reports its rendering of the shutdown communication.
pub fn write_notification_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    code: u8,
    subcode: u8,
    data: &[u8],
) {
    write_neighbor_event(out, head, |w| {
        write_direction(w, direction);
        w.raw(", ").key("notification").raw("{ ");
        w.key("code").u32(code.into()).raw(", ");
        w.key("subcode").u32(subcode.into()).raw(", ");
        w.key("data").hex_string_upper(data).raw(", ");
        w.key("message").display_string(Utf8Lossy(data)).raw(" } ");
    });
}

/// The event ExaBGP writes to every helper when it shuts down (no counter, no neighbor).
pub fn write_shutdown_event(out: &mut Vec<u8>, envelope: &Envelope<'_>) {
    let mut w = JsonWriter::new(out);
    write_envelope(&mut w, envelope, None);
    w.key("type").string("notification").raw(", ");
    w.key("notification").string("shutdown").raw(" }");
}

/// Displays bytes as UTF-8, replacing each invalid sequence with U+FFFD, without allocating.
pub struct Utf8Lossy<'a>(pub &'a [u8]);

impl fmt::Display for Utf8Lossy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{FFFD}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(
        write: impl for<'w, 'b> FnOnce(&'w mut JsonWriter<'b>) -> &'w mut JsonWriter<'b>,
    ) -> String {
        let mut out = Vec::new();
        write(&mut JsonWriter::new(&mut out));
        String::from_utf8(out).unwrap()
    }

    fn float(value: f64) -> String {
        text(|w| w.float(value))
    }

    #[test]
    fn floats_print_like_python_repr() {
        assert_eq!(float(1795606109.1224113), "1795606109.1224113");
        assert_eq!(float(1700000000.0), "1700000000.0");
        assert_eq!(float(1700000000.5), "1700000000.5");
        assert_eq!(float(0.0), "0.0");
        assert_eq!(float(-0.0), "-0.0");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(0.0001), "0.0001");
        assert_eq!(float(0.00001), "1e-05");
        assert_eq!(float(1.5e-7), "1.5e-07");
        assert_eq!(float(123.456), "123.456");
        assert_eq!(float(1e15), "1000000000000000.0");
        assert_eq!(float(1e16), "1e+16");
        assert_eq!(float(1.2345e20), "1.2345e+20");
        assert_eq!(float(1e100), "1e+100");
        assert_eq!(float(-2.5), "-2.5");
        assert_eq!(float(f64::NAN), "null");
        assert_eq!(float(f64::INFINITY), "null");
    }

    #[test]
    fn strings_escape_like_python_ensure_ascii() {
        let escaped = text(|w| w.string("a\"b\\c\n\r\t\u{8}\u{c}\u{0}\u{b}\u{1f} \u{7f}é€😀~"));
        assert_eq!(
            escaped,
            r#""a\"b\\c\n\r\t\b\f\u0000\u000b\u001f \u007f\u00e9\u20ac\ud83d\ude00~""#
        );
        assert_eq!(text(|w| w.string("plain")), "\"plain\"");
        // The `String` form (the `show` reports) is the same escaper.
        let mut shown = String::from("[");
        escape_into_string(&mut shown, "x\u{8}é😀\"");
        assert_eq!(shown, r#"[x\b\u00e9\ud83d\ude00\""#);
        assert_eq!(
            text(|w| w.display_string(Utf8Lossy(b"\x0bshut\"down\xff"))),
            r#""\u000bshut\"down\ufffd""#
        );
    }

    #[test]
    fn ipv4_addresses() {
        for address in ["0.0.0.0", "255.255.255.255", "10.0.100.9", "1.20.3.199"] {
            let parsed: Ipv4Addr = address.parse().unwrap();
            assert_eq!(text(|w| w.ipv4(parsed)), address);
        }
    }

    #[test]
    fn integers_and_hex() {
        assert_eq!(text(|w| w.u64(0)), "0");
        assert_eq!(text(|w| w.u64(u64::MAX)), "18446744073709551615");
        assert_eq!(text(|w| w.i64(i64::MIN)), "-9223372036854775808");
        assert_eq!(text(|w| w.hex_string_upper(&[0xab, 0x01])), "\"0xAB01\"");
        assert_eq!(text(|w| w.hex_string_upper(&[])), "\"0x\"");
        assert_eq!(text(|w| w.hex_lower(&[0xab, 0xcd])), "abcd");
    }

    #[test]
    fn big_unsigned_integers() {
        assert_eq!(text(|w| w.big_unsigned(&[])), "0");
        assert_eq!(text(|w| w.big_unsigned(&[0, 0, 1])), "1");
        assert_eq!(
            text(|w| w.big_unsigned(&u64::MAX.to_be_bytes())),
            "18446744073709551615"
        );
        assert_eq!(
            text(|w| w.big_unsigned(&u128::MAX.to_be_bytes())),
            u128::MAX.to_string()
        );
        // An IPv6 address-specific extended community (api.md §7.5 example).
        let community = [
            0x00, 0x0b, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0,
        ];
        assert_eq!(
            text(|w| w.big_unsigned(&community)),
            "248096148851366670562362960556923561743286272"
        );
        assert_eq!(
            text(|w| w.big_unsigned(&[0xff; 32])),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        );
    }

    fn envelope() -> Envelope<'static> {
        Envelope {
            version: FORMAT_VERSION_5,
            time: 1700000000.5,
            host: "rtr1",
            pid: 4242,
            ppid: 1,
        }
    }

    fn neighbor() -> NeighborIdentity {
        NeighborIdentity {
            local_address: "10.0.0.2".parse().unwrap(),
            peer_address: "10.0.0.1".parse().unwrap(),
            local_asn: 65000,
            peer_asn: 65001,
            router_id: Some(Ipv4Addr::new(10, 0, 0, 2)),
        }
    }

    const PREFIX: &str = r#"{ "exabgp": "5.0.0", "time": 1700000000.5, "host" : "rtr1", "pid" : 4242, "ppid" : 1, "counter": 3, "#;
    const NEIGHBOR: &str = r#""neighbor": { "address": { "local": "10.0.0.2", "peer": "10.0.0.1" }, "asn": { "local": 65000, "peer": 65001 }, "router-id": "10.0.0.2" , "#;

    fn event(kind: &'static str, write: impl FnOnce(&mut Vec<u8>, &EventHead<'_>)) -> String {
        let envelope = envelope();
        let neighbor = neighbor();
        let head = EventHead {
            envelope: &envelope,
            counter: 3,
            kind,
            raw: None,
            neighbor: &neighbor,
        };
        let mut out = Vec::new();
        write(&mut out, &head);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn state_events() {
        let up = event("state", |out, head| {
            write_state_event(out, head, "up", None)
        });
        assert_eq!(
            up,
            format!(r#"{PREFIX}"type": "state", {NEIGHBOR}"state": "up" }} }}"#)
        );
        let down = event("state", |out, head| {
            write_state_event(out, head, "down", Some("notification received (6,2)"))
        });
        assert_eq!(
            down,
            format!(
                r#"{PREFIX}"type": "state", {NEIGHBOR}"state": "down", "reason": "notification received (6,2)" }} }}"#
            )
        );
    }

    #[test]
    fn keepalive_event_with_header() {
        let envelope = envelope();
        let neighbor = neighbor();
        let header = [0xffu8; 16]
            .iter()
            .copied()
            .chain([0x00, 0x13, 0x04])
            .collect::<Vec<u8>>();
        let head = EventHead {
            envelope: &envelope,
            counter: 3,
            kind: "keepalive",
            raw: Some(RawMessage {
                header: &header,
                body: &[],
            }),
            neighbor: &neighbor,
        };
        let mut out = Vec::new();
        write_keepalive_event(&mut out, &head, Direction::Receive);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                r#"{PREFIX}"type": "keepalive", "header": "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001304", {NEIGHBOR}"direction": "receive"  }} }}"#
            )
        );
    }

    #[test]
    fn notification_events() {
        let sent = event("notification", |out, head| {
            write_notification_event(out, head, Direction::Send, 6, 2, b"\x0bshutdownnow")
        });
        assert_eq!(
            sent,
            format!(
                r#"{PREFIX}"type": "notification", {NEIGHBOR}"direction": "send", "notification": {{ "code": 6, "subcode": 2, "data": "0x0B73687574646F776E6E6F77", "message": "\u000bshutdownnow" }}  }} }}"#
            )
        );
        let empty = event("notification", |out, head| {
            write_notification_event(out, head, Direction::Receive, 6, 4, b"")
        });
        assert!(empty.ends_with(
            r#""direction": "receive", "notification": { "code": 6, "subcode": 4, "data": "0x", "message": "" }  } }"#
        ));
    }

    #[test]
    fn neighbor_without_router_id() {
        let envelope = envelope();
        let mut neighbor = neighbor();
        neighbor.router_id = None;
        let head = EventHead {
            envelope: &envelope,
            counter: 1,
            kind: "state",
            raw: None,
            neighbor: &neighbor,
        };
        let mut out = Vec::new();
        write_state_event(&mut out, &head, "connected", None);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(r#""asn": { "local": 65000, "peer": 65001 }, "state": "connected" } }"#)
        );
    }

    #[test]
    fn shutdown_event() {
        let mut out = Vec::new();
        write_shutdown_event(&mut out, &envelope());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{ "exabgp": "5.0.0", "time": 1700000000.5, "host" : "rtr1", "pid" : 4242, "ppid" : 1, "type": "notification", "notification": "shutdown" }"#
        );
    }

    #[test]
    fn ipv6_neighbor_addresses() {
        let envelope = envelope();
        let mut neighbor = neighbor();
        neighbor.local_address = "2001:db8::2".parse().unwrap();
        neighbor.peer_address = "2001:db8::1".parse().unwrap();
        let head = EventHead {
            envelope: &envelope,
            counter: 1,
            kind: "state",
            raw: None,
            neighbor: &neighbor,
        };
        let mut out = Vec::new();
        write_state_event(&mut out, &head, "up", None);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#""address": { "local": "2001:db8::2", "peer": "2001:db8::1" }"#));
    }
}
