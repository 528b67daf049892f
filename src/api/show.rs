//! `show neighbor extensive|json` and `show adj-rib ... json` (api.md §5.9) rendered: a
//! neighbor's resolved [`Report`] and adj-rib routes, in ExaBGP 5.0.15's layouts.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use super::json::escape_into_string;
use crate::bgp::attribute::Attribute;
use crate::bgp::family::Family;
use crate::bgp::message;
use crate::bgp::nlri::Nlri;

/// The capability rows, in ExaBGP's order.
pub const CAPABILITY_NAMES: [&str; 7] = [
    "asn4",
    "route-refresh",
    "multi-session",
    "operational",
    "add-path",
    "extended-message",
    "graceful-restart",
];

/// The message rows (before `total`) with their type codes, in ExaBGP's order.
pub const MESSAGE_ROWS: [(&str, u8); 5] = [
    ("open", message::OPEN),
    ("notification", message::NOTIFICATION),
    ("keepalive", message::KEEPALIVE),
    ("update", message::UPDATE),
    ("refresh", message::ROUTE_REFRESH),
];

/// One family row: configured locally, negotiated (`None`: no OPEN yet), ADD-PATH send and
/// receive (`None`: configured, not negotiated yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyRow {
    pub family: Family,
    pub common: Option<bool>,
    pub send: Option<bool>,
    pub receive: Option<bool>,
}

/// Everything one neighbor's report shows, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub peer_address: String,
    /// `None` prints as ExaBGP prints an unset value: `None`.
    pub local_address: Option<IpAddr>,
    /// ExaBGP's FSM name, upper case.
    pub state: &'static str,
    /// Seconds established (0: not established).
    pub up: u64,
    /// Seconds from the neighbor's creation to its last reset.
    pub down: u64,
    pub local_as: u32,
    pub peer_as: u32,
    pub local_id: Ipv4Addr,
    pub peer_id: Option<Ipv4Addr>,
    pub local_hold: u16,
    pub peer_hold: Option<u16>,
    /// (local, peer) per [`CAPABILITY_NAMES`] entry.
    pub capabilities: [(Option<bool>, Option<bool>); 7],
    pub families: Vec<FamilyRow>,
    /// (sent, received) per message row.
    pub messages: [(u64, u64); 5],
}

impl Report {
    fn local_address_text(&self) -> String {
        self.local_address
            .map_or_else(|| "None".to_owned(), |a| a.to_string())
    }

    /// `show neighbor extensive`: the block's lines (the last one empty), as ExaBGP 5.0.15
    /// writes them, trailing spaces included.
    pub fn extensive_lines(&self, out: &mut Vec<String>) {
        let row = |key: &str, local: &str, peer: &str, extra: &str| {
            format!("   {key:<20} {local:>15} {peer:>15} {extra:<15}")
        };
        out.push(format!("Neighbor {}", self.peer_address));
        out.push(String::new());
        out.push("    Session                       Local".into());
        out.push(row("local", &self.local_address_text(), "", ""));
        out.push(row("state", self.state, "", ""));
        if self.up > 0 {
            out.push(row("up for", &duration_text(self.up), "", ""));
        } else {
            out.push(row("down for", &duration_text(self.down), "", ""));
        }
        out.push(String::new());
        out.push("    Setup                         Local          Remote".into());
        let peer_id = self.peer_id.map(|id| id.to_string());
        let peer_hold = self.peer_hold.map(|h| h.to_string());
        out.push(row(
            "AS",
            &self.local_as.to_string(),
            &self.peer_as.to_string(),
            "",
        ));
        out.push(row(
            "ID",
            &self.local_id.to_string(),
            peer_id.as_deref().unwrap_or("n/a"),
            "",
        ));
        out.push(row(
            "hold-time",
            &self.local_hold.to_string(),
            peer_hold.as_deref().unwrap_or("n/a"),
            "",
        ));
        out.push(String::new());
        out.push("    Capability                    Local          Remote".into());
        for (name, (local, peer)) in CAPABILITY_NAMES.iter().zip(self.capabilities) {
            out.push(row(&format!("{name}:"), enabled(local), enabled(peer), ""));
        }
        out.push(String::new());
        out.push("    Families                      Local          Remote        Add-Path".into());
        for f in &self.families {
            // ExaBGP hands the receive flag where the send one is expected, and back.
            let add_path = add_path_text(f.receive, f.send);
            out.push(row(
                &format!("{}:", f.family),
                enabled(Some(true)),
                enabled(f.common),
                add_path,
            ));
        }
        out.push(String::new());
        out.push("    Message Statistic              Sent        Received".into());
        let (mut total_sent, mut total_received) = (0u64, 0u64);
        for ((name, _), (sent, received)) in MESSAGE_ROWS.iter().zip(self.messages) {
            total_sent = total_sent.saturating_add(sent);
            total_received = total_received.saturating_add(received);
            out.push(row(
                &format!("{name}:"),
                &sent.to_string(),
                &received.to_string(),
                "",
            ));
        }
        out.push(row(
            "total:",
            &total_sent.to_string(),
            &total_received.to_string(),
            "",
        ));
        out.push(String::new());
    }

