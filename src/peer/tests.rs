//! Deterministic FSM tests: a fake clock (an `Instant` moved by hand) and in-memory byte
//! pipes between two peers, or between a peer and hand-written messages. No sleeps.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use super::*;
use crate::bgp::message::Message;
use crate::bgp::notification::Notification;
use crate::bgp::Family;

const A_ID: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const B_ID: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

fn settings(local_as: u32, peer_as: u32, id: Ipv4Addr) -> Settings {
    Settings::new(local_as, Some(peer_as), id)
}

/// One side of an in-memory connection: what the peer has not consumed yet.
struct Side {
    peer: Peer,
    inbox: Vec<u8>,
    closed: Option<CloseReason>,
}

impl Side {
    fn new(settings: Settings, now: Instant) -> Side {
        Side {
            peer: Peer::new(settings, now),
            inbox: Vec::new(),
            closed: None,
        }
    }

    /// Runs steps until the peer waits or closes, bounded.
    fn run(&mut self, now: Instant, out: &mut Vec<u8>) -> Step {
        for _ in 0..1000 {
            let (used, step) = self.peer.step(now, &self.inbox, out);
            self.inbox.drain(..used);
            match step {
                Step::Now | Step::Later => continue,
                Step::Close(reason) => {
                    self.closed = Some(reason.clone());
                    return Step::Close(reason);
                }
                Step::Wait => return Step::Wait,
            }
        }
        panic!("peer never settled");
    }
}

/// Two peers joined by pipes: `a` connected out to `b`.
struct Pair {
    a: Side,
    b: Side,
    now: Instant,
}

impl Pair {
    fn new(a: Settings, b: Settings) -> Pair {
        let now = Instant::now();
        let mut pair = Pair {
            a: Side::new(a, now),
            b: Side::new(b, now),
            now,
        };
        let (mut to_b, mut to_a) = (Vec::new(), Vec::new());
        assert!(pair.a.peer.connect(now));
        pair.a.peer.connected(now, Initiator::Local, &mut to_b);
        pair.b.peer.connected(now, Initiator::Remote, &mut to_a);
        pair.b.inbox.extend(to_b);
        pair.a.inbox.extend(to_a);
        pair
    }

    /// Exchanges bytes until both sides are quiet (bounded).
    fn settle(&mut self) {
        for _ in 0..100 {
            let (mut to_b, mut to_a) = (Vec::new(), Vec::new());
            if self.a.closed.is_none() {
                self.a.run(self.now, &mut to_b);
            }
            if self.b.closed.is_none() {
                self.b.run(self.now, &mut to_a);
            }
            if to_a.is_empty() && to_b.is_empty() {
                return;
            }
            if self.b.closed.is_none() {
                self.b.inbox.extend(to_b);
            }
            if self.a.closed.is_none() {
                self.a.inbox.extend(to_a);
            }
        }
        panic!("pair never settled");
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
    }
}

fn established(pair: &Pair) -> bool {
    pair.a.peer.label() == FsmLabel::Established && pair.b.peer.label() == FsmLabel::Established
}

/// Decodes every whole message in `bytes`.
fn messages(bytes: &[u8]) -> Vec<Message> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while let Ok(Some(len)) = message::frame(rest, crate::bgp::negotiated::EXTENDED_MAX_MESSAGE) {
        let (one, tail) = rest.split_at(len);
        let kind = one[18];
        out.push(Message::decode(kind, &one[19..], &Negotiated::default()).expect("valid message"));
        rest = tail;
    }
    assert!(rest.is_empty(), "trailing bytes");
    out
}

fn encoded(message: Message) -> Vec<u8> {
    let mut out = Vec::new();
    message.encode(&mut out, &Negotiated::default());
    out
}

fn sent_notification(step: &Step) -> Option<(u8, u8)> {
    match step {
        Step::Close(CloseReason::NotificationSent(n)) => Some((n.code, n.subcode)),
        _ => None,
    }
}

#[test]
fn two_peers_reach_established_and_report_it() {
    let mut pair = Pair::new(settings(65001, 65002, A_ID), settings(65002, 65001, B_ID));
    pair.settle();
    assert!(established(&pair));
    let events = pair.a.peer.take_events();
    let labels: Vec<FsmLabel> = events
        .iter()
        .filter_map(|e| match e {
            PeerEvent::Fsm(label) => Some(*label),
            _ => None,
        })
        .collect();
    assert_eq!(
        labels,
        [
            FsmLabel::Connect,
            FsmLabel::OpenSent,
            FsmLabel::OpenConfirm,
            FsmLabel::Established
        ]
    );
    assert!(events.contains(&PeerEvent::Up));
    assert!(events.iter().any(|e| matches!(e, PeerEvent::Negotiated(_))));
    let negotiated = pair.a.peer.negotiated().expect("negotiated");
    assert!(negotiated.asn4);
}

#[test]
fn hold_time_is_the_minimum_and_keepalives_follow_a_third_of_it() {
    let mut a = settings(65001, 65002, A_ID);
    a.hold_time = 90;
    let mut b = settings(65002, 65001, B_ID);
    b.hold_time = 30;
    let mut pair = Pair::new(a, b);
    pair.settle();
    let State::Established { agreement, .. } = pair.a.peer.state() else {
        panic!("not up")
    };
    assert_eq!(agreement.hold_time, 30);
    // Nothing due before 10 s.
    let mut out = Vec::new();
    pair.advance(Duration::from_secs(9));
    pair.a.run(pair.now, &mut out);
    assert!(out.is_empty());
    pair.advance(Duration::from_secs(1));
    pair.a.run(pair.now, &mut out);
    assert_eq!(messages(&out), [Message::Keepalive]);
    assert_eq!(
        pair.a.peer.next_deadline(),
        Some(pair.now + Duration::from_secs(10))
    );
}

#[test]
fn hold_timer_expiry_sends_4_0() {
    let mut pair = Pair::new(settings(65001, 65002, A_ID), settings(65002, 65001, B_ID));
    pair.settle();
    // b goes silent; a only sends keepalives.
    let mut out = Vec::new();
    let mut step = Step::Wait;
    for _ in 0..200 {
        pair.advance(Duration::from_secs(1));
        step = pair.a.run(pair.now, &mut out);
        if matches!(step, Step::Close(_)) {
            break;
        }
    }
    assert_eq!(sent_notification(&step), Some((4, 0)));
    assert!(matches!(messages(&out).last(), Some(Message::Notification(n)) if n.code == 4));
    assert!(matches!(pair.a.peer.state(), State::Idle { .. }));
    assert!(pair
        .a
        .peer
        .take_events()
        .iter()
        .any(|e| matches!(e, PeerEvent::Down(_))));
}

