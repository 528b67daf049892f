//! The healthcheck's logic, free of I/O: the state machine (INIT … END), the API lines each
//! state prints, and the check loop, which reaches the system only through a `Host`.

use std::fmt;

use super::ip::python_ip;
use super::ip::Net;
use super::options::{Neighbor, Options};
use super::Error;

/// The service's state, as ExaBGP names it (the name is also `STATE=` for execute hooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Nothing known yet (start, or leaving DISABLED).
    Init,
    /// The `--disable` file exists: checks are not run.
    Disabled,
    /// Checks succeed, not yet `--rise` of them in a row.
    Rising,
    /// Checks fail, not yet `--fall` of them in a row.
    Falling,
    Up,
    Down,
    /// Stopping on a signal: every route withdrawn.
    Exit,
    /// Stopping after one announcement (`--interval 0`): routes left in place.
    End,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Disabled => "DISABLED",
            State::Rising => "RISING",
            State::Falling => "FALLING",
            State::Up => "UP",
            State::Down => "DOWN",
            State::Exit => "EXIT",
            State::End => "END",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The state and the count of checks in a row that agree with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    state: State,
    checks: i64,
    rise: i64,
    fall: i64,
}

impl Machine {
    pub fn new(rise: i64, fall: i64) -> Self {
        Machine {
            state: State::Init,
            checks: 0,
            rise,
            fall,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Where a transition to `target` lands: RISING with `--rise` ≤ 1 is UP at once, and
    /// FALLING with `--fall` ≤ 1 is DOWN.
    fn land(&self, target: State) -> State {
        match target {
            State::Rising if self.rise <= 1 => State::Up,
            State::Falling if self.fall <= 1 => State::Down,
            other => other,
        }
    }

    fn enter(&mut self, target: State) -> Option<State> {
        self.state = self.land(target);
        Some(self.state)
    }

    /// One iteration: whether the `--disable` file exists and whether the check succeeded
    /// (true when disabled: the check is not run). Returns the state entered, if any.
    pub fn advance(&mut self, disabled: bool, successful: bool) -> Option<State> {
        if self.state != State::Disabled && disabled {
            return self.enter(State::Disabled);
        }
        match self.state {
            State::Init => {
                if successful && self.rise <= 1 {
                    self.enter(State::Up)
                } else {
                    self.checks = 1;
                    self.enter(if successful {
                        State::Rising
                    } else {
                        State::Falling
                    })
                }
            }
            State::Disabled => (!disabled).then(|| self.enter(State::Init)).flatten(),
            State::Rising if successful => {
                self.checks += 1;
                (self.checks >= self.rise)
                    .then(|| self.enter(State::Up))
                    .flatten()
            }
            State::Falling if !successful => {
                self.checks += 1;
                (self.checks >= self.fall)
                    .then(|| self.enter(State::Down))
                    .flatten()
            }
            State::Rising | State::Up if !successful => {
                self.checks = 1;
                self.enter(State::Falling)
            }
            State::Falling | State::Down if successful => {
                self.checks = 1;
                self.enter(State::Rising)
            }
            State::Up | State::Down | State::Exit | State::End => None,
            // Covered above: RISING failing and FALLING succeeding.
            State::Rising | State::Falling => None,
        }
    }
}

/// The API commands for `target`, one per address, as ExaBGP's healthcheck writes them:
/// UP, DOWN and DISABLED announce with that state's metric and attributes (or withdraw,
/// with `--withdraw-on-down`, outside UP); EXIT withdraws; other states print nothing.
pub fn commands(options: &Options, ips: &[Net], target: State) -> Vec<String> {
    let (metric, state_as_path) = match target {
        State::Up => (options.up_metric, &options.up_as_path),
        State::Down => (options.down_metric, &options.down_as_path),
        State::Disabled => (options.disabled_metric, &options.disabled_as_path),
        State::Exit => (0, &None),
        _ => return Vec::new(),
    };
    let as_path = state_as_path.as_ref().or(options.as_path.as_ref());
    let addresses: Vec<String> = options
        .neighbors
        .iter()
        .map(|n| match n {
            Neighbor::All => None,
            Neighbor::Address(ip) => Some(format!("neighbor {}", python_ip(*ip))),
        })
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    let prefix = if addresses.is_empty() {
        "neighbor *".to_owned()
    } else {
        addresses.join(", ")
    };
    let next_hop = options
        .next_hop
        .map_or_else(|| "self".to_owned(), python_ip);
    let filled = |v: &Option<String>| v.clone().filter(|t| !t.is_empty());
    let mut metric = metric;
    let mut lines = Vec::with_capacity(ips.len());
    for ip in ips {
        let announce = target == State::Up || !(options.withdraw_on_down || target == State::Exit);
        let action = if announce { "announce" } else { "withdraw" };
        let mut line = format!("{prefix} {action} route {ip} next-hop {next_hop}");
        if announce {
            line.push_str(&format!(" med {metric}"));
            if options.local_preference >= 0 {
                line.push_str(&format!(" local-preference {}", options.local_preference));
            }
            let community = match (target, filled(&options.disabled_community)) {
                (State::Down | State::Disabled, Some(disabled)) => Some(disabled),
                _ => filled(&options.community),
            };
            if let Some(c) = community {
                line.push_str(&format!(" community [ {c} ]"));
            }
            if let Some(e) = filled(&options.extended_community) {
                line.push_str(&format!(" extended-community [ {e} ]"));
            }
            if let Some(l) = filled(&options.large_community) {
                line.push_str(&format!(" large-community [ {l} ]"));
            }
            if let Some(p) = filled(&as_path.cloned()) {
                line.push_str(&format!(" as-path [ {p} ]"));
            }
        }
        if let Some(id) = options.path_id.filter(|id| *id != 0) {
            line.push_str(&format!(" path-information {id}"));
        }
        metric = metric.saturating_add(options.increase);
        lines.push(line);
    }
    lines
}

/// Why the loop stopped early: a stop signal, or a failure that ends the program.
#[derive(Debug)]
pub enum Stop {
    /// SIGTERM or SIGINT: withdraw everything and exit 0.
    Signal,
    Failed(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e)
    }
}

/// Everything the loop needs from the system; tests drive the loop with a scripted one
/// and a fake clock.
pub trait Host {
    /// Whether the `--disable` file exists now.
    fn disabled(&mut self) -> bool;
    /// Runs the check command: true when it succeeded within its time.
    fn check(&mut self) -> Result<bool, Stop>;
    /// Runs the execute hooks of a transition to `state` (in order, `STATE` set).
    fn execute(&mut self, state: State, commands: &[String]) -> Result<(), Stop>;
    /// Writes one API command and waits for its acknowledgement (when acks are read).
    fn send(&mut self, line: &str) -> Result<(), Stop>;
    /// Waits this many seconds, or less when a stop signal comes.
    fn sleep(&mut self, seconds: f64) -> Result<(), Stop>;
    /// Adds the missing service addresses to the interfaces.
    fn setup_ips(&mut self) -> Result<(), Stop>;
    /// Removes the service addresses from the interfaces.
    fn remove_ips(&mut self) -> Result<(), Stop>;
}

/// How the loop ended without error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `--interval 0`: stopped after the first settled state, routes left in place.
    End,
    /// A stop signal: routes withdrawn.
    Exit,
}

