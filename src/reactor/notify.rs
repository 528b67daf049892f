//! notify: systemd's `sd_notify` protocol by hand — one datagram to `$NOTIFY_SOCKET`
//! (a path, or an abstract name starting with '@'); nothing happens when it is unset.

use std::io;
use std::os::unix::net::UnixDatagram;

/// The life-cycle states rexa reports to systemd (`Type=notify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Listening and running: `READY=1`.
    Ready,
    /// A configuration reload has started: `RELOADING=1` (with `MONOTONIC_USEC`).
    Reloading,
    /// Shutting down: `STOPPING=1`.
    Stopping,
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
    }
}
