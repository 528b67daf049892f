//! process: helper processes driven by the reactor — spawning with non-blocking pipes in the
//! same `Poll`, line framing of their stdout, bounded stdin buffers, back-pressure, reaping, stopping.
//!
//! Mechanics only: what a line means and whether a helper is respawned belong to the owner.
//!
//! * [`Reactor::spawn_process`] starts a helper (stdin/stdout piped, stderr inherited,
//!   `TERM=dumb`, its own process group). Its stdout is read in chunks of at most 16 KiB,
//!   [`PROCESS_READ_QUOTA`] per pass (none while that much waits in complete lines), split on `\n`; each line, trailing whitespace removed
//!   (invalid UTF-8 replaced), goes to [`Owner::process_line`], at most [`LINES_PER_PASS`]
//!   per process and pass. A partial line longer than [`MAX_LINE_LEN`] breaks the helper.
//! * [`Reactor::write_process`] appends to the helper's output buffer, flushed without
//!   blocking. A helper with more than its bound unwritten ([`OUTPUT_HIGH_WATER`] unless
//!   [`Reactor::set_process_buffer`] says otherwise) is *congested* until it is below a
//!   quarter of it: its lines are not delivered, and the endpoints that feed it (see
//!   [`Reactor::set_feeds`]) are held — their connections are not read when their received
//!   messages go to it, [`Endpoint::hold`] tells them to stop encoding when their sent
//!   messages do. Every other endpoint and helper runs on. Nothing is dropped, nothing
//!   blocks (a helper being stopped no longer counts: it takes no new output).
//! * The end of a helper is reported once with [`Owner::process_exited`] after its last
//!   complete lines: it exited or was killed (reaped), its pipe broke, or it wrote a line
//!   too long. [`Reactor::stop_process`] closes its stdin once the output is flushed, sends
//!   SIGTERM to its group after [`STOP_LINGER`], SIGKILL [`KILL_AFTER`] later.
//!
//! Shutdown: the owner writes its last event to each helper and calls
//! [`Reactor::stop_all_processes`]; [`Reactor::is_done`] then also waits for the helpers
//! (within the shutdown grace period). Whatever is left when [`Reactor::run`] returns, or when
//! the reactor is dropped, is killed with SIGKILL and reaped: no zombie, no orphan helper.
//!
//! Exits are noticed on EOF of the helper's stdout, and on SIGCHLD when the reactor polls a
//! [`super::SignalSource`]. The reactor reaps its helpers by pid; the owner must not call
//! `sys::reap_child` (a `waitpid(-1)`), which would take their exit status away.

use std::fmt;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mio::unix::pipe::{Receiver, Sender};
use mio::Interest;

use super::{Endpoint, EndpointId, Owner, Reactor, ReadBuffer, Source, WriteBuffer};
use crate::sys;

/// Longest partial line (bytes without a newline) a helper may write before it is broken.
pub const MAX_LINE_LEN: usize = 1024 * 1024;
/// Bytes read from one helper's stdout per pass.
pub const PROCESS_READ_QUOTA: usize = 64 * 1024;
/// Lines handed to the owner per helper and pass (the rest waits for the next pass): about
/// a millisecond of route commands, with the other work of the loop between two slices.
pub const LINES_PER_PASS: usize = 1024;
/// Default bound of one helper's unwritten output: above it the helper is congested.
pub const OUTPUT_HIGH_WATER: usize = 4 * 1024 * 1024;
/// A congested helper with the default bound recovers below this (a quarter of the bound).
pub const OUTPUT_LOW_WATER: usize = OUTPUT_HIGH_WATER / 4;
/// How long a stopped helper gets to read its last input and exit before SIGTERM
/// (ExaBGP waits 0.1 s after its `shutdown` event).
pub const STOP_LINGER: Duration = Duration::from_millis(100);
/// How long after SIGTERM a helper still alive gets SIGKILL.
pub const KILL_AFTER: Duration = Duration::from_secs(2);
/// How often a helper that should be ending is checked with `waitpid`.
const REAP_INTERVAL: Duration = Duration::from_millis(10);

/// The helpers that hear one endpoint (see [`Reactor::set_feeds`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Feeds {
    /// Helpers its received messages go to.
    pub received: Vec<ProcessId>,
    /// Helpers the messages sent to its peer go to.
    pub sent: Vec<ProcessId>,
}

/// What to run: a configured `process` block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessSpec {
    /// The process name (for logs; the owner keeps its own mapping).
    pub name: String,
    /// The program (already resolved, see [`resolve_program`]) followed by its arguments.
    pub argv: Vec<String>,
    /// Variables added to (or replacing those of) a copy of the daemon's environment, after
    /// `TERM=dumb`.
    pub env: Vec<(String, String)>,
}

