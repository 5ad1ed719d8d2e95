// Node's own http client, with 'upgrade' and 'connect' listeners, against stdhttp servers
// that really switch protocols: examples/upgrade (101, then echo) and examples/proxy (a
// CONNECT tunnel to a local origin). Used by tests/interop_echo.rs.
//
// usage: node tunnel_client.js UPGRADE_PORT PROXY_PORT ORIGIN_PORT
//
// Prints one JSON line per case: {"case": NAME, ...what the client saw...}.
'use strict';

const http = require('http');

const [upgradePort, proxyPort, originPort] = process.argv.slice(2).map(Number);
const host = '127.0.0.1';

setTimeout(() => {
  console.log(JSON.stringify({ case: 'timeout' }));
  process.exit(3);
}, 20000).unref();

function out(obj) {
  console.log(JSON.stringify(obj));
}

function upgrade() {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host,
      port: upgradePort,
      agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket' },
    });
    req.on('upgrade', (res, socket, head) => {
      let echoed = head.toString('utf8');
      socket.on('data', (c) => {
        echoed += c.toString('utf8');
      });
      socket.on('end', () => {
        resolve({
          fired: true,
          status: res.statusCode,
          statusMessage: res.statusMessage,
          upgrade: res.headers.upgrade,
          connection: res.headers.connection,
          echoed,
        });
      });
      socket.on('error', reject);
      socket.write('ping from node');
      socket.end();
    });
    req.on('response', (res) => resolve({ fired: false, status: res.statusCode }));
    req.on('error', reject);
    req.end();
  });
}

function connect(target) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: proxyPort, method: 'CONNECT', path: target, agent: false });
    req.on('connect', (res, socket, head) => {
      const result = {
        fired: true,
        status: res.statusCode,
        statusMessage: res.statusMessage,
        proxyAgent: res.headers['proxy-agent'],
      };
      if (res.statusCode !== 200) {
        socket.destroy();
        resolve(result);
        return;
      }
      let answer = head.toString('latin1');
      socket.on('data', (c) => {
        answer += c.toString('latin1');
      });
      socket.on('end', () => resolve({ ...result, answer }));
      socket.on('error', reject);
      socket.write(`GET /via/node HTTP/1.1\r\nHost: ${target}\r\nConnection: close\r\n\r\n`);
    });
    req.on('response', (res) => resolve({ fired: false, status: res.statusCode }));
    req.on('error', reject);
    req.end();
  });
}

async function main() {
  out({ case: 'upgrade', ...(await upgrade()) });
  out({ case: 'connect', ...(await connect(`127.0.0.1:${originPort}`)) });
  out({ case: 'connect-refused', ...(await connect('example.com:80')) });
}

main().then(
  () => process.exit(0),
  (e) => {
    out({ case: 'error', error: String(e && e.stack ? e.stack : e) });
    process.exit(1);
  },
);
