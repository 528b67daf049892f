//! sys: the only `unsafe` code in rexa — thin, checked wrappers over libc calls that std,
//! mio and socket2 do not offer (TCP MD5, minimum TTL, raise, waitpid, clock, fd limit, poll,
//! user and group ids).

use std::io;
use std::mem;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};

/// Longest key the kernel accepts in `struct tcp_md5sig` (TCP_MD5SIG_MAXKEYLEN).
pub const MD5_MAX_KEY_LEN: usize = 80;

/// Linux `struct tcp_md5sig` (include/uapi/linux/tcp.h); libc does not export it.
#[repr(C)]
struct TcpMd5Sig {
    addr: libc::sockaddr_storage,
    flags: u8,
    prefix_len: u8,
    key_len: u16,
    ifindex: libc::c_int,
    key: [u8; MD5_MAX_KEY_LEN],
}

/// Why a socket option could not be set: the key was unusable, or the kernel said no.
#[derive(Debug)]
pub enum OptionError {
    /// The MD5 key is longer than the kernel's 80-byte limit.
    KeyTooLong(usize),
    /// setsockopt failed; the kernel's error is kept verbatim.
    Kernel {
        option: &'static str,
        error: io::Error,
    },
}

impl std::fmt::Display for OptionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionError::KeyTooLong(len) => {
                write!(
                    f,
                    "md5 key of {len} bytes exceeds the kernel's {MD5_MAX_KEY_LEN}"
                )
            }
            OptionError::Kernel { option, error } => write!(f, "setsockopt({option}): {error}"),
        }
    }
}

impl std::error::Error for OptionError {}