/// Identifies a helper process; stale once its exit was reported (the slot's generation
/// changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcessId {
    slot: u32,
    generation: u32,
}

/// Why a helper could not be started.
#[derive(Debug)]
pub enum ProcessError {
    /// The spec has no program (`argv` is empty).
    NoProgram { name: String },
    /// The program does not exist.
    NotFound { program: String, error: io::Error },
    /// The program exists but cannot be executed (permissions, a directory, ...).
    NotExecutable { program: String, error: io::Error },
    /// fork/exec or the pipes failed otherwise.
    SpawnFailed { program: String, error: io::Error },
    /// The pipes could not be registered with the poller (the helper was killed again).
    Register { program: String, error: io::Error },
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessError::NoProgram { name } => write!(f, "process {name}: no program to run"),
            ProcessError::NotFound { program, error } => {
                write!(f, "cannot run {program}: program not found ({error})")
            }
            ProcessError::NotExecutable { program, error } => {
                write!(f, "cannot run {program}: not executable ({error})")
            }
            ProcessError::SpawnFailed { program, error } => {
                write!(f, "cannot run {program}: {error}")
            }
            ProcessError::Register { program, error } => {
                write!(f, "cannot poll the pipes of {program}: {error}")
            }
        }
    }
}

impl std::error::Error for ProcessError {}

/// How a helper ended, as told to [`Owner::process_exited`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessExit {
    /// It exited with this code.
    Exited(i32),
    /// It was killed by this signal.
    Signalled(i32),
    /// Writing to its stdin or reading its stdout failed (EPIPE...): it is being killed.
    BrokenPipe,
    /// It wrote more than [`MAX_LINE_LEN`] bytes without a newline: it is being killed.
    LineTooLong,
    /// It ended but its exit status was taken by someone else's `waitpid`.
    StatusLost,
}

impl fmt::Display for ProcessExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessExit::Exited(code) => write!(f, "exited with code {code}"),
            ProcessExit::Signalled(signal) => write!(f, "killed by signal {signal}"),
            ProcessExit::BrokenPipe => f.write_str("broken pipe"),
            ProcessExit::LineTooLong => {
                write!(f, "wrote a line longer than {MAX_LINE_LEN} bytes")
            }
            ProcessExit::StatusLost => f.write_str("ended (exit status unavailable)"),
        }
    }
}

/// Finds the file a `run` program names (api.md §1.1): an absolute path as is; a path with a
/// `/` relative to the configuration directory; a bare name in the configuration directory,
/// then in each `$PATH` entry. The file must be a regular executable file without the
/// setuid/setgid bits. `None` when nothing suitable exists.
pub fn resolve_program(program: &str, config_dir: &Path) -> Option<PathBuf> {
    if program.is_empty() {
        return None;
    }
    let path = Path::new(program);
    if path.is_absolute() {
        return is_runnable(path).then(|| path.to_path_buf());
    }
    let local = config_dir.join(path);
    if is_runnable(&local) {
        return Some(local);
    }
    if program.contains('/') {
        return None;
    }
    let search = std::env::var_os("PATH")?;
    std::env::split_paths(&search)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(path))
        .find(|candidate| is_runnable(candidate))
}

fn is_runnable(path: &Path) -> bool {
    let Ok(metadata) = std::fs::metadata(path) else {
        return false;
    };
    let mode = metadata.permissions().mode();
    const SET_ID: u32 = 0o6000; // S_ISUID | S_ISGID
    metadata.is_file() && mode & 0o111 != 0 && mode & SET_ID == 0
}

/// The child and its stop schedule.
struct ChildHandle {
    child: Child,
    pid: u32,
    /// SIGTERM to the group is due at this time (None: not scheduled or already sent).
    term_at: Option<Instant>,
    /// SIGKILL to the group is due at this time (None: not scheduled or already sent).
    kill_at: Option<Instant>,
    /// A stop was scheduled: check `waitpid` every pass until reaped.
    ending: bool,
}

impl ChildHandle {
    fn schedule_stop(&mut self, now: Instant, linger: Duration) {
        if self.ending {
            return;
        }
        self.ending = true;
        let term_at = now + linger;
        self.term_at = Some(term_at);
        self.kill_at = Some(term_at + KILL_AFTER);
    }

