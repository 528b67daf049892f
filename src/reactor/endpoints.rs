//! The reactor's endpoint table: adding, finding and removing endpoints by generation-
//! checked id, running owner calls on them, and what follows every call (events, deadline).

use std::time::Instant;

use super::{Endpoint, EndpointEntry, EndpointId, EndpointSlot, Feeds, Reactor};

impl<E: Endpoint> Reactor<E> {
    /// Adds an endpoint; it is stepped in the next pass.
    pub fn add_endpoint(&mut self, endpoint: E) -> EndpointId {
        let accepts_from = endpoint.accepts_from().map(|a| a.to_canonical());
        let body = EndpointSlot {
            endpoint,
            conn: None,
            must_step: false,
            touched: false,
            feeds: Feeds::default(),
            held_input: false,
            held_output: false,
        };
        let reused = self.free_endpoints.pop().and_then(|slot| {
            let entry = self.endpoints.get_mut(slot as usize)?;
            Some((slot, entry))
        });
        let id = match reused {
            Some((slot, entry)) => {
                entry.body = Some(body);
                EndpointId {
                    slot,
                    generation: entry.generation,
                }
            }
            None => {
                self.endpoints.push(EndpointEntry {
                    generation: 0,
                    body: Some(body),
                });
                EndpointId {
                    slot: (self.endpoints.len() - 1) as u32,
                    generation: 0,
                }
            }
        };
        let list = match accepts_from {
            Some(address) => self.inbound_by_address.entry(address).or_default(),
            None => &mut self.inbound_any,
        };
        if let Err(at) = list.binary_search(&id.slot) {
            list.insert(at, id.slot);
        }
        self.queue.push_now(id.slot);
        id
    }

    pub(super) fn live_slot(&self, id: EndpointId) -> Option<u32> {
        let entry = self.endpoints.get(id.slot as usize)?;
        (entry.generation == id.generation && entry.body.is_some()).then_some(id.slot)
    }

    pub(super) fn slot_mut(&mut self, slot: u32) -> Option<&mut EndpointSlot<E>> {
        self.endpoints.get_mut(slot as usize)?.body.as_mut()
    }

    pub(super) fn id_of(&self, slot: u32) -> EndpointId {
        let generation = self
            .endpoints
            .get(slot as usize)
            .map_or(0, |entry| entry.generation);
        EndpointId { slot, generation }
    }

    /// The endpoint behind `id`, if still present.
    pub fn endpoint(&self, id: EndpointId) -> Option<&E> {
        let slot = self.live_slot(id)?;
        self.endpoints
            .get(slot as usize)?
            .body
            .as_ref()
            .map(|body| &body.endpoint)
    }

    /// Removes an endpoint at once, dropping its connection without flushing.
    pub fn remove_endpoint(&mut self, id: EndpointId) -> Option<E> {
        let slot = self.live_slot(id)?;
        self.take_slot(slot)
    }

    pub(super) fn take_slot(&mut self, slot: u32) -> Option<E> {
        let entry = self.endpoints.get_mut(slot as usize)?;
        let body = entry.body.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.free_endpoints.push(slot);
        match body.endpoint.accepts_from().map(|a| a.to_canonical()) {
            Some(address) => {
                if let Some(list) = self.inbound_by_address.get_mut(&address) {
                    list.retain(|s| *s != slot);
                    if list.is_empty() {
                        self.inbound_by_address.remove(&address);
                    }
                }
            }
            None => self.inbound_any.retain(|s| *s != slot),
        }
        self.queue.remove(slot);
        self.timers.cancel(slot);
        if let Some(conn) = body.conn {
            self.close_conn(conn);
        }
        Some(body.endpoint)
    }

    /// Runs `f` on one endpoint (e.g. a reload that changed it), then steps it.
    /// Returns `None` when the endpoint no longer exists.
    pub fn with_endpoint<T>(
        &mut self,
        id: EndpointId,
        f: impl FnOnce(&mut E, Instant) -> T,
    ) -> Option<T> {
        let slot = self.live_slot(id)?;
        let now = Instant::now();
        let body = self.slot_mut(slot)?;
        body.must_step = true;
        let result = f(&mut body.endpoint, now);
        self.after_call(slot);
        self.queue.push_now(slot);
        Some(result)
    }

    /// [`Reactor::with_endpoint`] for the many small changes of one burst of helper lines
    /// (routes into an adj-rib-out): no clock read, and the endpoint is settled (its events
    /// taken, its deadline re-armed, queued to step) once when the burst's lines are
    /// dispatched, not once per call. `f` must not need the time.
    pub fn with_endpoint_batched<T>(
        &mut self,
        id: EndpointId,
        f: impl FnOnce(&mut E) -> T,
    ) -> Option<T> {
        let slot = self.live_slot(id)?;
        let body = self.slot_mut(slot)?;
        body.must_step = true;
        let result = f(&mut body.endpoint);
        if !std::mem::replace(&mut body.touched, true) {
            self.touched.push(slot);
        }
        Some(result)
    }

    /// Settles the endpoints [`Reactor::with_endpoint_batched`] changed.
    pub(super) fn settle_touched(&mut self) {
        let mut touched = std::mem::take(&mut self.touched);
        for slot in touched.drain(..) {
            let Some(body) = self.slot_mut(slot) else {
                continue;
            };
            body.touched = false;
            self.after_call(slot);
            self.queue.push_now(slot);
        }
        self.touched = touched;
    }

    /// Runs `f` on every endpoint (e.g. for SIGALRM), then steps them all.
    pub fn for_each_endpoint(&mut self, mut f: impl FnMut(EndpointId, &mut E, Instant)) {
        let now = Instant::now();
        for slot in 0..self.endpoints.len() as u32 {
            let id = self.id_of(slot);
            let Some(body) = self.slot_mut(slot) else {
                continue;
            };
            body.must_step = true;
            f(id, &mut body.endpoint, now);
            self.after_call(slot);
            self.queue.push_now(slot);
        }
    }

    /// Output bytes pending and input bytes buffered on the endpoint's connection.
    pub fn buffered(&self, id: EndpointId) -> Option<(usize, usize)> {
        let slot = self.live_slot(id)?;
        let conn_index = self.endpoints.get(slot as usize)?.body.as_ref()?.conn?;
        let conn = self.conn(conn_index)?;
        Some((conn.output.pending(), conn.input.len()))
    }

    /// Drains events, re-arms the deadline, removes the endpoint when it is finished.
    pub(super) fn after_call(&mut self, slot: u32) {
        let id = self.id_of(slot);
        let Some(body) = self
            .endpoints
            .get_mut(slot as usize)
            .and_then(|e| e.body.as_mut())
        else {
            return;
        };
        while let Some(event) = body.endpoint.take_event() {
            self.endpoint_events.push_back((id, event));
        }
        let deadline = body.endpoint.next_deadline();
        let finished = body.endpoint.is_finished();
        self.timers.set(slot, deadline);
        if finished {
            if let Some(endpoint) = self.take_slot(slot) {
                self.finished.push_back((id, endpoint));
            }
        }
    }
}
