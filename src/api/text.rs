//! The text encoder for helper-process events (`encoder text`, api.md §8): one function per
//! event that has a text form, producing the bytes ExaBGP 5.0.15 writes to the helper.
//!
//! Every function appends the *complete* output for one event, the trailing newline of
//! ExaBGP's process writer included: most text events already end in `\n`, so they are
//! followed by a blank line, as in ExaBGP. The negotiated, fsm and signal events have no
//! text form (`api::event` writes nothing for them, not even a newline); an OPERATIONAL
//! message of a type ExaBGP does not know writes nothing either. So a caller writes `out` to the pipe as it is,
//! without adding a newline (unlike the JSON functions).
//!
//! The functions take the same [`EventHead`] as the JSON ones; only the peer address and
//! the raw bytes (`head.raw`, attached when the helper asked for them) are used. Text
//! events do not consume the per-neighbor JSON counter. On the UPDATE path the attribute
//! text is rendered once per message and copied for each route: nothing is allocated per
//! prefix.
//!
//! One deliberate difference: ExaBGP writes to helpers as ASCII and fails on peer text
//! that is printable but not ASCII (a non-ASCII host name in an OPEN); rexa writes it as
//! UTF-8.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;

use super::json::{Direction, Envelope, EventHead, JsonWriter, RawMessage};
use super::message_json::UpdateJsonOptions;
use super::names::{error_note_name, write_afi, write_family, write_safi};
use crate::bgp::attribute::Attribute;
use crate::bgp::capability::{iana_class, Capability};
use crate::bgp::flow::FlowNlri;
use crate::bgp::mp::MpNlri;
use crate::bgp::nlri::{NextHop, Nlri};
use crate::bgp::open::Open;
use crate::bgp::operational::Operational;
use crate::bgp::refresh::RouteRefresh;
use crate::bgp::update::AttributeErrorNote;
use crate::bgp::update::Update;
use crate::bgp::Notification;

// ---------------------------------------------------------------------------------------
// Small writers
// ---------------------------------------------------------------------------------------

/// Writes `neighbor <peer-address> `.
fn write_neighbor(out: &mut Vec<u8>, head: &EventHead<'_>) {
    out.extend_from_slice(b"neighbor ");
    write_ip(out, head.neighbor.peer_address);
    out.push(b' ');
}

/// Writes `neighbor <peer-address> <direction> `.
fn write_message_start(out: &mut Vec<u8>, head: &EventHead<'_>, direction: Direction) {
    write_neighbor(out, head);
    out.extend_from_slice(direction.as_str().as_bytes());
    out.push(b' ');
}

fn write_ip(out: &mut Vec<u8>, address: IpAddr) {
    match address {
        IpAddr::V4(address) => {
            JsonWriter::new(out).ipv4(address);
        }
        IpAddr::V6(address) => {
            let _ = write!(out, "{address}");
        }
    }
}

fn write_u64(out: &mut Vec<u8>, value: u64) {
    JsonWriter::new(out).u64(value);
}

/// `0x` and uppercase hex (ExaBGP's `hexstring`; `0x` alone for no bytes).
fn write_hex_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(b"0x");
    JsonWriter::new(out).hex_upper(bytes);
}

/// ` header 0x<HEX>` and ` body 0x<HEX>`, each only when its bytes are not empty.
fn write_header_body(out: &mut Vec<u8>, raw: Option<RawMessage<'_>>) {
    let Some(raw) = raw else {
        return;
    };
    if !raw.header.is_empty() {
        out.extend_from_slice(b" header ");
        write_hex_string(out, raw.header);
    }
    if !raw.body.is_empty() {
        out.extend_from_slice(b" body ");
        write_hex_string(out, raw.body);
    }
}

