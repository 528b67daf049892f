//! The healthcheck's real `Host`: the check command and execute hooks (each in its own
//! process group, killed on timeout), stdout lines and their acks, signals, sleeps, IP set-up.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::ip::{Net, Setup};
use super::machine::{Host, State, Stop};
use super::options::Options;
use super::Error;
use crate::sys;

/// How long a command's answer (`done`/`error`) is awaited before going on without it:
/// ExaBGP's healthcheck would wait for ever (a daemon with acks off and no `--no-ack`).
pub const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest answer line kept; a longer one is read to its end and dropped.
const MAX_ACK_LINE: usize = 64 * 1024;

/// How much of a failed check's output is kept for the log.
const MAX_CHECK_OUTPUT: usize = 64 * 1024;

/// How long a killed process group is given to be reaped.
const REAP_GRACE: Duration = Duration::from_secs(2);

/// A deadline `seconds` from now; `None` (no limit) when too far to represent.
fn deadline_in(seconds: f64) -> Option<Instant> {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .and_then(|d| Instant::now().checked_add(d))
}

/// What ended a wait.
enum Wake {
    /// The descriptor waited on is readable (or at its end).
    Readable,
    /// A child changed state (SIGCHLD).
    Child,
    /// The deadline passed.
    Timeout,
}

/// SIGTERM/SIGINT and SIGCHLD as readable sockets (signal-hook's self-pipe), so every wait
/// can include them and none is lost between a check of a flag and the wait.
struct Signals {
    stop: UnixStream,
    child: UnixStream,
    ids: Vec<signal_hook::SigId>,
}

impl Signals {
    fn new() -> io::Result<Signals> {
        let (stop, stop_writer) = UnixStream::pair()?;
        let (child, child_writer) = UnixStream::pair()?;
        for end in [&stop, &stop_writer, &child, &child_writer] {
            end.set_nonblocking(true)?;
        }
        let ids = vec![
            signal_hook::low_level::pipe::register(
                signal_hook::consts::SIGTERM,
                stop_writer.try_clone()?,
            )?,
            signal_hook::low_level::pipe::register(signal_hook::consts::SIGINT, stop_writer)?,
            signal_hook::low_level::pipe::register(signal_hook::consts::SIGCHLD, child_writer)?,
        ];
        Ok(Signals { stop, child, ids })
    }

    fn drain(mut socket: &UnixStream) {
        let mut buf = [0u8; 64];
        for _ in 0..64 {
            match socket.read(&mut buf) {
                Ok(n) if n > 0 => continue,
                _ => break,
            }
        }
    }

    /// Whether a stop signal came (and was not yet seen by a wait): a signal sent before a
    /// child's output ended is delivered before this process sees that end, so a check
    /// here after a child ends keeps the order the signal and the child's exit came in.
    fn stop_pending(&self) -> bool {
        let ready = sys::wait_readable(&[self.stop.as_raw_fd()], Some(Duration::ZERO));
        if ready.is_ok_and(|r| r.first() == Some(&true)) {
            Self::drain(&self.stop);
            return true;
        }
        false
    }

