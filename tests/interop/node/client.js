#!/usr/bin/env node
// The grpc-js interop client: prints exactly what our firmware-client prints
// (DESIGN.md section 3), so the outputs compare line by line.
//   node client.js [--addr HOST:PORT] [--timeout SECONDS] [--cancel-after N] getprodtypes VENDOR
//   node client.js [--addr HOST:PORT] [--timeout SECONDS] [--cancel-after N] getprods VENDOR TYPE
// --cancel-after N: cancel the stream (RST_STREAM CANCEL) after N products,
// hold the connection 1 s, exit 0.
'use strict';
const {grpc, api, GO_NAMES, flags} = require('./common');

const USAGE = 'usage: client.js [--addr HOST:PORT] [--timeout SECONDS] [--cancel-after N] ' +
  'getprodtypes VENDOR | getprods VENDOR TYPE';
const f = flags(process.argv.slice(2), ['addr', 'timeout', 'cancel-after']);
if (!f || !((f.rest[0] === 'getprodtypes' && f.rest.length === 2) ||
            (f.rest[0] === 'getprods' && f.rest.length === 3))) {
  process.stderr.write(USAGE + '\n');
  process.exit(2);
}
const addr = f.opts.addr || '127.0.0.1:8080';
const deadline = Date.now() + parseFloat(f.opts.timeout || '4') * 1000;
const cancelAfter = parseInt(f.opts['cancel-after'] || '0', 10);
const client = new api.ProdService(addr, grpc.credentials.createInsecure());

function fail(prefix, err) {
  let desc = err.details;
  // grpc-js words its own deadline "Deadline exceeded after 3.998s,..."; our CLI
  // (and grpc-go) say "context deadline exceeded".
  if (err.code === grpc.status.DEADLINE_EXCEEDED && /^Deadline exceeded/i.test(desc)) {
    desc = 'context deadline exceeded';
  }
  process.stderr.write(`rpc error: code = ${GO_NAMES[err.code]} desc = ${prefix}${desc}\n`);
  client.close();
  process.exitCode = 1;
}

const [cmd, vendor, ptype] = f.rest;
if (cmd === 'getprodtypes') {
  client.GetVendorProdTypes({vendor}, {deadline}, (err, resp) => {
    if (err) return fail('error while calling client.GetVendorProdTypes() method: ', err);
    process.stdout.write(`${vendor} cloud products type are: ${resp.productType}\n`);
    client.close();
  });
} else {
  const prefix = 'error while receiving the stream for client.GetVendorProds: ';
  const call = client.GetVendorProds({vendor, productType: ptype}, {deadline});
  let n = 0;
  let cancelled = false;
  call.on('data', (m) => {
    if (cancelled) return;
    const p = m.product || {};
    process.stdout.write(`Title: ${p.title}, Url: ${p.url},  ShortUrl: ${p.shortUrl}\n`);
    n++;
    if (cancelAfter > 0 && n === cancelAfter) {
      cancelled = true;
      call.cancel();
      setTimeout(() => client.close(), 1000);
    }
  });
  call.on('error', (err) => {
    if (cancelled && err.code === grpc.status.CANCELLED) return;
    fail(prefix, err);
  });
  call.on('end', () => {
    if (!cancelled) client.close();
  });
}