/// Whether Python's `str.isprintable` holds for `c`: false for control, format and
/// separator characters other than the ASCII space (the common ones; unassigned code
/// points, which Python also refuses, cannot be told apart without Unicode tables).
fn python_printable(c: char) -> bool {
    if c.is_control() {
        return false;
    }
    !matches!(
        c,
        '\u{a0}'
            | '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{1680}'
            | '\u{180e}'
            | '\u{2000}'..='\u{200f}'
            | '\u{2028}'..='\u{202f}'
            | '\u{205f}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{3000}'
            | '\u{e000}'..='\u{f8ff}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
            | '\u{f0000}'..
    )
}

/// Writes `text` on one line as ExaBGP 5 does for peer-supplied text: every character
/// Python does not consider printable becomes `\xNN` (lowercase hex of the code point,
/// at least two digits). With `lowercase`, letters are lower-cased as Python's
/// `str.lower` does.
fn write_one_line(out: &mut Vec<u8>, text: &str, lowercase: bool) {
    if !lowercase && text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    let mut buffer = [0u8; 4];
    for c in text.chars() {
        if !python_printable(c) {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else if lowercase {
            for lower in c.to_lowercase() {
                out.extend_from_slice(lower.encode_utf8(&mut buffer).as_bytes());
            }
        } else {
            out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
        }
    }
}

/// Writes `bytes` as Python's `repr` of a `bytes` value: `b'...'` (or `b"..."` when the
/// bytes hold a `'` and no `"`), with `\\`, `\t`, `\n`, `\r`, the quote and every byte
/// outside printable ASCII escaped.
fn write_python_bytes_repr(out: &mut Vec<u8>, bytes: &[u8]) {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    out.push(b'b');
    out.push(quote);
    for &byte in bytes {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ if byte == quote => {
                out.push(b'\\');
                out.push(byte);
            }
            0x20..=0x7e => out.push(byte),
            _ => {
                let _ = write!(out, "\\x{byte:02x}");
            }
        }
    }
    out.push(quote);
}

// ---------------------------------------------------------------------------------------
// Session events
// ---------------------------------------------------------------------------------------

/// A state change: `neighbor <ip> connected`, `neighbor <ip> up`, or
/// `neighbor <ip> down - <reason>` (the reason kept on one line). Same arguments as the
/// JSON `write_state_event`; a `down` without a reason prints an empty one.
pub fn write_state_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    state: &str,
    reason: Option<&str>,
) {
    write_neighbor(out, head);
    out.extend_from_slice(state.as_bytes());
    if state == "down" {
        out.extend_from_slice(b" - ");
        write_one_line(out, reason.unwrap_or_default(), false);
    }
    out.extend_from_slice(b"\n\n");
}

/// The event written to every helper when the daemon stops: `shutdown <pid> <ppid>`.
pub fn write_shutdown_event(out: &mut Vec<u8>, envelope: &Envelope<'_>) {
    let _ = write!(out, "shutdown {} {}\n\n", envelope.pid, envelope.ppid);
}

/// A raw packet (`packets` without `consolidate`):
/// `neighbor <ip> <dir> <message type number>[ header 0x..][ body 0x..]`.
/// (The negotiated object the JSON form can carry has no text form.)
pub fn write_raw_message_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    header: &[u8],
    body: &[u8],
) {
    write_message_start(out, head, direction);
    let category = header.get(18).copied().unwrap_or_default();
    write_u64(out, category.into());
    write_header_body(out, Some(RawMessage { header, body }));
    out.extend_from_slice(b"\n\n");
}

// ---------------------------------------------------------------------------------------
// Simple message events
// ---------------------------------------------------------------------------------------

/// `neighbor <ip> <dir> keepalive[ header 0x..]`.
pub fn write_keepalive(out: &mut Vec<u8>, head: &EventHead<'_>, direction: Direction) {
    write_message_start(out, head, direction);
    out.extend_from_slice(b"keepalive");
    write_header_body(out, head.raw);
    out.extend_from_slice(b"\n\n");
}