    /// One element of `show neighbor json`'s array (Python `json.dumps` spacing).
    pub fn json_into(&self, out: &mut String) {
        out.push('{');
        self.json_fields(out, false);
        out.push('}');
    }

    /// The report's keys without braces; `peer_first`: `peer` leads (v2 `show adj-rib
    /// extensive json`, where the report updates a dict that began with `peer`).
    pub fn json_fields(&self, out: &mut String, peer_first: bool) {
        let up = self.up > 0;
        if peer_first {
            out.push_str("\"peer\": ");
            self.side_json(out, false);
            out.push_str(", ");
        }
        out.push_str("\"state\": ");
        json_string(out, if up { "up" } else { "down" });
        let _ = write!(
            out,
            ", \"duration\": {}, \"fsm\": ",
            if up { self.up } else { self.down }
        );
        json_string(out, self.state);
        out.push_str(", \"local\": ");
        self.side_json(out, true);
        if !peer_first {
            out.push_str(", \"peer\": ");
            self.side_json(out, false);
        }
        out.push_str(", \"messages\": {\"sent\": {");
        self.messages_json(out, |m| m.0);
        out.push_str("}, \"received\": {");
        self.messages_json(out, |m| m.1);
        out.push_str("}}, \"capabilities\": [");
        let mut first = true;
        for (name, (_, peer)) in CAPABILITY_NAMES.iter().zip(self.capabilities) {
            if peer == Some(true) {
                separator(out, &mut first);
                json_string(out, name);
            }
        }
        out.push_str("], \"families\": [");
        let mut first = true;
        for f in self.families.iter().filter(|f| f.common == Some(true)) {
            separator(out, &mut first);
            json_string(out, &f.family.to_string());
        }
        out.push_str("], \"add-path\": {");
        let mut first = true;
        for f in &self.families {
            separator(out, &mut first);
            json_string(out, &f.family.to_string());
            out.push_str(": ");
            json_string(out, add_path_text(f.send, f.receive));
        }
        out.push('}');
    }

    fn side_json(&self, out: &mut String, local: bool) {
        out.push_str("{\"capabilities\": {");
        let mut first = true;
        for (name, (l, p)) in CAPABILITY_NAMES.iter().zip(self.capabilities) {
            separator(out, &mut first);
            json_string(out, name);
            out.push_str(": ");
            json_bool(out, if local { l } else { p });
        }
        out.push_str("}, \"families\": {");
        let mut first = true;
        for f in &self.families {
            separator(out, &mut first);
            json_string(out, &f.family.to_string());
            out.push_str(": ");
            json_bool(out, if local { Some(true) } else { f.common });
        }
        out.push_str("}, \"add-path\": {");
        let mut first = true;
        for f in &self.families {
            separator(out, &mut first);
            json_string(out, &f.family.to_string());
            out.push_str(": ");
            json_bool(out, if local { f.send } else { f.receive });
        }
        out.push_str("}, \"address\": ");
        if local {
            json_string(out, &self.local_address_text());
            let _ = write!(out, ", \"as\": {}, \"id\": ", self.local_as);
            json_string(out, &self.local_id.to_string());
            let _ = write!(out, ", \"hold\": {}}}", self.local_hold);
        } else {
            json_string(out, &self.peer_address);
            let _ = write!(out, ", \"as\": {}, \"id\": ", self.peer_as);
            match self.peer_id {
                Some(id) => json_string(out, &id.to_string()),
                None => out.push_str("null"),
            }
            out.push_str(", \"hold\": ");
            match self.peer_hold {
                Some(h) => {
                    let _ = write!(out, "{h}");
                }
                None => out.push_str("null"),
            }
            out.push('}');
        }
    }

