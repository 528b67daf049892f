//! `rexa healthcheck`, ExaBGP's `exabgp healthcheck`: a helper process that runs a check on an
//! interval and prints `announce`/`withdraw` commands for service addresses on its stdout.
//!
//! `options` reads the command line, `machine` holds the states and the lines (no I/O),
//! `host` runs commands, waits and talks to the daemon, `ip` reads and sets interface
//! addresses with `ip`, `log` writes ExaBGP's console and syslog lines. Deliberate
//! differences from ExaBGP 5.0.15, each to avoid blocking for ever or leaking processes:
//! execute hooks are killed after `--timeout` as the check is; an answer (`done`) is awaited
//! at most `host::ACK_TIMEOUT`; the check and hooks get /dev/null as stdin (ExaBGP lets them
//! read the daemon's answers); a check running when a stop signal comes is killed; SIGINT
//! always stops as SIGTERM does; networks larger than `ip::MAX_HOSTS` are refused where ExaBGP
//! would walk them address by address.

pub mod host;
pub mod ip;
pub mod log;
pub mod machine;
pub mod options;

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use self::ip::{IpError, Net, NetError, Setup};
use self::machine::Ending;
use self::options::{Options, OptionsError, Request};

/// Why the healthcheck stopped with status 1.
#[derive(Debug)]
pub enum Error {
    /// No `--ip` and no suitable address on the loopback.
    NoIp,
    /// `--ip-ifname` names no `--ip` network, or is malformed.
    Options(OptionsError),
    /// Listing, adding or removing addresses failed.
    Ip(IpError),
    /// `--deaggregate-networks` on a network too large to walk.
    Net(NetError),
    /// The `--pid` file could not be written.
    Pid { path: PathBuf, error: io::Error },
    /// Writing a command on stdout failed (the daemon is gone).
    Output(io::Error),
    /// The check command could not be started.
    Spawn(String, io::Error),
    /// Waiting on a child or a descriptor failed.
    Wait(io::Error),
    /// The signal handlers could not be installed.
    Signals(io::Error),
    /// `--user`/`--group` names nobody.
    UnknownName { group: bool, name: String },
    /// Changing to `--user`/`--group` failed.
    Privileges {
        group: bool,
        name: String,
        error: io::Error,
    },
    /// `--syslog-facility` names no facility.
    Facility(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = |group: &bool| if *group { "group" } else { "user" };
        match self {
            Error::NoIp => f.write_str("No IP found"),
            Error::Options(e) => e.fmt(f),
            Error::Ip(e) => e.fmt(f),
            Error::Net(e) => e.fmt(f),
            Error::Pid { path, error } => write!(f, "cannot write {}: {error}", path.display()),
            Error::Output(e) => write!(f, "cannot write to the daemon (stdout): {e}"),
            Error::Spawn(command, e) => write!(f, "cannot run `{command}`: {e}"),
            Error::Wait(e) => write!(f, "waiting failed: {e}"),
            Error::Signals(e) => write!(f, "cannot install signal handlers: {e}"),
            Error::UnknownName { group, name } => write!(f, "no such {}: {name}", kind(group)),
            Error::Privileges { group, name, error } => {
                write!(f, "cannot change to {} {name}: {error}", kind(group))
            }
            Error::Facility(name) => write!(f, "unknown syslog facility {name:?}"),
        }
    }
}

impl std::error::Error for Error {}

/// The entry point: the arguments after `healthcheck`.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let options = match options::parse(args) {
        Ok(Request::Help) => {
            print!("{}", options::HELP);
            return ExitCode::SUCCESS;
        }
        Ok(Request::Run(options)) => options,
        Err(e @ OptionsError::IpIfname(_)) => {
            eprintln!("rexa healthcheck: {e}");
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("usage: rexa healthcheck [OPTIONS] (see --help)");
            eprintln!("rexa healthcheck: error: {e}");
            return ExitCode::from(2);
        }
    };
    let logger = log::Logger::new(
        options.debug,
        options.silent,
        options.name.as_deref(),
        &options.syslog_facility,
        !options.no_syslog,
    );
    match logger {
        Ok(logger) => logger.install(),
        Err(log::UnknownFacility(name)) => {
            eprintln!("rexa healthcheck: {}", Error::Facility(name));
            return ExitCode::from(1);
        }
    }
    match run(&options) {
        Ok(_) => ExitCode::SUCCESS,
        Err(Error::NoIp) => {
            ::log::error!(target: "healthcheck", "No IP found");
            ExitCode::from(1)
        }
        Err(e) => {
            ::log::error!(target: "healthcheck", "Uncaught exception: {e}");
            ExitCode::from(1)
        }
    }
}