    /// Reaps the child if it ended; otherwise sends the signals that are due.
    fn poll(&mut self, now: Instant) -> Option<ProcessExit> {
        match self.child.try_wait() {
            Ok(Some(status)) => {
                return Some(match (status.code(), status.signal()) {
                    (Some(code), _) => ProcessExit::Exited(code),
                    (None, Some(signal)) => ProcessExit::Signalled(signal),
                    (None, None) => ProcessExit::StatusLost,
                });
            }
            Ok(None) => {}
            Err(_) => return Some(ProcessExit::StatusLost),
        }
        if self.term_at.is_some_and(|at| now >= at) {
            self.term_at = None;
            signal_group(self.pid, libc::SIGTERM);
        }
        if self.kill_at.is_some_and(|at| now >= at) {
            self.kill_at = None;
            signal_group(self.pid, libc::SIGKILL);
        }
        None
    }

    /// Kills the whole group and waits for the child (dropping the reactor). Nothing is
    /// signalled once the child was reaped: its pid may belong to someone else by now.
    fn kill_and_reap(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        signal_group(self.pid, libc::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal_group(pid: u32, signal: libc::c_int) {
    if let Err(error) = sys::kill_process_group(pid, signal) {
        if error.raw_os_error() != Some(libc::ESRCH) {
            log::debug!("signal {signal} to process group {pid}: {error}");
        }
    }
}

/// One helper process.
struct Proc {
    name: String,
    /// `None` once reaped (or handed to the dying list).
    child: Option<ChildHandle>,
    pid: u32,
    /// The read end of its stdout and its token index; `None` once closed.
    stdout: Option<(Receiver, usize)>,
    /// The write end of its stdin and its token index; `None` once closed.
    stdin: Option<(Sender, usize)>,
    input: ReadBuffer,
    /// Offset in `input.data()` of the first newline (`input.len()` when there is none).
    newline_at: usize,
    readable: bool,
    output: WriteBuffer,
    writable: bool,
    /// Known once it ended or broke; reported after its last complete lines.
    status: Option<ProcessExit>,
    /// Stopped by the owner: its lines are no longer delivered.
    discard_lines: bool,
    /// Set by the owner: lines wait in the buffer (then in the pipe).
    lines_paused: bool,
    /// More than the bound unwritten, and not yet back under the low-water mark.
    congested: bool,
}

/// Where the first `\n` of `bytes` is, eight bytes at a time (a helper pushing routes
/// sends millions of lines).
fn newline_in(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // Bytes equal to '\n' become zero; the lowest flagged byte is the first zero.
        let x = u64::from_le_bytes(word) ^ (ONES * u64::from(b'\n'));
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|b| *b == b'\n')
        .map(|i| at + i)
}

impl Proc {
    fn has_line(&self) -> bool {
        self.newline_at < self.input.len()
    }

    fn find_newline(&mut self, from: usize) {
        let data = self.input.data();
        self.newline_at = data
            .get(from..)
            .and_then(newline_in)
            .map_or(data.len(), |at| from + at);
    }

    /// A line can go to the owner. Not while the helper is congested: a helper that
    /// writes commands without reading their answers is held (its lines wait in its pipe)
    /// until it reads, so the answers stay bounded.
    fn deliverable(&self) -> bool {
        self.has_line() && !self.discard_lines && !self.lines_paused && !self.congested
    }

    /// Takes output: running, not being stopped.
    fn counts(&self) -> bool {
        self.stdin.is_some() && !self.discard_lines && self.status.is_none()
    }

    fn reportable(&self) -> bool {
        self.status.is_some()
            && self.child.is_none()
            && self.stdout.is_none()
            && (self.discard_lines || !self.has_line())
    }
}

struct ProcEntry {
    generation: u32,
    body: Option<Proc>,
}

/// The reactor's helper processes (a field of `Reactor`).
#[derive(Default)]
pub(super) struct ProcessTable {
    entries: Vec<ProcEntry>,
    free: Vec<u32>,
    /// Children whose end was already reported (broken helpers) being killed and reaped.
    dying: Vec<ChildHandle>,
    /// The line handed to the owner (reused: no allocation per line).
    scratch: String,
    /// SIGCHLD arrived: check every child.
    pub(super) check_children: bool,
    /// The bound of each helper's unwritten output (0: [`OUTPUT_HIGH_WATER`]).
    pub(super) limit: usize,
    /// A helper became congested or recovered: the endpoints' holds need recomputing.
    pub(super) holds_dirty: bool,
}

impl ProcessTable {
    fn get_mut(&mut self, slot: u32) -> Option<&mut Proc> {
        self.entries.get_mut(slot as usize)?.body.as_mut()
    }

    fn live(&self, id: ProcessId) -> Option<&Proc> {
        let entry = self.entries.get(id.slot as usize)?;
        (entry.generation == id.generation)
            .then_some(entry.body.as_ref())
            .flatten()
    }

    fn live_mut(&mut self, id: ProcessId) -> Option<&mut Proc> {
        let entry = self.entries.get_mut(id.slot as usize)?;
        (entry.generation == id.generation)
            .then_some(entry.body.as_mut())
            .flatten()
    }

    fn high_water(&self) -> usize {
        if self.limit == 0 {
            OUTPUT_HIGH_WATER
        } else {
            self.limit
        }
    }

    /// Whether helper `id` is congested (false once it is gone).
    pub(super) fn is_congested(&self, id: ProcessId) -> bool {
        self.live(id).is_some_and(|p| p.congested)
    }

    fn id_of(&self, slot: u32) -> ProcessId {
        let generation = self
            .entries
            .get(slot as usize)
            .map_or(0, |entry| entry.generation);
        ProcessId { slot, generation }
    }

    fn insert(&mut self, process: Proc) -> ProcessId {
        if let Some(slot) = self.free.pop() {
            if let Some(entry) = self.entries.get_mut(slot as usize) {
                entry.body = Some(process);
                return ProcessId {
                    slot,
                    generation: entry.generation,
                };
            }
        }
        self.entries.push(ProcEntry {
            generation: 0,
            body: Some(process),
        });
        ProcessId {
            slot: (self.entries.len() - 1) as u32,
            generation: 0,
        }
    }

    /// True when no helper is running or being stopped.
    pub(super) fn is_empty(&self) -> bool {
        self.dying.is_empty() && self.entries.iter().all(|entry| entry.body.is_none())
    }

    fn procs(&self) -> impl Iterator<Item = &Proc> {
        self.entries.iter().filter_map(|entry| entry.body.as_ref())
    }

    /// True when the next pass has process work to do at once.
    pub(super) fn has_work(&self) -> bool {
        self.procs().any(|p| {
            p.deliverable()
                || p.reportable()
                || p.stdout.is_some() && p.readable && !p.input.is_full()
                || p.stdout.is_some() && p.status.is_some() && !p.input.is_full()
                || p.stdin.is_some() && p.writable && !p.output.is_empty()
        })
    }

    /// The earliest moment a helper being stopped needs looking at.
    pub(super) fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let ending = self.dying.iter().any(|c| c.ending)
            || self
                .procs()
                .any(|p| p.child.as_ref().is_some_and(|c| c.ending));
        ending.then(|| now + REAP_INTERVAL)
    }
}

impl Drop for ProcessTable {
    fn drop(&mut self) {
        for entry in &mut self.entries {
            if let Some(child) = entry.body.as_mut().and_then(|p| p.child.as_mut()) {
                child.kill_and_reap();
            }
        }
        for child in &mut self.dying {
            child.kill_and_reap();
        }
    }
}

impl<E: Endpoint> Reactor<E> {
    /// Starts a helper: `argv[0]` with the other elements as arguments, stdin and stdout
    /// piped (non-blocking, polled here), stderr inherited, `TERM=dumb` plus `spec.env` in a
    /// copy of our environment (without `exabgp_cli_pipe`), in its own process group.
    pub fn spawn_process(&mut self, spec: &ProcessSpec) -> Result<ProcessId, ProcessError> {
        let Some((program, args)) = spec.argv.split_first() else {
            return Err(ProcessError::NoProgram {
                name: spec.name.clone(),
            });
        };
        let mut command = Command::new(program);
        command
            .args(args)
            .env_remove("exabgp_cli_pipe")
            .env("TERM", "dumb")
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0);
        let mut child = command.spawn().map_err(|error| {
            let program = program.clone();
            match error.kind() {
                io::ErrorKind::NotFound => ProcessError::NotFound { program, error },
                io::ErrorKind::PermissionDenied => ProcessError::NotExecutable { program, error },
                _ => ProcessError::SpawnFailed { program, error },
            }
        })?;
        let pid = child.id();
        let handle_of = |child: Child| ChildHandle {
            child,
            pid,
            term_at: None,
            kill_at: None,
            ending: false,
        };
        let pipes = match (child.stdin.take(), child.stdout.take()) {
            (Some(stdin), Some(stdout)) => Ok((Sender::from(stdin), Receiver::from(stdout))),
            _ => Err(io::Error::other("the child's pipes are missing")),
        };
        let registered = pipes.and_then(|(mut stdin, mut stdout)| {
            stdin.set_nonblocking(true)?;
            stdout.set_nonblocking(true)?;
            let out_index = self.allocate_token();
            let in_index = self.allocate_token();
            let out_token = self.token_of(out_index);
            let in_token = self.token_of(in_index);
            let registry = self.poll.registry();
            let result = registry
                .register(&mut stdout, out_token, Interest::READABLE)
                .and_then(|()| registry.register(&mut stdin, in_token, Interest::WRITABLE));
            if let Err(error) = result {
                let _ = registry.deregister(&mut stdout);
                self.release_token(out_index);
                self.release_token(in_index);
                return Err(error);
            }
            Ok(((stdin, in_index), (stdout, out_index)))
        });
        let (stdin, stdout) = match registered {
            Ok(pipes) => pipes,
            Err(error) => {
                handle_of(child).kill_and_reap();
                return Err(ProcessError::Register {
                    program: program.clone(),
                    error,
                });
            }
        };
        let (in_index, out_index) = (stdin.1, stdout.1);
        let process = Proc {
            name: spec.name.clone(),
            child: Some(handle_of(child)),
            pid,
            stdout: Some(stdout),
            stdin: Some(stdin),
            input: ReadBuffer::new(MAX_LINE_LEN + 1),
            newline_at: 0,
            readable: true,
            output: WriteBuffer::new(OUTPUT_HIGH_WATER),
            writable: true,
            status: None,
            discard_lines: false,
            lines_paused: false,
            congested: false,
        };
        let id = self.processes.insert(process);
        self.put_source(
            out_index,
            Source::Process {
                slot: id.slot,
                stdout: true,
            },
        );
        self.put_source(
            in_index,
            Source::Process {
                slot: id.slot,
                stdout: false,
            },
        );
        log::debug!("process {}: started {program} (pid {pid})", spec.name);
        Ok(id)
    }