    fn messages_json(&self, out: &mut String, pick: impl Fn((u64, u64)) -> u64) {
        let mut total = 0u64;
        for ((name, _), counts) in MESSAGE_ROWS.iter().zip(self.messages) {
            let value = pick(counts);
            total = total.saturating_add(value);
            let _ = write!(out, "\"{name}\": {value}, ");
        }
        let _ = write!(out, "\"total\": {total}");
    }
}

/// Python's `str(timedelta(seconds=n))`: `H:MM:SS`, with `D day(s), ` in front past a day.
pub fn duration_text(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    let clock = format!("{}:{:02}:{:02}", rest / 3600, rest / 60 % 60, rest % 60);
    match days {
        0 => clock,
        1 => format!("1 day, {clock}"),
        n => format!("{n} days, {clock}"),
    }
}

fn enabled(value: Option<bool>) -> &'static str {
    match value {
        None => "n/a",
        Some(true) => "enabled",
        Some(false) => "disabled",
    }
}

fn add_path_text(send: Option<bool>, receive: Option<bool>) -> &'static str {
    match (send == Some(true), receive == Some(true)) {
        (true, true) => "send/receive",
        (true, false) => "send",
        (false, true) => "receive",
        (false, false) => "disabled",
    }
}

fn separator(out: &mut String, first: &mut bool) {
    if !*first {
        out.push_str(", ");
    }
    *first = false;
}

fn json_bool(out: &mut String, value: Option<bool>) {
    out.push_str(match value {
        None => "null",
        Some(true) => "true",
        Some(false) => "false",
    });
}

/// A JSON string as Python's `json.dumps` writes it (non-ASCII escaped).
pub fn json_string(out: &mut String, text: &str) {
    out.push('"');
    escape_into_string(out, text);
    out.push('"');
}

/// Which routes `show adj-rib ... inet|flow|l2vpn` keeps.
pub fn kind_matches(kind: crate::api::command::RibKind, nlri: &Nlri) -> bool {
    use crate::api::command::RibKind;
    match kind {
        RibKind::All => true,
        RibKind::Inet => matches!(
            nlri,
            Nlri::Prefix { .. } | Nlri::Labeled { .. } | Nlri::Vpn { .. }
        ),
        RibKind::Flow => matches!(nlri, Nlri::Flow(_)),
        RibKind::L2vpn => matches!(nlri, Nlri::Vpls { .. }),
    }
}

/// A route's v1 JSON entry (`{"prefix": ..., "family": ...}`): only routes with a prefix
/// (ExaBGP skips the others).
pub fn v1_route(family: Family, nlri: &Nlri, out: &mut String) -> bool {
    if !matches!(
        nlri,
        Nlri::Prefix { .. } | Nlri::Labeled { .. } | Nlri::Vpn { .. }
    ) {
        return false;
    }
    out.push_str("{\"prefix\": ");
    json_string(out, &nlri.get_prefix().to_string());
    out.push_str(", \"family\": ");
    json_string(out, &family.to_string());
    out.push('}');
    true
}

/// A route's v2 JSON (`{"nlri": {...}, "attributes": {...}}`) as ExaBGP 5.0.15 writes it for
/// INET routes; other NLRI kinds show their text as `nlri` (not ExaBGP's dict).
pub fn v2_route(
    family: Family,
    nlri: &Nlri,
    next_hop: Option<&str>,
    attributes: &[Attribute],
    out: &mut String,
) {
    out.push_str("{\"nlri\": {");
    let inet = matches!(
        nlri,
        Nlri::Prefix { .. } | Nlri::Labeled { .. } | Nlri::Vpn { .. }
    );
    if inet {
        out.push_str("\"prefix\": ");
        json_string(out, &nlri.get_prefix().to_string());
    } else {
        out.push_str("\"nlri\": ");
        json_string(out, &nlri.to_string());
    }
    out.push_str(", \"nexthop\": ");
    match next_hop {
        Some(hop) => json_string(out, hop),
        None => out.push_str("null"),
    }
    out.push_str(", \"family\": {\"afi\": ");
    json_string(out, &family.afi.to_string());
    out.push_str(", \"safi\": ");
    json_string(out, &family.safi.to_string());
    out.push_str("}}, \"attributes\": {");
    v2_attributes(attributes, out);
    out.push_str("}}");
}

