// Node's own http client against stdhttp's examples/echo (tests/interop_echo.rs).
//
// usage: node echo_client.js ECHO_PORT
//
// Runs the cases below one after another and prints one JSON line per case:
// {"case": NAME, ...what the client saw...}. The echo server answers ordinary requests
// with a JSON description of what it parsed; CONNECT and upgrade requests get one JSON
// "tunnel line" instead of an HTTP response (ECHO-CONTRACT.md section 4), which Node's
// client cannot parse, so for those the line is collected from the socket itself and the
// client's error is reported alongside.
'use strict';

const http = require('http');

const port = Number(process.argv[2]);
const host = '127.0.0.1';

// Everything is bounded: the whole script gives up after 20 s.
setTimeout(() => {
  console.log(JSON.stringify({ case: 'timeout' }));
  process.exit(3);
}, 20000).unref();

function out(obj) {
  console.log(JSON.stringify(obj));
}

// Send `options`, write `body` pieces (then trailers), and collect the echo.
function exchange(options, pieces, trailers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, ...options }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode,
          echoMethod: res.headers['x-echo-method'],
          contentType: res.headers['content-type'],
          echo: text ? JSON.parse(text) : null,
          localPort: req.socket ? req.socket.localPort : null,
          reusedSocket: req.reusedSocket,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const p of pieces || []) req.write(p);
    if (trailers) req.addTrailers(trailers);
    req.end();
  });
}

// A request the echo server answers with a tunnel line: report whether Node's `event`
// listener fired, Node's error, and the line read off the socket.
function tunnel(options, event) {
  return new Promise((resolve) => {
    const req = http.request({ host, port, ...options });
    let raw = '';
    let fired = false;
    let error = null;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const line = raw.split('\n')[0];
      let parsed = null;
      try {
        parsed = JSON.parse(line);
      } catch (e) {
        parsed = { unparsable: line };
      }
      resolve({ fired, error, line: parsed });
    };
    req.on('socket', (socket) => {
      socket.on('data', (c) => {
        raw += c.toString('utf8');
      });
      socket.on('close', finish);
    });
    req.on(event, (res, socket) => {
      fired = true;
      socket.destroy();
    });
    req.on('error', (e) => {
      error = e.code || e.message;
    });
    req.end();
  });
}

async function main() {
  out({
    case: 'get',
    ...(await exchange({ path: '/node/get?x=1', headers: { 'X-Node': 'one', Accept: 'application/json' } })),
  });
  out({
    case: 'post',
    ...(await exchange(
      { method: 'POST', path: '/node/post', headers: { 'Content-Type': 'text/plain', 'Content-Length': 10 } },
      ['hello node'],
    )),
  });
  out({
    case: 'chunked',
    ...(await exchange(
      { method: 'POST', path: '/node/chunked', headers: { Trailer: 'X-Checksum' } },
      ['part one, ', 'part two'],
      { 'X-Checksum': 'c0ffee' },
    )),
  });

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const first = await exchange({ path: '/node/ka/1', agent });
  const second = await exchange({ path: '/node/ka/2', agent });
  agent.destroy();
  out({
    case: 'keepalive',
    urls: [first.echo.url, second.echo.url],
    connection: [first.echo.headers.connection, second.echo.headers.connection],
    sameLocalPort: first.localPort === second.localPort,
    reused: [first.reusedSocket, second.reusedSocket],
  });

  out({
    case: 'upgrade',
    ...(await tunnel(
      { path: '/node/upgrade', headers: { Connection: 'Upgrade', Upgrade: 'websocket' } },
      'upgrade',
    )),
  });
  out({
    case: 'connect',
    ...(await tunnel({ method: 'CONNECT', path: '127.0.0.1:1' }, 'connect')),
  });
}

main().then(
  () => process.exit(0),
  (e) => {
    out({ case: 'error', error: String(e && e.stack ? e.stack : e) });
    process.exit(1);
  },
);
