//! The daemon: start-up of `rexa [server] CONFIG` (signals first, then environment,
//! configuration, listeners, CLI, helpers, sessions), stop, and the reactor's `Owner`.
//!
//! Its parts: the command line (`args`), reload (`reload`), session events to log lines and
//! helper events (`events`, `helpers`), helper lines into commands (`commands`); the reactor
//! does the I/O and `peer` the protocol.

mod args;
mod commands;
pub mod endpoint;
mod events;
mod helpers;
pub mod logging;
pub mod privileges;
mod reload;
pub mod settings;
mod show;

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use crate::bgp::notification::Notification;
use crate::config::env::Env;
use crate::config::model::Config;
use crate::config::ParseOptions;
use crate::peer::{Peer, PeerEvent};
use crate::reactor::{EndpointId, Owner, ProcessExit, ProcessId, Reactor, Signal, SignalSource};

use args::{parse_args, HELP};
use endpoint::NeighborEndpoint;
use reload::{definition, NeighborKey, Running};
use settings::session_settings;

/// `rexa [server] CONFIG...`: runs until a stop signal.
pub fn main(args: Vec<OsString>) -> ExitCode {
    // Signals first, so none sent during start-up is lost.
    let signals = match SignalSource::install() {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("rexa: cannot install signal handlers: {error}");
            return ExitCode::from(1);
        }
    };
    let options = match parse_args(args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("rexa: {error}\n\n{HELP}");
            return ExitCode::from(1);
        }
    };
    let env_file = options
        .env_file
        .clone()
        .or_else(|| std::env::var_os("EXABGP_ENVFILE").map(PathBuf::from));
    let mut env = match Env::from_process(env_file.as_deref()) {
        Ok(env) => env,
        Err(error) => {
            eprintln!("rexa: {error}");
            return ExitCode::from(1);
        }
    };
    if options.once {
        env.tcp.attempts = 1;
    }
    if options.passive {
        env.bgp.passive = true;
    }
    if let Err(error) = init_logging(&env, options.debug) {
        eprintln!("rexa: {error}");
        return ExitCode::from(1);
    }
    crate::sys::set_umask(env.daemon.umask);
    if env.daemon.daemonize {
        match privileges::may_daemonize(&env.log.destination) {
            Ok(()) => {
                if let Err(error) = crate::sys::daemonize() {
                    eprintln!("rexa: cannot fork into the background: {error}");
                    return ExitCode::from(1);
                }
            }
            Err(why) => log::warn!("exabgp.daemon.daemonize: staying in the foreground: {why}"),
        }
    }
    // A thousand sessions need more descriptors than the usual soft limit of 1024.
    match crate::sys::raise_fd_limit() {
        Ok((before, after)) if after > before => {
            log::debug!("open-files limit raised from {before} to {after}");
        }
        Ok(_) => {}
        Err(error) => log::warn!("cannot raise the open-files limit: {error}"),
    }
    if options.configs.is_empty() {
        eprintln!("rexa: no configuration file given\n\n{HELP}");
        return ExitCode::from(1);
    }
    let mut config = match load(&options.configs[0], &env) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(1);
        }
    };
    let mut reactor = match Reactor::new(Some(signals)) {
        Ok(reactor) => reactor,
        Err(error) => {
            eprintln!("rexa: cannot create the event loop: {error}");
            return ExitCode::from(1);
        }
    };
    let helpers = helpers::Helpers::new(&config.processes, env.api.ack, env.api.respawn);
    let config_dir = config_directory(&options.configs[0]);
    let mut daemon = Daemon {
        env,
        configs: options.configs,
        active: 0,
        running: HashMap::new(),
        apis: HashMap::new(),
        helpers,
        config_dir,
        listening: HashSet::new(),
        stopping: false,
        failed: false,
        ribs_in: HashMap::new(),
        cli_fifos: None,
        cli_socket: None,
        feeds_of: Vec::new(),
        feeds_dirty: true,
        route_cache: commands::RouteCache::default(),
    };
    reactor.set_process_buffer(daemon.env.api.buffer);
    reactor.set_shutdown_grace(std::time::Duration::from_secs_f64(
        daemon.env.reactor.shutdown_deadline,
    ));
    if let Err(error) = daemon.listen(&mut reactor, &config) {
        eprintln!("rexa: {error}");
        return ExitCode::from(1);
    }
    // What needs root is open (listeners; the PID file next); then the privilege drop, with
    // the helpers started after it (`daemon.drop`, the default) or before it, as in ExaBGP.
    let _pid_file = match daemon.env.daemon.pid.as_str() {
        "" => None,
        path => match privileges::PidFile::create(std::path::Path::new(path), std::process::id()) {
            Ok(file) => Some(file),
            Err(error) => {
                eprintln!("rexa: {error}");
                return ExitCode::from(1);
            }
        },
    };
    daemon.open_cli();
    let drop_first = daemon.env.daemon.drop;
    if drop_first {
        if let Err(error) = daemon.drop_privileges() {
            eprintln!("rexa: {error}");
            return ExitCode::from(1);
        }
    }
    // Helpers before sessions (api.md §2.1): their first commands may come before any
    // session is up.
    if let Err(error) = daemon.helpers.start_all(&mut reactor, &daemon.config_dir) {
        eprintln!("rexa: {error}");
        reactor.stop_all_processes();
        return ExitCode::from(1);
    }
    daemon.start_cli(&mut reactor);
    if !drop_first {
        if let Err(error) = daemon.drop_privileges() {
            eprintln!("rexa: {error}");
            reactor.stop_all_processes();
            return ExitCode::from(1);
        }
    }
    daemon.start(&mut reactor, &mut config);
    log::info!("rexa {} running {}", env!("CARGO_PKG_VERSION"), config.file);
    // The routes now live in the adj-rib-outs: the parsed configuration (hundreds of bytes
    // per route) is not kept for the daemon's lifetime.
    drop(config);
    crate::sys::release_free_memory();
    match reactor.run(&mut daemon) {
        Ok(()) if daemon.failed => {
            log::error!("rexa stopped on an error");
            ExitCode::from(1)
        }
        Ok(()) => {
            log::info!("rexa stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            log::error!("event loop failed: {error}");
            ExitCode::from(1)
        }
    }
}

