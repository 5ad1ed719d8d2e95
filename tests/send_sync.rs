//! Compile-time checks: the handles a program moves between threads are `Send`, and the
//! shared ones `Sync` too. This file fails to build if one stops being so.
#![allow(dead_code)]

fn send<T: Send>() {}
fn send_sync<T: Send + Sync>() {}

#[test]
fn handles_are_send_and_shared_ones_sync() {
    // shared between threads: clones of one server / agent / connection
    send_sync::<stdhttp::Server>();
    send_sync::<stdhttp::Agent>();
    send_sync::<stdhttp::Socket>();
    send_sync::<stdhttp::Error>();
    send_sync::<stdhttp::RequestOptions>();
    send_sync::<stdhttp::AgentOptions>();
    send_sync::<stdhttp::Headers>();
    // owned by one thread at a time, movable to another
    send::<stdhttp::ServerResponse>();
    send::<stdhttp::IncomingMessage>();
    send::<stdhttp::ClientRequest>();
}