/// a's hold time is 9 s (b's proposal is lower-bounded by it): keepalives every 3 s.
fn nine_second_pair() -> Pair {
    let mut a = settings(65001, 65002, A_ID);
    a.hold_time = 9;
    let mut pair = Pair::new(a, settings(65002, 65001, B_ID));
    pair.settle();
    assert!(established(&pair));
    pair
}

#[test]
fn a_peer_whose_input_rexa_holds_back_does_not_expire() {
    let mut pair = nine_second_pair();
    // b keeps talking, but rexa does not read: its KEEPALIVEs pile up unread (dropped here).
    pair.a.peer.hold_input(pair.now, true);
    assert!(pair.a.peer.is_input_held());
    let mut keepalives = 0;
    for _ in 0..60 {
        pair.advance(Duration::from_secs(1));
        let mut out = Vec::new();
        let step = pair.a.run(pair.now, &mut out);
        assert!(
            !matches!(step, Step::Close(_)),
            "expired while held: {step:?}"
        );
        keepalives += messages(&out)
            .iter()
            .filter(|m| matches!(m, Message::Keepalive))
            .count();
        // The next deadline is a keepalive, never the (suspended) hold timer.
        let next = pair.a.peer.next_deadline().expect("keepalive deadline");
        assert!(next <= pair.now + Duration::from_secs(3), "{next:?}");
    }
    assert!(established(&pair));
    assert_eq!(
        keepalives, 20,
        "rexa's own KEEPALIVEs kept going out every 3 s"
    );
    // Reading resumes: the hold timer restarts in full, then runs as usual.
    pair.a.peer.hold_input(pair.now, false);
    let mut out = Vec::new();
    for _ in 0..8 {
        pair.advance(Duration::from_secs(1));
        let step = pair.a.run(pair.now, &mut out);
        assert!(
            !matches!(step, Step::Close(_)),
            "expired too early: {step:?}"
        );
    }
    pair.advance(Duration::from_secs(1));
    let step = pair.a.run(pair.now, &mut out);
    assert_eq!(
        sent_notification(&step),
        Some((4, 0)),
        "silent once read again"
    );
}

#[test]
fn a_frozen_peer_still_expires_on_its_hold_timer() {
    let mut pair = nine_second_pair();
    // Held for a while, then read again; b sends nothing at all from here on.
    pair.a.peer.hold_input(pair.now, true);
    pair.advance(Duration::from_secs(30));
    let mut out = Vec::new();
    assert!(!matches!(pair.a.run(pair.now, &mut out), Step::Close(_)));
    pair.a.peer.hold_input(pair.now, false);
    let resumed = pair.now;
    let mut step = Step::Wait;
    for _ in 0..30 {
        pair.advance(Duration::from_secs(1));
        step = pair.a.run(pair.now, &mut out);
        if matches!(step, Step::Close(_)) {
            break;
        }
    }
    assert_eq!(sent_notification(&step), Some((4, 0)));
    assert_eq!(
        pair.now - resumed,
        Duration::from_secs(9),
        "one hold time after resuming"
    );
}

#[test]
fn the_open_wait_does_not_run_while_input_is_held() {
    let now = Instant::now();
    let mut side = Side::new(settings(65001, 65002, A_ID), now);
    let mut out = Vec::new();
    assert!(side.peer.connect(now));
    side.peer.connected(now, Initiator::Local, &mut out);
    side.peer.hold_input(now, true);
    assert_eq!(side.peer.next_deadline(), None);
    let later = now + DEFAULT_OPEN_WAIT * 2;
    assert_eq!(side.run(later, &mut out), Step::Wait);
    side.peer.hold_input(later, false);
    assert_eq!(side.peer.next_deadline(), Some(later + DEFAULT_OPEN_WAIT));
}

#[test]
fn held_output_leaves_the_adj_rib_out_pending() {
    let (mut side, now) = open_sent(65001, 65002);
    announce_routes(&mut side.peer, 10);
    side.peer.hold_output(true);
    let (_, out) = feed(
        &mut side,
        now,
        &encoded(Message::Open(open_from(65002, 90, B_ID))),
    );
    assert_eq!(messages(&out), [Message::Keepalive]);
    let (step, out) = feed(&mut side, now, &encoded(Message::Keepalive));
    assert_eq!(step, Step::Wait);
    assert_eq!(side.peer.label(), FsmLabel::Established);
    assert!(out.is_empty(), "nothing drained while held");
    assert!(side.peer.rib().has_work());
    side.peer.hold_output(false);
    let mut out = Vec::new();
    assert_eq!(side.run(now, &mut out), Step::Wait);
    assert!(!side.peer.rib().has_work());
    assert_eq!(messages(&out).len(), 11, "the routes and End-of-RIB");
}

#[test]
fn zero_hold_time_means_no_keepalives_and_no_expiry() {
    let mut a = settings(65001, 65002, A_ID);
    a.hold_time = 0;
    let mut pair = Pair::new(a, settings(65002, 65001, B_ID));
    pair.settle();
    assert!(established(&pair));
    assert_eq!(pair.a.peer.next_deadline(), None);
    let mut out = Vec::new();
    pair.advance(Duration::from_secs(3600));
    assert_eq!(pair.a.run(pair.now, &mut out), Step::Wait);
    assert!(out.is_empty());
}

#[test]
fn open_wait_expiry_sends_4_0() {
    let now = Instant::now();
    let mut side = Side::new(settings(65001, 65002, A_ID), now);
    let mut out = Vec::new();
    assert!(side.peer.connect(now));
    side.peer.connected(now, Initiator::Local, &mut out);
    assert_eq!(side.peer.label(), FsmLabel::OpenSent);
    let deadline = side.peer.next_deadline().expect("open wait");
    assert_eq!(deadline, now + DEFAULT_OPEN_WAIT);
    out.clear();
    let step = side.run(deadline, &mut out);
    assert_eq!(sent_notification(&step), Some((4, 0)));
}

#[test]
fn connect_timeout_and_failures_back_off_like_exabgp() {
    let mut now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    let mut waits = Vec::new();
    for _ in 0..6 {
        assert!(peer.connect(now));
        assert!(!peer.connect(now));
        peer.connect_failed(now);
        let State::Idle { retry_at } = *peer.state() else {
            panic!("not idle")
        };
        waits.push((retry_at - now).as_secs());
        now = retry_at;
    }
    assert_eq!(waits, [0, 1, 2, 3, 4, 5]);
    // A pending connect that never completes times out.
    assert!(peer.connect(now));
    let mut out = Vec::new();
    let deadline = peer.next_deadline().expect("connect timeout");
    assert_eq!(
        peer.tick(deadline, &mut out),
        Some(Step::Close(CloseReason::ConnectFailed))
    );
}

