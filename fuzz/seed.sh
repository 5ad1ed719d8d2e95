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
  # roundtrip: mode 0 (the encoder), then choices (the message text is only bytes to it)
  put roundtrip "req_$name" '\x00' "$msg"
done
for ((i = 0; i < ${#responses[@]}; i += 2)); do
  name=${responses[i]} msg=${responses[i + 1]}
  put response "$name" '\x00' "$msg"
  put response "head_$name" '\x01' "$msg"
  put split "res_$name" '\x13\x00\x03\x04\x00\x13\x00\x2a\x00' "$msg"
  put split "res_skip_$name" '\x07\x00\x01\x10\x00' "$msg"
  put roundtrip "res_$name" '\x00\x01' "$msg"
done
for ((i = 0; i < ${#bodies[@]}; i += 2)); do
  name=${bodies[i]} msg=${bodies[i + 1]}
  put chunked "req_$name" '\x02' "$msg"
  put chunked "res_$name" '\x03' "$msg"
  put chunked "tight_$name" '\x6e' "$msg"
done
# roundtrip: choices only; a few shapes (responses, pipelines, chunk splits, trailers)
put roundtrip zeros '\x00' '\x00\x00\x00\x00\x00\x00\x00\x00'
put roundtrip pipeline '\x00' '\x00\x02\x06\x10\x41\x42\x43\x03\x01\x02\x03\x04\x05\x06\x07\x08\x09'
put roundtrip chunks '\x00' '\x01\x01\x90\x01\x20\x4f\x4b\x02\x61\x62\x01\x01\x01\x30\x00abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop'
# roundtrip mode 1 (a real ServerResponse) and mode 2 (a real ClientRequest): choices only
put roundtrip server_zeros '\x01' '\x00\x00\x00\x00\x00\x00\x00\x00'
put roundtrip server_head '\x01' '\x01\x01\x00\x00\x00\x01\x01\x00\x02\x03abc\x05hello\x09streamed body\x01\x02\x03'
put roundtrip server_http10 '\x01' '\x00\x00\x01\x00\x02\x01\x02\x02\x01\x00\x01\x04Name\x03val\x10sixteen bytes!!!\x03\x02'
put roundtrip server_statuses '\x01' '\x00\x01\x01\x00\x01\x05Reason\x02\x03\x01\x00\x00\x08a body..'
put roundtrip client_zeros '\x02' '\x00\x00\x00\x00\x00\x00\x00\x00'
put roundtrip client_post '\x02' '\x1e\x05/path\x01\x01\x01\x00\x02\x02ab\x03xyz\x14twenty bytes of body\x03\x01\x05\x02'
put roundtrip client_chunked '\x02' '\x03\x00\x00\x02\x01\x00\x00\x0cstreamed out\x04\x02\x01'

# server_conn: 4 setting bytes (timeouts/limits, more limits and the write mode, a write
# argument, listeners), a handler script (its length, then 5 bytes per request: action, body
# reading, a length, header flags, a status; then that many body bytes), read steps (a count
# and one byte each), then the bytes the client sends.
for ((i = 0; i < ${#requests[@]}; i += 2)); do
  name=${requests[i]} msg=${requests[i + 1]}
  put server_conn "$name" '\x00\x00\x00\x00\x00\x00' "$msg"
  # read the body, answer chunked with a trailer; reads of 2, 6 and 1 bytes then a stall
  put server_conn "chunked_$name" '\x00\x00\x00\x00\x0a\x01\x01\x05\x04\x00hello\x04\x01\x05\x00\xff' "$msg"
done
server_conn=(
  # a user Content-Length too short, then one too long
  cl_short '\x00\x00\x00\x00\x1e\x03\x00\x0a\x00\x00abcdefghij\x04\x00\x04\x00\x00abcd\x00'
  # write_head 204, 304 and 103 to three requests
  statuses '\x00\x00\x00\x00\x0f\x05\x00\x03\x00\x01\x05\x00\x00\x00\x02\x05\x00\x00\x00\x03\x00'
  # Expect: 100-continue with a check_continue listener that sends 100 itself
  expect '\x00\x00\x00\x01\x0a\x06\x01\x02\x00\x00ok\x00'
  # max_requests_per_socket 1: a 503 for the second request
  max_requests '\x00\x08\x00\x00\x00\x00'
  # max_body_size 16 against a 20 byte chunked body, read to its end
  max_body '\x60\x00\x00\x00\x05\x01\x01\x00\x00\x00\x00'
  # a 1 ms inactivity timeout and a stall in the middle of the head
  inactive '\x01\x00\x00\x00\x00\x02\x10\xff'
  # a 64 byte head limit: 431
  overflow '\x00\x01\x00\x00\x00\x00'
  # writes of 3 bytes at a time, a big body
  small_writes '\x00\x40\x02\x00\x05\x09\x00\x00\x00\x00\x00'
  # the writes fail after 80 bytes
  write_fail '\x00\x80\x0a\x00\x05\x01\x00\x00\x00\x00\x00'
  # HTTP/1.0 keep-alive, a Connection: close answer, then data after it
  close '\x00\x00\x00\x00\x0a\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00'
)
server_conn_msgs=(
  'POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcdGET /b HTTP/1.1\r\nHost: a\r\n\r\n'
  'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: a\r\n\r\n'
  'PUT /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc'
  'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n'
  'POST /m HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n01234567890123456789\r\n0\r\n\r\n'
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n'
  'GET /a-long-path-for-a-small-limit HTTP/1.1\r\nHost: example.com\r\nX: yyyyyyyyyyyyyyyy\r\n\r\n'
  'GET /big HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
  'POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET / HTTP/1.1\r\nHost: a\r\n\r\n'
  'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /after HTTP/1.0\r\n\r\n'
)
for ((i = 0; i < ${#server_conn[@]}; i += 2)); do
  put server_conn "${server_conn[i]}" "${server_conn[i + 1]}" "${server_conn_msgs[i / 2]}"
done

# client_conn: settings (retry, 2 or 3 requests, write mode), a write argument, 8 choice
# bytes per request (method GET/HEAD/POST/DELETE, mode, flags, body length, body offset,
# path), then the connection scripts: a count, and for each but the last a u16 length, read
# steps and the bytes; the last takes the rest.
le16() { local n; n=$(printf "$1" | wc -c); printf '\\x%02x\\x%02x' $((n & 255)) $((n >> 8)); }
ok0='HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'
ok2='HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'
chunk='HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'
head5='HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'
closing='HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'
get='\x00\x00\x00\x00\x00\x00\x00\x00'
head='\x01\x00\x00\x00\x00\x01\x00\x00'
post='\x02\x01\x00\x0c\x06\x02\x00\x00'
del_chunked='\x03\x02\x00\x14\x00\x03\x00\x00'
expect='\x02\x03\x00\x05\x00\x00\x00\x00'
removed='\x00\x04\x00\x07\x06\x00\x00\x00'
user_cl='\x02\x05\x01\x0a\x00\x04\x00\x00'
put client_conn keepalive '\x00\x00'"$get$get"'\x00\x00' "$ok2$ok0"
put client_conn methods '\x02\x00'"$post$head$del_chunked"'\x00\x00' "$ok0$head5$chunk"
put client_conn expect '\x00\x00'"$expect$get"'\x00\x00' "HTTP/1.1 100 Continue\r\n\r\n$ok2$ok0"
put client_conn closes '\x00\x00'"$get$removed"'\x01'"$(le16 "$closing")"'\x00'"$closing"'\x03\x01\x04\x10' "$ok2"
put client_conn leftover '\x00\x00'"$get$get"'\x01'"$(le16 "$ok0$ok0")"'\x02\x05\x01'"$ok0$ok0"'\x00' "$ok0"
put client_conn retry '\x03\x00'"$get$user_cl$get"'\x01'"$(le16 "$ok0")"'\x00'"$ok0"'\x00' "$ok0$ok0"
put client_conn small_writes '\x04\x02'"$post$post"'\x00\x00' "$ok0$ok0"
put client_conn write_fail '\x08\x20'"$post$get"'\x01'"$(le16 "$ok0")"'\x00'"$ok0"'\x00' "$ok0"
put client_conn until_eof '\x00\x00'"$get$get"'\x00\x00' 'HTTP/1.0 200 OK\r\n\r\nbody until EOF'
echo "seeded: $(ls corpus | tr '\n' ' ')"
