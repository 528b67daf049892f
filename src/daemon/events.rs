//! Event delivery: a session's `PeerEvent` and the daemon's signals turned into log lines
//! and handed to the helpers (through `helpers`, which has `api` render them).

use std::fmt::Write as _;
use std::time::Instant;

use crate::api::event::{Event, MessageReport};
use crate::api::json::Direction;
use crate::bgp::message::{self, Message};
use crate::bgp::negotiated::Negotiated;
use crate::bgp::notification::Notification;
use crate::bgp::update::Update;
use crate::peer::{CloseReason, PeerEvent};
use crate::reactor::{EndpointId, Reactor};

use super::endpoint::NeighborEndpoint;
use super::{show, Daemon};

impl Daemon {
    /// Writes `event` to the helpers of every neighbor that asked for it.
    pub(super) fn emit_all(&mut self, reactor: &mut Reactor<NeighborEndpoint>, event: &Event<'_>) {
        for api in self.apis.values_mut() {
            self.helpers.emit(reactor, api, event);
        }
    }

    /// A session's event: log lines, the API's view of the session, the adj-rib-in, and
    /// the helpers' events.
    pub(super) fn session_event(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        id: EndpointId,
        event: PeerEvent,
    ) {
        let Daemon {
            apis,
            helpers,
            ribs_in,
            env,
            ..
        } = self;
        let log_routes = env.log.routes;
        let Some(api) = apis.get_mut(&id) else {
            return;
        };
        let name = api.name.clone();
        match event {
            PeerEvent::Fsm(label) => {
                log::debug!("neighbor {name}: {}", label.name());
                helpers.emit(reactor, api, &Event::Fsm(label.name()));
            }
            PeerEvent::Connected => {
                log::debug!("neighbor {name}: TCP connected");
                if let Some(local) = reactor.endpoint(id).and_then(|s| s.local_address) {
                    api.identity.local_address = local.ip();
                }
                api.show.connected = true;
                helpers.emit(reactor, api, &Event::State("connected", None));
            }
            PeerEvent::Negotiated(n) => {
                log::debug!(
                    "neighbor {name}: negotiated families {:?}, asn4 {}, max message {}",
                    n.negotiated
                        .families
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>(),
                    n.negotiated.asn4,
                    n.negotiated.max_message_size
                );
                // `auto` AS numbers are known from here on.
                api.identity.local_asn = n.local_as;
                api.identity.peer_asn = n.peer_as;
                helpers.emit(reactor, api, &Event::Negotiated(&n));
                api.negotiated(n);
            }
            PeerEvent::Up => {
                log::info!("neighbor {name}: session established");
                if let Some(rib) = ribs_in.get_mut(&id) {
                    rib.clear();
                }
                api.established_at = Some(Instant::now());
                helpers.emit(reactor, api, &Event::State("up", None));
            }
            // Our own Cease (shutdown, deconfiguration, restart) is routine; anything else
            // (errors either way, a lost connection) deserves a warning.
            PeerEvent::Down(reason) => {
                let routine = matches!(&reason, CloseReason::NotificationSent(n) if n.code == 6);
                let level = if routine {
                    log::Level::Info
                } else {
                    log::Level::Warn
                };
                log::log!(level, "neighbor {name}: session down: {reason}");
                api.established_at = None;
                api.last_packet = None;
                api.show.reset(Instant::now());
                let reason = reason.to_string();
                helpers.emit(reactor, api, &Event::State("down", Some(&reason)));
            }
            PeerEvent::ReceivedPacket(packet) => {
                let report = MessageReport {
                    direction: Direction::Receive,
                    kind: packet.get(message::HEADER_LEN - 1).copied().unwrap_or(0),
                    packet: Some(&packet),
                    message: None,
                    raw: true,
                    parsed: false,
                };
                helpers.emit(reactor, api, &Event::Message(report));
                // Kept for the hex of the decoded event that follows.
                api.last_packet = Some(packet);
            }
            PeerEvent::Sent(packet) => {
                let kind = packet.get(message::HEADER_LEN - 1).copied().unwrap_or(0);
                let decoded = if api.subscriptions.iter().any(|s| s.sent(kind).parsed) {
                    decode_sent(&name, &packet, &api.sent_context)
                } else {
                    None
                };
                let report = MessageReport {
                    direction: Direction::Send,
                    kind,
                    packet: Some(&packet),
                    message: decoded.as_ref(),
                    raw: true,
                    parsed: true,
                };
                helpers.emit(reactor, api, &Event::Message(report));
            }
            PeerEvent::Received(message) => {
                api.show.received.count(message.kind());
                if let Message::Open(open) = &*message {
                    api.show.peer_open = Some(show::PeerOpen::of(open));
                }
                let packet = api.last_packet.take();
                let report = MessageReport {
                    direction: Direction::Receive,
                    kind: message.kind(),
                    packet: packet.as_deref(),
                    message: Some(&message),
                    raw: false,
                    parsed: true,
                };
                helpers.emit(reactor, api, &Event::Message(report));
                match *message {
                    Message::Update(update) => {
                        api.updates_received += 1;
                        log_update(&name, &update, log_routes);
                        if let Some(rib) = ribs_in.get_mut(&id) {
                            rib.apply_update(&update);
                            log::debug!("neighbor {name}: adj-rib-in holds {} route(s)", rib.len());
                        }
                    }
                    Message::Notification(n) => {
                        log::warn!("neighbor {name}: received {}", received_text(&n))
                    }
                    Message::Keepalive => log::trace!("neighbor {name}: keepalive"),
                    other => log::debug!("neighbor {name}: received {other:?}"),
                }
            }
            PeerEvent::TreatAsWithdraw(error) => {
                log::warn!("neighbor {name}: malformed UPDATE treated as withdraw: {error}")
            }
            PeerEvent::Stopped => log::info!("neighbor {name}: stopped"),
        }
    }
}