    /// Queues `bytes` for the helper's stdin (written without blocking from the next pass
    /// on). False when the helper is gone or being stopped (the bytes are dropped).
    pub fn write_process(&mut self, id: ProcessId, bytes: &[u8]) -> bool {
        let high = self.processes.high_water();
        let Some(process) = self.processes.live_mut(id) else {
            return false;
        };
        if process.stdin.is_none() || process.discard_lines || process.status.is_some() {
            return false;
        }
        process.output.push(bytes);
        let pending = process.output.pending();
        if !process.congested && pending > high {
            log::debug!(
                "process {}: {pending} bytes unread, pausing what feeds it",
                process.name
            );
            process.congested = true;
            self.processes.holds_dirty = true;
            self.apply_holds(Instant::now());
        }
        true
    }

    /// Sets the bound of each helper's unwritten output (`exabgp.api.buffer`): above it a
    /// helper is congested, below a quarter of it congestion ends.
    pub fn set_process_buffer(&mut self, bytes: usize) {
        self.processes.limit = bytes.max(1);
        self.update_congestion();
    }

    /// True while helper `id` has more than its bound unread (and until it is below a
    /// quarter of it): the endpoints feeding it are held, its lines are not delivered.
    pub fn is_process_congested(&self, id: ProcessId) -> bool {
        self.processes.is_congested(id)
    }