    /// Waits until `fd` is readable, a stop signal or SIGCHLD comes, or `deadline` passes.
    fn wait(&self, fd: Option<RawFd>, deadline: Option<Instant>) -> Result<Wake, Stop> {
        loop {
            // Past the deadline the descriptors are still polled once (zero timeout), so a
            // loop of zero-second sleeps still sees a stop signal.
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let mut fds = vec![self.stop.as_raw_fd(), self.child.as_raw_fd()];
            fds.extend(fd);
            let ready = match sys::wait_readable(&fds, timeout) {
                Ok(ready) => ready,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Stop::Failed(Error::Wait(e))),
            };
            if ready.first() == Some(&true) {
                Self::drain(&self.stop);
                return Err(Stop::Signal);
            }
            if ready.get(2) == Some(&true) {
                return Ok(Wake::Readable);
            }
            if ready.get(1) == Some(&true) {
                Self::drain(&self.child);
                return Ok(Wake::Child);
            }
            if timeout.is_some_and(|t| t.is_zero()) {
                return Ok(Wake::Timeout);
            }
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// The daemon's answers on stdin, read a line at a time without ever blocking for long.
struct Answers {
    input: Option<File>,
    buffer: Vec<u8>,
    /// Stdin ended (or cannot be read): answers are no longer awaited, as Python's
    /// `readline()` returns at once at end of file.
    ended: bool,
}

impl Answers {
    fn new() -> Answers {
        let input = io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .map(File::from);
        Answers {
            ended: input.is_none(),
            input,
            buffer: Vec::new(),
        }
    }

    /// Takes one line from what was read; true when there was one.
    fn take_line(&mut self) -> bool {
        match self.buffer.iter().position(|b| *b == b'\n') {
            Some(end) => {
                self.buffer.drain(..=end);
                true
            }
            None => false,
        }
    }

    fn read_one(&mut self, signals: &Signals) -> Result<(), Stop> {
        let deadline = Instant::now().checked_add(ACK_TIMEOUT);
        loop {
            if self.take_line() || self.ended {
                return Ok(());
            }
            let Some(input) = self.input.as_mut() else {
                self.ended = true;
                return Ok(());
            };
            match signals.wait(Some(input.as_raw_fd()), deadline)? {
                Wake::Timeout => {
                    log::warn!(
                        target: "healthcheck",
                        "no answer from the daemon within {}s: going on (is exabgp.api.ack false? then use --no-ack)",
                        ACK_TIMEOUT.as_secs()
                    );
                    return Ok(());
                }
                Wake::Child => continue,
                Wake::Readable => {}
            }
            let mut chunk = [0u8; 4096];
            match input.read(&mut chunk) {
                Ok(0) => self.ended = true,
                Ok(n) => {
                    self.buffer.extend_from_slice(&chunk[..n]);
                    if self.buffer.len() > MAX_ACK_LINE && !self.buffer.contains(&b'\n') {
                        // Keep only the tail: the line's end is what counts.
                        self.buffer.clear();
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                    ) => {}
                Err(_) => self.ended = true,
            }
        }
    }
}

/// The system the healthcheck runs on.
pub struct System<'a> {
    options: &'a Options,
    /// The addresses announced (deaggregated, rotated): those set up and removed.
    ips: Vec<Net>,
    setup: Setup,
    signals: Signals,
    answers: Answers,
    /// Read an answer after each command: not with `--no-ack`, nor on a terminal.
    acks: bool,
}

impl<'a> System<'a> {
    /// Takes over SIGTERM, SIGINT and SIGCHLD.
    pub fn new(options: &'a Options, ips: Vec<Net>, setup: Setup) -> Result<System<'a>, Error> {
        Ok(System {
            options,
            ips,
            setup,
            signals: Signals::new().map_err(Error::Signals)?,
            answers: Answers::new(),
            acks: !options.no_ack && !io::stdout().is_terminal(),
        })
    }

    /// The timeout of the check and the hooks: `--timeout`, 0 meaning none.
    fn deadline(&self) -> Option<Instant> {
        (self.options.timeout > 0)
            .then(|| Instant::now().checked_add(Duration::from_secs(self.options.timeout)))
            .flatten()
    }

    /// Waits for `child` to end by `deadline`: its status, or `None` on timeout.
    fn reap(
        &self,
        child: &mut Child,
        deadline: Option<Instant>,
    ) -> Result<Option<ExitStatus>, Stop> {
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(Some(status)),
                Ok(None) => {}
                Err(e) => return Err(Stop::Failed(Error::Wait(e))),
            }
            if let Wake::Timeout = self.signals.wait(None, deadline)? {
                return Ok(None);
            }
        }
    }

    /// Kills a child's whole process group and reaps the child (bounded). Nothing is
    /// signalled once the child was reaped: its group id may belong to someone else by now.
    fn kill(&self, child: &mut Child) {
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        let _ = sys::kill_process_group(child.id(), libc::SIGKILL);
        let grace = Instant::now().checked_add(REAP_GRACE);
        loop {
            if !matches!(child.try_wait(), Ok(None)) {
                return;
            }
            match self.signals.wait(None, grace) {
                Ok(Wake::Timeout) => return,
                // A stop signal stays pending for the caller's next wait.
                Err(Stop::Signal) => {
                    let _ = sys::raise(libc::SIGTERM);
                    return;
                }
                _ => {}
            }
        }
    }

    fn run_check(&self, command: &str) -> Result<bool, Stop> {
        log::debug!(target: "healthcheck", "Checking command {command:?}");
        let (mut ours, theirs) = UnixStream::pair().map_err(|e| Error::Spawn(command.into(), e))?;
        let theirs = OwnedFd::from(theirs);
        let err = theirs
            .try_clone()
            .map_err(|e| Error::Spawn(command.into(), e))?;
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .stdout(Stdio::from(theirs))
            .stderr(Stdio::from(err))
            .process_group(0)
            .spawn()
            .map_err(|e| Error::Spawn(command.into(), e))?;
        let deadline = self.deadline();
        let outcome = match self.collect(&mut child, &mut ours, deadline) {
            // A stop signal sent before the check ended (often by the check itself) wins
            // over its result, as ExaBGP's immediate signal handler does.
            Ok(_) if self.signals.stop_pending() => Err(Stop::Signal),
            other => other,
        };
        match outcome {
            Ok(Some((status, output))) => {
                if status.success() {
                    log::debug!(
                        target: "healthcheck",
                        "Command was executed successfully 0 b'{}'",
                        output.escape_ascii()
                    );
                    return Ok(true);
                }
                let code = status
                    .code()
                    .or_else(|| std::os::unix::process::ExitStatusExt::signal(&status).map(|s| -s))
                    .unwrap_or(-1);
                log::warn!(target: "healthcheck", "Check command was unsuccessful: {code}");
                if !output.trim_ascii().is_empty() {
                    log::info!(
                        target: "healthcheck",
                        "Output of check command: b'{}'",
                        output.escape_ascii()
                    );
                }
                Ok(false)
            }
            Ok(None) => {
                log::warn!(
                    target: "healthcheck",
                    "Timeout ({}) while running check command {command}",
                    self.options.timeout
                );
                self.kill(&mut child);
                Ok(false)
            }
            Err(stop) => {
                self.kill(&mut child);
                Err(stop)
            }
        }
    }

    /// Reads the check's output to its end, then its exit status; `None` on timeout.
    fn collect(
        &self,
        child: &mut Child,
        ours: &mut UnixStream,
        deadline: Option<Instant>,
    ) -> Result<Option<(ExitStatus, Vec<u8>)>, Stop> {
        ours.set_nonblocking(true)
            .map_err(|e| Stop::Failed(Error::Wait(e)))?;
        let mut output = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match ours.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    let room = MAX_CHECK_OUTPUT.saturating_sub(output.len());
                    output.extend_from_slice(&chunk[..n.min(room)]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Wake::Timeout = self.signals.wait(Some(ours.as_raw_fd()), deadline)? {
                        return Ok(None);
                    }
                }
                Err(_) => break,
            }
        }
        Ok(self.reap(child, deadline)?.map(|status| (status, output)))
    }
}

