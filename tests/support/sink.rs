//! A minimal BGP receiver for throughput and back-pressure tests: it listens on loopback,
//! answers the OPEN exchange, then only walks received UPDATEs (no decoding into owned data).
//!
//! Shared by `tests/slow_peer.rs` and `benches/table_push.rs` (included there by path).

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use rexa::bgp::family::{Afi, Family, Safi};
use rexa::bgp::message::frame;
use rexa::bgp::negotiated::Negotiated;
use rexa::bgp::nlri::{Nlri, NlriIter, NlriKind};
use rexa::bgp::update::UpdateView;

const HEADER_LEN: usize = 19;
const OPEN: u8 = 1;
const UPDATE: u8 = 2;
const NOTIFICATION: u8 = 3;
const KEEPALIVE: u8 = 4;
const MAX_MESSAGE: usize = 4096;
/// Hold time the sink offers (seconds); it sends a KEEPALIVE every third of it.
const HOLD_TIME: u16 = 180;

/// What went wrong on the sink's side.
#[derive(Debug)]
pub enum SinkError {
    Io(io::Error),
    /// The peer closed the connection (or sent a NOTIFICATION: its body in hex).
    Closed(Option<String>),
    /// Bytes that are not a BGP message, or an UPDATE whose fields do not add up.
    Malformed(String),
    /// `limit` passed before the End-of-RIB.
    Timeout,
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkError::Io(e) => write!(f, "socket error: {e}"),
            SinkError::Closed(None) => write!(f, "the peer closed the connection"),
            SinkError::Closed(Some(hex)) => write!(f, "the peer sent a NOTIFICATION {hex}"),
            SinkError::Malformed(what) => write!(f, "malformed message: {what}"),
            SinkError::Timeout => write!(f, "no End-of-RIB in time"),
        }
    }
}

impl From<io::Error> for SinkError {
    fn from(e: io::Error) -> Self {
        SinkError::Io(e)
    }
}

/// A listening sink, before the peer connects.
pub struct SinkListener {
    listener: TcpListener,
}