/// The directory holding `path` (the current directory for a bare file name).
fn config_directory(path: &std::path::Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Sets up logging from the `exabgp.log.*` settings (see [`logging`]); a destination that
/// cannot be used is a start-up error.
fn init_logging(env: &Env, debug: bool) -> Result<(), logging::LoggingError> {
    let logger = logging::Logger::new(&env.log, debug)?;
    // Only fails when a logger is already installed (tests): keep that one.
    let _ = logger.install();
    Ok(())
}

/// Reads and validates one configuration, rendering every error.
fn load(path: &std::path::Path, env: &Env) -> Result<Config, String> {
    let options = ParseOptions {
        assume_passive: env.bgp.passive,
    };
    crate::config::load(path, &options).map_err(|error| error.to_string())
}

/// The reactor's owner.
pub struct Daemon {
    env: Env,
    configs: Vec<PathBuf>,
    active: usize,
    running: HashMap<NeighborKey, Running>,
    /// What the API (and the log) knows of each session, kept until the session is gone.
    apis: HashMap<EndpointId, helpers::NeighborApi>,
    /// The configured helper processes.
    helpers: helpers::Helpers,
    /// The directory of the configuration file (helper programs are looked up there).
    config_dir: PathBuf,
    /// The addresses listened on (as configured, before port 0 is resolved).
    listening: HashSet<SocketAddr>,
    /// A stop signal arrived: later reload and restart signals are ignored.
    stopping: bool,
    /// Stopping because of an error (a helper that cannot be kept running): exit 1.
    failed: bool,
    /// What each peer announced, for neighbors configured with `adj-rib-in`.
    ribs_in: HashMap<EndpointId, crate::rib::AdjRibIn>,
    /// The CLI's FIFOs, opened at start (before the privilege drop) and kept open for
    /// every bridge the daemon starts on them.
    cli_fifos: Option<crate::cli::pipe::OpenFifos>,
    /// The CLI's control socket, bound at start (before the privilege drop); its file is
    /// removed when the daemon ends.
    cli_socket: Option<crate::cli::socket::ControlSocket>,
    /// The helpers running when the reactor was last told who hears each session.
    feeds_of: Vec<Option<ProcessId>>,
    /// Sessions were added since: the reactor must be told their feeds.
    feeds_dirty: bool,
    /// Helper route lines parsed once per attribute text (see `commands::RouteCache`).
    route_cache: commands::RouteCache,
}

impl Daemon {
    /// Opens the listeners: `exabgp.tcp.bind` × `exabgp.tcp.port`, and each neighbor's
    /// `listen` port on its local address (at start-up, and on reload for added neighbors).
    fn listen(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        config: &Config,
    ) -> Result<(), String> {
        let mut addresses: Vec<SocketAddr> = Vec::new();
        for bind in &self.env.tcp.bind {
            let ip: IpAddr = bind
                .parse()
                .map_err(|_| format!("exabgp.tcp.bind: {bind:?} is not an IP address"))?;
            addresses.push(SocketAddr::new(ip, self.env.tcp.port));
        }
        for neighbor in &config.neighbors {
            if neighbor.listen != 0 {
                let ip = neighbor.local_address.unwrap_or(IpAddr::from([0u8; 4]));
                addresses.push(SocketAddr::new(ip, neighbor.listen));
            }
        }
        addresses.sort();
        addresses.dedup();
        for address in addresses {
            // A reload only opens what is new; existing listeners stay as they are.
            if self.listening.contains(&address) {
                continue;
            }
            let bound = reactor.listen(address).map_err(|e| e.to_string())?;
            self.listening.insert(address);
            log::info!("listening on {bound}");
        }
        // MD5 keys must be on the listening sockets before a peer connects.
        for neighbor in &config.neighbors {
            let Ok((_, transport)) = session_settings(neighbor, &self.env) else {
                continue;
            };
            if let Some(key) = transport.options.md5 {
                if let Err(error) = reactor.set_listener_md5(neighbor.peer_address, &key) {
                    log::warn!("neighbor {}: {error}", neighbor.peer_text());
                }
            }
            if let Some(key) = transport.options.ao {
                if let Err(error) = reactor.set_listener_ao(neighbor.peer_address, &key) {
                    log::warn!("neighbor {}: {error}", neighbor.peer_text());
                }
            }
        }
        Ok(())
    }

    /// Switches to `exabgp.daemon.user` when running as root (see [`privileges::drop_to`]).
    fn drop_privileges(&self) -> Result<(), privileges::PrivilegeError> {
        let user = &self.env.daemon.user;
        if let Some(account) = privileges::drop_to(user)? {
            log::info!(
                target: "daemon",
                "running as {user} (uid {}, gid {})",
                account.uid,
                account.gid
            );
        }
        Ok(())
    }

    /// Starts a session for every neighbor of `config` not already running.
    fn start(&mut self, reactor: &mut Reactor<NeighborEndpoint>, config: &mut Config) {
        let now = Instant::now();
        for neighbor in &mut config.neighbors {
            let key = NeighborKey::of(neighbor);
            if self.running.contains_key(&key) {
                continue;
            }
            let kept = definition(neighbor);
            match session_settings(neighbor, &self.env) {
                Ok((mut settings, transport)) => {
                    let name = neighbor.peer_text();
                    let api = helpers::NeighborApi::new(
                        neighbor,
                        &self.helpers.names(),
                        self.env.api.compact,
                    );
                    // The peer reports message bytes only when a process asked for them.
                    settings.report_packets = api.wants_received_packets();
                    settings.report_sent = api.wants_sent();
                    let mut peer = Peer::new(settings, now);
                    // The routes leave the configuration as they enter the table.
                    let report = neighbor.load_routes_into(peer.rib_mut());
                    for error in &report.errors {
                        log::error!("neighbor {name}: {error}");
                    }
                    let id =
                        reactor.add_endpoint(NeighborEndpoint::new(name.clone(), peer, transport));
                    log::info!("neighbor {name}: started");
                    self.apis.insert(id, api);
                    self.route_cache.neighbors_changed();
                    self.feeds_dirty = true;
                    if neighbor.adj_rib_in {
                        self.ribs_in.insert(id, crate::rib::AdjRibIn::new());
                    }
                    self.running.insert(
                        key,
                        Running {
                            id,
                            definition: kept,
                        },
                    );
                }
                Err(error) => log::error!("{error}"),
            }
        }
    }

    /// The CLI (api.md §9.1, §9.2): unless `exabgp.api.cli` is false, the FIFO pair is looked
    /// for (never created) and opened, and the control socket created; both before the
    /// privilege drop (the FIFOs are often root's, the socket's directory too).
    /// [`Daemon::start_cli`] then hands them to their bridges.
    fn open_cli(&mut self) {
        if !self.env.api.cli {
            log::debug!("cli: disabled (exabgp.api.cli=false)");
            return;
        }
        let account = self.cli_account();
        self.open_cli_pipes(account);
        self.open_cli_socket(account);
    }

    /// The account the CLI belongs to: the one the privilege drop switches to when running
    /// as root, else our own. `None` when it cannot be known (the drop then fails anyway).
    fn cli_account(&self) -> Option<privileges::Account> {
        let (uid, euid, gid, _) = crate::sys::ids();
        if uid != 0 && gid != 0 {
            return Some(privileges::Account { uid: euid, gid });
        }
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        privileges::find_account(&passwd, &self.env.daemon.user)
    }

    fn open_cli_pipes(&mut self, account: Option<privileges::Account>) {
        let pipename = self.env.api.pipename.clone();
        let fifos = match crate::cli::pipe::locate(&pipename) {
            Ok(fifos) => fifos,
            Err(scanned) => {
                let scanned: Vec<String> =
                    scanned.iter().map(|d| d.display().to_string()).collect();
                log::info!(
                    "cli: no named pipes {pipename}.in and {pipename}.out in {}; running \
                     without them. To have them, make them (rexa never does) and restart:",
                    scanned.join(", ")
                );
                for line in crate::cli::pipe::mkfifo_advice(&pipename) {
                    log::info!("cli: > {line}");
                }
                return;
            }
        };
        if crate::cli::pipe::has_reader(&fifos) {
            log::warn!(
                "cli: another process (rexa or exabgp) already reads {}; running without the \
                 named pipes",
                fifos.input.display()
            );
            return;
        }
        let mut owners = vec![0, crate::sys::ids().1];
        owners.extend(account.map(|a| a.uid));
        match crate::cli::pipe::OpenFifos::open(fifos, &owners) {
            Ok(open) => self.cli_fifos = Some(open),
            Err(error) => log::error!("cli: {error}; running without the named pipes"),
        }
    }

    fn open_cli_socket(&mut self, account: Option<privileges::Account>) {
        let socketname = self.env.api.socketname.clone();
        // As root, the socket goes to the account the daemon drops to.
        let owner = match crate::sys::ids() {
            (0, ..) => account.map(|a| (a.uid, a.gid)),
            _ => None,
        };
        match crate::cli::socket::ControlSocket::create(&socketname, owner) {
            Ok(socket) => self.cli_socket = Some(socket),
            Err(error @ crate::cli::socket::SocketError::NoDirectory { .. }) => {
                log::info!("cli: {error}; running without a control socket");
            }
            Err(error) => log::warn!("cli: {error}; running without a control socket"),
        }
    }

    /// Starts the CLI's bridges on what [`Daemon::open_cli`] opened: the pipe bridge on the
    /// FIFOs, the socket bridge on the listening socket.
    fn start_cli(&mut self, reactor: &mut Reactor<NeighborEndpoint>) {
        if self.cli_fifos.is_none() && self.cli_socket.is_none() {
            return;
        }
        let program = match std::env::current_exe() {
            Ok(path) => path.to_string_lossy().into_owned(),
            Err(error) => {
                log::error!(
                    "cli: cannot find the rexa executable ({error}); running without a cli"
                );
                self.cli_fifos = None;
                self.cli_socket = None;
                return;
            }
        };
        let tag = cli_bridge_tag();
        if let Some(open) = self.cli_fifos.as_ref() {
            let name = format!("api-internal-cli-pipe-{tag:x}");
            let env = open.bridge_env(&self.env.api.pipename);
            match self.helpers.add_cli_bridge(
                reactor,
                name,
                program.clone(),
                env,
                open.inherited(),
                &self.config_dir,
            ) {
                Ok(()) => {
                    log::info!("cli: commands are read from {}", open.fifos.input.display());
                    log::info!(
                        "cli: answers are written to {}",
                        open.fifos.output.display()
                    );
                }
                Err(error) => log::error!("cli: {error}; running without the named pipes"),
            }
        }
        if let Some(socket) = self.cli_socket.as_ref() {
            use std::os::fd::AsRawFd;
            let name = format!("api-internal-cli-socket-{tag:x}");
            let allowed = self.cli_account().map_or(0, |a| a.uid);
            let env = socket.bridge_env(&self.env.api.socketname, allowed);
            let inherit = vec![socket.listener.as_raw_fd()];
            match self.helpers.add_cli_bridge(
                reactor,
                name,
                program,
                env,
                inherit,
                &self.config_dir,
            ) {
                Ok(()) => log::info!("cli: control socket {}", socket.path.display()),
                Err(error) => {
                    log::error!("cli: {error}; running without a control socket");
                    self.cli_socket = None;
                }
            }
        }
    }

    /// Shutdown: the helpers get their last event and are stopped, every session ends
    /// with a Cease.
    fn stop(&mut self, reactor: &mut Reactor<NeighborEndpoint>) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        self.helpers.shut_down(reactor);
        reactor.stop_all_processes();
        reactor.begin_shutdown();
    }

    /// SIGALRM / `restart`: every session reset as ExaBGP's `reestablish` does it, with
    /// Cease 6/3 "Peer De-configured", then brought back up.
    fn restart_all(&mut self, reactor: &mut Reactor<NeighborEndpoint>) {
        reactor.for_each_endpoint(|_, session, _| {
            session.peer.reset(Notification::cease_peer_deconfigured());
        });
    }
}