/// `neighbor <ip> <dir> notification code <c> subcode <s> data 0x<HEX>[ header ..]`, with
/// the data given (see [`write_notification`] for what ExaBGP reports).
pub fn write_notification_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    code: u8,
    subcode: u8,
    data: &[u8],
) {
    write_message_start(out, head, direction);
    out.extend_from_slice(b"notification code ");
    write_u64(out, code.into());
    out.extend_from_slice(b" subcode ");
    write_u64(out, subcode.into());
    out.extend_from_slice(b" data ");
    write_hex_string(out, data);
    write_header_body(out, head.raw);
    out.extend_from_slice(b"\n\n");
}

/// A NOTIFICATION event: a received Cease 6/2 or 6/4 reports ExaBGP's rendering of the
/// shutdown communication (hex-encoded), everything else the data bytes.
pub fn write_notification(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    notification: &Notification,
) {
    let (code, subcode) = (notification.code, notification.subcode);
    match direction {
        Direction::Receive | Direction::In => {
            let reported = notification.exabgp_received_data();
            write_notification_event(out, head, direction, code, subcode, &reported);
        }
        Direction::Send => {
            write_notification_event(out, head, direction, code, subcode, &notification.data)
        }
    }
}

/// `neighbor <ip> <dir> route-refresh afi <afi> safi <safi> <query|begin|end|invalid>`.
pub fn write_refresh(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    refresh: &RouteRefresh,
) {
    write_message_start(out, head, direction);
    out.extend_from_slice(b"route-refresh afi ");
    write_afi(out, refresh.afi);
    out.extend_from_slice(b" safi ");
    write_safi(out, refresh.safi);
    out.push(b' ');
    out.extend_from_slice(refresh.subtype.name().unwrap_or("invalid").as_bytes());
    write_header_body(out, head.raw);
    out.extend_from_slice(b"\n\n");
}

/// An OPERATIONAL event, on one line without a trailing blank line:
/// `... operational ADM afi <afi> safi <safi> advisory "b'<text>'"` (ExaBGP prints the
/// advisory as a Python bytes literal), `... operational RPCQ afi <afi> safi <safi>`, or
/// `... operational RPCP afi .. safi .. router-id <id> sequence <n> counter <n>`.
/// ExaBGP reports no event for a type it does not know: nothing is written.
pub fn write_operational(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    operational: &Operational,
) {
    let Some(family) = operational.family() else {
        return;
    };
    if matches!(operational, Operational::Unknown { .. }) {
        return;
    }
    write_message_start(out, head, direction);
    out.extend_from_slice(b"operational ");
    out.extend_from_slice(operational.name().as_bytes());
    out.extend_from_slice(b" afi ");
    write_afi(out, family.afi);
    out.extend_from_slice(b" safi ");
    write_safi(out, family.safi);
    match operational {
        Operational::Advisory { text, .. } => {
            out.extend_from_slice(b" advisory \"");
            write_python_bytes_repr(out, text);
            out.push(b'"');
        }
        Operational::Query { .. } | Operational::Unknown { .. } => {}
        Operational::Reply {
            router_id,
            sequence,
            counter,
            ..
        } => {
            out.extend_from_slice(b" router-id ");
            write_ip(out, IpAddr::V4(*router_id));
            // ExaBGP keeps a zero sequence number as Python's None.
            out.extend_from_slice(b" sequence ");
            if *sequence == 0 {
                out.extend_from_slice(b"None");
            } else {
                write_u64(out, (*sequence).into());
            }
            out.extend_from_slice(b" counter ");
            write_u64(out, (*counter).into());
        }
    }
    write_header_body(out, head.raw);
    out.push(b'\n');
}

// ---------------------------------------------------------------------------------------
// OPEN
// ---------------------------------------------------------------------------------------

