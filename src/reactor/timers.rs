//! timers: one deadline per session slot in a binary heap with lazy deletion — re-arming
//! or cancelling bumps the slot's generation and the old heap entry is skipped when seen.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// The armed deadline of one slot and the generation that makes its heap entry valid.
#[derive(Debug, Clone, Copy, Default)]
struct Armed {
    at: Option<Instant>,
    generation: u32,
}

/// Deadlines keyed by slot number; the earliest gives the poll timeout.
#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u32, u32)>>,
    armed: Vec<Armed>,
    live: usize,
}

impl Timers {
    /// Sets (or with `None` cancels) the deadline of `slot`. Unchanged deadlines cost nothing.
    pub fn set(&mut self, slot: u32, at: Option<Instant>) {
        let index = slot as usize;
        if index >= self.armed.len() {
            self.armed.resize(index + 1, Armed::default());
        }
        let Some(armed) = self.armed.get_mut(index) else {
            return;
        };
        if armed.at == at {
            return;
        }
        armed.generation = armed.generation.wrapping_add(1);
        match (armed.at.is_some(), at.is_some()) {
            (false, true) => self.live += 1,
            (true, false) => self.live = self.live.saturating_sub(1),
            _ => {}
        }
        armed.at = at;
        if let Some(at) = at {
            self.heap.push(Reverse((at, slot, armed.generation)));
        }
        self.compact_if_bloated();
    }

    /// Cancels the deadline of `slot`.
    pub fn cancel(&mut self, slot: u32) {
        self.set(slot, None);
    }

    /// The deadline currently armed for `slot`.
    pub fn deadline_of(&self, slot: u32) -> Option<Instant> {
        self.armed.get(slot as usize).and_then(|armed| armed.at)
    }

    fn is_live(&self, slot: u32, generation: u32) -> bool {
        self.armed
            .get(slot as usize)
            .is_some_and(|armed| armed.at.is_some() && armed.generation == generation)
    }

    fn drop_stale_top(&mut self) {
        while let Some(Reverse((_, slot, generation))) = self.heap.peek().copied() {
            if self.is_live(slot, generation) {
                break;
            }
            self.heap.pop();
        }
    }

    /// The earliest armed deadline.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        self.drop_stale_top();
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Takes one slot whose deadline is at or before `now`, disarming it.
    pub fn pop_expired(&mut self, now: Instant) -> Option<u32> {
        self.drop_stale_top();
        let Reverse((at, slot, _)) = *self.heap.peek()?;
        if at > now {
            return None;
        }
        self.heap.pop();
        if let Some(armed) = self.armed.get_mut(slot as usize) {
            armed.at = None;
            self.live = self.live.saturating_sub(1);
        }
        Some(slot)
    }

    /// Number of heap entries, live or stale (tests check it stays bounded).
    pub fn heap_len(&self) -> usize {
        self.heap.len()
    }

    fn compact_if_bloated(&mut self) {
        if self.heap.len() > 2 * self.live + 64 {
            let armed = &self.armed;
            self.heap.retain(|Reverse((_, slot, generation))| {
                armed
                    .get(*slot as usize)
                    .is_some_and(|a| a.at.is_some() && a.generation == *generation)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn deadlines_expire_in_order() {
        let base = Instant::now();
        let mut timers = Timers::default();
        timers.set(3, Some(base + Duration::from_secs(3)));
        timers.set(1, Some(base + Duration::from_secs(1)));
        timers.set(2, Some(base + Duration::from_secs(2)));
        assert_eq!(timers.next_deadline(), Some(base + Duration::from_secs(1)));
        assert_eq!(timers.pop_expired(base), None);
        let later = base + Duration::from_secs(10);
        let order: Vec<u32> = std::iter::from_fn(|| timers.pop_expired(later)).collect();
        assert_eq!(order, vec![1, 2, 3]);
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn rearming_and_cancelling_leave_no_ghost() {
        let base = Instant::now();
        let mut timers = Timers::default();
        timers.set(1, Some(base + Duration::from_secs(1)));
        timers.set(2, Some(base + Duration::from_secs(2)));
        timers.set(1, Some(base + Duration::from_secs(5)));
        timers.cancel(2);
        assert_eq!(timers.next_deadline(), Some(base + Duration::from_secs(5)));
        let order: Vec<u32> =
            std::iter::from_fn(|| timers.pop_expired(base + Duration::from_secs(9))).collect();
        assert_eq!(
            order,
            vec![1],
            "slot 1 fires once, at its new deadline; slot 2 never"
        );
    }

    #[test]
    fn frequent_rearming_keeps_the_heap_bounded() {
        let base = Instant::now();
        let mut timers = Timers::default();
        for i in 0..10_000u64 {
            timers.set((i % 4) as u32, Some(base + Duration::from_millis(i)));
        }
        assert!(
            timers.heap_len() <= 2 * 4 + 65,
            "heap holds {}",
            timers.heap_len()
        );
        assert_eq!(
            timers.next_deadline(),
            Some(base + Duration::from_millis(9_996))
        );
    }
}
