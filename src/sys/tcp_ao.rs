//! TCP-AO (RFC 5925) through Linux's socket options (Linux ≥ 6.7 built with CONFIG_TCP_AO):
//! the uapi `struct tcp_ao_add`, adding a peer's master key to a socket, and the kernel probe.
//!
//! A kernel without TCP-AO answers `ENOPROTOOPT`; rexa then refuses the neighbor rather than
//! run the session unauthenticated.

use std::io;
use std::mem;
use std::net::IpAddr;
use std::os::fd::AsRawFd;

/// `TCP_AO_ADD_KEY` (include/uapi/linux/tcp.h).
pub const TCP_AO_ADD_KEY: libc::c_int = 38;
/// Longest master key the kernel takes (`TCP_AO_MAXKEYLEN`).
pub const TCP_AO_MAX_KEY_LEN: usize = 80;
/// The MAC length of the RFC 5926 algorithms (96 bits), used for every algorithm.
pub const MAC_LEN: u8 = 12;

/// Linux `struct tcp_ao_add` (uapi, Linux 6.7), 8-byte aligned, 288 bytes.
#[repr(C, align(8))]
struct TcpAoAdd {
    addr: libc::sockaddr_storage,
    alg_name: [u8; 64],
    ifindex: i32,
    /// `set_current:1, set_rnext:1, reserved:30` (bit 0 and 1 on little-endian targets).
    flags: u32,
    reserved2: u16,
    prefix: u8,
    sndid: u8,
    rcvid: u8,
    maclen: u8,
    keyflags: u8,
    keylen: u8,
    key: [u8; TCP_AO_MAX_KEY_LEN],
}

/// `set_current` and `set_rnext` as the C bit-field lays them out.
const fn key_flags() -> u32 {
    if cfg!(target_endian = "little") {
        0b11
    } else {
        0b11 << 30
    }
}

/// One master key tuple for a peer (RFC 5925 §3.1): the kernel algorithm name, the key id
/// used for both directions (ExaBGP's `keyid`), and the key bytes (at most 80).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AoKey {
    /// The kernel crypto name: `hmac(sha1)`, `cmac(aes128)` or `hmac(sha256)`.
    pub algorithm: &'static str,
    pub key_id: u8,
    key: [u8; TCP_AO_MAX_KEY_LEN],
    len: u8,
}

impl AoKey {
    /// `None` when `key` is empty or longer than the kernel's 80 bytes.
    pub fn new(algorithm: &'static str, key_id: u8, key: &[u8]) -> Option<AoKey> {
        if key.is_empty() || key.len() > TCP_AO_MAX_KEY_LEN {
            return None;
        }
        let mut bytes = [0; TCP_AO_MAX_KEY_LEN];
        bytes[..key.len()].copy_from_slice(key);
        Some(AoKey {
            algorithm,
            key_id,
            key: bytes,
            len: key.len() as u8,
        })
    }

    pub fn key(&self) -> &[u8] {
        &self.key[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for AoKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AoKey({}, id {}, <hidden>)", self.algorithm, self.key_id)
    }
}

/// Why a TCP-AO key could not be set.
#[derive(Debug)]
pub enum AoError {
    /// The kernel has no TCP-AO (`ENOPROTOOPT`).
    Unsupported,
    /// The kernel refused the key; its error verbatim.
    Kernel(io::Error),
}

impl std::fmt::Display for AoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AoError::Unsupported => f.write_str(
                "this kernel has no TCP-AO (it needs Linux 6.7 or later built with \
                 CONFIG_TCP_AO=y; setsockopt(TCP_AO_ADD_KEY) answered ENOPROTOOPT)",
            ),
            AoError::Kernel(error) => write!(f, "setsockopt(TCP_AO_ADD_KEY): {error}"),
        }
    }
}

impl std::error::Error for AoError {}