/// `neighbor <ip> <dir> open version 4 asn <asn> hold_time <t> router_id <id>
/// capabilities [<summary>]`: the capabilities in ascending code order, merged by code as
/// ExaBGP stores them, lower-cased and kept on one line.
pub fn write_open_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    open: &Open,
) {
    write_message_start(out, head, direction);
    out.extend_from_slice(b"open version ");
    write_u64(out, open.version.into());
    out.extend_from_slice(b" asn ");
    write_u64(out, open.my_as.into());
    out.extend_from_slice(b" hold_time ");
    write_u64(out, open.hold_time.into());
    out.extend_from_slice(b" router_id ");
    write_ip(out, IpAddr::V4(open.router_id));
    out.extend_from_slice(b" capabilities [");
    let unsent_hostname = direction == Direction::Send && open.capability(HOSTNAME).is_none();
    write_one_line(out, &capability_summary(open, unsent_hostname), true);
    out.push(b']');
    write_header_body(out, head.raw);
    out.extend_from_slice(b"\n\n");
}

/// The hostname capability code (draft-walton-bgp-hostname-capability).
const HOSTNAME: u8 = 73;

/// ExaBGP's text of an OPEN's capabilities, before lower-casing: one entry per code in
/// ascending order, joined by `, `. Multiprotocol and extended next-hop capabilities
/// received several times are merged; for any other code the last one received wins.
///
/// ExaBGP 5 always holds a hostname capability in the OPEN it sends but leaves it off the
/// wire when `host-name` is not configured; its sent-OPEN event still lists it, as
/// `Hostname(None None)`: `unsent_hostname` adds that entry.
fn capability_summary(open: &Open, unsent_hostname: bool) -> String {
    let capabilities: Vec<&Capability> = open.capabilities().collect();
    let mut codes: Vec<u8> = capabilities.iter().map(|c| c.code()).collect();
    if unsent_hostname {
        codes.push(HOSTNAME);
    }
    codes.sort_unstable();
    codes.dedup();
    let mut text = String::new();
    let mut scratch = Vec::new();
    for (index, code) in codes.iter().enumerate() {
        if index > 0 {
            text.push_str(", ");
        }
        let same_code = || capabilities.iter().copied().filter(|c| c.code() == *code);
        let Some(last) = same_code().next_back() else {
            if *code == HOSTNAME {
                text.push_str("Hostname(None None)");
            }
            continue;
        };
        scratch.clear();
        match last {
            Capability::Multiprotocol(_) => {
                scratch.extend_from_slice(b"Multiprotocol(");
                let families = same_code().filter_map(|c| match c {
                    Capability::Multiprotocol(family) => Some(*family),
                    _ => None,
                });
                for (position, family) in families.enumerate() {
                    if position > 0 {
                        scratch.push(b',');
                    }
                    write_family(&mut scratch, family, " ");
                }
                scratch.push(b')');
            }
            Capability::ExtendedNextHop(_) => {
                scratch.extend_from_slice(b"NextHop(");
                let entries = same_code().flat_map(|c| match c {
                    Capability::ExtendedNextHop(entries) => entries.as_slice(),
                    _ => &[],
                });
                for (position, (family, next_hop_afi)) in entries.enumerate() {
                    if position > 0 {
                        scratch.push(b',');
                    }
                    write_family(&mut scratch, *family, " ");
                    scratch.push(b' ');
                    write_afi(&mut scratch, *next_hop_afi);
                }
                scratch.push(b')');
            }
            Capability::GracefulRestart(gr) => {
                let _ = write!(
                    scratch,
                    "Graceful Restart Flags {:#x} Time {} ",
                    gr.restart_flags, gr.restart_time
                );
                // ExaBGP keeps only the forwarding-state bit of each family's flags.
                for (position, (family, flags)) in gr.families.iter().enumerate() {
                    if position > 0 {
                        scratch.push(b' ');
                    }
                    write_family(&mut scratch, *family, "/");
                    let _ = write!(scratch, "={:#x}", flags & 0x80);
                }
            }
            Capability::AddPath(entries) => {
                // A family listed twice keeps its first place and its last mode.
                scratch.extend_from_slice(b"AddPath(");
                let mut first = true;
                for (position, (family, _)) in entries.iter().enumerate() {
                    let earlier = entries.get(..position).unwrap_or_default();
                    if earlier.iter().any(|(f, _)| f == family) {
                        continue;
                    }
                    let Some((_, mode)) = entries.iter().rev().find(|(f, _)| f == family) else {
                        continue;
                    };
                    if !first {
                        scratch.push(b',');
                    }
                    first = false;
                    let _ = write!(scratch, "{mode} ");
                    write_family(&mut scratch, *family, " ");
                }
                scratch.push(b')');
            }
            // ExaBGP 5 does not know these codes.
            Capability::Role(_) | Capability::LinkLocalNextHop | Capability::Unknown { .. } => {
                let class = match iana_class(*code) {
                    "reserved" => "Reserved",
                    "unassigned" => "Unassigned",
                    _ => "Unknown",
                };
                let _ = write!(scratch, "{class} {code}");
            }
            other => {
                let _ = write!(scratch, "{other}");
            }
        }
        text.push_str(&String::from_utf8_lossy(&scratch));
    }
    text
}

