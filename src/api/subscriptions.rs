//! Which helper processes hear about a neighbor, and which of its events each one asked for:
//! the neighbor's `api { }` blocks, unioned per process (api.md §1.2).

use crate::bgp::message as message_type;
use crate::config::model::{Api, MessageSelection, Neighbor};

/// What one process asked to hear about one neighbor (every flag opt-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Subscription {
    /// Index of the process in the configuration's `processes`.
    pub process: usize,
    /// `neighbor-changes`: state events `connected`, `up`, `down`.
    pub neighbor_changes: bool,
    pub negotiated: bool,
    pub fsm: bool,
    pub signal: bool,
    pub receive: MessageSelection,
    pub send: MessageSelection,
}

/// How a message is reported (api.md §1.2 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageForms {
    /// A raw event (`"message": {"category", "header", "body"}`), written before a parsed one.
    pub raw: bool,
    /// A decoded event.
    pub parsed: bool,
    /// The decoded event carries the `header` / `body` hex.
    pub with_hex: bool,
}

impl MessageForms {
    pub fn any(self) -> bool {
        self.raw || self.parsed
    }
}

impl Subscription {
    /// Whether any event at all is wanted.
    pub fn wants_anything(&self) -> bool {
        self.neighbor_changes
            || self.negotiated
            || self.fsm
            || self.signal
            || selected_any(&self.receive)
            || selected_any(&self.send)
    }

    /// How a received message of `kind` (BGP message type) is reported to this process.
    pub fn received(&self, kind: u8) -> MessageForms {
        forms(&self.receive, kind, true)
    }

    /// How a sent message of `kind` is reported to this process.
    pub fn sent(&self, kind: u8) -> MessageForms {
        forms(&self.send, kind, false)
    }

    fn merge(&mut self, api: &Api) {
        self.neighbor_changes |= api.neighbor_changes;
        self.negotiated |= api.negotiated;
        self.fsm |= api.fsm;
        self.signal |= api.signal;
        merge_selection(&mut self.receive, &api.receive);
        merge_selection(&mut self.send, &api.send);
    }
}

fn merge_selection(into: &mut MessageSelection, from: &MessageSelection) {
    into.parsed |= from.parsed;
    into.packets |= from.packets;
    into.consolidate |= from.consolidate;
    into.open |= from.open;
    into.update |= from.update;
    into.notification |= from.notification;
    into.keepalive |= from.keepalive;
    into.refresh |= from.refresh;
    into.operational |= from.operational;
}

fn selected_any(s: &MessageSelection) -> bool {
    (s.parsed || s.packets || s.consolidate)
        && (s.open || s.update || s.notification || s.keepalive || s.refresh || s.operational)
}

fn forms(s: &MessageSelection, kind: u8, received: bool) -> MessageForms {
    let wanted = match kind {
        message_type::OPEN => s.open,
        message_type::UPDATE => s.update,
        message_type::NOTIFICATION => s.notification,
        message_type::KEEPALIVE => s.keepalive,
        message_type::ROUTE_REFRESH => s.refresh,
        message_type::OPERATIONAL => s.operational,
        _ => false,
    };
    if !wanted {
        return MessageForms::default();
    }
    if s.consolidate {
        // One decoded event; its hex always for received messages, for sent ones only
        // with `packets` too (5.0.15).
        return MessageForms {
            raw: false,
            parsed: true,
            with_hex: received || s.packets,
        };
    }
    MessageForms {
        raw: s.packets,
        parsed: s.parsed,
        with_hex: false,
    }
}

/// The subscriptions of `neighbor`, one per process named by its api blocks (in the order of
/// `process_names`, the configuration's process list), flags unioned over the blocks.
/// A process named but not subscribed to anything is still listed: it may drive the
/// neighbor with commands.
pub fn subscriptions(neighbor: &Neighbor, process_names: &[&str]) -> Vec<Subscription> {
    let mut out: Vec<Subscription> = Vec::new();
    for api in &neighbor.api {
        for name in api.process_names() {
            let Some(process) = process_names.iter().position(|p| p == name) else {
                continue;
            };
            let index = match out.iter().position(|s| s.process == process) {
                Some(index) => index,
                None => {
                    out.push(Subscription {
                        process,
                        ..Subscription::default()
                    });
                    out.len() - 1
                }
            };
            if let Some(subscription) = out.get_mut(index) {
                subscription.merge(api);
            }
        }
    }
    out.sort_by_key(|s| s.process);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neighbor(apis: &str) -> Neighbor {
        let text = format!(
            "process a {{ run /bin/true; encoder json; }} process b {{ run /bin/true; encoder text; }} \
             neighbor 127.0.0.2 {{ router-id 10.0.0.1; local-address 127.0.0.1; local-as 1; \
             peer-as 2; {apis} }}"
        );
        let mut config = crate::config::parse(&text, "test.conf").unwrap();
        config.neighbors.remove(0)
    }

    #[test]
    fn blocks_are_unioned_per_process() {
        let n = neighbor(
            "api { processes [ a ]; neighbor-changes; } \
             api { processes [ a b ]; receive { parsed; update; } }",
        );
        let subs = subscriptions(&n, &["a", "b"]);
        assert_eq!(subs.len(), 2);
        assert!(subs[0].neighbor_changes && subs[0].receive.update);
        assert!(!subs[1].neighbor_changes && subs[1].receive.update);
        assert!(subs[0].received(message_type::UPDATE).parsed);
        assert!(!subs[0].received(message_type::KEEPALIVE).any());
        assert!(!subs[0].sent(message_type::UPDATE).any());
    }

    #[test]
    fn message_forms_follow_the_flag_table() {
        let form = |flags: &str| {
            let n = neighbor(&format!(
                "api {{ processes [ a ]; receive {{ {flags} update; }} send {{ {flags} update; }} }}"
            ));
            let s = subscriptions(&n, &["a", "b"])[0];
            (
                s.received(message_type::UPDATE),
                s.sent(message_type::UPDATE),
            )
        };
        let f = |raw, parsed, with_hex| MessageForms {
            raw,
            parsed,
            with_hex,
        };
        assert_eq!(
            form("parsed;"),
            (f(false, true, false), f(false, true, false))
        );
        assert_eq!(
            form("packets;"),
            (f(true, false, false), f(true, false, false))
        );
        assert_eq!(
            form("parsed; packets;"),
            (f(true, true, false), f(true, true, false))
        );
        assert_eq!(
            form("consolidate;"),
            (f(false, true, true), f(false, true, false))
        );
        assert_eq!(
            form("consolidate; packets;"),
            (f(false, true, true), f(false, true, true))
        );
        // A message type without parsed/packets/consolidate is not reported.
        assert!(!form("").0.any());
    }

    #[test]
    fn a_neighbor_without_api_blocks_has_no_subscription() {
        assert!(subscriptions(&neighbor(""), &["a", "b"]).is_empty());
    }
}