    /// Bytes queued for the helper's stdin and not yet written (0 when it is gone).
    pub fn process_output_len(&self, id: ProcessId) -> usize {
        self.processes.live(id).map_or(0, |p| p.output.pending())
    }

    /// The helper's pid while it is known to the reactor.
    pub fn process_pid(&self, id: ProcessId) -> Option<u32> {
        self.processes.live(id).map(|p| p.pid)
    }

    /// True while any helper runs or is being stopped (its exit reported or not): the
    /// owner's shutdown can wait for false.
    pub fn has_processes(&self) -> bool {
        !self.processes.is_empty()
    }

    /// Holds (`true`) or resumes (`false`) the delivery of the helper's lines: held lines
    /// wait in its buffer, then in its pipe, so a helper that floods commands is slowed
    /// down by the pipe, not by dropping lines.
    pub fn pause_process_lines(&mut self, id: ProcessId, paused: bool) {
        if let Some(process) = self.processes.live_mut(id) {
            process.lines_paused = paused;
        }
    }

    /// Stops a helper: its lines are no longer delivered, `write_process` refuses, its stdin
    /// is closed once what was queued is written, SIGTERM goes to its process group after
    /// [`STOP_LINGER`] and SIGKILL [`KILL_AFTER`] later. [`Owner::process_exited`] follows
    /// once it is reaped. False when the helper is already gone.
    pub fn stop_process(&mut self, id: ProcessId) -> bool {
        let now = Instant::now();
        let Some(process) = self.processes.live_mut(id) else {
            return false;
        };
        process.discard_lines = true;
        process.input.consume(process.input.len());
        process.newline_at = 0;
        if let Some(child) = process.child.as_mut() {
            child.schedule_stop(now, STOP_LINGER);
        }
        let stdout = process.stdout.take();
        self.close_stdout(stdout);
        self.flush_process(id.slot, now);
        true
    }

    /// Stops every helper (shutdown): see [`Reactor::stop_process`].
    pub fn stop_all_processes(&mut self) {
        for slot in 0..self.processes.entries.len() as u32 {
            if self.processes.get_mut(slot).is_some() {
                let id = self.processes.id_of(slot);
                self.stop_process(id);
            }
        }
    }

