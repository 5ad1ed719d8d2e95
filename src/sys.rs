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
        pub fn getsockopt(
            fd: c_int,
            level: c_int,
            name: c_int,
            value: *mut c_void,
            len: *mut u32,
        ) -> c_int;
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod consts {
    pub const SOL_SOCKET: i32 = 1;
    pub const SO_KEEPALIVE: i32 = 9;
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

#[cfg(all(
    unix,
    any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios"
    )
))]
fn set_int(fd: RawFd, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: `fd` is an open socket owned by the caller for the duration of the call; the
    // option value points at a live i32 and its length is given exactly.
    let rc = unsafe {
        ffi::setsockopt(
            fd,
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as u32,
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
    set_int(fd, SOL_SOCKET, SO_KEEPALIVE, i32::from(enable))?;
    if enable && idle_secs > 0 {
        let secs = idle_secs.min(i32::MAX as u32) as i32;
        set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, secs)?;
        set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, secs)?;
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

/// Whether `fd` is a Unix-domain socket (else it is taken for TCP).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn is_unix_socket(fd: RawFd) -> io::Result<bool> {
    let mut domain: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as u32;
    // SAFETY: `fd` is open; `domain` and `len` are live locals and `len` holds the size of
    // the buffer `domain` provides.
    let rc = unsafe {
        ffi::getsockopt(
            fd,
            consts::SOL_SOCKET,
            consts::SO_DOMAIN,
            (&mut domain as *mut i32).cast(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(domain == consts::AF_UNIX)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Whether `fd` is a Unix-domain socket (else it is taken for TCP).
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
pub(crate) fn is_unix_socket(fd: RawFd) -> io::Result<bool> {
    let _ = fd;
    Ok(false)
}

/// Adopt a listening TCP socket by its file descriptor.
#[cfg(unix)]
pub(crate) fn tcp_listener_from_fd(fd: RawFd) -> std::net::TcpListener {
    use std::os::fd::FromRawFd;
    // SAFETY: the caller of `Server::listen_fd` hands over ownership of an open listening
    // socket (documented there); nothing else closes it.
    unsafe { std::net::TcpListener::from_raw_fd(fd) }
}

/// Adopt a listening Unix socket by its file descriptor.
#[cfg(unix)]
pub(crate) fn unix_listener_from_fd(fd: RawFd) -> std::os::unix::net::UnixListener {
    use std::os::fd::FromRawFd;
    // SAFETY: as for `tcp_listener_from_fd`: ownership of an open listening socket is
    // handed over by the caller.
    unsafe { std::os::unix::net::UnixListener::from_raw_fd(fd) }
}
