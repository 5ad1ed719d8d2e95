//! The only `unsafe` in stdhttp: socket options and fd adoption that `std` has no API for.
//!
//! Each block calls one libc function on a file descriptor the caller owns, with arguments
//! that live for the duration of the call.

use std::io;
#[cfg(unix)]
use std::os::fd::RawFd;

#[cfg(unix)]
mod ffi {
    use std::os::raw::{c_int, c_void};
    extern "C" {
        pub fn setsockopt(
            fd: c_int,
            level: c_int,
            name: c_int,
            value: *const c_void,
            len: u32,
        ) -> c_int;
        pub fn listen(fd: c_int, backlog: c_int) -> c_int;
        pub fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int;
        pub fn bind(fd: c_int, addr: *const c_void, len: u32) -> c_int;
        pub fn connect(fd: c_int, addr: *const c_void, len: u32) -> c_int;
        pub fn shutdown(fd: c_int, how: c_int) -> c_int;
        pub fn recv(fd: c_int, buf: *mut c_void, len: usize, flags: c_int) -> isize;
        pub fn getsockopt(
            fd: c_int,
            level: c_int,
            name: c_int,
            value: *mut c_void,
            len: *mut u32,
        ) -> c_int;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    extern "C" {
        pub fn epoll_create1(flags: c_int) -> c_int;
        pub fn epoll_ctl(epfd: c_int, op: c_int, fd: c_int, event: *mut super::EpollEvent)
            -> c_int;
        pub fn epoll_wait(
            epfd: c_int,
            events: *mut super::EpollEvent,
            maxevents: c_int,
            timeout: c_int,
        ) -> c_int;
    }
}

/// `struct epoll_event` (packed on x86-64, as the kernel's).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[cfg_attr(target_arch = "x86_64", repr(C, packed))]
#[cfg_attr(not(target_arch = "x86_64"), repr(C))]
#[derive(Clone, Copy)]
pub(crate) struct EpollEvent {
    events: u32,
    data: u64,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
impl EpollEvent {
    pub const EMPTY: EpollEvent = EpollEvent { events: 0, data: 0 };

    /// The token the fd was registered with.
    pub fn token(&self) -> u64 {
        self.data
    }

    /// The peer closed (its half or all) or the socket failed: after the bytes that are
    /// there, reads come back with the end; no later event will say so again.
    pub fn closed(&self) -> bool {
        const EPOLLERR: u32 = 0x008;
        const EPOLLHUP: u32 = 0x010;
        const EPOLLRDHUP: u32 = 0x2000;
        let events = self.events;
        events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP) != 0
    }
}

/// The kernel's readiness set (epoll): connections wait here between requests, registered
/// once, edge-triggered (an event per arrival of bytes).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) struct Epoll {
    fd: std::os::fd::OwnedFd,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
impl Epoll {
    const CLOEXEC: i32 = 0o2_000_000;
    const CTL_ADD: i32 = 1;
    const CTL_DEL: i32 = 2;
    /// Readable, the peer's half-close, edge-triggered: reported once per arrival of bytes.
    const EDGE_READ: u32 = 0x001 | 0x2000 | (1 << 31);
    /// Readable, level-triggered (the wake-up fd every worker sees).
    const ALWAYS_READ: u32 = 0x001;

    pub fn new() -> io::Result<Epoll> {
        use std::os::fd::FromRawFd;
        // SAFETY: epoll_create1 takes only flags; a non-negative result is a new fd we own.
        let fd = unsafe { ffi::epoll_create1(Self::CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by epoll_create1 and nothing else owns it.
        Ok(Epoll {
            fd: unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) },
        })
    }