    // ----- inside the loop -----

    /// Readiness of a helper's pipe.
    pub(super) fn on_process_event(&mut self, slot: u32, stdout: bool, ready: bool) {
        if let Some(process) = self.processes.get_mut(slot) {
            if stdout {
                process.readable |= ready;
            } else {
                process.writable |= ready;
            }
        }
    }

    fn close_stdout(&mut self, stdout: Option<(Receiver, usize)>) {
        if let Some((mut receiver, index)) = stdout {
            let _ = self.poll.registry().deregister(&mut receiver);
            self.release_token(index);
        }
    }

    fn close_stdin(&mut self, slot: u32) {
        let stdin = self.processes.get_mut(slot).and_then(|p| p.stdin.take());
        if let Some((mut sender, index)) = stdin {
            let _ = self.poll.registry().deregister(&mut sender);
            self.release_token(index);
        }
    }

    /// The helper is unusable: remember why, close its pipes, kill it in the background.
    fn break_process(&mut self, slot: u32, how: ProcessExit, now: Instant) {
        let Some(process) = self.processes.get_mut(slot) else {
            return;
        };
        log::warn!("process {}: {how}", process.name);
        process.status.get_or_insert(how);
        if how == ProcessExit::LineTooLong {
            process.input.consume(process.input.len());
            process.newline_at = 0;
        }
        let stdout = process.stdout.take();
        let child = process.child.take();
        self.close_stdout(stdout);
        self.close_stdin(slot);
        if let Some(mut child) = child {
            child.schedule_stop(now, Duration::ZERO);
            if child.poll(now).is_none() {
                self.processes.dying.push(child);
            }
        }
    }

    /// Writes what the helper's output buffer holds, as far as the pipe takes it.
    fn flush_process(&mut self, slot: u32, now: Instant) {
        let Some(process) = self.processes.get_mut(slot) else {
            return;
        };
        let Some((sender, _)) = process.stdin.as_mut() else {
            return;
        };
        if process.status.is_some() {
            // It ended: what it did not read is lost with it.
            process.output.consume(process.output.pending());
        }
        if process.writable && !process.output.is_empty() {
            match process.output.flush_to(sender) {
                Ok(true) => {}
                Ok(false) => process.writable = false,
                Err(error) if process.discard_lines => {
                    // Being stopped anyway: its exit status is what will be reported.
                    log::debug!("process {}: write while stopping: {error}", process.name);
                    process.output.consume(process.output.pending());
                }
                Err(error) => {
                    log::debug!("process {}: write: {error}", process.name);
                    self.break_process(slot, ProcessExit::BrokenPipe, now);
                    return;
                }
            }
        }
        // Stopping, or its status is known: nothing more will be written.
        let finished_writing = process.discard_lines || process.status.is_some();
        if finished_writing && process.output.is_empty() {
            self.close_stdin(slot);
        }
    }

    /// Flushes every helper's output (before sleeping in poll).
    pub(super) fn flush_processes(&mut self, now: Instant) {
        for slot in 0..self.processes.entries.len() as u32 {
            self.flush_process(slot, now);
        }
        self.update_congestion();
    }

    /// One pass of helper work: reap, read, frame, write, signal.
    pub(super) fn service_processes(&mut self, now: Instant) {
        let check_all = std::mem::replace(&mut self.processes.check_children, false);
        for slot in 0..self.processes.entries.len() as u32 {
            self.service_process(slot, now, check_all);
        }
        self.processes.dying.retain_mut(|child| {
            if check_all || child.ending {
                child.poll(now).is_none()
            } else {
                true
            }
        });
        self.update_congestion();
    }

    fn service_process(&mut self, slot: u32, now: Instant, check_all: bool) {
        let Some(process) = self.processes.get_mut(slot) else {
            return;
        };
        // 1. Reap.
        if let Some(child) = process.child.as_mut() {
            if check_all || child.ending {
                if let Some(exit) = child.poll(now) {
                    log::debug!("process {}: {exit}", process.name);
                    process.child = None;
                    process.status.get_or_insert(exit);
                }
            }
        }
        // 2. Read: while readable, and after its end until the pipe is empty (what the
        //    dead child wrote is still there; a grandchild holding the pipe is ignored).
        if process.stdout.is_some() && (process.readable || process.status.is_some()) {
            self.read_process(slot, now);
        }
        // 3. Write.
        self.flush_process(slot, now);
    }

