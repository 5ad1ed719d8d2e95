// Node 20's client against an origin that sends bytes past the end of a response (the
// Rust test's raw server): for each case, one request on a keep-alive agent, then a second
// one; prints one JSON line per case with what the user code saw.
// usage: node leftover_client.js PORT CASE...
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
const cases = process.argv.slice(3);

function one(agent, method, path) {
  return new Promise((resolve) => {
    const seen = { error: null, body: null, status: null };
    const req = http.request({ host: '127.0.0.1', port, method, path, agent });
    req.on('response', (res) => {
      seen.status = res.statusCode;
      let body = '';
      res.on('data', (d) => { body += d.toString('latin1'); });
      res.on('end', () => { seen.body = body; });
    });
    req.on('error', (e) => { seen.error = e.code; });
    req.on('close', () => setTimeout(() => resolve(seen), 20));
    req.end();
  });
}

(async () => {
  for (const name of cases) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const method = name.startsWith('head') ? 'HEAD' : 'GET';
    const first = await one(agent, method, '/' + name);
    const next = await one(agent, 'GET', '/next');
    console.log(JSON.stringify({ case: name, error: first.error, status: first.status,
      body: first.body, next: next.body }));
    agent.destroy();
  }
})();
