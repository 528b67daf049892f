//! The reactor's listeners and inbound connections: listening (with MD5 and TCP-AO keys
//! per peer), accepting in bounded slices, and asking the endpoints who takes each one.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use mio::Interest;

use super::conn::Phase;
use super::socket::{self, Md5Key, SocketError, TcpOptions};
use super::{Disconnect, Endpoint, Initiator, Reactor, Source, ACCEPT_QUOTA};

/// An endpoint's answer to an inbound connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    /// Not for this endpoint (the reactor asks the next one; nobody: the socket is closed,
    /// after writing the bytes set with [`Reactor::set_unmatched_reply`], if any).
    Refuse,
    /// For this endpoint but refused (e.g. collision with an established connection): write
    /// these bytes (a NOTIFICATION) for at most [`LINGER`], then close. No one else is asked.
    Reject(&'static [u8]),
    /// Take it, with these socket options (TTL settings; MD5 is set on the listener). Any
    /// connection the endpoint already had is closed first with [`Disconnect::Replaced`].
    Accept(TcpOptions),
}

impl<E: Endpoint> Reactor<E> {
    /// Listens on `address` (`exabgp.tcp.bind` × `exabgp.tcp.port`). Returns the bound
    /// address (useful with port 0).
    pub fn listen(&mut self, address: SocketAddr) -> Result<SocketAddr, SocketError> {
        let mut listener = socket::listen(address)?;
        let bound = listener.local_addr().map_err(|error| SocketError {
            address,
            call: "getsockname",
            error,
        })?;
        let index = self.allocate_token();
        let token = self.token_of(index);
        if let Err(error) = self
            .poll
            .registry()
            .register(&mut listener, token, Interest::READABLE)
        {
            self.release_token(index);
            return Err(SocketError {
                address,
                call: "epoll_ctl",
                error,
            });
        }
        self.put_source(index, Source::Listener(listener));
        Ok(bound)
    }

    /// Sets `key` for connections from `peer` on every listener of its address family
    /// (call after `listen`, once per configured peer with an md5-password).
    pub fn set_listener_md5(&mut self, peer: IpAddr, key: &Md5Key) -> Result<(), SocketError> {
        for slot in &self.tokens {
            if let Some(Source::Listener(listener)) = &slot.source {
                socket::set_listener_md5(listener, peer, key)?;
            }
        }
        Ok(())
    }

    /// Sets the TCP-AO `key` for connections from `peer` on every listener of its address
    /// family (call after `listen`, once per configured peer with `tcp-ao`).
    pub fn set_listener_ao(
        &mut self,
        peer: IpAddr,
        key: &crate::sys::tcp_ao::AoKey,
    ) -> Result<(), SocketError> {
        for slot in &self.tokens {
            if let Some(Source::Listener(listener)) = &slot.source {
                socket::set_listener_ao(listener, peer, key)?;
            }
        }
        Ok(())
    }

    /// Bytes written to inbound connections no endpoint accepts before they are closed
    /// (the daemon sets a NOTIFICATION Cease "peer de-configured" here; default: none).
    pub fn set_unmatched_reply(&mut self, bytes: Option<&'static [u8]>) {
        self.unmatched_reply = bytes;
    }

    /// Stops listening everywhere.
    pub fn close_listeners(&mut self) {
        let listeners: Vec<usize> = (0..self.tokens.len())
            .filter(|index| {
                matches!(
                    self.tokens.get(*index).and_then(|s| s.source.as_ref()),
                    Some(Source::Listener(_))
                )
            })
            .collect();
        for index in listeners {
            if let Some(Source::Listener(mut listener)) = self.release_token(index) {
                let _ = self.poll.registry().deregister(&mut listener);
            }
        }
        self.accept_backlog.clear();
    }

