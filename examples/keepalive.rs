//! The seed's keep-alive Agent example: start a local stdhttp server, send N requests
//! through one keep-alive Agent, and print the local port of each request's socket: the
//! same port every time shows the connection was reused.
//!
//! ```text
//! cargo run --example keepalive -- 5
//! ```

use stdhttp::{Agent, AgentChoice, AgentOptions, RequestOptions, Server};

fn main() -> Result<(), stdhttp::Error> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let server = Server::new();
    server.on_request(|req, mut res| {
        let _ = res.set_header("Content-Type", "text/plain");
        let _ = res.end(format!("hello from {}\n", req.url()).as_bytes());
    });
    server.listen("127.0.0.1:0")?;
    let port = server.address().and_then(|a| a.port()).unwrap_or(0);
    println!("server listening on 127.0.0.1:{port}");

    let agent = Agent::new(AgentOptions::new().keep_alive(true).max_sockets(1));
    for i in 1..=n {
        let opts = RequestOptions::new()
            .hostname("127.0.0.1")
            .port(port)
            .path(format!("/req{i}"))
            .agent(AgentChoice::Agent(agent.clone()));
        let req = stdhttp::request(opts)?;
        let reused = req.reused_socket();
        let mut res = req.end(&[])?;
        let local = res.socket().local_port().unwrap_or(0);
        let body = res.text()?; // read to the end: the socket goes back to the pool
        println!(
            "request {i}: status {} local port {local} reused {reused} body {:?}",
            res.status_code(),
            body.trim_end()
        );
    }
    println!("idle sockets: {:?}", agent.free_sockets());
    agent.destroy();
    server.close()?;
    Ok(())
}
