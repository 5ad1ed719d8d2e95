#!/usr/bin/env bash
# Writes the seed corpora fuzz/corpus/<target>/ from a few hand-written HTTP messages.
# The corpus folders are git-ignored; run this before fuzzing on a fresh checkout.
# Each message is a printf format (\r, \n, \xHH escapes); the targets that read choices off
# the front of their input get the right prefix bytes.
set -euo pipefail
cd "$(dirname "$0")"

# name  message
requests=(
  get       'GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: seed/1.0\r\nAccept: */*\r\n\r\n'
  post_cl   'POST /submit HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello'
  chunked   'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6;a;b="q\\"x"\r\n world\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n'
  pipelined 'GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc'
  http10    'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nHEAD /x HTTP/1.0\r\n\r\n'
  upgrade   'GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello'
  connect   'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01'
)
responses=(
  ok_cl     'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi'
  no_content 'HTTP/1.1 204 No Content\r\nDate: Sun, 22 Nov 2026 02:41:38 GMT\r\n\r\n'
  switching 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x02hi'
  chunked   'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n3;ext\r\nabc\r\n0\r\nX-T: done\r\n\r\n'
  until_eof 'HTTP/1.0 200 OK\r\nServer: seed\r\n\r\nbody until the connection closes'
  pipelined 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n'
)
# chunked bodies, for the `chunked` target (which writes the head itself)
bodies=(
  simple    '5\r\nhello\r\n0\r\n\r\n'
  ext       '5;name=value;flag\r\nhello\r\nA;q="a\\"b"\r\n0123456789\r\n0\r\n\r\n'
  trailers  '3\r\nabc\r\n0\r\nX-Checksum: abc\r\nX-Other:  1 \r\n\r\n'
  many      '1\r\na\r\n2\r\nbc\r\nff\r\n'
  next      '0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
)

put() { # target name prefix message
  mkdir -p "corpus/$1"
  printf "$3$4" > "corpus/$1/$2"
}

for ((i = 0; i < ${#requests[@]}; i += 2)); do
  name=${requests[i]} msg=${requests[i + 1]}
  put request "$name" '' "$msg"
  # split: flags (request, EOF, one byte at a time), limits, 3 cuts, then the message
  put split "req_$name" '\x12\x00\x03\x05\x00\x11\x00\x30\x00' "$msg"
  put split "req_tight_$name" '\x0a\x05\x02\x07\x00\x20\x00' "$msg"
  put roundtrip "req_$name" '' "$msg"
done
for ((i = 0; i < ${#responses[@]}; i += 2)); do
  name=${responses[i]} msg=${responses[i + 1]}
  put response "$name" '\x00' "$msg"
  put response "head_$name" '\x01' "$msg"
  put split "res_$name" '\x13\x00\x03\x04\x00\x13\x00\x2a\x00' "$msg"
  put split "res_skip_$name" '\x07\x00\x01\x10\x00' "$msg"
  put roundtrip "res_$name" '\x01' "$msg"
done
for ((i = 0; i < ${#bodies[@]}; i += 2)); do
  name=${bodies[i]} msg=${bodies[i + 1]}
  put chunked "req_$name" '\x02' "$msg"
  put chunked "res_$name" '\x03' "$msg"
  put chunked "tight_$name" '\x6e' "$msg"
done
# roundtrip: choices only; a few shapes (responses, pipelines, chunk splits, trailers)
put roundtrip zeros '' '\x00\x00\x00\x00\x00\x00\x00\x00'
put roundtrip pipeline '' '\x00\x02\x06\x10\x41\x42\x43\x03\x01\x02\x03\x04\x05\x06\x07\x08\x09'
put roundtrip chunks '' '\x01\x01\x90\x01\x20\x4f\x4b\x02\x61\x62\x01\x01\x01\x30\x00abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop'
echo "seeded: $(ls corpus | tr '\n' ' ')"