#[test]
fn attempts_limit_stops_the_peer() {
    let now = Instant::now();
    let mut s = settings(65001, 65002, A_ID);
    s.connect_attempts = 2;
    let mut peer = Peer::new(s, now);
    assert!(peer.connect(now));
    peer.connect_failed(now);
    assert!(matches!(peer.state(), State::Idle { .. }));
    let State::Idle { retry_at } = *peer.state() else {
        unreachable!()
    };
    assert!(peer.connect(retry_at));
    peer.connect_failed(retry_at);
    assert!(matches!(peer.state(), State::Stopped));
    assert!(!peer.connect(retry_at + Duration::from_secs(3600)));
    assert!(peer.take_events().contains(&PeerEvent::Stopped));
}

#[test]
fn passive_peer_never_connects_and_returns_to_active() {
    let now = Instant::now();
    let mut s = settings(65001, 65002, A_ID);
    s.passive = true;
    let mut peer = Peer::new(s, now);
    assert_eq!(peer.label(), FsmLabel::Active);
    assert!(!peer.connect(now + Duration::from_secs(100)));
    let mut out = Vec::new();
    peer.connected(now, Initiator::Remote, &mut out);
    assert_eq!(peer.label(), FsmLabel::OpenSent);
    peer.closed(now);
    assert_eq!(peer.label(), FsmLabel::Active);
}

/// A peer in OPENSENT fed hand-written bytes.
fn open_sent(local_as: u32, peer_as: u32) -> (Side, Instant) {
    let now = Instant::now();
    let mut side = Side::new(settings(local_as, peer_as, A_ID), now);
    let mut out = Vec::new();
    assert!(side.peer.connect(now));
    side.peer.connected(now, Initiator::Local, &mut out);
    (side, now)
}

fn open_from(asn: u32, hold: u16, id: Ipv4Addr) -> Open {
    Open::new(
        asn,
        hold,
        id,
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::FourOctetAs(asn),
        ],
    )
}

fn feed(side: &mut Side, now: Instant, bytes: &[u8]) -> (Step, Vec<u8>) {
    side.inbox.extend_from_slice(bytes);
    let mut out = Vec::new();
    let step = side.run(now, &mut out);
    (step, out)
}

#[test]
fn malformed_opens_get_the_right_notification() {
    let cases: Vec<(&str, Vec<u8>, (u8, u8))> = vec![
        (
            "wrong peer AS",
            encoded(Message::Open(open_from(65009, 90, B_ID))),
            (2, 2),
        ),
        (
            "hold time 1",
            encoded(Message::Open(open_from(65002, 1, B_ID))),
            (2, 6),
        ),
        (
            "hold time 2",
            encoded(Message::Open(open_from(65002, 2, B_ID))),
            (2, 6),
        ),
        (
            "router id 0",
            encoded(Message::Open(open_from(65002, 90, Ipv4Addr::UNSPECIFIED))),
            (2, 3),
        ),
        (
            "version 3",
            {
                let mut open = open_from(65002, 90, B_ID);
                open.version = 3;
                encoded(Message::Open(open))
            },
            (2, 1),
        ),
        ("KEEPALIVE first", encoded(Message::Keepalive), (5, 1)),
    ];
    for (name, bytes, expected) in cases {
        let (mut side, now) = open_sent(65001, 65002);
        let (step, out) = feed(&mut side, now, &bytes);
        assert_eq!(sent_notification(&step), Some(expected), "{name}");
        assert!(
            matches!(messages(&out).last(), Some(Message::Notification(n)) if (n.code, n.subcode) == expected),
            "{name}: NOTIFICATION on the wire"
        );
    }
}

#[test]
fn same_router_id_on_ibgp_is_refused() {
    let (mut side, now) = open_sent(65001, 65001);
    let (step, _) = feed(
        &mut side,
        now,
        &encoded(Message::Open(open_from(65001, 90, A_ID))),
    );
    assert_eq!(sent_notification(&step), Some((2, 3)));
}

#[test]
fn header_errors_get_message_header_notifications() {
    let keepalive = encoded(Message::Keepalive);
    let mut bad_marker = keepalive.clone();
    bad_marker[3] = 0;
    let mut bad_length = keepalive.clone();
    bad_length[17] = 18;
    let mut unknown_type = keepalive.clone();
    unknown_type[18] = 99;
    for (name, bytes, expected) in [
        ("marker", bad_marker, (1, 1)),
        ("length", bad_length, (1, 2)),
        ("type", unknown_type, (1, 0)),
    ] {
        let (mut side, now) = open_sent(65001, 65002);
        let (step, _) = feed(&mut side, now, &bytes);
        assert_eq!(
            sent_notification(&step).map(|(c, _)| c),
            Some(expected.0),
            "{name}"
        );
        assert_eq!(sent_notification(&step), Some(expected), "{name}");
    }
}

#[test]
fn unexpected_messages_in_openconfirm_and_established() {
    // OPENCONFIRM: an UPDATE is an FSM error 5/2.
    let (mut side, now) = open_sent(65001, 65002);
    let (step, _) = feed(
        &mut side,
        now,
        &encoded(Message::Open(open_from(65002, 90, B_ID))),
    );
    assert_eq!(step, Step::Wait);
    assert_eq!(side.peer.label(), FsmLabel::OpenConfirm);
    let eor = eor_ipv4();
    let (step, _) = feed(&mut side, now, &eor);
    assert_eq!(sent_notification(&step), Some((5, 2)));

    // ESTABLISHED: an OPEN is an FSM error 5/3.
    let (mut side, now) = open_sent(65001, 65002);
    feed(
        &mut side,
        now,
        &encoded(Message::Open(open_from(65002, 90, B_ID))),
    );
    feed(&mut side, now, &encoded(Message::Keepalive));
    assert_eq!(side.peer.label(), FsmLabel::Established);
    let (step, _) = feed(
        &mut side,
        now,
        &encoded(Message::Open(open_from(65002, 90, B_ID))),
    );
    assert_eq!(sent_notification(&step), Some((5, 3)));
}

fn established_side() -> (Side, Instant) {
    let (mut side, now) = open_sent(65001, 65002);
    to_established(&mut side, now);
    (side, now)
}

