//! runqueue: ExaBGP's NOW / LATER as two queues of endpoint slots — NOW runs again in the
//! same pass after the others, LATER in the next pass after a zero-timeout poll.

use std::collections::VecDeque;

/// Where a slot currently is in the run queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queued {
    No,
    Now,
    Later,
}

/// Two FIFO queues of slot numbers; a slot is in at most one of them at a time
/// (stale entries left behind by a move are skipped when popped).
#[derive(Debug, Default)]
pub struct RunQueue {
    now: VecDeque<u32>,
    later: VecDeque<u32>,
    state: Vec<Queued>,
}

impl RunQueue {
    fn state_mut(&mut self, slot: u32) -> &mut Queued {
        let index = slot as usize;
        if index >= self.state.len() {
            self.state.resize(index + 1, Queued::No);
        }
        let last = self.state.len() - 1;
        // `index <= last` after the resize above; `min` keeps this free of a panic path.
        &mut self.state[index.min(last)]
    }

    fn state_of(&self, slot: u32) -> Queued {
        self.state.get(slot as usize).copied().unwrap_or(Queued::No)
    }

    /// Queues `slot` to run in this pass (at the back). A slot waiting in LATER moves here.
    pub fn push_now(&mut self, slot: u32) {
        let state = self.state_mut(slot);
        if *state != Queued::Now {
            *state = Queued::Now;
            self.now.push_back(slot);
        }
    }

    /// Queues `slot` for the next pass, unless it is already due in this one.
    pub fn push_later(&mut self, slot: u32) {
        let state = self.state_mut(slot);
        if *state == Queued::No {
            *state = Queued::Later;
            self.later.push_back(slot);
        }
    }

    /// Takes the next slot due in this pass.
    pub fn pop_now(&mut self) -> Option<u32> {
        while let Some(slot) = self.now.pop_front() {
            if self.state_of(slot) == Queued::Now {
                *self.state_mut(slot) = Queued::No;
                return Some(slot);
            }
        }
        None
    }

    /// Starts a new pass: everything that was LATER becomes due now, after what is
    /// already due (readiness and timers of this pass come first).
    pub fn promote_later(&mut self) {
        while let Some(slot) = self.later.pop_front() {
            if self.state_of(slot) == Queued::Later {
                *self.state_mut(slot) = Queued::Now;
                self.now.push_back(slot);
            }
        }
    }

    /// Forgets `slot` (its endpoint was removed).
    pub fn remove(&mut self, slot: u32) {
        if let Some(state) = self.state.get_mut(slot as usize) {
            *state = Queued::No;
        }
    }

    /// True when some slot is queued, now or later: the next poll must not sleep.
    /// (A stale entry can make this true for one extra pass, never longer.)
    pub fn has_work(&self) -> bool {
        !self.now.is_empty() || !self.later.is_empty()
    }

    /// True when `slot` is in either queue.
    pub fn is_queued(&self, slot: u32) -> bool {
        self.state_of(slot) != Queued::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(queue: &mut RunQueue) -> Vec<u32> {
        std::iter::from_fn(|| queue.pop_now()).collect()
    }

    #[test]
    fn now_runs_again_after_the_others_and_later_waits_for_the_next_pass() {
        let mut queue = RunQueue::default();
        queue.push_now(1);
        queue.push_now(2);
        queue.push_now(3);
        let mut order = Vec::new();
        // One pass: 1 says Now, 2 says Later, 3 says Wait; 1 then says Wait.
        while let Some(slot) = queue.pop_now() {
            order.push(slot);
            match (slot, order.iter().filter(|s| **s == slot).count()) {
                (1, 1) => queue.push_now(1),
                (2, _) => queue.push_later(2),
                _ => {}
            }
        }
        assert_eq!(order, vec![1, 2, 3, 1]);
        assert!(
            queue.has_work(),
            "LATER keeps the next poll at zero timeout"
        );
        queue.promote_later();
        assert_eq!(drain(&mut queue), vec![2]);
        assert!(!queue.has_work());
    }

    #[test]
    fn a_slot_is_queued_once_and_readiness_promotes_later_to_now() {
        let mut queue = RunQueue::default();
        queue.push_later(4);
        queue.push_later(4);
        queue.push_now(4);
        queue.push_now(4);
        assert_eq!(drain(&mut queue), vec![4]);
        queue.promote_later();
        assert_eq!(
            drain(&mut queue),
            Vec::<u32>::new(),
            "the stale LATER entry is skipped"
        );
    }

    #[test]
    fn promoted_later_slots_follow_those_woken_in_this_pass() {
        let mut queue = RunQueue::default();
        queue.push_later(7);
        queue.push_now(8);
        queue.promote_later();
        assert_eq!(drain(&mut queue), vec![8, 7]);
        queue.push_now(9);
        queue.remove(9);
        assert_eq!(drain(&mut queue), Vec::<u32>::new());
    }
}