// ---------------------------------------------------------------------------------------
// UPDATE
// ---------------------------------------------------------------------------------------

/// How an UPDATE event is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpdateTextOptions {
    /// Show the AIGP attribute (ExaBGP does only when the neighbor has `aigp` enabled).
    pub aigp: bool,
}

impl From<UpdateJsonOptions> for UpdateTextOptions {
    /// The text options matching a JSON helper's (text has no compact form).
    fn from(json: UpdateJsonOptions) -> Self {
        UpdateTextOptions { aigp: json.aigp }
    }
}

/// An UPDATE event, the multi-line block of api.md §8:
///
/// ```text
/// neighbor <ip> <dir> update start
/// neighbor <ip> <dir> update withdrawn <route>
/// neighbor <ip> <dir> update announced <route>[ next-hop <ip>][ rd ..]<attributes>
/// neighbor <ip> <dir> update end
/// ```
///
/// Routes in wire order (IPv4 withdrawn, IPv4 NLRI, MP_UNREACH, MP_REACH); a route with a
/// link-local next-hop gets a second line for it; an End-of-RIB marker is one line
/// `update route eor <afi>/<safi> (<afi> <safi>)`; raw bytes, when attached, are one line
/// ` header 0x.. body 0x..` before `end`. `error` is the RFC 7606 note from
/// `decode_update_for_report`, shown as a last attribute (` error treat-as-withdraw`).
pub fn write_update_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    update: &Update,
    error: Option<AttributeErrorNote>,
    options: UpdateTextOptions,
) {
    let line_start = out.len();
    write_message_start(out, head, direction);
    out.extend_from_slice(b"update");
    let prefix = line_start..out.len();
    out.extend_from_slice(b" start\n");

    let end_of_rib = if error.is_none() {
        update.end_of_rib()
    } else {
        None
    };
    if let Some(family) = end_of_rib {
        out.extend_from_within(prefix.clone());
        let _ = write!(out, " route eor {}/{} (", family.afi.0, family.safi.0);
        write_family(out, family, " ");
        out.extend_from_slice(b")\n");
    } else {
        let mut lines = UpdateLines {
            prefix: prefix.clone(),
            attributes: None,
            update,
            error,
            options,
        };
        for route in &update.withdrawn {
            lines.withdrawn(out, Route::Decoded(route));
        }
        let next_hop = update
            .attributes
            .iter()
            .find_map(|a| match a {
                Attribute::NextHop(address) => Some(NextHopText::Address(IpAddr::V4(*address))),
                _ => None,
            })
            .unwrap_or(NextHopText::None);
        for route in &update.announced {
            lines.announced(out, Route::Decoded(route), next_hop);
        }
        for unreach in update.mp_unreach() {
            match &unreach.nlri {
                MpNlri::Decoded(routes) => {
                    for route in routes {
                        lines.withdrawn(out, Route::Decoded(route));
                    }
                }
                MpNlri::Flow(routes) => {
                    for route in routes {
                        lines.withdrawn(out, Route::Flow(route));
                    }
                }
                MpNlri::Evpn(routes) => {
                    for route in routes {
                        lines.withdrawn(out, Route::Opaque(route.raw()));
                    }
                }
                MpNlri::LinkState(routes) => {
                    for route in routes {
                        lines.withdrawn(out, Route::Opaque(route.raw()));
                    }
                }
                MpNlri::Opaque(bytes) if !bytes.is_empty() => {
                    lines.withdrawn(out, Route::Opaque(bytes));
                }
                MpNlri::Opaque(_) => {}
            }
        }
        for reach in update.mp_reach() {
            let global = next_hop_text(&reach.next_hop);
            let link_local = reach.next_hop.link_local().map(IpAddr::V6);
            let mut announce = |out: &mut Vec<u8>, route: Route<'_>| {
                lines.announced(out, route, global);
                if let Some(link_local) = link_local {
                    lines.announced(out, route, NextHopText::Address(link_local));
                }
            };
            match &reach.nlri {
                MpNlri::Decoded(routes) => {
                    for route in routes {
                        announce(out, Route::Decoded(route));
                    }
                }
                MpNlri::Flow(routes) => {
                    for route in routes {
                        announce(out, Route::Flow(route));
                    }
                }
                MpNlri::Evpn(routes) => {
                    for route in routes {
                        announce(out, Route::Opaque(route.raw()));
                    }
                }
                MpNlri::LinkState(routes) => {
                    for route in routes {
                        announce(out, Route::Opaque(route.raw()));
                    }
                }
                MpNlri::Opaque(bytes) if !bytes.is_empty() => announce(out, Route::Opaque(bytes)),
                MpNlri::Opaque(_) => {}
            }
        }
    }

    if let Some(raw) = head.raw {
        if !raw.header.is_empty() || !raw.body.is_empty() {
            write_header_body(out, Some(raw));
            out.push(b'\n');
        }
    }
    out.extend_from_within(prefix);
    out.extend_from_slice(b" end\n\n");
}