/// A peer in OPENCONFIRM with `routes` announced, the peer's KEEPALIVE in its inbox (not
/// read yet): the next step establishes the session and sends the table.
fn keepalive_waiting(routes: usize) -> (Side, Instant) {
    let (mut side, now) = open_sent(65001, 65002);
    announce_routes(&mut side.peer, routes);
    feed(
        &mut side,
        now,
        &encoded(Message::Open(open_from(65002, 90, B_ID))),
    );
    side.inbox.extend(encoded(Message::Keepalive));
    (side, now)
}

/// A peer in OPENSENT (as AS 65001, towards 65002) fed the peer's OPEN and KEEPALIVE; its
/// events so far are dropped.
fn to_established(side: &mut Side, now: Instant) {
    feed(
        side,
        now,
        &encoded(Message::Open(open_from(65002, 90, B_ID))),
    );
    feed(side, now, &encoded(Message::Keepalive));
    assert_eq!(side.peer.label(), FsmLabel::Established);
    side.peer.take_events();
}

#[test]
fn malformed_update_framing_resets_with_3_1() {
    let (mut side, now) = established_side();
    // Withdrawn length 200 in a 4-byte body.
    let mut bytes = vec![0xFF; 16];
    bytes.extend_from_slice(&[0, 23, 2, 0, 200, 0, 0]);
    let (step, _) = feed(&mut side, now, &bytes);
    assert_eq!(sent_notification(&step), Some((3, 1)));
}

#[test]
fn received_updates_and_notifications_are_reported() {
    let (mut side, now) = established_side();
    let eor = eor_ipv4();
    let (step, _) = feed(&mut side, now, &eor);
    assert_eq!(step, Step::Wait);
    let events = side.peer.take_events();
    assert!(
        matches!(events.as_slice(), [PeerEvent::Received(m)] if matches!(**m, Message::Update(_)))
    );

    let cease = encoded(Message::Notification(Notification::cease_shutdown(
        "maintenance",
    )));
    let (step, out) = feed(&mut side, now, &cease);
    assert!(matches!(step, Step::Close(CloseReason::NotificationReceived(ref n)) if n.code == 6));
    assert!(out.is_empty(), "no NOTIFICATION answers a NOTIFICATION");
    assert!(side
        .peer
        .take_events()
        .iter()
        .any(|e| matches!(e, PeerEvent::Down(_))));
}

#[test]
fn shutdown_sends_a_cease_with_the_rfc9003_message() {
    let (mut side, now) = established_side();
    side.peer
        .shutdown(Notification::cease_shutdown("rexa stopping"));
    let mut out = Vec::new();
    let step = side.run(now, &mut out);
    assert_eq!(sent_notification(&step), Some((6, 2)));
    let Some(Message::Notification(n)) = messages(&out).pop() else {
        panic!("no cease")
    };
    assert_eq!(n.data.first().copied(), Some(13));
    assert_eq!(&n.data[1..], b"rexa stopping");
}

#[test]
fn the_table_is_sent_in_bounded_slices_then_end_of_rib() {
    let update = one_route_update();
    let (mut side, now) = keepalive_waiting(UPDATES_PER_STEP * 2 + 1);
    let mut out = Vec::new();
    let (used, step) = side.peer.step(now, &side.inbox, &mut out);
    side.inbox.drain(..used);
    assert_eq!(step, Step::Later, "yields after one slice");
    assert_eq!(out.len(), update.len() * UPDATES_PER_STEP);
    let step = side.run(now, &mut out);
    assert_eq!(step, Step::Wait);
    // All table entries plus one EOR for IPv4 unicast.
    assert_eq!(messages(&out).len(), UPDATES_PER_STEP * 2 + 1 + 1);
}

#[test]
fn a_full_output_buffer_stops_encoding() {
    let (mut side, now) = keepalive_waiting(10);
    let mut out = vec![0; OUTPUT_HIGH_WATER];
    let (used, step) = side.peer.step(now, &side.inbox, &mut out);
    side.inbox.drain(..used);
    assert_eq!(
        out.len(),
        OUTPUT_HIGH_WATER,
        "nothing encoded into a full buffer"
    );
    assert_eq!(step, Step::Later);
    out.clear();
    assert_eq!(side.run(now, &mut out), Step::Wait);
    assert_eq!(messages(&out).len(), 11);
}

#[test]
fn collisions_are_resolved_by_router_id_both_ways() {
    // We (10.0.0.1) connected out and are in OPENSENT; the peer's id is higher: its
    // inbound connection wins.
    let (side, _) = open_sent(65001, 65002);
    assert!(
        matches!(side.peer.collision(B_ID), Collision::ReplaceCurrent(ref n) if n.subcode == 7)
    );
    // With a lower peer id our outgoing connection is kept.
    assert!(matches!(
        side.peer.collision(Ipv4Addr::new(10, 0, 0, 0)),
        Collision::RefuseNew(ref n) if n.subcode == 7
    ));
    // Established: always refuse; idle: always accept.
    let (side, _) = established_side();
    assert!(matches!(side.peer.collision(B_ID), Collision::RefuseNew(_)));
    let idle = Peer::new(settings(65001, 65002, A_ID), Instant::now());
    assert_eq!(idle.collision(B_ID), Collision::AcceptNew);
    // The current connection is inbound: a higher peer id keeps it.
    let now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    peer.connected(now, Initiator::Remote, &mut Vec::new());
    assert!(matches!(peer.collision(B_ID), Collision::RefuseNew(_)));
    assert!(matches!(
        peer.collision(Ipv4Addr::new(1, 1, 1, 1)),
        Collision::ReplaceCurrent(_)
    ));
}

#[test]
fn reconnects_after_a_lost_connection_and_resends_the_table() {
    let mut pair = Pair::new(settings(65001, 65002, A_ID), settings(65002, 65001, B_ID));
    announce_routes(&mut pair.a.peer, 1);
    pair.settle();
    assert!(established(&pair));
    pair.a.peer.closed(pair.now);
    let State::Idle { retry_at } = *pair.a.peer.state() else {
        panic!("not idle")
    };
    assert!(pair.a.peer.connect(retry_at));
    // Reconnect with a fresh peer on the other side.
    let now = retry_at;
    let mut b = Side::new(settings(65002, 65001, B_ID), now);
    let (mut to_b, mut to_a) = (Vec::new(), Vec::new());
    pair.a.peer.connected(now, Initiator::Local, &mut to_b);
    b.peer.connected(now, Initiator::Remote, &mut to_a);
    pair.b = b;
    pair.b.inbox.extend(to_b);
    pair.a.inbox = to_a;
    pair.now = now;
    pair.settle();
    assert!(established(&pair));
    let received = pair
        .b
        .peer
        .take_events()
        .into_iter()
        .filter(|e| matches!(e, PeerEvent::Received(m) if matches!(**m, Message::Update(_))))
        .count();
    assert_eq!(received, 2, "the table entry and the EOR");
}