impl SinkListener {
    /// Listens on `ip` (port chosen by the kernel). `receive_buffer` sets SO_RCVBUF on the
    /// listening socket, so accepted connections advertise a small window from the start.
    pub fn bind(ip: Ipv4Addr, receive_buffer: Option<usize>) -> io::Result<SinkListener> {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        if let Some(size) = receive_buffer {
            socket.set_recv_buffer_size(size)?;
        }
        socket.bind(&SocketAddr::from((ip, 0)).into())?;
        socket.listen(4)?;
        Ok(SinkListener {
            listener: socket.into(),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Waits (at most `limit`) for the speaker to connect, then runs the OPEN exchange
    /// as AS `asn` with router-id `id`, offering IPv4 unicast: returns once the sink has
    /// sent its KEEPALIVE (the speaker is then ESTABLISHED as soon as it reads it).
    pub fn accept(self, asn: u32, id: Ipv4Addr, limit: Duration) -> Result<Sink, SinkError> {
        self.accept_families(asn, id, limit, &[Family::IPV4_UNICAST])
    }

    /// [`SinkListener::accept`] offering `families` (unicast or multicast families: the
    /// sink counts their MP_REACH / MP_UNREACH routes). A reception ends once the
    /// End-of-RIB of each of them arrived.
    pub fn accept_families(
        self,
        asn: u32,
        id: Ipv4Addr,
        limit: Duration,
        families: &[Family],
    ) -> Result<Sink, SinkError> {
        self.listener.set_nonblocking(true)?;
        let start = Instant::now();
        let stream = loop {
            match self.listener.accept() {
                Ok((stream, _)) => break stream,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if start.elapsed() > limit {
                        return Err(SinkError::Timeout);
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e.into()),
            }
        };
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(Duration::from_millis(200)))?;
        let mut sink = Sink {
            stream,
            buffer: vec![0; 1 << 20],
            start: 0,
            end: 0,
            last_keepalive: Instant::now(),
            established: Instant::now(),
            families: families.to_vec(),
        };
        // The speaker's OPEN first, then ours and our KEEPALIVE.
        let deadline = Instant::now() + limit;
        loop {
            let (kind, _) = sink.next_message(deadline)?;
            if kind == OPEN {
                break;
            }
        }
        let mut hello = open_message(asn, id, families);
        hello.extend_from_slice(&keepalive_message());
        sink.stream.write_all(&hello)?;
        sink.established = Instant::now();
        sink.last_keepalive = sink.established;
        Ok(sink)
    }
}

/// An OPEN as `asn` (4-octet ASN capability, AS_TRANS when it does not fit in 16 bits)
/// offering `families`.
fn open_message(asn: u32, id: Ipv4Addr, families: &[Family]) -> Vec<u8> {
    let my_as = u16::try_from(asn).unwrap_or(23456);
    let mut body = vec![4];
    body.extend_from_slice(&my_as.to_be_bytes());
    body.extend_from_slice(&HOLD_TIME.to_be_bytes());
    body.extend_from_slice(&id.octets());
    let mut capabilities = Vec::new();
    for family in families {
        let [afi_high, afi_low] = family.afi.0.to_be_bytes();
        capabilities.extend_from_slice(&[1, 4, afi_high, afi_low, 0, family.safi.0]);
    }
    capabilities.extend_from_slice(&[65, 4]);
    capabilities.extend_from_slice(&asn.to_be_bytes());
    body.push(capabilities.len() as u8 + 2);
    body.push(2);
    body.push(capabilities.len() as u8);
    body.extend_from_slice(&capabilities);
    message(OPEN, &body)
}

fn keepalive_message() -> Vec<u8> {
    message(KEEPALIVE, &[])
}

fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF; 16];
    out.extend_from_slice(&((HEADER_LEN + body.len()) as u16).to_be_bytes());
    out.push(kind);
    out.extend_from_slice(body);
    out
}

/// Totals of one reception, End-of-RIB excluded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Received {
    pub updates: u64,
    pub announced: u64,
    pub withdrawn: u64,
    /// Bytes of UPDATE messages, headers included.
    pub update_bytes: u64,
    /// From the sink's KEEPALIVE to the last UPDATE before the End-of-RIB.
    pub last_update: Duration,
    /// From the sink's KEEPALIVE to the End-of-RIB.
    pub end_of_rib: Duration,
}

/// An established session seen from the receiving side.
pub struct Sink {
    stream: TcpStream,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    last_keepalive: Instant,
    /// When the sink sent its KEEPALIVE.
    pub established: Instant,
    /// The families offered: a reception ends at the End-of-RIB of the last of them.
    families: Vec<Family>,
}

