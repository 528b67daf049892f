//! timers: one deadline per endpoint slot (and the systemd watchdog's, [`WATCHDOG`]) in a
//! binary heap with lazy deletion — re-arming bumps the key's generation, stale entries are skipped.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// The armed deadline of one slot and the generation that makes its heap entry valid.
#[derive(Debug, Clone, Copy, Default)]
struct Armed {
    at: Option<Instant>,
    generation: u32,
}

/// The key of the reactor's own periodic deadline (systemd's `WATCHDOG=1`), beside the
/// endpoint slots (which never reach it).
pub const WATCHDOG: u32 = u32::MAX;

/// Deadlines keyed by slot number; the earliest gives the poll timeout.
#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u32, u32)>>,
    armed: Vec<Armed>,
    /// The deadline keyed [`WATCHDOG`].
    watchdog: Armed,
    live: usize,
}

impl Timers {
    /// Sets (or with `None` cancels) the deadline of `slot`. Unchanged deadlines cost nothing.
    pub fn set(&mut self, slot: u32, at: Option<Instant>) {
        let index = slot as usize;
        if slot != WATCHDOG && index >= self.armed.len() {
            self.armed.resize(index + 1, Armed::default());
        }
        let Some(armed) = self.armed_mut(slot) else {
            return;
        };
        if armed.at == at {
            return;
        }
        armed.generation = armed.generation.wrapping_add(1);
        let (was, generation) = (armed.at.is_some(), armed.generation);
        armed.at = at;
        match (was, at.is_some()) {
            (false, true) => self.live += 1,
            (true, false) => self.live = self.live.saturating_sub(1),
            _ => {}
        }
        if let Some(at) = at {
            self.heap.push(Reverse((at, slot, generation)));
        }
        self.compact_if_bloated();
    }

    /// Cancels the deadline of `slot`.
    pub fn cancel(&mut self, slot: u32) {
        self.set(slot, None);
    }

    /// The deadline currently armed for `slot`.
    pub fn deadline_of(&self, slot: u32) -> Option<Instant> {
        self.armed_ref(slot).and_then(|armed| armed.at)
    }

    fn armed_ref(&self, slot: u32) -> Option<&Armed> {
        if slot == WATCHDOG {
            Some(&self.watchdog)
        } else {
            self.armed.get(slot as usize)
        }
    }

    fn armed_mut(&mut self, slot: u32) -> Option<&mut Armed> {
        if slot == WATCHDOG {
            Some(&mut self.watchdog)
        } else {
            self.armed.get_mut(slot as usize)
        }
    }

    fn is_live(&self, slot: u32, generation: u32) -> bool {
        self.armed_ref(slot)
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
        if let Some(armed) = self.armed_mut(slot) {
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
            let mut heap = std::mem::take(&mut self.heap);
            heap.retain(|Reverse((_, slot, generation))| self.is_live(*slot, *generation));
            self.heap = heap;
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
    fn the_watchdog_key_shares_the_heap_with_the_slots() {
        let base = Instant::now();
        let mut timers = Timers::default();
        timers.set(WATCHDOG, Some(base + Duration::from_secs(2)));
        timers.set(0, Some(base + Duration::from_secs(1)));
        assert_eq!(
            timers.deadline_of(WATCHDOG),
            Some(base + Duration::from_secs(2))
        );
        let later = base + Duration::from_secs(5);
        let order: Vec<u32> = std::iter::from_fn(|| timers.pop_expired(later)).collect();
        assert_eq!(order, vec![0, WATCHDOG]);
        assert_eq!(timers.deadline_of(WATCHDOG), None);
        timers.set(WATCHDOG, Some(later));
        timers.cancel(WATCHDOG);
        assert_eq!(timers.next_deadline(), None);
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