fn eor_ipv4() -> Vec<u8> {
    let mut out = Vec::new();
    crate::bgp::update::write_end_of_rib(&mut out, Family::IPV4_UNICAST);
    out
}

/// Announces `count` IPv4 /24 routes, one UPDATE each (`group-updates false`).
fn announce_routes(peer: &mut Peer, count: usize) {
    use crate::bgp::nlri::{Nlri, Prefix};
    use crate::rib::PathAttributes;
    peer.settings.rib.group_updates = false;
    *peer.rib_mut() = crate::rib::AdjRibOut::new(peer.settings.rib);
    let attributes = PathAttributes::new(
        Some(std::net::IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
        Vec::new(),
    );
    for i in 0..count as u32 {
        let prefix = Prefix::v4(Ipv4Addr::from(0x0A00_0000 + (i << 8)), 24).unwrap();
        peer.rib_mut()
            .announce(Family::IPV4_UNICAST, Nlri::prefix(prefix), &attributes);
    }
}

/// The size of one of those UPDATEs on an eBGP session (65001 → 65002): header, two
/// lengths, ORIGIN, AS_PATH [65001], NEXT_HOP and the /24.
fn one_route_update() -> Vec<u8> {
    vec![0; 19 + 4 + 4 + 9 + 7 + 4]
}

#[test]
fn shutdown_stops_for_good_and_reset_reconnects() {
    let (mut side, now) = established_side();
    side.peer.reset(Notification::cease_reset("maintenance"));
    let step = side.run(now, &mut Vec::new());
    assert_eq!(sent_notification(&step), Some((6, 4)));
    assert!(
        matches!(side.peer.state(), State::Idle { .. }),
        "reset reconnects"
    );

    let (mut side, now) = established_side();
    side.peer.shutdown(Notification::cease_shutdown("bye"));
    side.run(now, &mut Vec::new());
    assert!(side.peer.is_stopped());
    assert!(!side.peer.connect(now + Duration::from_secs(3600)));

    // Shutdown without a connection stops at once.
    let mut idle = Peer::new(settings(65001, 65002, A_ID), now);
    idle.shutdown(Notification::cease_shutdown("bye"));
    let (_, step) = idle.step(now, &[], &mut Vec::new());
    assert_eq!(step, Step::Wait);
    assert!(idle.is_stopped());
}

#[test]
fn a_route_refresh_request_resends_the_family() {
    use crate::bgp::refresh::{RefreshSubtype, RouteRefresh};
    let (mut side, now) = keepalive_waiting(3);
    let mut out = Vec::new();
    assert_eq!(side.run(now, &mut out), Step::Wait);
    assert_eq!(messages(&out).len(), 4, "three routes and the EOR");
    out.clear();
    side.inbox
        .extend(encoded(Message::RouteRefresh(RouteRefresh::new(
            Family::IPV4_UNICAST,
            RefreshSubtype::REQUEST,
        ))));
    assert_eq!(side.run(now, &mut out), Step::Wait);
    let updates = messages(&out)
        .iter()
        .filter(|m| matches!(m, Message::Update(_)))
        .count();
    assert_eq!(updates, 3, "the table again, no EOR");
}

#[test]
fn capability_mismatches_are_refused() {
    use crate::bgp::capability::Role;
    // RFC 9234: two providers facing each other is a role mismatch, 2/11.
    let now = Instant::now();
    let mut s = settings(65001, 65002, A_ID);
    s.capabilities.push(Capability::Role(Role::PROVIDER));
    let mut side = Side::new(s, now);
    let mut out = Vec::new();
    assert!(side.peer.connect(now));
    side.peer.connected(now, Initiator::Local, &mut out);
    let mut open = open_from(65002, 90, B_ID);
    if let Some(crate::bgp::open::Parameter::Capabilities(list)) = open.parameters.first_mut() {
        list.push(Capability::Role(Role::PROVIDER));
    }
    let (step, _) = feed(&mut side, now, &encoded(Message::Open(open)));
    assert_eq!(sent_notification(&step), Some((2, 11)));
}

/// The bytes of every `Sent` (or `ReceivedPacket`) event, in order.
fn reported_bytes(events: &[PeerEvent], sent: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for event in events {
        match event {
            PeerEvent::Sent(bytes) if sent => out.extend_from_slice(bytes),
            PeerEvent::ReceivedPacket(bytes) if !sent => out.extend_from_slice(bytes),
            _ => {}
        }
    }
    out
}

#[test]
fn sent_and_received_bytes_are_reported_only_when_asked() {
    let mut a = settings(65001, 65002, A_ID);
    a.report_sent = true;
    let mut b = settings(65002, 65001, B_ID);
    b.report_packets = true;
    let mut pair = Pair::new(a, b);
    pair.settle();
    assert!(established(&pair));
    let a_events = pair.a.peer.take_events();
    let b_events = pair.b.peer.take_events();
    let sent = reported_bytes(&a_events, true);
    // OPEN, KEEPALIVE, then the End-of-RIB of the (empty) table.
    let kinds: Vec<u8> = messages(&sent).iter().map(Message::kind).collect();
    assert_eq!(kinds, [message::OPEN, message::KEEPALIVE, message::UPDATE]);
    // What b received, frame by frame, is exactly what a reported sending.
    assert_eq!(reported_bytes(&b_events, false), sent);
    // Each packet comes just before its decoded form.
    let position = |wanted: fn(&PeerEvent) -> bool| b_events.iter().position(wanted);
    let packet = position(|e| matches!(e, PeerEvent::ReceivedPacket(p) if p[18] == 1));
    let open = position(|e| matches!(e, PeerEvent::Received(m) if matches!(**m, Message::Open(_))));
    assert_eq!(packet.map(|p| p + 1), open);
    // The switches are off by default: nothing reported the other way.
    assert!(reported_bytes(&a_events, false).is_empty());
    assert!(reported_bytes(&b_events, true).is_empty());
}

#[test]
fn sent_updates_and_notifications_are_reported_frame_by_frame() {
    let (mut side, now) = open_sent(65001, 65002);
    side.peer.settings.report_sent = true;
    announce_routes(&mut side.peer, 3);
    side.inbox
        .extend(encoded(Message::Open(open_from(65002, 90, B_ID))));
    side.inbox.extend(encoded(Message::Keepalive));
    let mut out = Vec::new();
    side.run(now, &mut out);
    side.peer.shutdown(Notification::cease_shutdown("bye"));
    side.run(now, &mut out);
    let events = side.peer.take_events();
    assert_eq!(reported_bytes(&events, true), out);
    let sent: Vec<&PeerEvent> = events
        .iter()
        .filter(|e| matches!(e, PeerEvent::Sent(_)))
        .collect();
    // KEEPALIVE, three UPDATEs, End-of-RIB, NOTIFICATION.
    assert_eq!(sent.len(), 6);
    assert!(matches!(sent.last(), Some(PeerEvent::Sent(b)) if b[18] == message::NOTIFICATION));
}

#[test]
fn a_refused_message_read_with_the_keepalive_gets_only_the_notification() {
    // The peer's KEEPALIVE (completing the session) and an unknown message type arrive in
    // one read: the NOTIFICATION is the only thing sent, no UPDATE and no End-of-RIB.
    let (mut side, now) = open_sent(65001, 65002);
    announce_routes(&mut side.peer, 3);
    let (_, out) = feed(
        &mut side,
        now,
        &encoded(Message::Open(open_from(65002, 90, B_ID))),
    );
    assert_eq!(messages(&out), vec![Message::Keepalive]);
    let mut bytes = encoded(Message::Keepalive);
    let mut unknown = vec![0xFF; 16];
    unknown.extend_from_slice(&[0, 19, 9]);
    bytes.extend_from_slice(&unknown);
    let (step, out) = feed(&mut side, now, &bytes);
    assert!(matches!(
        step,
        Step::Close(CloseReason::NotificationSent(_))
    ));
    let sent = messages(&out);
    assert_eq!(sent.len(), 1, "only the NOTIFICATION: {sent:?}");
    assert!(matches!(sent[0], Message::Notification(_)));
}

#[test]
fn the_table_waits_until_every_message_read_is_handled() {
    // More complete messages than one step handles: the step that stops early sends
    // nothing of the table; the refusal behind them is still the only thing sent.
    let (mut side, now) = open_sent(65001, 65002);
    announce_routes(&mut side.peer, 3);
    feed(
        &mut side,
        now,
        &encoded(Message::Open(open_from(65002, 90, B_ID))),
    );
    let mut bytes = Vec::new();
    for _ in 0..MESSAGES_PER_STEP + 5 {
        bytes.extend(encoded(Message::Keepalive));
    }
    bytes.extend_from_slice(&[0xFF; 16]);
    bytes.extend_from_slice(&[0, 19, 9]);
    side.inbox.extend(bytes);
    let mut out = Vec::new();
    let (used, step) = side.peer.step(now, &side.inbox, &mut out);
    side.inbox.drain(..used);
    assert_eq!(step, Step::Now);
    assert!(out.is_empty(), "nothing sent while input is unhandled");
    assert_eq!(side.peer.label(), FsmLabel::Established);
    let step = side.run(now, &mut out);
    assert!(matches!(
        step,
        Step::Close(CloseReason::NotificationSent(_))
    ));
    let sent = messages(&out);
    assert_eq!(sent.len(), 1, "only the NOTIFICATION: {sent:?}");
}

#[test]
fn send_hold_timer_closes_a_peer_that_reads_nothing() {
    // RFC 9687 with the fake clock: bytes wait, the socket takes none for max(8 min,
    // 2 × 90 s) = 480 s: NOTIFICATION 8/0 and the session closes.
    let (mut side, mut now) = established_side();
    assert_eq!(side.peer.send_hold_time(), Some(Duration::from_secs(480)));
    side.peer.output_report(now, 4096, false);
    assert_eq!(
        side.peer
            .next_deadline()
            .map(|d| d <= now + Duration::from_secs(480)),
        Some(true)
    );
    let mut out = Vec::new();
    // The peer keeps sending KEEPALIVEs (its hold timer is fine) but reads nothing.
    for _ in 0..15 {
        now += Duration::from_secs(30);
        side.inbox.extend(encoded(Message::Keepalive));
        side.peer.output_report(now, 4096, false);
        assert_eq!(side.run(now, &mut out), Step::Wait);
    }
    assert_eq!(side.peer.label(), FsmLabel::Established);
    now += Duration::from_secs(31);
    side.peer.output_report(now, 4096, false);
    out.clear();
    let step = side.run(now, &mut out);
    assert_eq!(sent_notification(&step), Some((8, 0)));
    assert!(matches!(messages(&out).as_slice(), [Message::Notification(n)] if n.code == 8));
    assert!(side
        .peer
        .take_events()
        .iter()
        .any(|e| matches!(e, PeerEvent::Down(CloseReason::NotificationSent(n)) if n.code == 8)));
}

#[test]
fn send_hold_timer_restarts_on_progress_and_stops_when_drained() {
    let (mut side, mut now) = established_side();
    let mut out = Vec::new();
    side.peer.output_report(now, 4096, false);
    // Some bytes taken every minute for 20 minutes: never expires.
    for _ in 0..20 {
        now += Duration::from_secs(60);
        side.inbox.extend(encoded(Message::Keepalive));
        side.peer.output_report(now, 2048, true);
        assert_eq!(side.run(now, &mut out), Step::Wait);
    }
    // Stuck from here on, then drained before 480 s: the timer stops.
    for _ in 0..7 {
        now += Duration::from_secs(60);
        side.inbox.extend(encoded(Message::Keepalive));
        side.peer.output_report(now, 2048, false);
        assert_eq!(side.run(now, &mut out), Step::Wait);
    }
    side.peer.output_report(now, 0, true);
    for _ in 0..20 {
        now += Duration::from_secs(60);
        side.inbox.extend(encoded(Message::Keepalive));
        assert_eq!(side.run(now, &mut out), Step::Wait);
    }
    assert_eq!(side.peer.label(), FsmLabel::Established);
}

#[test]
fn send_hold_time_is_twice_a_long_hold_time_and_zero_disables_it() {
    let (mut side, now) = open_sent(65001, 65002);
    side.peer.settings.hold_time = 600;
    feed(
        &mut side,
        now,
        &encoded(Message::Open(open_from(65002, 600, B_ID))),
    );
    assert_eq!(side.peer.send_hold_time(), Some(Duration::from_secs(1200)));
    side.peer.settings.send_hold = Duration::ZERO;
    assert_eq!(side.peer.send_hold_time(), None);
    side.peer.output_report(now, 4096, false);
    let mut out = Vec::new();
    let later = now + Duration::from_secs(100_000);
    assert_eq!(
        side.peer
            .tick(later, &mut out)
            .map(|s| sent_notification(&s)),
        Some(Some((4, 0)))
    );
}

// ----- the fence: every transition through the peer's own calls, allowed and refused -----

fn labels(events: &[PeerEvent]) -> Vec<FsmLabel> {
    events
        .iter()
        .filter_map(|e| match e {
            PeerEvent::Fsm(label) => Some(*label),
            _ => None,
        })
        .collect()
}

#[test]
fn idle_to_connect_happens_before_the_connect_call_and_counts_the_attempt() {
    let now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    assert!(peer.connect(now));
    assert!(
        matches!(peer.state(), State::Connect { deadline } if *deadline == now + peer.settings.connect_timeout)
    );
    assert_eq!(labels(&peer.take_events()), [FsmLabel::Connect]);
    assert_eq!(peer.attempts, 1);
    // Refused: a second connect while one is in flight.
    assert!(!peer.connect(now));
    assert_eq!(peer.attempts, 1);
    assert!(peer.take_events().is_empty());
}

#[test]
fn idle_refuses_to_connect_before_its_retry_deadline() {
    let now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    assert!(peer.connect(now));
    peer.connect_failed(now);
    assert!(
        peer.connect(now + Duration::from_secs(1)),
        "the first back-off is 0 s"
    );
    peer.connect_failed(now);
    let State::Idle { retry_at } = *peer.state() else {
        panic!("not idle")
    };
    assert!(retry_at > now);
    assert!(!peer.connect(now), "refused before the retry deadline");
    assert!(matches!(peer.state(), State::Idle { .. }));
    assert!(peer.connect(retry_at));
}

#[test]
fn connect_to_open_sent_writes_our_open() {
    let now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    assert!(peer.connect(now));
    peer.take_events();
    let mut out = Vec::new();
    peer.connected(now, Initiator::Local, &mut out);
    assert!(matches!(messages(&out).as_slice(), [Message::Open(_)]));
    let events = peer.take_events();
    assert_eq!(events.first(), Some(&PeerEvent::Connected));
    assert_eq!(labels(&events), [FsmLabel::OpenSent]);
    let Some(connection) = peer.state().connection() else {
        panic!("no connection")
    };
    assert_eq!(connection.initiator, Initiator::Local);
}

#[test]
fn an_inbound_connection_while_idle_goes_through_connect() {
    let now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now + Duration::from_secs(60));
    peer.connected(now, Initiator::Remote, &mut Vec::new());
    assert_eq!(
        labels(&peer.take_events()),
        [FsmLabel::Connect, FsmLabel::OpenSent]
    );
    assert_eq!(
        peer.state().connection().map(|c| c.initiator),
        Some(Initiator::Remote)
    );
}