    fn read_process(&mut self, slot: u32, now: Instant) {
        let Some(process) = self.processes.get_mut(slot) else {
            return;
        };
        let Some((receiver, _)) = process.stdout.as_mut() else {
            return;
        };
        if process.input.is_full()
            || process.newline_at < process.input.len() && process.input.len() >= PROCESS_READ_QUOTA
        {
            // Only complete lines fill the buffer (a full partial line broke the helper
            // already): wait for the owner to take them, then read again. A quota of
            // lines waiting is enough too: the rest waits in the pipe, so the buffer stays
            // small and making room at its front (once per read) moves little.
            return;
        }
        let before = process.input.len();
        let filled = process.input.fill_from(receiver, PROCESS_READ_QUOTA);
        if process.newline_at == before {
            process.find_newline(before);
        }
        let mut close = false;
        match filled {
            Ok(super::Filled::Drained) => {
                process.readable = false;
                close = process.status.is_some();
            }
            Ok(super::Filled::Limited) => {}
            Ok(super::Filled::Eof) => {
                process.readable = false;
                close = true;
                // The partial last line of a helper that closed its stdout is dropped.
                if let Some(child) = process.child.as_mut() {
                    child.schedule_stop(now, STOP_LINGER);
                }
            }
            Err(error) => {
                log::debug!("process {}: read: {error}", process.name);
                self.break_process(slot, ProcessExit::BrokenPipe, now);
                return;
            }
        }
        if !process.has_line() && process.input.len() > MAX_LINE_LEN {
            self.break_process(slot, ProcessExit::LineTooLong, now);
            return;
        }
        if close {
            if !process.has_line() {
                process.input.consume(process.input.len());
                process.newline_at = 0;
            }
            let stdout = process.stdout.take();
            self.close_stdout(stdout);
        }
    }

    /// Ends the congestion of the helpers now below a quarter of the bound (and of those
    /// being stopped or gone: they take no output), then re-applies the endpoints' holds.
    fn update_congestion(&mut self) {
        let high = self.processes.high_water();
        let low = high / 4;
        for entry in &mut self.processes.entries {
            let Some(process) = entry.body.as_mut() else {
                continue;
            };
            let pending = process.output.pending();
            let congested =
                process.counts() && pending > if process.congested { low } else { high };
            if congested != process.congested {
                process.congested = congested;
                self.processes.holds_dirty = true;
                if !congested {
                    log::debug!("process {}: {pending} bytes unread, resuming", process.name);
                }
            }
        }
        if self.processes.holds_dirty {
            self.apply_holds(Instant::now());
        }
    }

    /// Holds or releases every endpoint as the helpers it feeds are congested or not
    /// ([`Endpoint::hold`]); a released endpoint is stepped at once (edge-triggered: its
    /// unread bytes would bring no new event).
    pub(super) fn apply_holds(&mut self, now: Instant) {
        if !std::mem::replace(&mut self.processes.holds_dirty, false) {
            return;
        }
        for slot in 0..self.endpoints.len() as u32 {
            self.apply_hold(slot, now);
        }
    }

    /// Holds or releases one endpoint (see [`Reactor::apply_holds`]).
    fn apply_hold(&mut self, slot: u32, now: Instant) {
        let Some(body) = self
            .endpoints
            .get(slot as usize)
            .and_then(|entry| entry.body.as_ref())
        else {
            return;
        };
        let processes = &self.processes;
        let input = body
            .feeds
            .received
            .iter()
            .any(|id| processes.is_congested(*id));
        let output = body.feeds.sent.iter().any(|id| processes.is_congested(*id));
        if (input, output) == (body.held_input, body.held_output) {
            return;
        }
        let released = (body.held_input && !input) || (body.held_output && !output);
        if let Some(body) = self.slot_mut(slot) {
            body.held_input = input;
            body.held_output = output;
            body.endpoint.hold(now, input, output);
            body.must_step = true;
        }
        self.after_call(slot);
        if released {
            self.queue.push_now(slot);
        }
    }

    /// Tells the reactor which helpers hear an endpoint: those its received messages go to
    /// (its connection is not read while one of them is congested) and those its sent
    /// messages go to (it is told to stop encoding meanwhile). Call again when a helper is
    /// respawned (its id changes); ids of helpers that ended count as not congested.
    pub fn set_feeds(&mut self, id: EndpointId, feeds: Feeds) {
        let Some(slot) = self.live_slot(id) else {
            return;
        };
        if let Some(body) = self.slot_mut(slot) {
            body.feeds = feeds;
        }
        self.apply_hold(slot, Instant::now());
    }

