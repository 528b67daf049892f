//! Events for the helpers before they are rendered (a neighbor's state, FSM transitions,
//! negotiation, messages, signals), and their rendering as a helper's subscription asks.
//!
//! The daemon builds an [`Event`] once and calls [`render`] for each helper that hears the
//! neighbor, with the helper's encoder: JSON through `message_json`, text through `text`.

use super::json::{self, Direction, Envelope, EventHead, NeighborIdentity, RawMessage};
use super::message_json::{self, UpdateJsonOptions};
use super::subscriptions::{MessageForms, Subscription};
use super::text::{self, UpdateTextOptions as TextOptions};
use crate::bgp::message::{self as message_type, Message};
use crate::bgp::negotiated::Negotiation;
use crate::config::model::Encoder;

/// An event about a neighbor, before it is rendered for a process.
pub enum Event<'a> {
    /// `connected`, `up`, `down` (with its reason).
    State(&'static str, Option<&'a str>),
    /// An FSM transition, by the state's name.
    Fsm(&'static str),
    Negotiated(&'a Negotiation),
    /// A message received or sent.
    Message(MessageReport<'a>),
    Signal(i32, &'static str),
}

/// A BGP message received from or sent to the peer, in the forms known so far.
pub struct MessageReport<'a> {
    pub direction: Direction,
    /// The BGP message type.
    pub kind: u8,
    /// The whole message, header included, when the peer reported its bytes.
    pub packet: Option<&'a [u8]>,
    /// The decoded message, when known.
    pub message: Option<&'a Message>,
    /// Which events this report writes: raw ones (`packets`) and/or decoded ones. A received
    /// message is reported twice: its raw events when its bytes arrive, its decoded ones
    /// once it is decoded.
    pub raw: bool,
    pub parsed: bool,
}

impl MessageReport<'_> {
    /// The 19-byte header and the body of the packet.
    pub fn raw_message(&self) -> Option<RawMessage<'_>> {
        let packet = self.packet?;
        let header = packet.get(..message_type::HEADER_LEN)?;
        let body = packet.get(message_type::HEADER_LEN..)?;
        Some(RawMessage { header, body })
    }
}

/// What rendering needs of the neighbor an event is about.
pub struct EventNeighbor<'a> {
    pub identity: &'a NeighborIdentity,
    /// The session's negotiation, once known (raw events of subscriptions with
    /// `negotiated` carry it).
    pub negotiation: Option<&'a Negotiation>,
    /// The neighbor's JSON event counter: every JSON event takes the next number.
    pub counter: &'a mut u64,
    pub update_options: UpdateJsonOptions,
}

/// Appends to `out` what `subscription` asked to hear of `event` (nothing, one event, or
/// a raw event then its decoded form), in the helper's `encoder`. Every JSON event takes
/// the neighbor's next counter number.
pub fn render(
    out: &mut Vec<u8>,
    envelope: &Envelope<'_>,
    encoder: Encoder,
    subscription: &Subscription,
    neighbor: EventNeighbor<'_>,
    event: &Event<'_>,
) {
    let forms = wanted(subscription, event);
    if !forms.any() {
        return;
    }
    let head = EventHead {
        envelope,
        counter: 0,
        kind: event_kind(event),
        raw: None,
        neighbor: neighbor.identity,
    };
    let report = match event {
        Event::Message(report) => Some(report),
        _ => None,
    };
    let raw = report.and_then(MessageReport::raw_message);
    if let (true, Some(report), Some(raw)) = (forms.raw, report, raw) {
        let mut head = EventHead {
            kind: message_json::raw_message_kind(report.kind),
            ..head
        };
        let negotiation = neighbor.negotiation.filter(|_| subscription.negotiated);
        match encoder {
            Encoder::Json => {
                *neighbor.counter += 1;
                head.counter = *neighbor.counter;
                message_json::write_raw_message_event(
                    out,
                    &head,
                    report.direction,
                    raw.header,
                    raw.body,
                    negotiation,
                );
                out.push(b'\n');
            }
            // The negotiated object has no text form.
            Encoder::Text => {
                text::write_raw_message_event(out, &head, report.direction, raw.header, raw.body)
            }
        }
    }
    if forms.parsed {
        let mut head = EventHead {
            raw: raw.filter(|_| forms.with_hex),
            ..head
        };
        match encoder {
            Encoder::Json => {
                *neighbor.counter += 1;
                head.counter = *neighbor.counter;
                let start = out.len();
                write_json(out, &head, event, neighbor.update_options);
                if out.len() > start {
                    out.push(b'\n');
                }
            }
            // The text writers end their lines themselves (and write nothing for the
            // events that have no text form).
            Encoder::Text => write_text(
                out,
                &head,
                event,
                TextOptions {
                    aigp: neighbor.update_options.aigp,
                },
            ),
        }
    }
}

/// Appends the last event a helper gets (`{ ..., "type": "notification", "notification":
/// "shutdown" }` or its text form), a whole line.
pub fn render_shutdown(out: &mut Vec<u8>, envelope: &Envelope<'_>, encoder: Encoder) {
    match encoder {
        Encoder::Json => {
            json::write_shutdown_event(out, envelope);
            out.push(b'\n');
        }
        Encoder::Text => text::write_shutdown_event(out, envelope),
    }
}