/// One route of an UPDATE: decoded, or the raw NLRI bytes of a family rexa does not decode.
#[derive(Clone, Copy)]
enum Route<'a> {
    Decoded(&'a Nlri),
    Flow(&'a FlowNlri),
    Opaque(&'a [u8]),
}

/// The next-hop shown on an `announced` line.
#[derive(Clone, Copy)]
enum NextHopText<'a> {
    None,
    Address(IpAddr),
    /// A next-hop of a length rexa does not decode (opaque families), as hex.
    Bytes(&'a [u8]),
}

fn next_hop_address(next_hop: NextHopText<'_>) -> Option<IpAddr> {
    match next_hop {
        NextHopText::Address(address) => Some(address),
        _ => None,
    }
}

fn next_hop_text(next_hop: &NextHop) -> NextHopText<'_> {
    match next_hop {
        NextHop::Other(bytes) => NextHopText::Bytes(bytes),
        other => other
            .address()
            .map_or(NextHopText::None, NextHopText::Address),
    }
}

/// The lines of one UPDATE block: the `neighbor <ip> <dir> update` prefix (a range of the
/// output, copied for each line) and the attribute text, written out the first time a
/// route needs it and copied from there afterwards.
struct UpdateLines<'a> {
    prefix: Range<usize>,
    attributes: Option<Range<usize>>,
    update: &'a Update,
    error: Option<AttributeErrorNote>,
    options: UpdateTextOptions,
}

impl UpdateLines<'_> {
    fn withdrawn(&mut self, out: &mut Vec<u8>, route: Route<'_>) {
        out.extend_from_within(self.prefix.clone());
        out.extend_from_slice(b" withdrawn ");
        write_route(out, route, NextHopText::None);
        out.push(b'\n');
    }

    fn announced(&mut self, out: &mut Vec<u8>, route: Route<'_>, next_hop: NextHopText<'_>) {
        out.extend_from_within(self.prefix.clone());
        out.extend_from_slice(b" announced ");
        write_route(out, route, next_hop);
        match &self.attributes {
            Some(range) => out.extend_from_within(range.clone()),
            None => {
                let start = out.len();
                write_attributes(out, &self.update.attributes, self.error, self.options);
                self.attributes = Some(start..out.len());
            }
        }
        out.push(b'\n');
    }
}

