//! How often a helper process may be started again after it exits (ExaBGP's rule, api.md
//! §2.4): spawns are counted per 64-second bucket of the clock; a sixth in one bucket is too many.

/// Spawns allowed within one bucket.
pub const SPAWNS_PER_BUCKET: u32 = 5;
/// Bucket length in seconds (ExaBGP masks the low 6 bits of the epoch second).
pub const BUCKET_SECONDS: u64 = 64;

/// The spawn count of one helper in the current bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RespawnBudget {
    bucket: u64,
    spawns: u32,
}

impl RespawnBudget {
    /// Records a spawn at `unix_seconds`; false when it is one too many for its bucket
    /// (ExaBGP then gives up on the helper and exits: "problem with helper program").
    pub fn record_spawn(&mut self, unix_seconds: u64) -> bool {
        let bucket = unix_seconds / BUCKET_SECONDS;
        if bucket != self.bucket {
            self.bucket = bucket;
            self.spawns = 0;
        }
        self.spawns = self.spawns.saturating_add(1);
        self.spawns <= SPAWNS_PER_BUCKET
    }

    /// Whether a spawn at `unix_seconds` would be within the budget (nothing recorded).
    pub fn allows(&self, unix_seconds: u64) -> bool {
        let mut probe = *self;
        probe.record_spawn(unix_seconds)
    }

    /// Spawns recorded in the current bucket.
    pub fn spawns(&self) -> u32 {
        self.spawns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_spawns_per_bucket_then_refused_until_the_next_bucket() {
        let mut budget = RespawnBudget::default();
        let start = 64 * 1_000_000;
        for i in 0..5 {
            assert!(budget.record_spawn(start + i), "spawn {i}");
        }
        assert!(
            !budget.record_spawn(start + 63),
            "a sixth in the same bucket"
        );
        assert!(budget.record_spawn(start + 64), "a new bucket starts again");
        assert_eq!(budget.spawns(), 1);
    }

    #[test]
    fn buckets_are_aligned_to_the_clock_not_to_the_first_spawn() {
        let mut budget = RespawnBudget::default();
        let end_of_bucket = 64 * 7 + 63;
        for _ in 0..5 {
            assert!(budget.record_spawn(end_of_bucket));
        }
        // One second later is another bucket.
        assert!(budget.record_spawn(end_of_bucket + 1));
    }
}