/// The `attributes` dict of a v2 route, by attribute code: ORIGIN and the next-hop are left
/// out (as ExaBGP does), AS_PATH is `{"<n>": {"element": ..., "value": [...]}}`, MED and
/// LOCAL_PREF numbers, communities lists of strings; other attributes their text form.
fn v2_attributes(attributes: &[Attribute], out: &mut String) {
    let mut sorted: Vec<&Attribute> = attributes.iter().collect();
    sorted.sort_by_key(|a| a.code());
    let mut first = true;
    for attribute in sorted {
        match attribute {
            Attribute::Origin(_)
            | Attribute::NextHop(_)
            | Attribute::MpReach(_)
            | Attribute::MpUnreach(_) => {}
            Attribute::AsPath(path) => {
                separator(out, &mut first);
                out.push_str("\"as-path\": {");
                let mut inner = true;
                for (index, segment) in path.segments.iter().enumerate() {
                    separator(out, &mut inner);
                    let _ = write!(out, "\"{index}\": {{\"element\": ");
                    json_string(out, super::attribute::segment_element_v5(segment.kind));
                    out.push_str(", \"value\": [");
                    let mut asns = true;
                    for asn in &segment.asns {
                        separator(out, &mut asns);
                        let _ = write!(out, "{asn}");
                    }
                    out.push_str("]}");
                }
                out.push('}');
            }
            Attribute::Med(n) | Attribute::LocalPref(n) => {
                separator(out, &mut first);
                let key = if matches!(attribute, Attribute::Med(_)) {
                    "med"
                } else {
                    "local-preference"
                };
                let _ = write!(out, "\"{key}\": {n}");
            }
            Attribute::Communities(list) => {
                separator(out, &mut first);
                string_list(out, "community", list.iter().map(ToString::to_string));
            }
            Attribute::ExtendedCommunities(list) => {
                separator(out, &mut first);
                string_list(
                    out,
                    "extended-community",
                    list.iter().map(ToString::to_string),
                );
            }
            Attribute::LargeCommunities(list) => {
                separator(out, &mut first);
                string_list(out, "large-community", list.iter().map(ToString::to_string));
            }
            other => {
                if let Some(text) = crate::api::attribute::text_entry(other) {
                    let (name, value) = text.split_once(' ').unwrap_or((&text, ""));
                    separator(out, &mut first);
                    json_string(out, name);
                    out.push_str(": ");
                    json_string(out, value);
                }
            }
        }
    }
}

