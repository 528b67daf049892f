//! The reactor's connections: outgoing connects, each connection's buffers and phase
//! (connecting, open, draining), detaching, and the bounded linger of a closing one.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use mio::Interest;

use super::socket::{self, ConnectRequest, SocketError};
use super::{Endpoint, Initiator, Reactor, ReadBuffer, Source, WriteBuffer, LINGER};

/// Why the reactor ended (or failed to make) an endpoint's connection on its own.
#[derive(Debug)]
pub enum Disconnect {
    /// The outgoing connect failed (syscall and kernel error inside).
    ConnectFailed(SocketError),
    /// The peer closed its side (EOF); the endpoint was stepped once more before this.
    PeerClosed,
    /// Reading or writing failed (ECONNRESET, EPIPE, ...).
    Io(SocketError),
    /// The endpoint accepted an incoming connection that replaces this one.
    Replaced,
}

impl fmt::Display for Disconnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disconnect::ConnectFailed(error) | Disconnect::Io(error) => error.fmt(f),
            Disconnect::PeerClosed => f.write_str("connection closed by peer"),
            Disconnect::Replaced => f.write_str("replaced by an incoming connection"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Connecting,
    Open,
    Draining { until: Instant },
}

/// One TCP connection: its socket, addresses, buffers and phase.
pub(super) struct Conn {
    pub(super) stream: mio::net::TcpStream,
    pub(super) remote: SocketAddr,
    pub(super) local: SocketAddr,
    pub(super) phase: Phase,
    pub(super) endpoint: Option<u32>,
    pub(super) input: ReadBuffer,
    pub(super) output: WriteBuffer,
    pub(super) readable: bool,
    pub(super) eof: bool,
    /// Closing: our side is shut down for writing; input is read and discarded until the
    /// peer closes too (or the linger ends), so no RST can destroy our last NOTIFICATION.
    pub(super) write_shut: bool,
}

/// One entry of the linger queue: the connection's token index and generation.
#[derive(Debug, Clone, Copy)]
pub(super) struct Draining {
    pub(super) index: usize,
    pub(super) generation: u32,
    pub(super) until: Instant,
}

/// What [`discard_input`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Discarded {
    /// The peer closed its side (or the socket failed): the connection can be closed.
    Closed,
    /// Everything read; readiness will tell when more comes.
    WouldBlock,
    /// The read bound was reached before WouldBlock: look again next pass.
    More,
}

/// Reads and drops what the peer still sends on a half-closed connection (bounded).
fn discard_input(stream: &mut mio::net::TcpStream) -> Discarded {
    use std::io::Read;
    let mut scratch = [0u8; 4096];
    for _ in 0..64 {
        match stream.read(&mut scratch) {
            Ok(0) => return Discarded::Closed,
            Ok(_) => continue,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                return Discarded::WouldBlock
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Discarded::Closed,
        }
    }
    Discarded::More
}

impl<E: Endpoint> Reactor<E> {
    pub(super) fn conn(&self, index: usize) -> Option<&Conn> {
        match self.tokens.get(index)?.source.as_ref()? {
            Source::Conn(conn) => Some(conn),
            _ => None,
        }
    }

    pub(super) fn conn_mut(&mut self, index: usize) -> Option<&mut Conn> {
        match self.tokens.get_mut(index)?.source.as_mut()? {
            Source::Conn(conn) => Some(conn),
            _ => None,
        }
    }

    pub(super) fn close_conn(&mut self, index: usize) {
        if let Some(Source::Conn(mut conn)) = self.release_token(index) {
            self.conn_count = self.conn_count.saturating_sub(1);
            let _ = self.poll.registry().deregister(&mut conn.stream);
            let _ = conn.stream.shutdown(std::net::Shutdown::Both);
        }
    }

