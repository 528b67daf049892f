//! socket: TCP sockets as BGP wants them — listeners (SO_REUSEADDR, IPV6_V6ONLY), outgoing
//! non-blocking connects from a local address, NODELAY, MD5 keys and TTL security when asked.

use std::io;
use std::net::{IpAddr, SocketAddr};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::sys;

/// ExaBGP's `exabgp.tcp.port` default.
pub const BGP_PORT: u16 = 179;

/// A TCP MD5 signature key (RFC 2385), at most 80 bytes, stored inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Md5Key {
    bytes: [u8; sys::MD5_MAX_KEY_LEN],
    len: u8,
}

impl Md5Key {
    /// `None` when the key is empty or longer than the kernel accepts.
    pub fn new(key: &[u8]) -> Option<Md5Key> {
        if key.is_empty() || key.len() > sys::MD5_MAX_KEY_LEN {
            return None;
        }
        let mut bytes = [0u8; sys::MD5_MAX_KEY_LEN];
        bytes.get_mut(..key.len())?.copy_from_slice(key);
        Some(Md5Key {
            bytes,
            len: key.len() as u8,
        })
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl std::fmt::Debug for Md5Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Md5Key(<hidden>)")
    }
}

/// Per-connection socket options; each is applied only when set (ExaBGP's trap: options set
/// unconditionally broke kernels without MD5 support).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// `md5-password`: sign every segment with this key.
    pub md5: Option<Md5Key>,
    /// `tcp-ao`: authenticate every segment with this master key (RFC 5925).
    pub ao: Option<sys::tcp_ao::AoKey>,
    /// `outgoing-ttl`: TTL / hop limit of the packets we send.
    pub outgoing_ttl: Option<u8>,
    /// `incoming-ttl`: drop packets arriving with a lower TTL / hop limit (GTSM).
    pub incoming_min_ttl: Option<u8>,
}

/// An outgoing connection an endpoint asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectRequest {
    /// Bind to this local address first (port chosen by the kernel); `None` = any.
    pub local: Option<IpAddr>,
    /// The peer's address and port (normally 179).
    pub remote: SocketAddr,
    /// Options for the connecting socket.
    pub options: TcpOptions,
}

/// A failed socket call: which syscall (or option), for which peer, and the kernel's error.
#[derive(Debug)]
pub struct SocketError {
    /// The peer (or, for a listener, the bind address) concerned.
    pub address: SocketAddr,
    /// The syscall or socket option that failed, e.g. "connect" or "setsockopt(TCP_MD5SIG)".
    pub call: &'static str,
    /// The error exactly as the kernel reported it.
    pub error: io::Error,
}

impl std::fmt::Display for SocketError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} failed: {}", self.address, self.call, self.error)
    }
}

impl std::error::Error for SocketError {}

fn failed(address: SocketAddr, call: &'static str) -> impl FnOnce(io::Error) -> SocketError {
    move |error| SocketError {
        address,
        call,
        error,
    }
}

fn option_failed(address: SocketAddr) -> impl FnOnce(sys::OptionError) -> SocketError {
    move |error| match error {
        sys::OptionError::Kernel { option, error } => SocketError {
            address,
            call: option,
            error,
        },
        sys::OptionError::KeyTooLong(_) => SocketError {
            address,
            call: "TCP_MD5SIG",
            error: io::Error::new(io::ErrorKind::InvalidInput, error.to_string()),
        },
    }
}

fn ao_failed(address: SocketAddr) -> impl FnOnce(sys::tcp_ao::AoError) -> SocketError {
    move |error| SocketError {
        address,
        call: "setsockopt(TCP_AO_ADD_KEY)",
        error: match error {
            sys::tcp_ao::AoError::Kernel(error) => error,
            other => io::Error::new(io::ErrorKind::Unsupported, other.to_string()),
        },
    }
}

fn domain_of(address: &SocketAddr) -> Domain {
    if address.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    }
}

/// Connections the kernel completes and queues before the loop accepts them (capped by
/// `net.core.somaxconn`). A thousand peers connecting at once must not overflow it: a
/// dropped SYN is only retried a second later.
pub const LISTEN_BACKLOG: i32 = 1024;