impl Owner<NeighborEndpoint> for Daemon {
    fn after_pass(&mut self, reactor: &mut Reactor<NeighborEndpoint>) {
        // Back-pressure: the reactor holds a session while a helper hearing it is full.
        if self.feeds_dirty || self.helpers.changed_since(&self.feeds_of) {
            self.feeds_dirty = false;
            self.feeds_of = self.helpers.running();
            for (id, api) in &self.apis {
                reactor.set_feeds(*id, self.helpers.feeds_of(api));
            }
        }
        self.helpers.flush_deferred(reactor, &mut self.apis);
    }

    fn signal(&mut self, reactor: &mut Reactor<NeighborEndpoint>, signal: Signal) {
        log::info!("received {signal:?}");
        if self.stopping && !matches!(signal, Signal::ChildExited) {
            log::info!("shutting down already: {signal} ignored");
            return;
        }
        if let Some((code, name)) = signal_identity(signal) {
            self.emit_all(reactor, &crate::api::event::Event::Signal(code, name));
        }
        match signal {
            Signal::Shutdown(_) => self.stop(reactor),
            Signal::Reload => self.reload(reactor),
            Signal::ReloadAndRestartProcesses => {
                self.helpers.stop_running(reactor);
                self.reload(reactor);
            }
            Signal::RestartPeers => self.restart_all(reactor),
            // The reactor reaps its helpers itself (by pid).
            Signal::ChildExited => {}
        }
    }