#[test]
fn an_inbound_connection_replacing_our_attempt_goes_on_from_connect() {
    let now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    assert!(peer.connect(now));
    peer.take_events();
    peer.connected(now, Initiator::Remote, &mut Vec::new());
    assert_eq!(labels(&peer.take_events()), [FsmLabel::OpenSent]);
    assert_eq!(peer.attempts, 1);
}

#[test]
fn connect_timeout_returns_to_idle_and_the_peer_connects_again() {
    // Regression: the connect timeout once lived outside the peer, which stayed idle,
    // never reconnected, and had its passed deadline re-armed on every pass.
    let now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    assert!(peer.connect(now));
    peer.take_events();
    let deadline = peer.next_deadline().expect("the connect deadline");
    assert_eq!(deadline, now + peer.settings.connect_timeout);
    // Nothing before the deadline: still connecting.
    let (_, step) = peer.step(deadline - Duration::from_millis(1), &[], &mut Vec::new());
    assert_eq!(step, Step::Wait);
    assert!(matches!(peer.state(), State::Connect { .. }));
    let (_, step) = peer.step(deadline, &[], &mut Vec::new());
    assert_eq!(step, Step::Close(CloseReason::ConnectFailed));
    let State::Idle { retry_at } = *peer.state() else {
        panic!("not idle")
    };
    assert_eq!(labels(&peer.take_events()), [FsmLabel::Idle]);
    assert_eq!(
        peer.next_deadline(),
        Some(retry_at),
        "the deadline moved on"
    );
    assert!(retry_at >= deadline);
    assert!(peer.connect(retry_at));
}

