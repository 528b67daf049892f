//! Reconnect back-off between connection attempts, as ExaBGP spaces them:
//! 0, 1, 2, 3, 4, 5, 7, 9, 11, 14 … seconds, capped at 60, reset when a session is up.

use std::time::Duration;

/// The longest wait between two attempts.
pub const MAX_BACKOFF_SECONDS: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backoff {
    seconds: u64,
}

impl Backoff {
    /// The wait before the next attempt; grows the following one as `min(1 + 1.2·d, 60)`.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.seconds;
        // Integer form of int(1 + 1.2·d): 1 + (6·d)/5, rounded down.
        self.seconds = (1 + (6 * self.seconds) / 5).min(MAX_BACKOFF_SECONDS);
        Duration::from_secs(delay)
    }

    pub fn reset(&mut self) {
        self.seconds = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_exabgp_table() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..19).map(|_| backoff.next_delay().as_secs()).collect();
        assert_eq!(
            waits,
            [0, 1, 2, 3, 4, 5, 7, 9, 11, 14, 17, 21, 26, 32, 39, 47, 57, 60, 60]
        );
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::ZERO);
    }
}