    pub(super) fn finish_connect(&mut self, index: usize, slot: u32, now: Instant) {
        let Some(conn) = self.conn(index) else { return };
        let remote = conn.remote;
        match socket::connect_result(&conn.stream, remote) {
            Ok(None) => {}
            Ok(Some(local)) => {
                if let Some(conn) = self.conn_mut(index) {
                    conn.phase = Phase::Open;
                    conn.local = local;
                }
                log::debug!("{remote}: connected from {local}");
                if let Some(body) = self.slot_mut(slot) {
                    body.endpoint
                        .connected(now, local, remote, Initiator::Local);
                }
                self.after_call(slot);
                self.queue.push_now(slot);
            }
            Err(error) => {
                log::warn!("{error}");
                self.detach(slot, now, Disconnect::ConnectFailed(error));
            }
        }
    }

    /// Drops the endpoint's connection at once and tells it why.
    pub(super) fn detach(&mut self, slot: u32, now: Instant, why: Disconnect) {
        let Some(body) = self.slot_mut(slot) else {
            return;
        };
        let conn = body.conn.take();
        if let Some(conn) = conn {
            self.close_conn(conn);
        }
        if let Some(body) = self.slot_mut(slot) {
            body.endpoint.closed(now, &why);
        }
        self.after_call(slot);
        self.queue.push_now(slot);
    }

    /// A closing connection: flush the output, then half-close and discard input until
    /// the peer closes (a close with unread input would send an RST, and the peer could
    /// lose the NOTIFICATION we just wrote); at most until the linger deadline.
    pub(super) fn drain_conn(&mut self, index: usize, now: Instant) {
        let Some(conn) = self.conn_mut(index) else {
            return;
        };
        let overdue = matches!(conn.phase, Phase::Draining { until } if now >= until);
        let mut finished = false;
        let mut read_again = false;
        match conn.output.flush_to(&mut conn.stream) {
            Ok(true) if !conn.write_shut => {
                conn.write_shut = true;
                if conn.stream.shutdown(std::net::Shutdown::Write).is_err() {
                    finished = true;
                }
            }
            Ok(_) => {}
            Err(error) => {
                log::debug!("{}: write failed while closing: {error}", conn.remote);
                finished = true;
            }
        }
        if conn.write_shut && !finished {
            match discard_input(&mut conn.stream) {
                Discarded::Closed => finished = true,
                Discarded::WouldBlock => {}
                Discarded::More => read_again = true,
            }
        }
        if finished || overdue || conn.endpoint.is_none() && conn.phase == Phase::Connecting {
            // Its linger entry goes stale with the token.
            self.close_conn(index);
        } else if read_again && !self.drain_again.contains(&index) {
            self.drain_again.push(index);
        }
    }

    /// Queues a closing connection for its linger deadline.
    pub(super) fn push_draining(&mut self, index: usize, until: Instant) {
        let generation = self.tokens.get(index).map_or(0, |slot| slot.generation);
        self.draining.push_back(Draining {
            index,
            generation,
            until,
        });
    }

    /// Closes the connections whose linger ended and drops stale entries; looks again at
    /// those whose input was not read to the end. Cost: what expired, not what lingers.
    pub(super) fn check_draining(&mut self, now: Instant) {
        for index in std::mem::take(&mut self.drain_again) {
            if matches!(
                self.conn(index).map(|c| c.phase),
                Some(Phase::Draining { .. })
            ) {
                self.drain_conn(index, now);
            }
        }
        while let Some(first) = self.draining.front().copied() {
            let live = self.tokens.get(first.index).is_some_and(|slot| {
                slot.generation == first.generation
                    && matches!(&slot.source, Some(Source::Conn(c)) if matches!(c.phase, Phase::Draining { .. }))
            });
            if live && first.until > now {
                break;
            }
            self.draining.pop_front();
            if live {
                self.drain_conn(first.index, now);
            }
        }
    }