    fn process_line(&mut self, reactor: &mut Reactor<NeighborEndpoint>, id: ProcessId, line: &str) {
        if let Some(index) = self.helpers.index_of(id) {
            self.helper_line(reactor, index, line);
        }
    }

    fn process_exited(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        id: ProcessId,
        how: ProcessExit,
    ) {
        let config_dir = self.config_dir.clone();
        if !self
            .helpers
            .exited(reactor, id, &how, self.stopping, &config_dir)
        {
            // ExaBGP exits when a helper cannot be kept running.
            log::error!("stopping: a helper process could not be kept running");
            self.failed = true;
            self.stop(reactor);
        }
    }
    fn event(&mut self, reactor: &mut Reactor<NeighborEndpoint>, id: EndpointId, event: PeerEvent) {
        self.session_event(reactor, id, event);
    }

    fn finished(
        &mut self,
        _reactor: &mut Reactor<NeighborEndpoint>,
        id: EndpointId,
        _value: NeighborEndpoint,
    ) {
        self.apis.remove(&id);
        self.route_cache.neighbors_changed();
        self.ribs_in.remove(&id);
    }
}

/// A 32-bit tag telling this daemon's CLI bridge from another's (ExaBGP uses part of a
/// time-based UUID): the clock's nanoseconds mixed with our pid.
fn cli_bridge_tag() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() ^ (d.as_secs() as u32));
    nanos ^ std::process::id().rotate_left(16)
}