    /// Hands each helper's complete lines to the owner (at most [`LINES_PER_PASS`] each),
    /// then reports the helpers that ended.
    pub(super) fn dispatch_processes(&mut self, owner: &mut impl Owner<E>) {
        for slot in 0..self.processes.entries.len() as u32 {
            let mut delivered = 0;
            while delivered < LINES_PER_PASS {
                let mut line = std::mem::take(&mut self.processes.scratch);
                line.clear();
                let Some(process) = self
                    .processes
                    .get_mut(slot)
                    .filter(|process| process.deliverable())
                else {
                    self.processes.scratch = line;
                    break;
                };
                let end = process.newline_at;
                let bytes = process.input.data().get(..end).unwrap_or_default();
                match std::str::from_utf8(bytes) {
                    Ok(text) => line.push_str(text),
                    Err(_) => {
                        for chunk in bytes.utf8_chunks() {
                            line.push_str(chunk.valid());
                            if !chunk.invalid().is_empty() {
                                line.push(char::REPLACEMENT_CHARACTER);
                            }
                        }
                    }
                }
                line.truncate(line.trim_end().len());
                process.input.consume(end + 1);
                process.find_newline(0);
                let id = self.processes.id_of(slot);
                owner.process_line(self, id, &line);
                self.processes.scratch = line;
                delivered += 1;
            }
            self.settle_touched();
            let reportable = self.processes.get_mut(slot).is_some_and(|p| p.reportable());
            if reportable {
                let id = self.processes.id_of(slot);
                if let Some(how) = self.remove_process(slot) {
                    owner.process_exited(self, id, how);
                }
            }
        }
    }

    fn remove_process(&mut self, slot: u32) -> Option<ProcessExit> {
        let entry = self.processes.entries.get_mut(slot as usize)?;
        let mut process = entry.body.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.processes.free.push(slot);
        if process.congested {
            self.processes.holds_dirty = true;
        }
        self.close_stdout(process.stdout.take());
        if let Some((mut sender, index)) = process.stdin.take() {
            let _ = self.poll.registry().deregister(&mut sender);
            self.release_token(index);
        }
        if let Some(mut child) = process.child.take() {
            child.schedule_stop(Instant::now(), Duration::ZERO);
            self.processes.dying.push(child);
        }
        self.apply_holds(Instant::now());
        process.status
    }

    /// Kills every helper still known (end of `run`): SIGKILL to each group, then reaped.
    pub(super) fn kill_all_processes(&mut self) {
        for slot in 0..self.processes.entries.len() as u32 {
            if let Some(mut child) = self.processes.get_mut(slot).and_then(|p| p.child.take()) {
                child.kill_and_reap();
            }
            self.remove_process(slot);
        }
        for mut child in std::mem::take(&mut self.processes.dying) {
            child.kill_and_reap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newline_in_finds_the_first_newline_at_every_offset() {
        for len in 0..40 {
            for at in 0..=len {
                let mut bytes = vec![b'a'; len];
                if at < len {
                    bytes[at] = b'\n';
                    // Bytes next to '\n' in value, and a second newline after it.
                    bytes
                        .iter_mut()
                        .skip(at + 1)
                        .step_by(3)
                        .for_each(|b| *b = 0x0B);
                    if at + 5 < len {
                        bytes[at + 5] = b'\n';
                    }
                }
                let expected = bytes.iter().position(|b| *b == b'\n');
                assert_eq!(newline_in(&bytes), expected, "len {len} at {at}");
            }
        }
        assert_eq!(newline_in(&[0x8A, 0x09, 0x0A]), Some(2));
    }

    #[test]
    fn programs_resolve_from_the_config_dir_then_path() {
        let dir = std::env::temp_dir().join(format!("rexa-resolve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let helper = dir.join("helper.sh");
        std::fs::write(&helper, "#!/bin/sh\n").unwrap();
        let plain = dir.join("plain.txt");
        std::fs::write(&plain, "text").unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(resolve_program("helper.sh", &dir), Some(helper.clone()));
        assert_eq!(
            resolve_program(helper.to_str().unwrap(), Path::new("/nonexistent")),
            Some(helper.clone())
        );
        assert_eq!(resolve_program("plain.txt", &dir), None, "not executable");
        assert_eq!(
            resolve_program("sh", &dir).map(|p| p.file_name().map(|n| n.to_owned())),
            Some(Some("sh".into())),
            "found in $PATH"
        );
        assert_eq!(
            resolve_program("./sh", &dir),
            None,
            "a path is not searched"
        );
        assert_eq!(resolve_program("", &dir), None);
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o4755)).unwrap();
        assert_eq!(resolve_program("helper.sh", &dir), None, "setuid refused");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn exits_are_described() {
        assert_eq!(ProcessExit::Exited(3).to_string(), "exited with code 3");
        assert_eq!(ProcessExit::Signalled(9).to_string(), "killed by signal 9");
        let error = ProcessError::NotFound {
            program: "/nope".into(),
            error: io::ErrorKind::NotFound.into(),
        };
        assert!(error
            .to_string()
            .starts_with("cannot run /nope: program not found"));
    }
}