impl Sink {
    /// The next whole message as (type, body range in the buffer), reading as needed.
    fn next_message(
        &mut self,
        deadline: Instant,
    ) -> Result<(u8, std::ops::Range<usize>), SinkError> {
        loop {
            let pending = self.buffer.get(self.start..self.end).unwrap_or(&[]);
            match frame(pending, MAX_MESSAGE) {
                Ok(Some(length)) => {
                    let kind = pending.get(18).copied().unwrap_or(0);
                    let body = self.start + HEADER_LEN..self.start + length;
                    self.start += length;
                    if kind == NOTIFICATION {
                        let hex: String = self.buffer[body]
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect();
                        return Err(SinkError::Closed(Some(hex)));
                    }
                    return Ok((kind, body));
                }
                Ok(None) => {}
                Err(e) => return Err(SinkError::Malformed(format!("{e}"))),
            }
            if self.start > 0 {
                self.buffer.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            self.keepalive_if_due()?;
            if Instant::now() > deadline {
                return Err(SinkError::Timeout);
            }
            match self.stream.read(&mut self.buffer[self.end..]) {
                Ok(0) => return Err(SinkError::Closed(None)),
                Ok(n) => self.end += n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn keepalive_if_due(&mut self) -> Result<(), SinkError> {
        if self.last_keepalive.elapsed() >= Duration::from_secs(u64::from(HOLD_TIME / 3)) {
            self.stream.write_all(&keepalive_message())?;
            self.last_keepalive = Instant::now();
        }
        Ok(())
    }

    /// Sends a KEEPALIVE now: a sink that reads nothing keeps its session alive with it.
    pub fn send_keepalive(&mut self) -> Result<(), SinkError> {
        self.stream.write_all(&keepalive_message())?;
        Ok(())
    }

    /// Sends an UPDATE with this body to the speaker.
    pub fn send_update(&mut self, body: &[u8]) -> Result<(), SinkError> {
        self.stream.write_all(&message(UPDATE, body))?;
        Ok(())
    }

    /// Reads until the End-of-RIB of every offered family (at most `limit`), calling
    /// `on_update` for every other UPDATE.
    pub fn receive_until_eor(
        &mut self,
        limit: Duration,
        mut on_update: impl FnMut(&UpdateView<'_>),
    ) -> Result<Received, SinkError> {
        let mut waiting = self.families.len();
        self.receive_until(limit, |update| match update {
            Some(view) => {
                on_update(view);
                false
            }
            None => {
                waiting = waiting.saturating_sub(1);
                waiting == 0
            }
        })
    }

    /// Reads UPDATEs for at most `limit`, calling `handle` with each (`None` for the
    /// End-of-RIB of an offered family) until it returns true.
    pub fn receive_until(
        &mut self,
        limit: Duration,
        mut handle: impl FnMut(Option<&UpdateView<'_>>) -> bool,
    ) -> Result<Received, SinkError> {
        let deadline = Instant::now() + limit;
        let mut totals = Received::default();
        loop {
            if self.receive_one(deadline, &mut totals, &mut handle)? {
                return Ok(totals);
            }
        }
    }

    /// One message; true when `handle` says to stop.
    fn receive_one(
        &mut self,
        deadline: Instant,
        totals: &mut Received,
        handle: &mut dyn FnMut(Option<&UpdateView<'_>>) -> bool,
    ) -> Result<bool, SinkError> {
        let ctx = Negotiated::default();
        let (kind, body) = self.next_message(deadline)?;
        if kind != UPDATE {
            return Ok(false);
        }
        let bytes = self.buffer.get(body).unwrap_or(&[]);
        let view = UpdateView::new(bytes).map_err(|e| SinkError::Malformed(format!("{e}")))?;
        if view
            .end_of_rib()
            .is_some_and(|family| self.families.contains(&family))
        {
            totals.end_of_rib = self.established.elapsed();
            return Ok(handle(None));
        }
        totals.updates += 1;
        totals.update_bytes += (HEADER_LEN + bytes.len()) as u64;
        totals.announced += view.announced(&ctx).count() as u64;
        totals.withdrawn += view.withdrawn(&ctx).count() as u64;
        for attribute in view.raw_attributes() {
            match attribute {
                Ok((_, 14, value)) => totals.announced += mp_route_count(value, true),
                Ok((_, 15, value)) => totals.withdrawn += mp_route_count(value, false),
                _ => {}
            }
        }
        totals.last_update = self.established.elapsed();
        Ok(handle(Some(&view)))
    }
}

/// Routes in an MP_REACH_NLRI (`reach`) or MP_UNREACH_NLRI value; 0 for families without
/// a known layout.
fn mp_route_count(value: &[u8], reach: bool) -> u64 {
    let Some(&[afi_high, afi_low, safi]) = value.get(..3) else {
        return 0;
    };
    let family = Family::new(Afi(u16::from_be_bytes([afi_high, afi_low])), Safi(safi));
    let start = if reach {
        // AFI, SAFI, next-hop length and next-hop, one reserved byte.
        let next_hop = usize::from(value.get(3).copied().unwrap_or(0));
        4 + next_hop + 1
    } else {
        3
    };
    let (Some(kind), Some(nlri)) = (NlriKind::of(family), value.get(start..)) else {
        return 0;
    };
    NlriIter::new(nlri, kind, family, false, !reach)
        .filter(Result::is_ok)
        .count() as u64
}

/// The IPv4 address and length of a unicast route, as one `u64` key.
pub fn prefix_key(nlri: &Nlri) -> Option<u64> {
    let Nlri::Prefix { prefix, .. } = nlri else {
        return None;
    };
    let std::net::IpAddr::V4(addr) = prefix.addr() else {
        return None;
    };
    Some(u64::from(prefix.len()) << 32 | u64::from(u32::from(addr)))
}

/// The MULTI_EXIT_DISC of an UPDATE, if present.
pub fn med(view: &UpdateView<'_>) -> Option<u32> {
    view.raw_attributes().find_map(|a| match a {
        Ok((_, 4, [a, b, c, d])) => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    })
}

/// `VmRSS` and `VmHWM` of process `pid`, in bytes.
pub fn memory_of(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// One neighbor of a generated configuration: the speaker connects from `local` to
/// `peer`:`port`.
#[derive(Debug, Clone, Copy)]
pub struct TableNeighbor {
    pub local: Ipv4Addr,
    pub peer: Ipv4Addr,
    pub port: u16,
    pub local_as: u32,
    pub peer_as: u32,
}

/// The `index`-th /24 of the generated tables: 1.0.0.0/24, 1.0.1.0/24, ...
pub fn table_prefix(index: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0100_0000u32.wrapping_add(index << 8))
}

/// The `index`-th /64 of the generated IPv6 tables: 2001:db8::/64, 2001:db8:0:1::/64, ...
pub fn table_prefix_v6(index: u32) -> std::net::Ipv6Addr {
    std::net::Ipv6Addr::from((0x2001_0db8_u128 << 96) | (u128::from(index) << 64))
}

/// An ExaBGP configuration where every neighbor announces the same `routes` /24s, route
/// `i` with `attributes(i)` appended (e.g. `med 5 community [65000:5]`).
pub fn table_config(
    neighbors: &[TableNeighbor],
    routes: u32,
    attributes: impl Fn(u32) -> String,
) -> String {
    table_config_family(neighbors, Family::IPV4_UNICAST, routes, attributes)
}

/// [`table_config`] for `family`: IPv4 unicast /24s ([`table_prefix`]) or IPv6 unicast
/// /64s ([`table_prefix_v6`], next-hop 2001:db8::1).
pub fn table_config_family(
    neighbors: &[TableNeighbor],
    family: Family,
    routes: u32,
    attributes: impl Fn(u32) -> String,
) -> String {
    use std::fmt::Write as _;
    let ipv6 = family == Family::IPV6_UNICAST;
    let mut table = String::with_capacity(routes as usize * 80);
    for i in 0..routes {
        let _ = if ipv6 {
            writeln!(
                table,
                "    route {}/64 next-hop 2001:db8::1 {};",
                table_prefix_v6(i),
                attributes(i)
            )
        } else {
            writeln!(
                table,
                "    route {}/24 next-hop 192.0.2.1 {};",
                table_prefix(i),
                attributes(i)
            )
        };
    }
    let family_line = if ipv6 { "ipv6 unicast" } else { "ipv4 unicast" };
    let mut text = String::with_capacity(neighbors.len() * (table.len() + 400));
    for n in neighbors {
        let _ = write!(
            text,
            "neighbor {peer} {{\n  router-id {local};\n  local-address {local};\n  \
             local-as {local_as};\n  peer-as {peer_as};\n  connect {port};\n  hold-time 180;\n  \
             family {{\n    {family_line};\n  }}\n  static {{\n{table}  }}\n}}\n",
            peer = n.peer,
            local = n.local,
            local_as = n.local_as,
            peer_as = n.peer_as,
            port = n.port,
        );
    }
    text
}
