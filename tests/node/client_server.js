// A Node http server for the client tests (tests/client_node.rs, tests/agent.rs).
// Prints "PORT <n>" on stdout once listening; exits when stdin closes, or after 60 s.
// Args: [--keep-alive-timeout ms]
//   GET /__connections  -> how many connections were accepted (this one not counted)
//   /chunked            -> a chunked body "hello world" with trailer X-Sum: 42
//   /slow?ms=N          -> answers after N ms
//   anything else       -> JSON echo of method, url, httpVersion, rawHeaders, body
// 'upgrade' and 'connect' answer 101 / 200 and echo the bytes they get, prefixed "echo:".
'use strict';
const http = require('http');

const args = process.argv.slice(2);
let connections = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/__connections') {
    res.setHeader('Connection', 'close');
    res.end(String(connections - 1));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/chunked') {
      res.setHeader('Trailer', 'X-Sum');
      res.write('hello ');
      res.addTrailers({ 'X-Sum': '42' });
      res.end('world');
      return;
    }
    const answer = () => {
      const body = JSON.stringify({
        method: req.method,
        url: req.url,
        httpVersion: req.httpVersion,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('latin1'),
        port: req.socket.remotePort,
      });
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(body);
    };
    if (url.pathname === '/slow') setTimeout(answer, Number(url.searchParams.get('ms')));
    else answer();
  });
});
server.on('connection', () => { connections += 1; });
for (const ev of ['upgrade', 'connect']) {
  server.on(ev, (req, socket, head) => {
    socket.write(ev === 'upgrade'
      ? 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nhi'
      : 'HTTP/1.1 200 Connection Established\r\n\r\nhi');
    if (head.length) socket.write('echo:' + head.toString('latin1'));
    socket.on('data', (d) => socket.write('echo:' + d.toString('latin1')));
    socket.on('end', () => socket.end());
    socket.on('error', () => {});
  });
}
const i = args.indexOf('--keep-alive-timeout');
if (i >= 0) server.keepAliveTimeout = Number(args[i + 1]);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 60000).unref();