/// Opens a non-blocking listener on `address` (SO_REUSEADDR; IPV6_V6ONLY for IPv6).
pub fn listen(address: SocketAddr) -> Result<mio::net::TcpListener, SocketError> {
    let socket = Socket::new(domain_of(&address), Type::STREAM, Some(Protocol::TCP))
        .map_err(failed(address, "socket"))?;
    socket
        .set_reuse_address(true)
        .map_err(failed(address, "setsockopt(SO_REUSEADDR)"))?;
    if address.is_ipv6() {
        socket
            .set_only_v6(true)
            .map_err(failed(address, "setsockopt(IPV6_V6ONLY)"))?;
    }
    socket
        .set_nonblocking(true)
        .map_err(failed(address, "fcntl(O_NONBLOCK)"))?;
    socket
        .bind(&SockAddr::from(address))
        .map_err(failed(address, "bind"))?;
    socket
        .listen(LISTEN_BACKLOG)
        .map_err(failed(address, "listen"))?;
    Ok(mio::net::TcpListener::from_std(socket.into()))
}

/// Accepts connections from `peer` signed with `key` on this listener (RFC 2385).
pub fn set_listener_md5(
    listener: &mio::net::TcpListener,
    peer: IpAddr,
    key: &Md5Key,
) -> Result<(), SocketError> {
    let local = listener
        .local_addr()
        .map_err(failed(SocketAddr::new(peer, 0), "getsockname"))?;
    if local.is_ipv6() != peer.is_ipv6() {
        return Ok(());
    }
    sys::set_tcp_md5(listener, peer, key.as_bytes())
        .map_err(option_failed(SocketAddr::new(peer, 0)))
}

/// Accepts connections from `peer` authenticated with `key` on this listener (RFC 5925):
/// the connections it accepts inherit the key.
pub fn set_listener_ao(
    listener: &mio::net::TcpListener,
    peer: IpAddr,
    key: &sys::tcp_ao::AoKey,
) -> Result<(), SocketError> {
    let local = listener
        .local_addr()
        .map_err(failed(SocketAddr::new(peer, 0), "getsockname"))?;
    if local.is_ipv6() != peer.is_ipv6() {
        return Ok(());
    }
    sys::tcp_ao::add_key(listener, peer, key).map_err(ao_failed(SocketAddr::new(peer, 0)))
}

fn apply_options(
    socket: &Socket,
    remote: SocketAddr,
    options: &TcpOptions,
) -> Result<(), SocketError> {
    if let Some(key) = &options.md5 {
        sys::set_tcp_md5(socket, remote.ip(), key.as_bytes()).map_err(option_failed(remote))?;
    }
    if let Some(key) = &options.ao {
        sys::tcp_ao::add_key(socket, remote.ip(), key).map_err(ao_failed(remote))?;
    }
    if let Some(ttl) = options.outgoing_ttl {
        if remote.is_ipv6() {
            socket
                .set_unicast_hops_v6(u32::from(ttl))
                .map_err(failed(remote, "setsockopt(IPV6_UNICAST_HOPS)"))?;
        } else {
            socket
                .set_ttl(u32::from(ttl))
                .map_err(failed(remote, "setsockopt(IP_TTL)"))?;
        }
    }
    if let Some(min) = options.incoming_min_ttl {
        sys::set_min_ttl(socket, remote.is_ipv6(), min).map_err(option_failed(remote))?;
    }
    Ok(())
}

/// Starts a non-blocking connect as `request` says; completion is signalled by writability.
pub fn connect(request: &ConnectRequest) -> Result<mio::net::TcpStream, SocketError> {
    let remote = request.remote;
    let socket = Socket::new(domain_of(&remote), Type::STREAM, Some(Protocol::TCP))
        .map_err(failed(remote, "socket"))?;
    socket
        .set_nonblocking(true)
        .map_err(failed(remote, "fcntl(O_NONBLOCK)"))?;
    socket
        .set_nodelay(true)
        .map_err(failed(remote, "setsockopt(TCP_NODELAY)"))?;
    apply_options(&socket, remote, &request.options)?;
    if let Some(local) = request.local {
        socket
            .set_reuse_address(true)
            .map_err(failed(remote, "setsockopt(SO_REUSEADDR)"))?;
        socket
            .bind(&SockAddr::from(SocketAddr::new(local, 0)))
            .map_err(failed(remote, "bind"))?;
    }
    match socket.connect(&SockAddr::from(remote)) {
        Ok(()) => {}
        Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(error) => {
            return Err(SocketError {
                address: remote,
                call: "connect",
                error,
            })
        }
    }
    Ok(mio::net::TcpStream::from_std(socket.into()))
}