impl Host for System<'_> {
    fn disabled(&mut self) -> bool {
        self.options
            .disable
            .as_ref()
            .is_some_and(|p: &PathBuf| p.exists())
    }

    fn check(&mut self) -> Result<bool, Stop> {
        match self.options.command.as_deref() {
            None => Ok(true),
            Some(command) => self.run_check(command),
        }
    }

    fn execute(&mut self, state: State, commands: &[String]) -> Result<(), Stop> {
        for command in commands {
            log::debug!(target: "healthcheck", "Transition to {state}, execute `{command}`");
            let spawned = Command::new("/bin/sh")
                .arg("-c")
                .arg(command)
                .env("STATE", state.name())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn();
            let mut child = match spawned {
                Ok(child) => child,
                Err(e) => {
                    log::warn!(target: "healthcheck", "cannot run `{command}`: {e}");
                    continue;
                }
            };
            // A stop signal leaves the hook running, as ExaBGP does.
            let ended = self.reap(&mut child, self.deadline())?;
            if self.signals.stop_pending() {
                return Err(Stop::Signal);
            }
            if ended.is_none() {
                log::warn!(
                    target: "healthcheck",
                    "Timeout ({}) while running `{command}`: killed",
                    self.options.timeout
                );
                self.kill(&mut child);
            }
        }
        Ok(())
    }

    fn send(&mut self, line: &str) -> Result<(), Stop> {
        let mut out = io::stdout().lock();
        out.write_all(line.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .map_err(|e| Stop::Failed(Error::Output(e)))?;
        drop(out);
        if self.acks {
            self.answers.read_one(&self.signals)?;
        }
        Ok(())
    }

    fn sleep(&mut self, seconds: f64) -> Result<(), Stop> {
        let deadline = deadline_in(seconds);
        loop {
            if let Wake::Timeout = self.signals.wait(None, deadline)? {
                return Ok(());
            }
        }
    }

    fn setup_ips(&mut self) -> Result<(), Stop> {
        self.setup
            .setup(&self.ips)
            .map_err(|e| Stop::Failed(Error::Ip(e)))
    }

    fn remove_ips(&mut self) -> Result<(), Stop> {
        self.setup
            .remove(&self.ips)
            .map_err(|e| Stop::Failed(Error::Ip(e)))
    }
}