    fn ctl(&self, op: i32, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let mut ev = EpollEvent {
            events,
            data: token,
        };
        // SAFETY: both fds are open; `ev` is a live epoll_event for the duration of the call.
        let rc = unsafe { ffi::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut ev) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Watch `fd` for every arrival of bytes (or the peer's close), edge-triggered: no
    /// re-arming, and a reader must read until a read comes back short.
    pub fn add_edge(&self, fd: RawFd, token: u64) -> io::Result<()> {
        self.ctl(Self::CTL_ADD, fd, Self::EDGE_READ, token)
    }

    /// Watch `fd` for every wake-up while it is readable (never re-armed).
    pub fn add_always(&self, fd: RawFd, token: u64) -> io::Result<()> {
        self.ctl(Self::CTL_ADD, fd, Self::ALWAYS_READ, token)
    }

    /// Stop watching `fd`.
    pub fn remove(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(Self::CTL_DEL, fd, 0, 0)
    }

    /// Wait up to `timeout_ms` (-1: forever) for ready fds; how many `events` were filled.
    pub fn wait(&self, events: &mut [EpollEvent], timeout_ms: i32) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        let max = events.len().min(i32::MAX as usize) as i32;
        // SAFETY: `events` is a live, writable buffer of `max` epoll_event structs.
        let n =
            unsafe { ffi::epoll_wait(self.fd.as_raw_fd(), events.as_mut_ptr(), max, timeout_ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(0);
            }
            return Err(e);
        }
        Ok(n as usize)
    }
}

/// `recv` without waiting (`MSG_DONTWAIT`), whatever the socket's blocking mode: the
/// parked-connection wait reads what is there and goes back to the readiness set.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn recv_now(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    const MSG_DONTWAIT: i32 = 0x40;
    // SAFETY: `fd` is an open socket; the buffer is live and writable for `buf.len()` bytes.
    let n = unsafe { ffi::recv(fd, buf.as_mut_ptr().cast(), buf.len(), MSG_DONTWAIT) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod consts {
    pub const SOL_SOCKET: i32 = 1;
    pub const SO_REUSEADDR: i32 = 2;
    pub const SO_KEEPALIVE: i32 = 9;
    pub const SO_REUSEPORT: i32 = 15;
    pub const SO_DOMAIN: i32 = 39;
    pub const IPPROTO_TCP: i32 = 6;
    pub const TCP_KEEPIDLE: i32 = 4;
    pub const TCP_KEEPINTVL: i32 = 5;
    pub const AF_UNIX: i32 = 1;
}

#[cfg(any(target_os = "macos", target_os = "ios"))]
mod consts {
    pub const SOL_SOCKET: i32 = 0xffff;
    pub const SO_KEEPALIVE: i32 = 0x0008;
    pub const IPPROTO_TCP: i32 = 6;
    pub const TCP_KEEPIDLE: i32 = 0x10; // TCP_KEEPALIVE on Darwin
    pub const TCP_KEEPINTVL: i32 = 0x101;
}

/// `setsockopt` with any plain value.
#[cfg(all(
    unix,
    any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios"
    )
))]
fn set_opt<T>(fd: RawFd, level: i32, name: i32, value: &T) -> io::Result<()> {
    // SAFETY: `fd` is an open socket owned by the caller for the duration of the call; the
    // option value points at a live `T` and its length is given exactly.
    let rc = unsafe {
        ffi::setsockopt(
            fd,
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as u32,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Turn TCP keep-alive probes on or off; when on, the first probe goes after `idle_secs`
/// of silence (Node's `setKeepAlive(true, initialDelay)`), then every `idle_secs`.
#[cfg(all(
    unix,
    any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios"
    )
))]
pub(crate) fn set_tcp_keep_alive(fd: RawFd, enable: bool, idle_secs: u32) -> io::Result<()> {
    use consts::*;
    set_opt(fd, SOL_SOCKET, SO_KEEPALIVE, &i32::from(enable))?;
    if enable && idle_secs > 0 {
        let secs = idle_secs.min(i32::MAX as u32) as i32;
        set_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &secs)?;
        set_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &secs)?;
    }
    Ok(())
}

/// TCP keep-alive is not supported on this platform.
#[cfg(all(
    unix,
    not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios"
    ))
))]
pub(crate) fn set_tcp_keep_alive(_fd: RawFd, _enable: bool, _idle_secs: u32) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "TCP keep-alive is not supported on this platform",
    ))
}

