//! sys: the only `unsafe` code in rexa — thin, checked wrappers over libc calls that std,
//! mio and socket2 do not offer (TCP MD5, TCP-AO, minimum TTL, raise, waitpid, clock, fd limit,
//! poll, user and group ids, privilege drop, umask, daemonising, unix-socket peer credentials).

#![allow(unsafe_code)]

pub mod tcp_ao;

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
    fn waits_time_out() {
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

/// The process's real and effective user and group ids, as `(uid, euid, gid, egid)`.
pub fn ids() -> (u32, u32, u32, u32) {
    // SAFETY: these calls have no preconditions and cannot fail.
    unsafe {
        (
            libc::getuid(),
            libc::geteuid(),
            libc::getgid(),
            libc::getegid(),
        )
    }
}

/// Why [`drop_privileges`] failed: the step and the kernel's error, or a check after it.
#[derive(Debug)]
pub enum DropError {
    /// `setgroups`, `setgid` or `setuid` failed.
    Call {
        call: &'static str,
        error: io::Error,
    },
    /// The ids after the switch are not the ones asked for.
    IdsDiffer {
        expected: (u32, u32),
        found: (u32, u32, u32, u32),
    },
    /// `setuid(0)` succeeded after the switch: root could be regained.
    RootRegained,
}

impl std::fmt::Display for DropError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DropError::Call { call, error } => write!(f, "{call}: {error}"),
            DropError::IdsDiffer { expected, found } => write!(
                f,
                "after the switch uid/euid/gid/egid are {}/{}/{}/{}, expected uid {} gid {}",
                found.0, found.1, found.2, found.3, expected.0, expected.1
            ),
            DropError::RootRegained => {
                write!(f, "root privileges could be regained after the switch")
            }
        }
    }
}

impl std::error::Error for DropError {}

/// Switches the whole process to `uid`/`gid` for good: supplementary groups cleared, then the
/// group, then the user (the order that leaves no privilege to drop the next one), then checks
/// the real and effective ids and that `setuid(0)` is refused.
pub fn drop_privileges(uid: u32, gid: u32) -> Result<(), DropError> {
    let call = |name: &'static str, rc: libc::c_int| {
        if rc == 0 {
            Ok(())
        } else {
            Err(DropError::Call {
                call: name,
                error: io::Error::last_os_error(),
            })
        }
    };
    // SAFETY: setgroups with a zero count reads no memory; setgid/setuid have no
    // memory-safety preconditions. rexa has one thread, so the switch covers the process.
    call("setgroups", unsafe { libc::setgroups(0, std::ptr::null()) })?;
    call("setgid", unsafe { libc::setgid(gid) })?;
    call("setuid", unsafe { libc::setuid(uid) })?;
    let found = ids();
    if found != (uid, uid, gid, gid) {
        return Err(DropError::IdsDiffer {
            expected: (uid, gid),
            found,
        });
    }
    // SAFETY: as above; this call must fail for an unprivileged uid.
    if uid != 0 && unsafe { libc::setuid(0) } == 0 {
        return Err(DropError::RootRegained);
    }
    Ok(())
}

/// Sets the file-creation mask; returns the previous one.
pub fn set_umask(mask: u32) -> u32 {
    // SAFETY: umask has no preconditions and cannot fail.
    unsafe { libc::umask((mask & 0o777) as libc::mode_t) as u32 }
}

/// Whether process `pid` exists (signal 0; a process we may not signal counts as alive).
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks for existence and permission.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The parent's process id.
pub fn parent_pid() -> u32 {
    // SAFETY: getppid has no preconditions and cannot fail.
    unsafe { libc::getppid() as u32 }
}

/// Whether descriptor `fd` is a socket (stdin under inetd or systemd socket activation).
pub fn is_socket(fd: RawFd) -> bool {
    // SAFETY: fstat writes into a zeroed, correctly sized stat buffer.
    let mut stat: libc::stat = unsafe { mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut stat) } != 0 {
        return false;
    }
    stat.st_mode & libc::S_IFMT == libc::S_IFSOCK
}