/// A message rexa sent, decoded for the helpers as `rexa decode` would (UPDATEs with the
/// session's context seen from the sending side). `None`, logged, if it does not decode.
fn decode_sent(name: &str, packet: &[u8], context: &Negotiated) -> Option<Message> {
    let kind = packet.get(message::HEADER_LEN - 1).copied().unwrap_or(0);
    let body = packet.get(message::HEADER_LEN..).unwrap_or_default();
    let decoded = if kind == message::UPDATE {
        Update::decode_rfc7606(body, context).map(|decoded| Message::Update(decoded.update))
    } else {
        Message::decode(kind, body, context)
    };
    match decoded {
        Ok(message) => Some(message),
        Err(error) => {
            log::debug!("neighbor {name}: a message sent does not decode for the API: {error}");
            None
        }
    }
}

/// A received NOTIFICATION for the log, its data as ExaBGP reports it: an RFC 9003
/// shutdown communication becomes `Shutdown Communication: "text"` (no raw length byte).
fn received_text(notification: &Notification) -> String {
    let code = notification.code_name().unwrap_or("unknown error");
    let subcode = notification.subcode_name().unwrap_or("unknown reason");
    let data = notification.exabgp_received_data();
    if data.is_empty() {
        return format!("{code} / {subcode}");
    }
    match std::str::from_utf8(&data) {
        Ok(text) => {
            // No control characters from the network in a log line.
            let text: String = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            format!("{code} / {subcode} / {text}")
        }
        Err(_) => format!("{code} / {subcode} / {notification}"),
    }
}

/// Logs an End-of-RIB, and with `routes` (`exabgp.log.routes`, off by default as in
/// ExaBGP) every route of a received UPDATE: `announced 10.0.0.0/24 next-hop 192.0.2.1 ...`.
fn log_update(name: &str, update: &Update, routes: bool) {
    if let Some(family) = update.end_of_rib() {
        log::info!("neighbor {name}: end-of-rib {family}");
        return;
    }
    if !routes || !log::log_enabled!(log::Level::Info) {
        return;
    }
    let mut attributes = String::new();
    for attribute in &update.attributes {
        if let Some(text) = crate::api::attribute::text_entry(attribute) {
            let _ = write!(attributes, " {text}");
        }
    }
    for nlri in &update.withdrawn {
        log::info!("neighbor {name}: withdrawn ipv4 unicast {nlri}");
    }
    let next_hop = update.attributes.iter().find_map(|a| match a {
        crate::bgp::attribute::Attribute::NextHop(ip) => Some(*ip),
        _ => None,
    });
    for nlri in &update.announced {
        match next_hop {
            Some(ip) => log::info!(
                "neighbor {name}: announced ipv4 unicast {nlri} next-hop {ip}{attributes}"
            ),
            None => log::info!("neighbor {name}: announced ipv4 unicast {nlri}{attributes}"),
        }
    }
    for mp in update.mp_reach() {
        for nlri in mp.nlri.routes() {
            log::info!(
                "neighbor {name}: announced {} {nlri} next-hop {}{attributes}",
                mp.family,
                mp.next_hop
            );
        }
    }
    for mp in update.mp_unreach() {
        for nlri in mp.nlri.routes() {
            log::info!("neighbor {name}: withdrawn {} {nlri}", mp.family);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_shutdown_communication_is_logged_as_text() {
        let cease = Notification::cease_shutdown("rexa shutting down");
        assert_eq!(
            received_text(&cease),
            "Cease / Administrative Shutdown / Shutdown Communication: \"rexa shutting down\""
        );
        let odd = Notification::new(6, 2, b"\x05a\nb\x07c".to_vec());
        assert_eq!(
            received_text(&odd),
            "Cease / Administrative Shutdown / Shutdown Communication: \"a b c\""
        );
        let hold = Notification::hold_timer_expired();
        assert_eq!(received_text(&hold), "Hold timer expired / Unspecific");
    }
}