/// The hooks of a transition to `state`: its own list, then `--execute`.
fn hooks(options: &Options, state: State) -> Vec<String> {
    let own: &[String] = match state {
        State::Up => &options.up_execute,
        State::Down => &options.down_execute,
        State::Disabled => &options.disabled_execute,
        _ => &[],
    };
    own.iter().chain(&options.execute).cloned().collect()
}

/// Tells the daemon about `target` (ExaBGP's `exabgp(target)`), with the dynamic IP set-up
/// around it.
fn report(options: &Options, ips: &[Net], host: &mut impl Host, target: State) -> Result<(), Stop> {
    if !matches!(
        target,
        State::Up | State::Down | State::Disabled | State::Exit
    ) {
        return Ok(());
    }
    if target == State::Up && options.ip_dynamic {
        log::info!(target: "healthcheck", "service up, restoring loopback and ip-ifname ips");
        host.setup_ips()?;
    }
    log::info!(target: "healthcheck", "send announces for {target} state to ExaBGP");
    for line in commands(options, ips, target) {
        log::debug!(target: "healthcheck", "exabgp: {line}");
        match host.send(&line) {
            // A second signal while withdrawing on the first one changes nothing.
            Err(Stop::Signal) if target == State::Exit => {}
            other => other?,
        }
    }
    if target == State::Exit && (options.ip_dynamic || options.ip_setup) {
        log::info!(target: "healthcheck", "exiting, deleting setup ips");
        host.remove_ips()?;
    }
    if matches!(target, State::Down | State::Disabled) && options.ip_dynamic {
        log::info!(target: "healthcheck", "service down, deleting setup ips");
        host.remove_ips()?;
    }
    Ok(())
}

/// One iteration: check, transition (hooks), report unless debounced. Returns the state.
fn iterate(
    options: &Options,
    ips: &[Net],
    host: &mut impl Host,
    machine: &mut Machine,
) -> Result<State, Stop> {
    let disabled = options.disable.is_some() && host.disabled();
    let successful = disabled || host.check()?;
    let before = machine.state();
    if let Some(entered) = machine.advance(disabled, successful) {
        log::debug!(target: "healthcheck", "Transition to {entered}");
        let commands = hooks(options, entered);
        if !commands.is_empty() {
            host.execute(entered, &commands)?;
        }
    }
    let state = machine.state();
    if !options.debounce || state != before {
        report(options, ips, host, state)?;
    }
    Ok(state)
}

/// The check loop, until a stop signal (routes withdrawn) or, with `--interval 0`, the
/// first settled state.
pub fn run(options: &Options, ips: &[Net], host: &mut impl Host) -> Result<Ending, Error> {
    let mut machine = Machine::new(options.rise, options.fall);
    let outcome = loop {
        let state = match iterate(options, ips, host, &mut machine) {
            Ok(state) => state,
            Err(stop) => break stop,
        };
        let pause = match state {
            State::Rising | State::Falling => options.fast,
            _ if options.interval == 0.0 => {
                log::info!(target: "healthcheck", "interval set to zero, exiting after the announcement");
                return Ok(Ending::End);
            }
            _ => options.interval,
        };
        if let Err(stop) = host.sleep(pause) {
            break stop;
        }
    };
    match outcome {
        Stop::Signal => match report(options, ips, host, State::Exit) {
            Ok(()) | Err(Stop::Signal) => Ok(Ending::Exit),
            Err(Stop::Failed(e)) => Err(e),
        },
        Stop::Failed(e) => Err(e),
    }
}

#[cfg(test)]
mod tests;