/// Detaches into the background: fork (the parent exits 0), `setsid`, fork again (so the
/// daemon can never regain a terminal), `chdir("/")`, and stdin/stdout/stderr on /dev/null.
/// Only the grandchild returns. Call it while the process has one thread.
pub fn daemonize() -> io::Result<()> {
    fn fork_and_leave() -> io::Result<()> {
        // SAFETY: the process is single-threaded; the parent leaves with _exit, running no
        // destructors or atexit handlers that the child still owns.
        match unsafe { libc::fork() } {
            -1 => Err(io::Error::last_os_error()),
            0 => Ok(()),
            _ => unsafe { libc::_exit(0) },
        }
    }
    fork_and_leave()?;
    // SAFETY: setsid has no preconditions; it fails only for a group leader, which the
    // child of a fork is not.
    if unsafe { libc::setsid() } == -1 {
        return Err(io::Error::last_os_error());
    }
    fork_and_leave()?;
    std::env::set_current_dir("/")?;
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    for fd in 0..3 {
        // SAFETY: dup2 onto the standard descriptors of a file we hold open.
        if unsafe { libc::dup2(null.as_raw_fd(), fd) } == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Sets or clears `FD_CLOEXEC` on `fd`: cleared only around the spawn of a child that must
/// inherit the descriptor (the CLI bridge), then set again.
/// A descriptor that is not open gives `EBADF`, nothing worse.
pub fn set_cloexec(fd: RawFd, on: bool) -> io::Result<()> {
    // SAFETY: fcntl F_GETFD/F_SETFD on a descriptor we own reads and writes only its flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags == -1 {
        return Err(io::Error::last_os_error());
    }
    let flags = if on {
        flags | libc::FD_CLOEXEC
    } else {
        flags & !libc::FD_CLOEXEC
    };
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, flags) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Takes ownership of descriptor `fd`, inherited from the parent process, after checking
/// that it is open (and marking it close-on-exec, as every descriptor of ours is).
pub fn adopt_inherited_fd(fd: RawFd) -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    if fd < 3 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "descriptors 0-2 are stdio, not inherited pipes",
        ));
    }
    // SAFETY: F_GETFD only queries the descriptor table; -1 means it is not open.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the descriptor is open, was handed to this process to own, and nothing else in
    // it refers to it (the variable naming it is read once, at start).
    let owned = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    set_cloexec(owned.as_raw_fd(), true)?;
    Ok(owned)
}

/// The local wall-clock time of day `(hours, minutes, seconds)`, for log lines; `None` if
/// the C library cannot tell it.
pub fn local_time_of_day() -> Option<(u8, u8, u8)> {
    // SAFETY: time(NULL) has no preconditions; localtime_r writes only into `tm`, a zeroed,
    // correctly sized struct we own.
    let now = unsafe { libc::time(std::ptr::null_mut()) };
    let mut tm: libc::tm = unsafe { mem::zeroed() };
    if unsafe { libc::localtime_r(&now, &mut tm) }.is_null() {
        return None;
    }
    let part = |v: libc::c_int| u8::try_from(v).ok();
    Some((part(tm.tm_hour)?, part(tm.tm_min)?, part(tm.tm_sec)?))
}

/// The credentials of the process at the other end of a connected unix socket, as the kernel
/// recorded them when it connected (`SO_PEERCRED`): `(pid, uid, gid)`.
pub fn peer_credentials(socket: &impl AsRawFd) -> io::Result<(u32, u32, u32)> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into the correctly sized `cred`.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    if len as usize != mem::size_of::<libc::ucred>() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "SO_PEERCRED returned a short answer",
        ));
    }
    Ok((cred.pid.max(0) as u32, cred.uid, cred.gid))
}