/// The addresses to announce: each host of every network with `--deaggregate-networks`,
/// then rotated so that the `--start-ip`-th comes first. At most `ip::MAX_HOSTS` in all.
pub fn announced(ips: &[Net], deaggregate: bool, start_ip: i64) -> Result<Vec<Net>, NetError> {
    let mut list = Vec::new();
    if deaggregate {
        for net in ips {
            if list.len() as u128 + net.size() > ip::MAX_HOSTS {
                return Err(NetError::TooLarge(net.to_string()));
            }
            list.extend(net.hosts()?);
        }
    } else {
        list.extend_from_slice(ips);
    }
    if let Ok(len) = i64::try_from(list.len()) {
        if len > 0 {
            let shift = usize::try_from(start_ip.rem_euclid(len)).unwrap_or(0);
            list.rotate_left(shift);
        }
    }
    Ok(list)
}

/// Changes group then user, as ExaBGP does after setting up the addresses.
fn drop_privileges(options: &Options) -> Result<(), Error> {
    for (group, name) in [(true, &options.group), (false, &options.user)] {
        let Some(name) = name else { continue };
        let id = crate::daemon::privileges::lookup_id(name, group)
            .map_err(|error| Error::Privileges {
                group,
                name: name.clone(),
                error,
            })?
            .ok_or_else(|| Error::UnknownName {
                group,
                name: name.clone(),
            })?;
        ::log::debug!(
            target: "healthcheck",
            "Dropping privileges to {} {name}/{id}",
            if group { "group" } else { "user" }
        );
        crate::sys::set_ids(id, group).map_err(|error| Error::Privileges {
            group,
            name: name.clone(),
            error,
        })?;
    }
    Ok(())
}

fn run(options: &Options) -> Result<Ending, Error> {
    if let Some(path) = &options.pid {
        std::fs::write(path, format!("{}\n", std::process::id())).map_err(|error| Error::Pid {
            path: path.clone(),
            error,
        })?;
    }
    let setup = Setup {
        ifnames: options.ip_ifnames().map_err(Error::Options)?,
        label: options.label.clone(),
        label_exact_match: options.label_exact_match,
        sudo: options.sudo,
    };
    let ips = if options.ips.is_empty() {
        let loopback = Setup {
            ifnames: Vec::new(),
            ..setup.clone()
        };
        loopback.system_ips(false).map_err(Error::Ip)?
    } else {
        options.ips.clone()
    };
    if ips.is_empty() {
        return Err(Error::NoIp);
    }
    if options.ip_setup {
        setup.setup(&ips).map_err(Error::Ip)?;
    }
    drop_privileges(options)?;
    let ips =
        announced(&ips, options.deaggregate_networks, options.start_ip).map_err(Error::Net)?;
    let mut host = host::System::new(options, ips.clone(), setup)?;
    machine::run(options, &ips, &mut host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<Net> {
        list.iter().map(|t| Net::parse(t).expect("net")).collect()
    }

    fn text(list: &[Net]) -> Vec<String> {
        list.iter().map(Net::to_string).collect()
    }

    #[test]
    fn announced_addresses_are_deaggregated_then_rotated() {
        let ips = nets(&["10.0.0.0/31", "192.0.2.1/32"]);
        assert_eq!(
            text(&announced(&ips, false, 0).expect("ok")),
            ["10.0.0.0/31", "192.0.2.1/32"]
        );
        assert_eq!(
            text(&announced(&ips, true, 1).expect("ok")),
            ["10.0.0.1/32", "192.0.2.1/32", "10.0.0.0/32"]
        );
        // Python's deque.rotate(-n): negative and large values wrap around.
        assert_eq!(
            text(&announced(&ips, true, -1).expect("ok")),
            ["192.0.2.1/32", "10.0.0.0/32", "10.0.0.1/32"]
        );
        assert_eq!(
            text(&announced(&ips, true, 4).expect("ok")),
            ["10.0.0.1/32", "192.0.2.1/32", "10.0.0.0/32"]
        );
        assert!(announced(&nets(&["2001:db8::/64"]), true, 0).is_err());
    }
}
