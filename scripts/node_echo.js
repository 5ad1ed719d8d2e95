#!/usr/bin/env node
// Reference JSON echo server for /work/shared/ECHO-CONTRACT.md (Node 20, http.createServer
// with default options).  Usage: node scripts/node_echo.js [--port N]   (0 = ephemeral)
// Prints `LISTENING 127.0.0.1:<port>` once it accepts connections.
//
// * ordinary requests: after 'end', a 200 with the JSON echo, Content-Type application/json,
//   Content-Length framing and X-Echo-Method (HEAD gets the same headers, no body);
// * Expect: Node's defaults (no 'checkContinue' / 'checkExpectation' listeners): 100 Continue
//   for 100-continue on HTTP/1.1, 417 for any other expectation;
// * 'connect' and 'upgrade': one JSON tunnel line, then the socket is destroyed.
'use strict';
const http = require('http');

let port = 0;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--port') port = Number(argv[++i]);
  else if (/^--port=/.test(argv[i])) port = Number(argv[i].slice(7));
}

function echo(req, body) {
  return {
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    body: body,
    trailers: req.trailers,
    rawTrailers: req.rawTrailers,
  };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const json = JSON.stringify(echo(req, Buffer.concat(chunks).toString('utf8')));
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(json),
      'X-Echo-Method': req.method,
    });
    res.end(json);
  });
});

function tunnel(event) {
  return (req, socket, head) => {
    const line = JSON.stringify({
      event: event,
      method: req.method,
      url: req.url,
      httpVersion: req.httpVersion,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      head: head.toString('utf8'),
    }) + '\n';
    socket.on('error', () => {});
    socket.write(line, () => socket.destroy());
  };
}
server.on('connect', tunnel('connect'));
server.on('upgrade', tunnel('upgrade'));

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`LISTENING 127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