/// The number and name a `signal` event reports.
fn signal_identity(signal: Signal) -> Option<(i32, &'static str)> {
    match signal {
        Signal::Shutdown(code) => Some((
            code,
            match code {
                libc::SIGINT => "SIGINT",
                libc::SIGHUP => "SIGHUP",
                _ => "SIGTERM",
            },
        )),
        Signal::Reload => Some((libc::SIGUSR1, "SIGUSR1")),
        Signal::ReloadAndRestartProcesses => Some((libc::SIGUSR2, "SIGUSR2")),
        Signal::RestartPeers => Some((libc::SIGALRM, "SIGALRM")),
        Signal::ChildExited => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_after_a_stop_signal_are_ignored() {
        let dir = std::env::temp_dir().join(format!("rexa-daemon-stop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("a.conf");
        std::fs::write(
            &path,
            "neighbor 127.0.8.120 { router-id 10.0.0.1; local-address 127.0.8.121; \
             local-as 65001; peer-as 65002; passive; family { ipv4 unicast; } }",
        )
        .expect("write config");
        let mut reactor: Reactor<NeighborEndpoint> = Reactor::new(None).expect("reactor");
        let mut daemon = Daemon {
            env: Env::default(),
            configs: vec![path],
            active: 0,
            running: HashMap::new(),
            apis: HashMap::new(),
            helpers: helpers::Helpers::new(&[], true, true),
            config_dir: PathBuf::from("."),
            listening: HashSet::new(),
            stopping: false,
            failed: false,
            ribs_in: HashMap::new(),
            cli_fifos: None,
            cli_socket: None,
            feeds_of: Vec::new(),
            feeds_dirty: true,
            route_cache: commands::RouteCache::default(),
        };
        daemon.signal(&mut reactor, Signal::Shutdown(libc::SIGTERM));
        daemon.signal(&mut reactor, Signal::Reload);
        daemon.signal(&mut reactor, Signal::RestartPeers);
        assert!(
            daemon.running.is_empty(),
            "a reload started sessions while stopping"
        );
        // Without the stop signal the same reload starts the neighbor.
        daemon.stopping = false;
        daemon.signal(&mut reactor, Signal::Reload);
        assert_eq!(daemon.running.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