#[test]
fn connect_failures_outside_connect_are_ignored() {
    let now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    peer.connect_failed(now);
    peer.closed(now);
    assert!(matches!(peer.state(), State::Idle { retry_at } if *retry_at == now));
    assert!(peer.take_events().is_empty());
    let (mut side, now) = established_side();
    side.peer.connect_failed(now);
    assert_eq!(side.peer.label(), FsmLabel::Established);
}

#[test]
fn every_connected_stage_falls_back_to_idle_when_the_connection_is_lost() {
    // OPENSENT
    let (mut side, now) = open_sent(65001, 65002);
    side.peer.take_events();
    side.peer.closed(now);
    let events = side.peer.take_events();
    assert_eq!(labels(&events), [FsmLabel::Idle]);
    assert!(events.contains(&PeerEvent::Down(CloseReason::ConnectionLost)));
    // OPENCONFIRM
    let (mut side, now) = open_sent(65001, 65002);
    feed(
        &mut side,
        now,
        &encoded(Message::Open(open_from(65002, 90, B_ID))),
    );
    assert_eq!(side.peer.label(), FsmLabel::OpenConfirm);
    side.peer.take_events();
    side.peer.closed(now);
    assert_eq!(labels(&side.peer.take_events()), [FsmLabel::Idle]);
    // ESTABLISHED
    let (mut side, now) = established_side();
    side.peer.closed(now);
    assert_eq!(labels(&side.peer.take_events()), [FsmLabel::Idle]);
    assert!(matches!(side.peer.state(), State::Idle { .. }));
}

#[test]
fn a_passive_peer_falls_back_to_active_from_every_connected_stage() {
    let mut s = settings(65001, 65002, A_ID);
    s.passive = true;
    let now = Instant::now();
    let mut side = Side::new(s, now);
    assert!(!side.peer.connect(now), "passive: never connects out");
    side.peer.connected(now, Initiator::Remote, &mut Vec::new());
    assert_eq!(
        labels(&side.peer.take_events()),
        [FsmLabel::Connect, FsmLabel::OpenSent]
    );
    to_established(&mut side, now);
    side.peer.closed(now);
    assert_eq!(labels(&side.peer.take_events()), [FsmLabel::Active]);
    assert!(matches!(side.peer.state(), State::Active));
}

