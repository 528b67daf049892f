//! notify: systemd's `sd_notify` protocol by hand — one datagram to `$NOTIFY_SOCKET`
//! (a path, or an abstract name starting with '@'); nothing happens when it is unset.
//! Also the watchdog period from `$WATCHDOG_USEC`/`$WATCHDOG_PID` (the reactor sends it).

use std::io;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// The life-cycle states rexa reports to systemd (`Type=notify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Listening and running: `READY=1`.
    Ready,
    /// A configuration reload has started: `RELOADING=1` (with `MONOTONIC_USEC`).
    Reloading,
    /// Shutting down: `STOPPING=1`.
    Stopping,
    /// Alive (`WatchdogSec=`): `WATCHDOG=1`.
    Watchdog,
}

/// How often `WATCHDOG=1` is sent for the service manager's `WATCHDOG_USEC` and
/// `WATCHDOG_PID` values (`our_pid`: this process): half the interval, as sd_watchdog_enabled(3)
/// advises; `None` when no watchdog is asked for, it is meant for another process, or the
/// values are not numbers (a zero interval included).
pub fn watchdog_period(usec: Option<&str>, pid: Option<&str>, our_pid: u32) -> Option<Duration> {
    if let Some(pid) = pid {
        if pid.trim().parse::<u32>().ok()? != our_pid {
            return None;
        }
    }
    let usec = usec?.trim().parse::<u64>().ok().filter(|u| *u > 0)?;
    Some(Duration::from_micros(usec / 2).max(Duration::from_millis(1)))
}

/// [`watchdog_period`] of this process's environment; `None` without `$NOTIFY_SOCKET`.
pub fn watchdog_from_env() -> Option<Duration> {
    std::env::var_os("NOTIFY_SOCKET")?;
    let usec = std::env::var("WATCHDOG_USEC").ok();
    let pid = std::env::var("WATCHDOG_PID").ok();
    let period = watchdog_period(usec.as_deref(), pid.as_deref(), std::process::id());
    if usec.is_some() && period.is_none() {
        log::debug!("sd_notify: WATCHDOG_USEC set but not for this process: no watchdog");
    }
    period
}

/// Writes the datagram for `status` into `out` (reused, no allocation once grown).
pub fn format_status(status: Status, out: &mut String) {
    out.clear();
    match status {
        Status::Ready => out.push_str("READY=1"),
        Status::Reloading => {
            use std::fmt::Write;
            let _ = write!(
                out,
                "RELOADING=1\nMONOTONIC_USEC={}",
                crate::sys::monotonic_usec()
            );
        }
        Status::Stopping => out.push_str("STOPPING=1"),
        Status::Watchdog => out.push_str("WATCHDOG=1"),
    }
}

/// Sends `message` to the notification socket named `target` (path or `@abstract`).
pub fn send_to(target: &str, message: &str) -> io::Result<()> {
    let socket = UnixDatagram::unbound()?;
    if let Some(name) = target.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
        socket.send_to_addr(message.as_bytes(), &address)?;
    } else {
        socket.send_to(message.as_bytes(), target)?;
    }
    Ok(())
}

/// Tells systemd about `status` when `$NOTIFY_SOCKET` is set. Returns whether a datagram
/// was sent. Failures are logged, never fatal: a daemon must not die for its supervisor.
pub fn notify(status: Status) -> bool {
    let Some(target) = std::env::var_os("NOTIFY_SOCKET") else {
        return false;
    };
    let Some(target) = target.to_str() else {
        log::warn!("sd_notify: NOTIFY_SOCKET is not valid UTF-8, ignored");
        return false;
    };
    let mut message = String::new();
    format_status(status, &mut message);
    match send_to(target, &message) {
        Ok(()) => true,
        Err(error) => {
            log::warn!("sd_notify: sendto({target}) failed: {error}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_reaches_a_path_socket() {
        let dir = std::env::temp_dir().join(format!("rexa-notify-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let receiver = UnixDatagram::bind(&path).unwrap();
        let mut message = String::new();
        format_status(Status::Ready, &mut message);
        send_to(path.to_str().unwrap(), &message).unwrap();
        let mut buf = [0u8; 128];
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_dir(&dir);
    }

    #[test]
    fn reloading_reaches_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("rexa-notify-test-{}", std::process::id());
        let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let receiver = UnixDatagram::bind_addr(&address).unwrap();
        let mut message = String::new();
        format_status(Status::Reloading, &mut message);
        send_to(&format!("@{name}"), &message).unwrap();
        let mut buf = [0u8; 128];
        let n = receiver.recv(&mut buf).unwrap();
        let text = std::str::from_utf8(&buf[..n]).unwrap();
        assert!(text.starts_with("RELOADING=1\nMONOTONIC_USEC="), "{text}");
        format_status(Status::Stopping, &mut message);
        assert_eq!(message, "STOPPING=1");
        format_status(Status::Watchdog, &mut message);
        assert_eq!(message, "WATCHDOG=1");
    }

    #[test]
    fn the_watchdog_runs_at_half_the_interval_for_this_process_only() {
        let half = Some(Duration::from_secs(15));
        assert_eq!(watchdog_period(Some("30000000"), None, 42), half);
        assert_eq!(watchdog_period(Some("30000000"), Some("42"), 42), half);
        assert_eq!(watchdog_period(Some("30000000"), Some("41"), 42), None);
        assert_eq!(watchdog_period(Some("30000000"), Some("x"), 42), None);
        assert_eq!(watchdog_period(None, Some("42"), 42), None);
        assert_eq!(watchdog_period(Some("0"), None, 42), None);
        assert_eq!(watchdog_period(Some("-5"), None, 42), None);
        assert_eq!(
            watchdog_period(Some("1"), None, 42),
            Some(Duration::from_millis(1))
        );
    }
}
