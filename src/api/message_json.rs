//! JSON for BGP message events (`update`, `open`, `notification`, `keepalive`, `refresh`,
//! `operational`) and bare NLRI, from the decoded `bgp` types, in ExaBGP 5's shapes.

use std::fmt::Write as _;

use super::json::{write_direction, write_neighbor_event, Direction, EventHead, JsonWriter};

/// The longest shutdown communication RFC 8203 allows; ExaBGP rejects longer ones.
const SHUTDOWN_COMMUNICATION_MAX: usize = 128;

/// The data ExaBGP reports for a *received* NOTIFICATION: for Cease 6/2 (administrative
/// shutdown) and 6/4 (administrative reset) with data, its rendering of the RFC 8203/9003
/// shutdown communication; otherwise `None` (the data is reported as received).
pub fn received_shutdown_report(code: u8, subcode: u8, data: &[u8]) -> Option<String> {
    if code != 6 || !(subcode == 2 || subcode == 4) {
        return None;
    }
    let (&length, rest) = data.split_first()?;
    let length = usize::from(length);
    let mut report = String::new();
    if length == 0 {
        report.push_str("empty Shutdown Communication.");
        return Some(report);
    }
    let problem = if length > rest.len() {
        Some("buffer underrun")
    } else if length > SHUTDOWN_COMMUNICATION_MAX {
        Some("too large")
    } else {
        None
    };
    let (text, trailing) = rest.split_at(length.min(rest.len()));
    let problem = problem.or_else(|| std::str::from_utf8(text).err().map(|_| "invalid UTF-8"));
    if let Some(problem) = problem {
        let _ = write!(
            report,
            "invalid Shutdown Communication ({problem}) length : {length} [0x"
        );
        push_hex_upper(&mut report, rest);
        report.push(']');
        return Some(report);
    }
    let text = std::str::from_utf8(text).unwrap_or_default();
    report.push_str("Shutdown Communication: \"");
    report.extend(text.chars().map(|c| match c {
        '\r' | '\n' => ' ',
        c => c,
    }));
    report.push('"');
    if !trailing.is_empty() {
        report.push_str(", trailing data: 0x");
        push_hex_upper(&mut report, trailing);
    }
    Some(report)
}

fn push_hex_upper(text: &mut String, bytes: &[u8]) {
    for byte in bytes {
        let _ = write!(text, "{byte:02X}");
    }
}

/// A NOTIFICATION event as ExaBGP reports it: for a received Cease 6/2 or 6/4 the data is
/// replaced by ExaBGP's rendering of the shutdown communication (see
/// [`received_shutdown_report`]); sent notifications report the bytes sent.
pub fn write_notification(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    code: u8,
    subcode: u8,
    data: &[u8],
) {
    let report = match direction {
        Direction::Receive | Direction::In => received_shutdown_report(code, subcode, data),
        Direction::Send => None,
    };
    let data = report.as_ref().map_or(data, |text| text.as_bytes());
    super::json::write_notification_event(out, head, direction, code, subcode, data);
}

/// A KEEPALIVE event.
pub fn write_keepalive(out: &mut Vec<u8>, head: &EventHead<'_>, direction: Direction) {
    super::json::write_keepalive_event(out, head, direction);
}

/// A message event whose content is `"direction": ..., ` followed by what `content` writes
/// (e.g. `"message": { ... }` or `"open": { ... }`).
pub fn write_message_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    content: impl FnOnce(&mut JsonWriter<'_>),
) {
    write_neighbor_event(out, head, |w| {
        write_direction(w, direction);
        w.raw(", ");
        content(w);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(data: &[u8]) -> Option<String> {
        received_shutdown_report(6, 2, data)
    }

    #[test]
    fn shutdown_communication_reports() {
        // Checked against ExaBGP 5.0.15's decoder.
        assert_eq!(report(b""), None);
        assert_eq!(received_shutdown_report(6, 3, b"\x01A"), None);
        assert_eq!(
            report(b"\x00B").as_deref(),
            Some("empty Shutdown Communication.")
        );
        assert_eq!(
            report(b"\x0bshutdownnow").as_deref(),
            Some("Shutdown Communication: \"shutdownnow\"")
        );
        assert_eq!(
            report(b"\x02AABC").as_deref(),
            Some("Shutdown Communication: \"AA\", trailing data: 0x4243")
        );
        assert_eq!(
            report(b"\x03A\r\n").as_deref(),
            Some("Shutdown Communication: \"A  \"")
        );
        assert_eq!(
            report(b"\x05\xc3\x28").as_deref(),
            Some("invalid Shutdown Communication (buffer underrun) length : 5 [0xC328]")
        );
        assert_eq!(
            report(b"\x02\xc3\x28\x44").as_deref(),
            Some("invalid Shutdown Communication (invalid UTF-8) length : 2 [0xC32844]")
        );
        let mut long = vec![129u8];
        long.extend([b'A'; 129]);
        assert!(received_shutdown_report(6, 4, &long)
            .unwrap()
            .starts_with("invalid Shutdown Communication (too large) length : 129 [0x4141"));
    }
}