    pub(super) fn accept_pending(&mut self, now: Instant) {
        let backlog = std::mem::take(&mut self.accept_backlog);
        for index in backlog {
            let mut drained = false;
            for _ in 0..ACCEPT_QUOTA {
                let accepted = match self.tokens.get(index).and_then(|s| s.source.as_ref()) {
                    Some(Source::Listener(listener)) => listener.accept(),
                    _ => {
                        drained = true;
                        break;
                    }
                };
                match accepted {
                    Ok((stream, remote)) => self.adopt(stream, remote, now),
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        drained = true;
                        break;
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => {
                        // e.g. EMFILE: log it and wait for the next edge rather than spin.
                        let local = match self.tokens.get(index).and_then(|s| s.source.as_ref()) {
                            Some(Source::Listener(listener)) => listener.local_addr().ok(),
                            _ => None,
                        };
                        match local {
                            Some(local) => log::warn!("{local}: accept failed: {error}"),
                            None => log::warn!("accept failed: {error}"),
                        }
                        drained = true;
                        break;
                    }
                }
            }
            // Stopped before WouldBlock (quota or error): edge-triggered, so look again
            // next pass ourselves.
            if !drained && !self.accept_backlog.contains(&index) {
                self.accept_backlog.push(index);
            }
        }
    }

    pub(super) fn adopt(&mut self, stream: mio::net::TcpStream, remote: SocketAddr, now: Instant) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        let local = match stream.local_addr() {
            Ok(local) => local,
            Err(error) => {
                log::warn!("{remote}: getsockname failed: {error}");
                return;
            }
        };
        let mut answer = self.match_incoming(local, remote, now);
        if let Some((slot, Incoming::Reject(_))) = answer {
            if self.has_unread_input(slot) {
                // The endpoint may be ending right now: its peer sent a NOTIFICATION and
                // closed just before reconnecting, in the same poll. Let it read that
                // first, then ask again, so the new connection is not refused as a
                // collision with a connection that is over.
                self.run_endpoint(slot, now);
                answer = self.match_incoming(local, remote, now);
            }
        }
        let mut chosen = None;
        let mut reply = self.unmatched_reply;
        match answer {
            Some((slot, Incoming::Accept(options))) => chosen = Some((slot, options)),
            Some((_, Incoming::Reject(bytes))) => reply = Some(bytes),
            Some((_, Incoming::Refuse)) | None => {}
        }
        let Some((slot, options)) = chosen else {
            log::info!("{remote}: connection to {local} refused");
            if let Some(bytes) = reply.filter(|bytes| !bytes.is_empty()) {
                self.reply_and_close(stream, remote, local, bytes, now);
            }
            return;
        };
        if let Err(error) = socket::prepare_accepted(&stream, remote, &options) {
            log::warn!("{error}");
            return;
        }
        let had_conn = self.slot_mut(slot).and_then(|body| body.conn).is_some();
        if had_conn {
            self.detach(slot, now, Disconnect::Replaced);
        }
        if let Some(index) = self.register_conn(stream, remote, local, Phase::Open, Some(slot)) {
            if let Some(body) = self.slot_mut(slot) {
                body.conn = Some(index);
                body.endpoint
                    .connected(now, local, remote, Initiator::Remote);
            }
            log::debug!("{remote}: accepted on {local}");
            self.after_call(slot);
            self.queue.push_now(slot);
        }
    }

    /// The first endpoint that does not refuse a connection from `remote` to `local`.
    pub(super) fn match_incoming(
        &self,
        local: SocketAddr,
        remote: SocketAddr,
        now: Instant,
    ) -> Option<(u32, Incoming)> {
        // The endpoints of that address and those asked about every address, merged in
        // slot order (the order of a scan of every endpoint, without the scan).
        let exact = self
            .inbound_by_address
            .get(&remote.ip().to_canonical())
            .map_or(&[][..], Vec::as_slice);
        let (mut exact, mut any) = (exact.iter().peekable(), self.inbound_any.iter().peekable());
        loop {
            let slot = match (exact.peek(), any.peek()) {
                (Some(&&a), Some(&&b)) if a < b => exact.next(),
                (Some(_), Some(_)) | (None, Some(_)) => any.next(),
                (Some(_), None) => exact.next(),
                (None, None) => return None,
            };
            let &slot = slot?;
            let Some(body) = self
                .endpoints
                .get(slot as usize)
                .and_then(|e| e.body.as_ref())
            else {
                continue;
            };
            match body.endpoint.incoming(now, local, remote) {
                Incoming::Refuse => {}
                answer => return Some((slot, answer)),
            }
        }
    }
}
