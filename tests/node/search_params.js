// Reads query strings and request targets the way a Node 20 handler does and prints what it
// saw, one JSON line per input line, for tests/request_target.rs. Input: one JSON object a
// line, one of
//   {"q": "<query>"}            -> {"pairs": [[name, value]...], "get": [[name, get, getAll]...]}
//   {"target": "<req.url>"}     -> {"pathname", "query", "hash"} (url.parse) and "pairs"
//                                  (new URL(target, base).searchParams)
//   {"encode": [[name, value]]} -> {"query": new URLSearchParams(pairs).toString()}
'use strict';
process.noDeprecation = true;
const url = require('url');
const readline = require('readline');

function pairsAndGets(params, extra) {
  const pairs = [...params];
  const names = [...new Set([...pairs.map(([k]) => k), ...extra])];
  return { pairs, get: names.map((n) => [n, params.get(n), params.getAll(n)]) };
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  const input = JSON.parse(line);
  let out;
  if ('q' in input) {
    // the constructor drops one leading '?' (a URL's own searchParams does not): give it one
    // to drop, so the query is read as it is
    const q = input.q.startsWith('?') ? '?' + input.q : input.q;
    out = pairsAndGets(new URLSearchParams(q), ['a', 'absent']);
  } else if ('target' in input) {
    const legacy = url.parse(input.target);
    const whatwg = new URL(input.target, 'http://base.example');
    out = {
      pathname: legacy.pathname,
      query: legacy.query,
      hash: legacy.hash,
      host: legacy.host,
      ...pairsAndGets(whatwg.searchParams, ['a']),
    };
  } else {
    out = { query: new URLSearchParams(input.encode).toString() };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});
