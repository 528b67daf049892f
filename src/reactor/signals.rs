//! signals: the process signals rexa acts on, caught by signal-hook into a self-pipe that
//! the reactor polls; installed first thing at start-up so none arriving early is lost.

use std::io;

use signal_hook::consts::signal::{SIGALRM, SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook_mio::v1_0::Signals;

/// The signals rexa handles, all delivered to the reactor's owner as `Signal`s.
pub const HANDLED: [libc::c_int; 7] = [SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD];

/// What a received signal asks for (reactor.md §6.1; SIGHUP is shutdown, as in ExaBGP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM, SIGINT, SIGHUP: close every session with a CEASE, flush, exit 0.
    Shutdown(libc::c_int),
    /// SIGUSR1: reload the configuration.
    Reload,
    /// SIGUSR2: reload and restart every helper process.
    ReloadAndRestartProcesses,
    /// SIGALRM: re-establish every peer.
    RestartPeers,
    /// SIGCHLD: reap exited helper processes.
    ChildExited,
}

impl Signal {
    /// Maps a raw signal number; `None` for signals rexa does not handle.
    pub fn from_raw(signal: libc::c_int) -> Option<Signal> {
        match signal {
            SIGTERM | SIGINT | SIGHUP => Some(Signal::Shutdown(signal)),
            SIGUSR1 => Some(Signal::Reload),
            SIGUSR2 => Some(Signal::ReloadAndRestartProcesses),
            SIGALRM => Some(Signal::RestartPeers),
            SIGCHLD => Some(Signal::ChildExited),
            _ => None,
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signal::Shutdown(raw) => write!(f, "shutdown (signal {raw})"),
            Signal::Reload => f.write_str("reload (SIGUSR1)"),
            Signal::ReloadAndRestartProcesses => {
                f.write_str("reload and restart processes (SIGUSR2)")
            }
            Signal::RestartPeers => f.write_str("restart peers (SIGALRM)"),
            Signal::ChildExited => f.write_str("child exited (SIGCHLD)"),
        }
    }
}

/// The installed handlers and their pollable self-pipe. Create it before anything else
/// (before parsing the configuration); signals that arrive meanwhile wait in the pipe.
pub struct SignalSource {
    signals: Signals,
}

impl SignalSource {
    /// Installs handlers for every signal in `HANDLED`.
    pub fn install() -> io::Result<SignalSource> {
        Ok(SignalSource {
            signals: Signals::new(HANDLED)?,
        })
    }

    /// Appends every signal received since the last call to `out`, in arrival order
    /// (signal-hook coalesces repeats of one kind that arrive before they are read).
    pub fn drain_into(&mut self, out: &mut Vec<Signal>) {
        for raw in self.signals.pending() {
            if let Some(signal) = Signal::from_raw(raw) {
                out.push(signal);
            }
        }
    }

    pub(crate) fn source(&mut self) -> &mut Signals {
        &mut self.signals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_handled_signal_has_a_meaning() {
        for raw in HANDLED {
            assert!(Signal::from_raw(raw).is_some(), "signal {raw}");
        }
        assert_eq!(Signal::from_raw(SIGHUP), Some(Signal::Shutdown(SIGHUP)));
        assert_eq!(Signal::from_raw(libc::SIGPIPE), None);
    }
}