fn request(peer: IpAddr, key: &AoKey) -> TcpAoAdd {
    // SAFETY: every field of this plain C struct is valid when zeroed.
    let mut add: TcpAoAdd = unsafe { mem::zeroed() };
    let prefix = match peer {
        IpAddr::V4(v4) => {
            // SAFETY: sockaddr_storage is large enough and suitably aligned for sockaddr_in.
            let sin = unsafe {
                &mut *(&mut add.addr as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>()
            };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_addr.s_addr = u32::from_ne_bytes(v4.octets());
            32
        }
        IpAddr::V6(v6) => {
            // SAFETY: as above, for sockaddr_in6.
            let sin6 = unsafe {
                &mut *(&mut add.addr as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_addr.s6_addr = v6.octets();
            128
        }
    };
    let name = key.algorithm.as_bytes();
    add.alg_name[..name.len().min(63)].copy_from_slice(&name[..name.len().min(63)]);
    add.flags = key_flags();
    add.prefix = prefix;
    add.sndid = key.key_id;
    add.rcvid = key.key_id;
    add.maclen = MAC_LEN;
    add.keylen = key.len;
    add.key = key.key;
    add
}

/// Adds `key` for `peer` to `socket` (a listener's keys are inherited by the connections it
/// accepts), as the current key for sending and the one asked of the peer.
pub fn add_key(socket: &impl AsRawFd, peer: IpAddr, key: &AoKey) -> Result<(), AoError> {
    let add = request(peer, key);
    // SAFETY: `add` is a valid, initialised struct tcp_ao_add for the call, and the length
    // passed is its exact size; the kernel only reads it.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            TCP_AO_ADD_KEY,
            (&add as *const TcpAoAdd).cast(),
            mem::size_of::<TcpAoAdd>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    if error.raw_os_error() == Some(libc::ENOPROTOOPT) {
        Err(AoError::Unsupported)
    } else {
        Err(AoError::Kernel(error))
    }
}

/// Tries `key` for `peer` on a fresh TCP socket of the peer's family: whether this kernel
/// will authenticate that neighbor's sessions.
pub fn probe(peer: IpAddr, key: &AoKey) -> Result<(), AoError> {
    let domain = match peer {
        IpAddr::V4(_) => socket2::Domain::IPV4,
        IpAddr::V6(_) => socket2::Domain::IPV6,
    };
    let socket =
        socket2::Socket::new(domain, socket2::Type::STREAM, None).map_err(AoError::Kernel)?;
    add_key(&socket, peer, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout of `struct tcp_ao_add` in include/uapi/linux/tcp.h (Linux 6.7).
    #[test]
    fn the_request_has_the_kernel_layout() {
        assert_eq!(mem::size_of::<TcpAoAdd>(), 288);
        assert_eq!(mem::align_of::<TcpAoAdd>(), 8);
        assert_eq!(mem::offset_of!(TcpAoAdd, alg_name), 128);
        assert_eq!(mem::offset_of!(TcpAoAdd, ifindex), 192);
        assert_eq!(mem::offset_of!(TcpAoAdd, flags), 196);
        assert_eq!(mem::offset_of!(TcpAoAdd, reserved2), 200);
        assert_eq!(mem::offset_of!(TcpAoAdd, prefix), 202);
        assert_eq!(mem::offset_of!(TcpAoAdd, sndid), 203);
        assert_eq!(mem::offset_of!(TcpAoAdd, rcvid), 204);
        assert_eq!(mem::offset_of!(TcpAoAdd, maclen), 205);
        assert_eq!(mem::offset_of!(TcpAoAdd, keyflags), 206);
        assert_eq!(mem::offset_of!(TcpAoAdd, keylen), 207);
        assert_eq!(mem::offset_of!(TcpAoAdd, key), 208);
    }

    #[test]
    fn requests_carry_the_peer_key_and_ids() {
        let key = AoKey::new("hmac(sha1)", 7, b"secret").unwrap();
        let add = request("192.0.2.1".parse().unwrap(), &key);
        assert_eq!(add.addr.ss_family, libc::AF_INET as libc::sa_family_t);
        assert_eq!(&add.alg_name[..11], b"hmac(sha1)\0");
        assert_eq!(
            (add.prefix, add.sndid, add.rcvid, add.maclen),
            (32, 7, 7, 12)
        );
        assert_eq!(&add.key[..add.keylen as usize], b"secret");
        assert_eq!(add.flags, key_flags());
        let add = request("2001:db8::1".parse().unwrap(), &key);
        assert_eq!(add.addr.ss_family, libc::AF_INET6 as libc::sa_family_t);
        assert_eq!(add.prefix, 128);
        assert!(AoKey::new("hmac(sha1)", 7, &[0; 81]).is_none());
        assert!(AoKey::new("hmac(sha1)", 7, b"").is_none());
        assert_eq!(format!("{key:?}"), "AoKey(hmac(sha1), id 7, <hidden>)");
    }

    /// Where the kernel lacks TCP-AO (as on the development and CI machines) the probe says
    /// so; where it has it, the key is taken.
    #[test]
    fn the_probe_tells_whether_the_kernel_has_tcp_ao() {
        let key = AoKey::new("hmac(sha1)", 1, b"secret").unwrap();
        match probe("127.0.0.1".parse().unwrap(), &key) {
            Ok(()) => eprintln!("this kernel has TCP-AO"),
            Err(AoError::Unsupported) => eprintln!("this kernel has no TCP-AO"),
            Err(other) => panic!("unexpected answer: {other}"),
        }
    }
}
