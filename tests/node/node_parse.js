// Parses inputs with the llhttp inside this Node (the parser Node's http module uses, with
// Node's defaults) and prints what it saw, one JSON line per input, for
// tests/parser_differential.rs. Input lines on stdin: "<req|res|head> <hex bytes>".
'use strict';
process.noDeprecation = true;
const { HTTPParser, allMethods } = process.binding('http_parser');
const readline = require('readline');

function parse(kind, bytes) {
  const p = new HTTPParser();
  p.initialize(kind === 'req' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, 0, 0);
  const messages = [];
  let cur = null;
  let pending = [];
  let pendingUrl = '';
  let upgradeOffset = null;
  p[HTTPParser.kOnMessageBegin] = () => { cur = null; pending = []; pendingUrl = ''; };
  // Node hands over header batches (and the URL so far) early when they are many or when
  // an input ends mid-head; kOnHeadersComplete then carries only the rest.
  p[HTTPParser.kOnHeaders] = (headers, url) => {
    if (cur && cur.headersComplete) cur.trailers.push(...headers);
    else { pending.push(...headers); pendingUrl += url || ''; }
  };
  p[HTTPParser.kOnHeadersComplete] = (major, minor, headers, method, url, status, reason, upgrade, keepAlive) => {
    cur = {
      method: kind === 'req' ? allMethods[method] : null,
      url: pendingUrl + (url || ''),
      version: `${major}.${minor}`,
      status: status || 0,
      reason: reason || '',
      headers: pending.concat(headers || []),
      body: '',
      trailers: [],
      upgrade: !!upgrade,
      keepAlive: !!keepAlive,
      headersComplete: true,
      complete: false,
    };
    pending = [];
    messages.push(cur);
    return kind === 'head' ? 1 : 0;
  };
  p[HTTPParser.kOnBody] = (b) => { if (cur) cur.body += b.toString('latin1'); };
  p[HTTPParser.kOnMessageComplete] = () => { if (cur) cur.complete = true; };
  let error = null;
  const r = p.execute(bytes);
  // llhttp hands the connection over after a complete CONNECT or upgrade request, or a
  // 101 response (whatever its headers say): Node's execute then stops there.
  const handedOver = cur && cur.complete && (kind === 'req' ? cur.upgrade : cur.status === 101);
  if (cur && kind !== 'req') cur.upgrade = cur.status === 101;
  if (r instanceof Error) {
    error = r.code;
  } else if (handedOver) {
    upgradeOffset = r;
  } else {
    const f = p.finish();
    if (f instanceof Error) error = f.code;
  }
  // Node's binding drops parse errors once a request is an upgrade (it hands the
  // connection over at the bad byte instead); stdhttp reports them. Flag those inputs.
  const upgradeSwallowedError = kind === 'req' && !!cur && cur.upgrade && !cur.complete && error === null;
  p.close();
  return { messages: messages.filter((m) => m.complete), error, upgradeOffset, upgradeSwallowedError };
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [kind, hex] = line.split(' ');
  process.stdout.write(JSON.stringify(parse(kind, Buffer.from(hex || '', 'hex'))) + '\n');
});
