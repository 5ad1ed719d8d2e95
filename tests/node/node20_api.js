// Node 20's side of tests/node20_api.rs. One JSON object per line on stdout, each naming its
// `case`. Modes:
//   headers <hex request>   a server with joinDuplicateHeaders false, then true, gets the raw
//                           request; prints headers, headersDistinct, trailers and
//                           trailersDistinct (as [name, value] entries, in order)
//   hints <json array>      writeEarlyHints(hints) for each hints object; prints the bytes it
//                           writes (null when none) or the error code it throws
//   rawpacket <case>...     each case is hex chunks joined by ','; a server with a
//                           clientError listener gets them on one connection (each chunk
//                           after the previous one's response, or 300 ms); prints the error's
//                           code and rawPacket (hex, null when absent)
'use strict';
const http = require('http');
const net = require('net');

const [mode, ...args] = process.argv.slice(2);
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const listen = (server) => new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));

async function headers(hex) {
  for (const join of [false, true]) {
    const seen = new Promise((resolve) => {
      const server = http.createServer({ joinDuplicateHeaders: join }, (req, res) => {
        req.resume();
        req.on('end', () => {
          resolve({
            case: `join=${join}`,
            headers: Object.entries(req.headers),
            distinct: Object.entries(req.headersDistinct),
            trailers: Object.entries(req.trailers),
            trailersDistinct: Object.entries(req.trailersDistinct),
          });
          res.end();
          server.close();
        });
      });
      listen(server).then((port) => {
        const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from(hex, 'hex')));
        s.on('data', () => s.destroy());
        s.on('error', () => {});
      });
    });
    print(await seen);
  }
}

function hints(json) {
  JSON.parse(json).forEach((h, i) => {
    let head = null;
    const fake = { _writeRaw(data) { head = data; } };
    try {
      http.ServerResponse.prototype.writeEarlyHints.call(fake, h);
      print({ case: String(i), head, error: null });
    } catch (e) {
      print({ case: String(i), head: null, error: e.code });
    }
  });
}

async function rawpacket(cases) {
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('ok')); });
  let report = null;
  server.on('clientError', (err, socket) => {
    report({ code: err.code, rawPacket: err.rawPacket ? err.rawPacket.toString('hex') : null });
    socket.destroy();
  });
  const port = await listen(server);
  for (const [i, c] of cases.entries()) {
    const chunks = c.split(',').map((h) => Buffer.from(h, 'hex'));
    const got = new Promise((r) => { report = r; });
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise((r) => s.on('connect', r));
    for (const [j, chunk] of chunks.entries()) {
      s.write(chunk);
      if (j < chunks.length - 1) {
        await new Promise((r) => { s.once('data', r); setTimeout(r, 300); });
      }
    }
    s.end();
    print({ case: String(i), ...(await got) });
    s.destroy();
  }
  server.close();
}

const run = { headers: () => headers(args[0]), hints: () => hints(args[0]), rawpacket: () => rawpacket(args) };
Promise.resolve(run[mode]()).then(() => process.exit(0));