/// Which forms of `event` the subscription asked for (state-like events are "parsed").
pub fn wanted(subscription: &Subscription, event: &Event<'_>) -> MessageForms {
    let parsed = |on: bool| MessageForms {
        raw: false,
        parsed: on,
        with_hex: false,
    };
    match event {
        Event::State(..) => parsed(subscription.neighbor_changes),
        Event::Fsm(_) => parsed(subscription.fsm),
        Event::Negotiated(_) => parsed(subscription.negotiated),
        Event::Signal(..) => parsed(subscription.signal),
        Event::Message(report) => {
            let forms = match report.direction {
                Direction::Send => subscription.sent(report.kind),
                Direction::Receive | Direction::In => subscription.received(report.kind),
            };
            MessageForms {
                raw: forms.raw && report.raw && report.packet.is_some(),
                parsed: forms.parsed && report.parsed && report.message.is_some(),
                with_hex: forms.with_hex,
            }
        }
    }
}

fn event_kind(event: &Event<'_>) -> &'static str {
    match event {
        Event::State(..) => "state",
        Event::Fsm(_) => "fsm",
        Event::Negotiated(_) => "negotiated",
        Event::Signal(..) => "signal",
        Event::Message(report) => message_json::event_type(report.kind).unwrap_or("unknown"),
    }
}

fn write_json(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    event: &Event<'_>,
    options: UpdateJsonOptions,
) {
    match event {
        Event::State(state, reason) => json::write_state_event(out, head, state, *reason),
        Event::Fsm(name) => message_json::write_fsm_event(out, head, name),
        Event::Negotiated(negotiation) => {
            message_json::write_negotiated_event(out, head, negotiation)
        }
        Event::Signal(code, name) => message_json::write_signal_event(out, head, *code, name),
        Event::Message(MessageReport {
            direction,
            message: Some(message),
            ..
        }) => match message {
            Message::Open(open) => message_json::write_open_event(out, head, *direction, open),
            Message::Update(update) => {
                message_json::write_update_event(out, head, *direction, update, None, options)
            }
            Message::Notification(n) => message_json::write_notification(out, head, *direction, n),
            Message::Keepalive => message_json::write_keepalive(out, head, *direction),
            Message::RouteRefresh(refresh) => {
                message_json::write_refresh(out, head, *direction, refresh)
            }
            Message::Operational(operational) => {
                message_json::write_operational(out, head, *direction, operational)
            }
        },
        Event::Message(_) => {}
    }
}

fn write_text(out: &mut Vec<u8>, head: &EventHead<'_>, event: &Event<'_>, options: TextOptions) {
    match event {
        Event::State(state, reason) => text::write_state_event(out, head, state, *reason),
        // No text form in ExaBGP: nothing is written, not even a newline.
        Event::Fsm(_) | Event::Negotiated(_) | Event::Signal(..) => {}
        Event::Message(MessageReport {
            direction,
            message: Some(message),
            ..
        }) => match message {
            Message::Open(open) => text::write_open_event(out, head, *direction, open),
            Message::Update(update) => {
                text::write_update_event(out, head, *direction, update, None, options)
            }
            Message::Notification(n) => text::write_notification(out, head, *direction, n),
            Message::Keepalive => text::write_keepalive(out, head, *direction),
            Message::RouteRefresh(refresh) => text::write_refresh(out, head, *direction, refresh),
            Message::Operational(operational) => {
                text::write_operational(out, head, *direction, operational)
            }
        },
        Event::Message(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::open::Open;

    #[test]
    fn events_without_text_form_write_nothing() {
        let open = Open::new(65000, 180, "10.0.0.2".parse().unwrap(), Vec::new());
        let negotiation = Negotiation::new(&open, &open);
        let envelope = Envelope::now("h", 1, 2);
        let identity = NeighborIdentity {
            local_address: "10.0.0.2".parse().unwrap(),
            peer_address: "10.0.0.1".parse().unwrap(),
            local_asn: 65000,
            peer_asn: 65001,
            router_id: None,
        };
        let everything = Subscription {
            fsm: true,
            negotiated: true,
            signal: true,
            ..Subscription::default()
        };
        let events = [
            Event::Fsm("OPENSENT"),
            Event::Negotiated(&negotiation),
            Event::Signal(10, "SIGUSR1"),
        ];
        for event in &events {
            let mut counter = 0;
            for encoder in [Encoder::Text, Encoder::Json] {
                let neighbor = EventNeighbor {
                    identity: &identity,
                    negotiation: Some(&negotiation),
                    counter: &mut counter,
                    update_options: UpdateJsonOptions::default(),
                };
                let mut out = Vec::new();
                render(&mut out, &envelope, encoder, &everything, neighbor, event);
                // JSON has them all; text none.
                assert_eq!(out.is_empty(), encoder == Encoder::Text);
            }
        }
    }
}