fn string_list(out: &mut String, key: &str, items: impl Iterator<Item = String>) {
    json_string(out, key);
    out.push_str(": [");
    let mut first = true;
    for item in items {
        separator(out, &mut first);
        json_string(out, &item);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let v4 = Family::IPV4_UNICAST;
        Report {
            peer_address: "127.0.0.202".into(),
            local_address: Some("127.0.0.201".parse().unwrap()),
            state: "ESTABLISHED",
            up: 5,
            down: 0,
            local_as: 65001,
            peer_as: 65002,
            local_id: "1.1.1.1".parse().unwrap(),
            peer_id: Some("2.2.2.2".parse().unwrap()),
            local_hold: 180,
            peer_hold: Some(90),
            capabilities: [
                (Some(true), Some(true)),
                (Some(true), Some(true)),
                (Some(false), Some(false)),
                (Some(false), Some(false)),
                (Some(false), Some(false)),
                (Some(false), Some(true)),
                (Some(false), Some(false)),
            ],
            families: vec![FamilyRow {
                family: v4,
                common: Some(true),
                send: Some(false),
                receive: Some(false),
            }],
            messages: [(1, 1), (0, 0), (2, 3), (4, 5), (0, 0)],
        }
    }

    #[test]
    fn extensive_block_layout() {
        let mut lines = Vec::new();
        report().extensive_lines(&mut lines);
        let pad = |s: &str| format!("{s}{}", " ".repeat(16));
        let expected = [
            "Neighbor 127.0.0.202".to_owned(),
            String::new(),
            "    Session                       Local".into(),
            pad("   local                    127.0.0.201                "),
            pad("   state                    ESTABLISHED                "),
            pad("   up for                       0:00:05                "),
            String::new(),
            "    Setup                         Local          Remote".into(),
            pad("   AS                             65001           65002"),
            pad("   ID                           1.1.1.1         2.2.2.2"),
            pad("   hold-time                        180              90"),
            String::new(),
            "    Capability                    Local          Remote".into(),
            pad("   asn4:                        enabled         enabled"),
            pad("   route-refresh:               enabled         enabled"),
            pad("   multi-session:              disabled        disabled"),
            pad("   operational:                disabled        disabled"),
            pad("   add-path:                   disabled        disabled"),
            pad("   extended-message:           disabled         enabled"),
            pad("   graceful-restart:           disabled        disabled"),
            String::new(),
            "    Families                      Local          Remote        Add-Path".into(),
            "   ipv4 unicast:                enabled         enabled disabled       ".into(),
            String::new(),
            "    Message Statistic              Sent        Received".into(),
            pad("   open:                              1               1"),
            pad("   notification:                      0               0"),
            pad("   keepalive:                         2               3"),
            pad("   update:                            4               5"),
            pad("   refresh:                           0               0"),
            pad("   total:                             7               9"),
            String::new(),
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn json_element() {
        let mut out = String::new();
        report().json_into(&mut out);
        assert!(out.starts_with(
            "{\"state\": \"up\", \"duration\": 5, \"fsm\": \"ESTABLISHED\", \"local\": \
             {\"capabilities\": {\"asn4\": true, "
        ));
        assert!(out.contains(
            "\"address\": \"127.0.0.202\", \"as\": 65002, \"id\": \"2.2.2.2\", \"hold\": 90}"
        ));
        assert!(out.contains(
            "\"messages\": {\"sent\": {\"open\": 1, \"notification\": 0, \"keepalive\": 2, \
             \"update\": 4, \"refresh\": 0, \"total\": 7}"
        ));
        assert!(out.ends_with(
            "\"capabilities\": [\"asn4\", \"route-refresh\", \"extended-message\"], \
             \"families\": [\"ipv4 unicast\"], \"add-path\": {\"ipv4 unicast\": \"disabled\"}}"
        ));
    }

    #[test]
    fn down_neighbor_shows_unknowns() {
        let mut r = report();
        r.up = 0;
        r.down = 90_061;
        r.peer_id = None;
        r.peer_hold = None;
        let mut lines = Vec::new();
        r.extensive_lines(&mut lines);
        assert!(lines
            .iter()
            .any(|l| l.starts_with(&format!("   down for{} 1 day, 1:01:01", " ".repeat(13)))));
        assert!(lines
            .iter()
            .any(|l| l.starts_with("   ID                           1.1.1.1             n/a")));
        let mut json = String::new();
        r.json_into(&mut json);
        assert!(json.starts_with("{\"state\": \"down\", \"duration\": 90061,"));
        assert!(json.contains("\"id\": null, \"hold\": null}"));
    }

    #[test]
    fn durations_like_python_timedelta() {
        assert_eq!(duration_text(0), "0:00:00");
        assert_eq!(duration_text(3725), "1:02:05");
        assert_eq!(duration_text(2 * 86_400 + 59), "2 days, 0:00:59");
    }

    #[test]
    fn json_strings_escape() {
        let mut out = String::new();
        json_string(&mut out, "a\"b\\c\u{e9}");
        assert_eq!(out, "\"a\\\"b\\\\c\\u00e9\"");
    }

    /// ExaBGP 5.0.15's `show neighbor extensive` and `show neighbor json` for the same
    /// session, captured on loopback (ExaBGP 127.0.0.203 against rexa 127.0.0.204).
    const CAPTURED_EXTENSIVE: &str = "Neighbor 127.0.0.204\n\n    Session                       Local\n   local                    127.0.0.203                                \n   state                    ESTABLISHED                                \n   up for                       0:00:03                                \n\n    Setup                         Local          Remote\n   AS                             65003           65004                \n   ID                       127.0.0.203     127.0.0.204                \n   hold-time                        180             180                \n\n    Capability                    Local          Remote\n   asn4:                        enabled         enabled                \n   route-refresh:              disabled        disabled                \n   multi-session:              disabled        disabled                \n   operational:                disabled        disabled                \n   add-path:                   disabled        disabled                \n   extended-message:            enabled         enabled                \n   graceful-restart:           disabled        disabled                \n\n    Families                      Local          Remote        Add-Path\n   ipv4 unicast:                enabled         enabled disabled       \n\n    Message Statistic              Sent        Received\n   open:                              1               1                \n   notification:                      0               0                \n   keepalive:                         1               1                \n   update:                            3               1                \n   refresh:                           0               0                \n   total:                             5               3                \n";
    const CAPTURED_JSON: &str = "[{\"state\": \"up\", \"duration\": 4, \"fsm\": \"ESTABLISHED\", \"local\": {\"capabilities\": {\"asn4\": true, \"route-refresh\": false, \"multi-session\": false, \"operational\": false, \"add-path\": false, \"extended-message\": true, \"graceful-restart\": false}, \"families\": {\"ipv4 unicast\": true}, \"add-path\": {\"ipv4 unicast\": false}, \"address\": \"127.0.0.203\", \"as\": 65003, \"id\": \"127.0.0.203\", \"hold\": 180}, \"peer\": {\"capabilities\": {\"asn4\": true, \"route-refresh\": false, \"multi-session\": false, \"operational\": false, \"add-path\": false, \"extended-message\": true, \"graceful-restart\": false}, \"families\": {\"ipv4 unicast\": true}, \"add-path\": {\"ipv4 unicast\": false}, \"address\": \"127.0.0.204\", \"as\": 65004, \"id\": \"127.0.0.204\", \"hold\": 180}, \"messages\": {\"sent\": {\"open\": 1, \"notification\": 0, \"keepalive\": 1, \"update\": 3, \"refresh\": 0, \"total\": 5}, \"received\": {\"open\": 1, \"notification\": 0, \"keepalive\": 1, \"update\": 1, \"refresh\": 0, \"total\": 3}}, \"capabilities\": [\"asn4\", \"extended-message\"], \"families\": [\"ipv4 unicast\"], \"add-path\": {\"ipv4 unicast\": \"disabled\"}}]";

    fn captured_report(up: u64) -> Report {
        let both = |v: bool| (Some(v), Some(v));
        Report {
            peer_address: "127.0.0.204".into(),
            local_address: Some("127.0.0.203".parse().unwrap()),
            state: "ESTABLISHED",
            up,
            down: 0,
            local_as: 65003,
            peer_as: 65004,
            local_id: "127.0.0.203".parse().unwrap(),
            peer_id: Some("127.0.0.204".parse().unwrap()),
            local_hold: 180,
            peer_hold: Some(180),
            capabilities: [
                both(true),
                both(false),
                both(false),
                both(false),
                both(false),
                both(true),
                both(false),
            ],
            families: vec![FamilyRow {
                family: Family::IPV4_UNICAST,
                common: Some(true),
                send: Some(false),
                receive: Some(false),
            }],
            messages: [(1, 1), (0, 0), (1, 1), (3, 1), (0, 0)],
        }
    }

    #[test]
    fn extensive_matches_exabgp_byte_for_byte() {
        let mut lines = Vec::new();
        captured_report(3).extensive_lines(&mut lines);
        assert_eq!(lines.join("\n"), CAPTURED_EXTENSIVE);
    }

    #[test]
    fn json_matches_exabgp_byte_for_byte() {
        let mut out = String::from("[");
        captured_report(4).json_into(&mut out);
        out.push(']');
        assert_eq!(out, CAPTURED_JSON);
    }

    #[test]
    fn v2_route_matches_exabgp_capture() {
        use crate::bgp::attribute::{AsPath, Community, Origin, Segment, SegmentKind};
        use crate::bgp::nlri::Prefix;
        let nlri = Nlri::prefix(Prefix::v4("10.0.2.0".parse().unwrap(), 24).unwrap());
        let attributes = [
            Attribute::Origin(Origin::Igp),
            Attribute::AsPath(AsPath {
                segments: vec![Segment {
                    kind: SegmentKind::Sequence,
                    asns: vec![1, 2],
                }],
            }),
            Attribute::LocalPref(50),
            Attribute::Med(5),
            Attribute::Communities(vec![Community(0x0001_0002)]),
        ];
        let mut out = String::new();
        v2_route(
            Family::IPV4_UNICAST,
            &nlri,
            Some("127.0.0.203"),
            &attributes,
            &mut out,
        );
        assert_eq!(
            out,
            "{\"nlri\": {\"prefix\": \"10.0.2.0/24\", \"nexthop\": \"127.0.0.203\", \"family\": \
             {\"afi\": \"ipv4\", \"safi\": \"unicast\"}}, \"attributes\": {\"as-path\": {\"0\": \
             {\"element\": \"as-sequence\", \"value\": [1, 2]}}, \"med\": 5, \
             \"local-preference\": 50, \"community\": [\"1:2\"]}}"
        );
    }
}