    /// True when the endpoint's connection has input the endpoint has not seen yet.
    pub(super) fn has_unread_input(&self, slot: u32) -> bool {
        let conn = self
            .endpoints
            .get(slot as usize)
            .and_then(|entry| entry.body.as_ref())
            .and_then(|body| body.conn)
            .and_then(|index| self.conn(index));
        conn.is_some_and(|c| c.phase == Phase::Open && (c.readable || c.eof || !c.input.is_empty()))
    }

    /// Writes `bytes` on a refused connection (bounded by LINGER), then closes it.
    pub(super) fn reply_and_close(
        &mut self,
        stream: mio::net::TcpStream,
        remote: SocketAddr,
        local: SocketAddr,
        bytes: &[u8],
        now: Instant,
    ) {
        let phase = Phase::Draining {
            until: now + LINGER,
        };
        let Some(index) = self.register_conn(stream, remote, local, phase, None) else {
            return;
        };
        if let Some(conn) = self.conn_mut(index) {
            conn.output.push(bytes);
        }
        self.push_draining(index, now + LINGER);
        self.drain_conn(index, now);
    }

    pub(super) fn register_conn(
        &mut self,
        mut stream: mio::net::TcpStream,
        remote: SocketAddr,
        local: SocketAddr,
        phase: Phase,
        slot: Option<u32>,
    ) -> Option<usize> {
        let index = self.allocate_token();
        let token = self.token_of(index);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(error) = self.poll.registry().register(&mut stream, token, interest) {
            log::warn!("{remote}: epoll_ctl failed: {error}");
            self.release_token(index);
            return None;
        }
        let conn = Conn {
            stream,
            remote,
            local,
            phase,
            endpoint: slot,
            input: ReadBuffer::new(self.limits.read_limit),
            output: WriteBuffer::new(self.limits.write_high_water),
            readable: true,
            eof: false,
            write_shut: false,
        };
        self.put_source(index, Source::Conn(Box::new(conn)));
        self.conn_count += 1;
        Some(index)
    }

    pub(super) fn start_connect(&mut self, slot: u32, request: ConnectRequest, now: Instant) {
        let unspecified = SocketAddr::new(
            if request.remote.is_ipv6() {
                IpAddr::from([0u16; 8])
            } else {
                IpAddr::from([0u8; 4])
            },
            0,
        );
        match socket::connect(&request) {
            Ok(stream) => {
                let local = stream.local_addr().unwrap_or(unspecified);
                if let Some(index) =
                    self.register_conn(stream, request.remote, local, Phase::Connecting, Some(slot))
                {
                    if let Some(body) = self.slot_mut(slot) {
                        body.conn = Some(index);
                    }
                    log::debug!("{}: connecting", request.remote);
                }
            }
            Err(error) => {
                // The endpoint reports it (it knows whether this is worth a warning).
                log::debug!("{error}");
                if let Some(body) = self.slot_mut(slot) {
                    body.endpoint.closed(now, &Disconnect::ConnectFailed(error));
                }
                self.after_call(slot);
            }
        }
    }

    /// The endpoint closed its connection: flush what it wrote (bounded by LINGER), close.
    pub(super) fn release_from_endpoint(&mut self, slot: u32, index: usize, now: Instant) {
        if let Some(body) = self.slot_mut(slot) {
            body.conn = None;
        }
        let Some(conn) = self.conn_mut(index) else {
            return;
        };
        conn.endpoint = None;
        if conn.phase != Phase::Open {
            self.close_conn(index);
        } else {
            conn.phase = Phase::Draining {
                until: now + LINGER,
            };
            self.push_draining(index, now + LINGER);
            self.drain_conn(index, now);
        }
    }

    pub(super) fn maybe_connect(&mut self, slot: u32, now: Instant) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        let Some(body) = self.slot_mut(slot) else {
            return;
        };
        if body.conn.is_some() {
            return;
        }
        if let Some(request) = body.endpoint.wants_connection(now) {
            self.start_connect(slot, request, now);
        }
    }
}