/// Set the listen backlog of a listening socket (std always uses its own value; calling
/// `listen` again on a listening socket only changes the backlog).
#[cfg(unix)]
pub(crate) fn set_backlog(fd: RawFd, backlog: u32) -> io::Result<()> {
    let backlog = backlog.min(i32::MAX as u32) as i32;
    // SAFETY: `fd` is a bound, listening socket owned by the caller; `listen` takes no
    // pointers.
    let rc = unsafe { ffi::listen(fd, backlog) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Give a TCP listener the options every connection it accepts should start with:
/// `TCP_NODELAY` and the given receive and send timeouts (`None`: none). Linux copies a
/// listener's socket state into each connection it accepts, so this saves three
/// `setsockopt` calls per connection. Elsewhere it does nothing and says so, and the caller
/// sets each connection.
#[cfg(unix)]
pub(crate) fn prime_listener(
    fd: RawFd,
    read: Option<std::time::Duration>,
    write: Option<std::time::Duration>,
) -> io::Result<()> {
    #[cfg(all(
        any(target_os = "linux", target_os = "android"),
        any(
            target_arch = "x86_64",
            target_arch = "aarch64",
            target_arch = "riscv64"
        )
    ))]
    {
        /// Set `SO_RCVTIMEO` / `SO_SNDTIMEO` (64-bit Linux `struct timeval`).
        fn set_timeval(fd: RawFd, name: i32, t: Option<std::time::Duration>) -> io::Result<()> {
            #[repr(C)]
            struct Timeval {
                sec: i64,
                usec: i64,
            }
            let tv = match t {
                // a zero timeval means "no timeout": round a tiny one up instead
                Some(d) => Timeval {
                    sec: d.as_secs().min(i64::MAX as u64) as i64,
                    usec: i64::from(d.subsec_micros().max(u32::from(d.as_secs() == 0))),
                },
                None => Timeval { sec: 0, usec: 0 },
            };
            set_opt(fd, consts::SOL_SOCKET, name, &tv)
        }
        const TCP_NODELAY: i32 = 1;
        const SO_RCVTIMEO: i32 = 20;
        const SO_SNDTIMEO: i32 = 21;
        set_opt(fd, consts::IPPROTO_TCP, TCP_NODELAY, &1i32)?;
        set_timeval(fd, SO_RCVTIMEO, read)?;
        set_timeval(fd, SO_SNDTIMEO, write)
    }
    #[cfg(not(all(
        any(target_os = "linux", target_os = "android"),
        any(
            target_arch = "x86_64",
            target_arch = "aarch64",
            target_arch = "riscv64"
        )
    )))]
    {
        let _ = (fd, read, write);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "accepted sockets do not inherit options here",
        ))
    }
}

/// An `int` socket option of `fd` (`getsockopt`).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn getsockopt_int(fd: RawFd, level: i32, name: i32) -> io::Result<i32> {
    let mut value: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as u32;
    // SAFETY: `fd` is open; `value` and `len` are live locals and `len` holds the size of
    // the buffer `value` provides.
    let rc = unsafe { ffi::getsockopt(fd, level, name, (&mut value as *mut i32).cast(), &mut len) };
    if rc == 0 {
        Ok(value)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Whether `fd` is a Unix-domain socket (else it is taken for TCP).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn is_unix_socket(fd: RawFd) -> io::Result<bool> {
    Ok(getsockopt_int(fd, consts::SOL_SOCKET, consts::SO_DOMAIN)? == consts::AF_UNIX)
}

/// Whether `fd` is a Unix-domain socket (else it is taken for TCP).
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
pub(crate) fn is_unix_socket(fd: RawFd) -> io::Result<bool> {
    let _ = fd;
    Ok(false)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[repr(C)]
struct SockaddrIn {
    family: u16,
    port: [u8; 2],
    addr: [u8; 4],
    zero: [u8; 8],
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[repr(C)]
struct SockaddrIn6 {
    family: u16,
    port: [u8; 2],
    flowinfo: u32,
    addr: [u8; 16],
    scope_id: u32,
}

/// `sockaddr_in` / `sockaddr_in6` bytes for `addr` (Linux layout).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn with_sockaddr<T>(
    addr: std::net::SocketAddr,
    f: impl FnOnce(*const std::os::raw::c_void, u32) -> T,
) -> T {
    const AF_INET: u16 = 2;
    const AF_INET6: u16 = 10;
    match addr {
        std::net::SocketAddr::V4(a) => {
            let sa = SockaddrIn {
                family: AF_INET,
                port: a.port().to_be_bytes(),
                addr: a.ip().octets(),
                zero: [0; 8],
            };
            f(
                (&sa as *const SockaddrIn).cast(),
                std::mem::size_of::<SockaddrIn>() as u32,
            )
        }
        std::net::SocketAddr::V6(a) => {
            let sa = SockaddrIn6 {
                family: AF_INET6,
                port: a.port().to_be_bytes(),
                flowinfo: a.flowinfo(),
                addr: a.ip().octets(),
                scope_id: a.scope_id(),
            };
            f(
                (&sa as *const SockaddrIn6).cast(),
                std::mem::size_of::<SockaddrIn6>() as u32,
            )
        }
    }
}

/// A new TCP socket of `addr`'s family (close-on-exec), owned: dropping it closes it.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn tcp_socket(addr: std::net::SocketAddr) -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    const AF_INET: i32 = 2;
    const AF_INET6: i32 = 10;
    const SOCK_STREAM: i32 = 1;
    const SOCK_CLOEXEC: i32 = 0o2000000;
    let domain = if addr.is_ipv4() { AF_INET } else { AF_INET6 };
    // SAFETY: `socket` takes no pointers.
    let fd = unsafe { ffi::socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by `socket` and nothing else owns it.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// `bind` or `connect` (`op`) `fd` to `addr`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn with_addr(
    fd: &std::os::fd::OwnedFd,
    addr: std::net::SocketAddr,
    op: unsafe extern "C" fn(i32, *const std::os::raw::c_void, u32) -> i32,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: `fd` is an open socket; the address pointer and length come from a live
    // sockaddr struct of exactly that size, valid for the duration of the call.
    let rc = with_sockaddr(addr, |p, len| unsafe { op(fd.as_raw_fd(), p, len) });
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Connect to `remote` from `local` (Node's `localAddress`): std cannot bind a socket
/// before connecting it.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn connect_from(
    local: std::net::SocketAddr,
    remote: std::net::SocketAddr,
) -> io::Result<std::net::TcpStream> {
    if local.is_ipv4() != remote.is_ipv4() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "local and remote address families differ",
        ));
    }
    let fd = tcp_socket(remote)?;
    with_addr(&fd, local, ffi::bind)?;
    with_addr(&fd, remote, ffi::connect)?;
    Ok(std::net::TcpStream::from(fd))
}

