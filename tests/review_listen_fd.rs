//! Review reproduction: aborts the test process (std's debug IO-safety check) — kept alone.
use std::io::Read;
use stdhttp::Server;

// DEFECT 5 (soundness): `Server::listen_fd(RawFd)` is a *safe* fn that adopts ownership of
// an arbitrary descriptor via `from_raw_fd` (sys.rs tcp_listener_from_fd, "SAFETY: the
// caller ... hands over ownership" — but a safe caller cannot be held to that). Passing the
// fd of a listener you still own makes the server close it on close(); the number is then
// reused and the original owner's drop closes an unrelated file (I/O-safety violation,
// double close). Should be `unsafe fn` or take `OwnedFd`.
#[cfg(unix)]
#[test]
fn review_listen_fd_safe_api_closes_foreign_fd() {
    use std::os::fd::AsRawFd;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = Server::new();
    server.listen_fd(l.as_raw_fd()).unwrap(); // safe code, no `unsafe` block
    server.close().unwrap();
    server.join();
    // the fd number is free again: an unrelated file gets it
    let path = std::env::temp_dir().join(format!("review_fd_{}", std::process::id()));
    std::fs::write(&path, b"data").unwrap();
    let mut f = std::fs::File::open(&path).unwrap();
    let reused = f.as_raw_fd() == l.as_raw_fd();
    drop(l); // closes the *file's* descriptor
    let mut s = String::new();
    let r = f.read_to_string(&mut s);
    let _ = std::fs::remove_file(&path);
    assert!(
        !reused || r.is_ok(),
        "safe code closed an unrelated file descriptor: {r:?}"
    );
    assert!(
        !reused,
        "fd {} was closed by the server though a TcpListener still owned it",
        f.as_raw_fd()
    );
}