#[test]
fn open_sent_accepts_only_an_open_and_open_confirm_only_a_keepalive() {
    // OPENSENT → OPENCONFIRM on the OPEN, with our KEEPALIVE.
    let (mut side, now) = open_sent(65001, 65002);
    side.peer.take_events();
    let (step, out) = feed(
        &mut side,
        now,
        &encoded(Message::Open(open_from(65002, 90, B_ID))),
    );
    assert_eq!(step, Step::Wait);
    assert_eq!(messages(&out), [Message::Keepalive]);
    assert_eq!(labels(&side.peer.take_events()), [FsmLabel::OpenConfirm]);
    // OPENCONFIRM → ESTABLISHED on the KEEPALIVE, reported once, then Up.
    let (step, _) = feed(&mut side, now, &encoded(Message::Keepalive));
    assert_eq!(step, Step::Wait);
    let events = side.peer.take_events();
    assert_eq!(labels(&events), [FsmLabel::Established]);
    let up = events.iter().position(|e| *e == PeerEvent::Up);
    let fsm = events
        .iter()
        .position(|e| *e == PeerEvent::Fsm(FsmLabel::Established));
    assert!(fsm < up, "fsm established, then up: {events:?}");

    // Refused: a KEEPALIVE in OPENSENT is 5/1, with no state skipped.
    let (mut side, now) = open_sent(65001, 65002);
    side.peer.take_events();
    let (step, _) = feed(&mut side, now, &encoded(Message::Keepalive));
    assert_eq!(sent_notification(&step), Some((5, 1)));
    assert_eq!(labels(&side.peer.take_events()), [FsmLabel::Idle]);
}

#[test]
fn shutdown_stops_from_every_stage() {
    let bye = || Notification::cease_shutdown("bye");
    // IDLE: at once, no fsm event (Stopped reports as IDLE).
    let now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    peer.shutdown(bye());
    assert!(peer.is_stopped());
    assert_eq!(peer.take_events(), [PeerEvent::Stopped]);
    // ACTIVE: at once.
    let mut s = settings(65001, 65002, A_ID);
    s.passive = true;
    let mut peer = Peer::new(s, now);
    peer.shutdown(bye());
    assert!(peer.is_stopped());
    assert_eq!(
        peer.take_events(),
        [PeerEvent::Fsm(FsmLabel::Idle), PeerEvent::Stopped]
    );
    // CONNECT: at once (the reactor drops the attempt with the finished endpoint).
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    assert!(peer.connect(now));
    peer.take_events();
    peer.shutdown(bye());
    assert!(peer.is_stopped());
    assert_eq!(
        peer.take_events(),
        [PeerEvent::Fsm(FsmLabel::Idle), PeerEvent::Stopped]
    );
    // OPENSENT: kept in the connection, sent at the next step, then stopped.
    let (mut side, now) = open_sent(65001, 65002);
    side.peer.shutdown(bye());
    assert!(side
        .peer
        .state()
        .connection()
        .is_some_and(|c| c.ending.is_some()));
    assert_eq!(
        side.peer.label(),
        FsmLabel::OpenSent,
        "nothing happens before the step"
    );
    let mut out = Vec::new();
    let step = side.run(now, &mut out);
    assert_eq!(sent_notification(&step), Some((6, 2)));
    assert!(side.peer.is_stopped());
    // Stopped refuses everything: no connect, no connection, no second stop.
    side.peer.take_events();
    assert!(!side.peer.connect(now + Duration::from_secs(3600)));
    side.peer.connected(now, Initiator::Remote, &mut out);
    side.peer.shutdown(bye());
    side.peer.closed(now);
    assert!(side.peer.is_stopped());
    assert!(side.peer.take_events().is_empty());
}

#[test]
fn a_connection_lost_after_shutdown_still_stops() {
    let (mut side, now) = established_side();
    side.peer.shutdown(Notification::cease_shutdown("bye"));
    side.peer.closed(now);
    assert!(side.peer.is_stopped());
    let events = side.peer.take_events();
    assert!(events.contains(&PeerEvent::Down(CloseReason::ConnectionLost)));
    assert_eq!(events.last(), Some(&PeerEvent::Stopped));
}

#[test]
fn reset_without_a_connection_does_nothing_and_does_not_undo_a_shutdown() {
    let now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    peer.reset(Notification::cease_reset("again"));
    assert!(matches!(peer.state(), State::Idle { .. }));
    assert!(peer.take_events().is_empty());
    // A reset after a shutdown sends the reset's Cease but still stops.
    let (mut side, now) = established_side();
    side.peer.shutdown(Notification::cease_shutdown("bye"));
    side.peer.reset(Notification::cease_reset("again"));
    let step = side.run(now, &mut Vec::new());
    assert_eq!(sent_notification(&step), Some((6, 4)));
    assert!(side.peer.is_stopped());
}

#[test]
fn out_of_attempts_stops_from_connect() {
    let now = Instant::now();
    let mut s = settings(65001, 65002, A_ID);
    s.connect_attempts = 1;
    let mut peer = Peer::new(s, now);
    assert!(peer.connect(now));
    peer.take_events();
    let deadline = peer.next_deadline().expect("connect deadline");
    let (_, step) = peer.step(deadline, &[], &mut Vec::new());
    assert_eq!(step, Step::Close(CloseReason::ConnectFailed));
    assert!(peer.is_stopped());
    assert_eq!(
        peer.take_events(),
        [PeerEvent::Fsm(FsmLabel::Idle), PeerEvent::Stopped]
    );
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "is not a transition")]
fn the_fence_refuses_an_edge_the_diagram_does_not_draw() {
    let now = Instant::now();
    let mut peer = Peer::new(settings(65001, 65002, A_ID), now);
    peer.transition(State::OpenSent {
        connection: Connection::new(Initiator::Local),
        deadline: now,
    });
}

#[test]
fn the_peer_appends_after_what_waits_and_counts_it_against_the_mark() {
    // An Output whose head was already sent: the peer appends after the waiting bytes and
    // counts only those against the high-water mark.
    struct Sent {
        bytes: Vec<u8>,
        start: usize,
    }
    impl Output for Sent {
        fn tail(&mut self) -> &mut Vec<u8> {
            &mut self.bytes
        }
        fn queued(&self) -> usize {
            self.bytes.len() - self.start
        }
    }
    let (mut side, now) = keepalive_waiting(10);
    // A whole buffer's worth already written to the socket, nothing waiting.
    let mut out = Sent {
        bytes: vec![0; OUTPUT_HIGH_WATER],
        start: OUTPUT_HIGH_WATER,
    };
    let (used, step) = side.peer.step(now, &side.inbox, &mut out);
    side.inbox.drain(..used);
    assert_eq!(step, Step::Wait);
    let written = out.bytes.get(OUTPUT_HIGH_WATER..).unwrap_or_default();
    assert_eq!(messages(written).len(), 11, "ten UPDATEs and End-of-RIB");
}