/// A TCP listener on `addr` with `backlog`, its port shared (`SO_REUSEPORT`, set before
/// `bind` as it must be) when `reuse_port`: std cannot set an option before binding.
/// `SO_REUSEADDR` is set as std's `TcpListener::bind` sets it.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn listen_tcp(
    addr: std::net::SocketAddr,
    backlog: u32,
    reuse_port: bool,
) -> io::Result<std::net::TcpListener> {
    use std::os::fd::AsRawFd;
    let fd = tcp_socket(addr)?;
    set_opt(
        fd.as_raw_fd(),
        consts::SOL_SOCKET,
        consts::SO_REUSEADDR,
        &1i32,
    )?;
    if reuse_port {
        set_opt(
            fd.as_raw_fd(),
            consts::SOL_SOCKET,
            consts::SO_REUSEPORT,
            &1i32,
        )?;
    }
    with_addr(&fd, addr, ffi::bind)?;
    set_backlog(fd.as_raw_fd(), backlog)?;
    Ok(std::net::TcpListener::from(fd))
}

/// Sharing a port is only implemented for Linux.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn listen_tcp(
    _addr: std::net::SocketAddr,
    _backlog: u32,
    _reuse_port: bool,
) -> io::Result<std::net::TcpListener> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "reuse_port is only supported on Linux",
    ))
}

/// Whether the socket `fd` shares its port (`SO_REUSEPORT` is set).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn reuses_port(fd: RawFd) -> bool {
    getsockopt_int(fd, consts::SOL_SOCKET, consts::SO_REUSEPORT).is_ok_and(|on| on != 0)
}

/// Whether the socket `fd` shares its port (never, where sharing is not implemented).
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
pub(crate) fn reuses_port(_fd: RawFd) -> bool {
    false
}

/// Stop a listening socket: its blocked `accept` returns (`EINVAL`) and the kernel sends
/// new connections of a shared port to the other listeners. Connecting to the port to wake
/// the accept, as for a port of its own, could reach another listener of the port instead.
#[cfg(unix)]
pub(crate) fn shutdown_listener(fd: RawFd) -> io::Result<()> {
    const SHUT_RD: i32 = 0;
    // SAFETY: `fd` is an open socket owned by the caller; `shutdown` takes no pointers.
    let rc = unsafe { ffi::shutdown(fd, SHUT_RD) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Binding before connecting is only implemented for Linux.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn connect_from(
    _local: std::net::SocketAddr,
    _remote: std::net::SocketAddr,
) -> io::Result<std::net::TcpStream> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "local_address is only supported on Linux",
    ))
}

/// What a non-blocking peek at a socket that should be idle sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peek {
    /// Nothing to read: the connection is quiet and open.
    Quiet,
    /// Bytes are waiting.
    Data,
    /// The peer closed (EOF) or the socket failed.
    Closed,
}

/// Peek without blocking and without touching the socket's blocking mode (other threads
/// may be blocked on it): `recv(MSG_PEEK | MSG_DONTWAIT)`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn peek(fd: RawFd) -> Peek {
    const MSG_PEEK: i32 = 2;
    const MSG_DONTWAIT: i32 = 0x40;
    let mut byte = 0u8;
    // SAFETY: `fd` is an open socket; the buffer is one live byte and its length is 1.
    let n = unsafe {
        ffi::recv(
            fd,
            (&mut byte as *mut u8).cast(),
            1,
            MSG_PEEK | MSG_DONTWAIT,
        )
    };
    match n {
        0 => Peek::Closed,
        n if n > 0 => Peek::Data,
        _ => match io::Error::last_os_error().kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Peek::Quiet,
            _ => Peek::Closed,
        },
    }
}