/// Prepares an accepted socket: NODELAY and the endpoint's TTL options.
pub fn prepare_accepted(
    stream: &mio::net::TcpStream,
    remote: SocketAddr,
    options: &TcpOptions,
) -> Result<(), SocketError> {
    stream
        .set_nodelay(true)
        .map_err(failed(remote, "setsockopt(TCP_NODELAY)"))?;
    let socket = socket2::SockRef::from(stream);
    // The keys came with the listener; only the TTL options are per connection.
    let ttl_only = TcpOptions {
        md5: None,
        ao: None,
        ..*options
    };
    apply_options(&socket, remote, &ttl_only)
}

/// Whether a non-blocking connect has finished: `Ok(Some(local))` when connected,
/// `Ok(None)` while still in progress, or the error the kernel reported for it.
pub fn connect_result(
    stream: &mio::net::TcpStream,
    remote: SocketAddr,
) -> Result<Option<SocketAddr>, SocketError> {
    if let Some(error) = stream
        .take_error()
        .map_err(failed(remote, "getsockopt(SO_ERROR)"))?
    {
        return Err(SocketError {
            address: remote,
            call: "connect",
            error,
        });
    }
    match stream.peer_addr() {
        Ok(_) => stream
            .local_addr()
            .map(Some)
            .map_err(failed(remote, "getsockname")),
        Err(error) if error.kind() == io::ErrorKind::NotConnected => Ok(None),
        Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => Ok(None),
        Err(error) => Err(SocketError {
            address: remote,
            call: "connect",
            error,
        }),
    }
}

/// True when this kernel supports TCP_MD5SIG (tests skip MD5 cases when it does not).
pub fn kernel_has_md5() -> bool {
    let Ok(socket) = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)) else {
        return false;
    };
    sys::set_tcp_md5(&socket, IpAddr::from([127, 0, 0, 1]), b"probe").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_keys_are_bounded_and_hidden() {
        assert!(Md5Key::new(b"").is_none());
        assert!(Md5Key::new(&[1; 81]).is_none());
        let key = Md5Key::new(b"secret").unwrap();
        assert_eq!(key.as_bytes(), b"secret");
        assert!(!format!("{key:?}").contains("secret"));
    }

    #[test]
    fn connect_refused_reports_the_syscall_and_peer() {
        // A port nobody listens on: the error arrives either at once or via SO_ERROR.
        let listener = std::net::TcpListener::bind("127.0.0.31:0").unwrap();
        let remote = listener.local_addr().unwrap();
        drop(listener);
        let request = ConnectRequest {
            local: None,
            remote,
            options: TcpOptions::default(),
        };
        let error = match connect(&request) {
            Err(error) => error,
            Ok(stream) => {
                let mut result = connect_result(&stream, remote);
                for _ in 0..200 {
                    if !matches!(result, Ok(None)) {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    result = connect_result(&stream, remote);
                }
                result.expect_err("a refused connect must fail")
            }
        };
        assert_eq!(error.call, "connect");
        let text = error.to_string();
        assert!(
            text.starts_with(&format!("{remote}: connect failed: ")),
            "{text}"
        );
    }

    #[test]
    fn listeners_bind_v4_and_v6_with_reuse() {
        let v4 = listen("127.0.0.32:0".parse().unwrap()).unwrap();
        let address = v4.local_addr().unwrap();
        drop(v4);
        listen(address).expect("SO_REUSEADDR allows an immediate rebind");
        if let Ok(v6) = listen("[::1]:0".parse().unwrap()) {
            let socket = socket2::SockRef::from(&v6);
            assert!(socket.only_v6().unwrap());
        }
    }

    #[test]
    fn the_listen_queue_holds_hundreds_of_unaccepted_connections() {
        let somaxconn: usize = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(128);
        // More than the old backlog of 128, within what the kernel allows.
        let count = somaxconn.min(LISTEN_BACKLOG as usize).min(400) - 1;
        let listener = listen("127.0.0.33:0".parse().unwrap()).unwrap();
        let address = listener.local_addr().unwrap();
        let mut clients = Vec::new();
        for n in 0..count {
            // Well under the kernel's 1 s SYN retry: a full queue would make this fail.
            let client = std::net::TcpStream::connect_timeout(
                &address,
                std::time::Duration::from_millis(500),
            )
            .unwrap_or_else(|e| panic!("connection {n} of {count} not queued: {e}"));
            clients.push(client);
        }
        assert_eq!(clients.len(), count);
    }
}