/// `<prefix>[ path-information <id>][ label <n>| label [ <n> <n> ]][ next-hop <ip>][ rd <rd>]`.
fn write_route(out: &mut Vec<u8>, route: Route<'_>, next_hop: NextHopText<'_>) {
    let route = match route {
        Route::Decoded(route) => route,
        Route::Opaque(bytes) => {
            write_hex_string(out, bytes);
            write_next_hop(out, next_hop);
            return;
        }
        Route::Flow(route) => {
            let mut text = String::new();
            let _ = route.write_string(&mut text, next_hop_address(next_hop));
            out.extend_from_slice(text.as_bytes());
            return;
        }
    };
    if let Some(flow) = route.as_flow() {
        let mut text = String::new();
        let _ = flow.write_string(&mut text, next_hop_address(next_hop));
        out.extend_from_slice(text.as_bytes());
        return;
    }
    if let Nlri::Vpls { .. } | Nlri::SrPolicy { .. } = route {
        let _ = write!(out, "{route}");
        write_next_hop(out, next_hop);
        return;
    }
    if let Nlri::Mup { .. } | Nlri::Mvpn { .. } = route {
        // ExaBGP shows only the family (`afi ipv4 safi mup`, `afi ipv6 safi mcast-vpn`),
        // without the next-hop.
        let _ = write!(out, "{route}");
        return;
    }
    let prefix = route.get_prefix();
    write_ip(out, prefix.addr());
    out.push(b'/');
    write_u64(out, prefix.len().into());
    if let Some(path_id) = route.path_id() {
        out.extend_from_slice(b" path-information ");
        write_ip(out, IpAddr::V4(Ipv4Addr::from(path_id)));
    }
    if let Some(labels) = route.labels() {
        match labels.entries() {
            [] => {}
            [one] => {
                out.extend_from_slice(b" label ");
                write_u64(out, one.label().into());
            }
            several => {
                out.extend_from_slice(b" label [");
                for entry in several {
                    out.push(b' ');
                    write_u64(out, entry.label().into());
                }
                out.extend_from_slice(b" ]");
            }
        }
    }
    write_next_hop(out, next_hop);
    if let Some(rd) = route.rd() {
        let _ = write!(out, " rd {rd}");
    }
}

fn write_next_hop(out: &mut Vec<u8>, next_hop: NextHopText<'_>) {
    match next_hop {
        NextHopText::None => {}
        NextHopText::Address(address) => {
            out.extend_from_slice(b" next-hop ");
            write_ip(out, address);
        }
        NextHopText::Bytes(bytes) => {
            out.extend_from_slice(b" next-hop ");
            write_hex_string(out, bytes);
        }
    }
}

/// The attribute text of an `announced` line: ` <name> <value>` for each attribute ExaBGP
/// shows, in ascending type-code order, then ` error <note>`.
fn write_attributes(
    out: &mut Vec<u8>,
    attributes: &[Attribute],
    error: Option<AttributeErrorNote>,
    options: UpdateTextOptions,
) {
    let mut shown: Vec<&Attribute> = attributes
        .iter()
        .filter(|a| options.aigp || !matches!(a, Attribute::Aigp(_)))
        .filter(|a| !matches!(a, Attribute::AsPath(path) if path.is_empty()))
        .collect();
    shown.sort_by_key(|a| a.code());
    for attribute in shown {
        if let Some(entry) = crate::api::attribute::text_entry(attribute) {
            out.push(b' ');
            out.extend_from_slice(entry.as_bytes());
        }
    }
    if let Some(error) = error {
        out.extend_from_slice(b" error ");
        out.extend_from_slice(error_note_name(error).as_bytes());
    }
}

#[cfg(test)]
mod tests;