fn setsockopt<T>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
    option: &'static str,
) -> Result<(), OptionError> {
    let len = mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` is a valid, initialised T for the duration of the call and `len` is its
    // exact size; the kernel only reads `len` bytes from it.
    let rc = unsafe { libc::setsockopt(fd, level, name, (value as *const T).cast(), len) };
    if rc == 0 {
        Ok(())
    } else {
        Err(OptionError::Kernel {
            option,
            error: io::Error::last_os_error(),
        })
    }
}

/// Installs (non-empty `key`) or removes (empty `key`) the TCP MD5 signature key (RFC 2385)
/// used with `peer` on this socket. On a listener it applies to connections from `peer`.
pub fn set_tcp_md5(socket: &impl AsRawFd, peer: IpAddr, key: &[u8]) -> Result<(), OptionError> {
    if key.len() > MD5_MAX_KEY_LEN {
        return Err(OptionError::KeyTooLong(key.len()));
    }
    let mut key_bytes = [0u8; MD5_MAX_KEY_LEN];
    if let Some(dst) = key_bytes.get_mut(..key.len()) {
        dst.copy_from_slice(key);
    }
    let sig = TcpMd5Sig {
        addr: socket2::SockAddr::from(SocketAddr::new(peer, 0)).as_storage(),
        flags: 0,
        prefix_len: 0,
        key_len: key.len() as u16,
        ifindex: 0,
        key: key_bytes,
    };
    setsockopt(
        socket.as_raw_fd(),
        libc::IPPROTO_TCP,
        libc::TCP_MD5SIG,
        &sig,
        "TCP_MD5SIG",
    )
}

/// Drops incoming packets whose TTL (IPv4) or hop limit (IPv6) is below `min` (GTSM, RFC 5082).
pub fn set_min_ttl(socket: &impl AsRawFd, ipv6: bool, min: u8) -> Result<(), OptionError> {
    let value = libc::c_int::from(min);
    if ipv6 {
        setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_MINHOPCOUNT,
            &value,
            "IPV6_MINHOPCOUNT",
        )
    } else {
        setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MINTTL,
            &value,
            "IP_MINTTL",
        )
    }
}

/// Sends `signal` to the calling thread (tests use it to exercise the signal path).
pub fn raise(signal: libc::c_int) -> io::Result<()> {
    // SAFETY: raise has no memory-safety preconditions.
    if unsafe { libc::raise(signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// How a reaped child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildExit {
    /// exit(code)
    Exited(i32),
    /// killed by this signal
    Signalled(i32),
}

/// Reaps one terminated child without blocking: `None` when no child has exited.
pub fn reap_child() -> Option<(u32, ChildExit)> {
    let mut status: libc::c_int = 0;
    // SAFETY: `status` is a valid out-pointer; WNOHANG makes the call non-blocking.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    if pid <= 0 {
        return None;
    }
    let exit = if libc::WIFSIGNALED(status) {
        ChildExit::Signalled(libc::WTERMSIG(status))
    } else {
        ChildExit::Exited(libc::WEXITSTATUS(status))
    };
    Some((pid as u32, exit))
}

/// Sends `signal` to process `pid` (helper-process shutdown).
pub fn kill(pid: u32, signal: libc::c_int) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "pid out of range"))?;
    // SAFETY: kill has no memory-safety preconditions.
    if unsafe { libc::kill(pid, signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sends `signal` to every process of the group `pgid` (a helper started in its own group).
pub fn kill_process_group(pgid: u32, signal: libc::c_int) -> io::Result<()> {
    let pgid = libc::pid_t::try_from(pgid)
        .ok()
        .filter(|pgid| *pgid > 1)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "process group out of range"))?;
    // SAFETY: killpg has no memory-safety preconditions; pgid > 1 never targets everything.
    if unsafe { libc::killpg(pgid, signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// CLOCK_MONOTONIC in microseconds, as systemd wants it in `MONOTONIC_USEC=` on reload.
pub fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_MONOTONIC always exists on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    if rc != 0 {
        return 0;
    }
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000).saturating_add(nanos / 1_000)
}

/// CPU time (user + system) used by this process so far: the idle-CPU measurement reads it
/// before and after a quiet period.
pub fn process_cpu_time() -> std::time::Duration {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { mem::zeroed() };
    // SAFETY: `usage` is a valid out-pointer for getrusage.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return std::time::Duration::ZERO;
    }
    let micros = |tv: libc::timeval| {
        let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
        let usecs = u64::try_from(tv.tv_usec).unwrap_or(0);
        secs.saturating_mul(1_000_000).saturating_add(usecs)
    };
    std::time::Duration::from_micros(micros(usage.ru_utime).saturating_add(micros(usage.ru_stime)))
}

/// Largest soft limit on open files asked for when the hard limit is unlimited
/// (Linux's default `fs.nr_open`).
const FD_LIMIT_CAP: u64 = 1 << 20;

/// The soft and hard limits on open files (RLIMIT_NOFILE).
pub fn fd_limit() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid out-pointer for getrlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

/// Raises the soft limit on open files to the hard limit: a daemon holding a thousand
/// sessions needs more descriptors than the usual soft limit of 1024. Returns the soft
/// limit before and after.
pub fn raise_fd_limit() -> io::Result<(u64, u64)> {
    let (soft, hard) = fd_limit()?;
    let wanted = hard.min(FD_LIMIT_CAP);
    if soft >= wanted {
        return Ok((soft, soft));
    }
    let limit = libc::rlimit {
        rlim_cur: wanted,
        rlim_max: hard,
    };
    // SAFETY: `limit` is a valid, initialised rlimit; setrlimit only reads it.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((soft, wanted))
}

/// Gives the allocator's free memory back to the system (glibc `malloc_trim`): after a
/// configuration load the parser's peak is freed but glibc keeps most of it mapped, which
/// would show as resident memory for the daemon's whole life. A no-op elsewhere.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointer.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Waits until one of `fds` is readable (or hung up), at most `timeout` (`None`: no limit).
/// Returns which are; all false on timeout. A signal ends the wait with `Interrupted`
/// (poll is never restarted). Level-triggered: the healthcheck's small blocking waits.
pub fn wait_readable(fds: &[RawFd], timeout: Option<std::time::Duration>) -> io::Result<Vec<bool>> {
    let mut polled: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: *fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let millis = timeout.map_or(-1, |t| {
        // Round up so a short positive wait does not become a busy zero-timeout poll.
        let ms = t.as_micros().div_ceil(1000);
        libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
    });
    let count = libc::nfds_t::try_from(polled.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "too many descriptors"))?;
    // SAFETY: `polled` is a valid array of `count` initialised pollfd entries that poll may
    // write `revents` into for the duration of the call.
    let rc = unsafe { libc::poll(polled.as_mut_ptr(), count, millis) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(polled.iter().map(|p| p.revents != 0).collect())
}

/// The numeric id of a user or group name, through the system's name service
/// (getpwnam_r / getgrnam_r): `None` when there is no such name.
pub fn lookup_id(name: &str, group: bool) -> io::Result<Option<u32>> {
    let c_name = std::ffi::CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "name contains NUL"))?;
    let mut buffer: Vec<libc::c_char> = vec![0; 16 * 1024];
    if group {
        // SAFETY: an all-zero group is a valid value of this plain C struct.
        let mut entry: libc::group = unsafe { mem::zeroed() };
        let mut found: *mut libc::group = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; `buffer` outlives it and its length
        // is passed; getgrnam_r writes only into `entry`, `buffer` and `found`.
        let rc = unsafe {
            libc::getgrnam_r(
                c_name.as_ptr(),
                &mut entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut found,
            )
        };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok((!found.is_null()).then_some(entry.gr_gid))
    } else {
        // SAFETY: an all-zero passwd is a valid value of this plain C struct.
        let mut entry: libc::passwd = unsafe { mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: as above, for getpwnam_r.
        let rc = unsafe {
            libc::getpwnam_r(
                c_name.as_ptr(),
                &mut entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut found,
            )
        };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok((!found.is_null()).then_some(entry.pw_uid))
    }
}

/// Sets the real, effective and saved group id (`group`) or user id.
pub fn set_ids(id: u32, group: bool) -> io::Result<()> {
    // SAFETY: setresgid/setresuid have no memory-safety preconditions.
    let rc = unsafe {
        if group {
            libc::setresgid(id, id, id)
        } else {
            libc::setresuid(id, id, id)
        }
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_to_ids_and_waits_time_out() {
        assert_eq!(lookup_id("root", false).unwrap(), Some(0));
        assert_eq!(lookup_id("root", true).unwrap(), Some(0));
        assert_eq!(lookup_id("no-such-user-rexa", false).unwrap(), None);
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let ready = wait_readable(&[a.as_raw_fd()], Some(std::time::Duration::ZERO)).unwrap();
        assert_eq!(ready, [false]);
    }

    #[test]
    fn md5_struct_has_the_kernel_layout() {
        assert_eq!(mem::size_of::<TcpMd5Sig>(), 216);
    }

    #[test]
    fn long_md5_key_is_refused_before_the_kernel() {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let key = [b'k'; 81];
        assert!(matches!(
            set_tcp_md5(&sock, "127.0.0.1".parse().unwrap(), &key),
            Err(OptionError::KeyTooLong(81))
        ));
    }

    #[test]
    fn cpu_time_grows_with_work() {
        let before = process_cpu_time();
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(process_cpu_time() > before);
    }

    #[test]
    fn fd_limit_is_raised_to_the_hard_limit() {
        let (before, after) = raise_fd_limit().unwrap();
        assert!(after >= before);
        let (soft, hard) = fd_limit().unwrap();
        assert_eq!(soft, after);
        assert_eq!(soft, hard.min(FD_LIMIT_CAP));
        // A second call has nothing left to do.
        assert_eq!(raise_fd_limit().unwrap(), (soft, soft));
    }

    #[test]
    fn monotonic_clock_advances() {
        let a = monotonic_usec();
        let b = monotonic_usec();
        assert!(a > 0 && b >= a);
    }
}
