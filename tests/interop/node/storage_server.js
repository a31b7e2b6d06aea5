#!/usr/bin/env node
// The grpc-js StorageService: the article's catalogue, case-insensitive,
// InvalidArgument "Invalid Vendor: <v>" / "Invalid ProductType: <t>".
//   node storage_server.js [--listen HOST:PORT] [--db PATH (ignored)] [--delay-ms N]
'use strict';
const {grpc, api, CATALOGUE, log, flags, serve} = require('./common');

const f = flags(process.argv.slice(2), ['listen', 'db', 'delay-ms']);
if (!f || f.rest.length) {
  process.stderr.write('usage: storage_server.js [--listen HOST:PORT] [--db PATH] [--delay-ms N]\n');
  process.exit(2);
}
const delay = parseInt(f.opts['delay-ms'] || '0', 10);

function answer(vendor, ptype, callback) {
  if (!(vendor in CATALOGUE)) {
    return callback({code: grpc.status.INVALID_ARGUMENT, details: `Invalid Vendor: ${vendor}`});
  }
  const prods = CATALOGUE[vendor][ptype];
  if (!prods) {
    return callback({code: grpc.status.INVALID_ARGUMENT, details: `Invalid ProductType: ${ptype}`});
  }
  log('storage', `a number of ${prods.length} products were sent to client`);
  callback(null, {prodDetail: prods.map(([title, url]) => ({title, url}))});
}

serve('storage', f.opts.listen || '127.0.0.1:6000', api.StorageService.service, {
  GetProdsDetail(call, callback) {
    const vendor = call.request.vendor.toLowerCase();
    const ptype = call.request.productType.toLowerCase();
    log('storage', `have received a request for -> ${ptype} <- product type from -> ${vendor} <- vendor`);
    if (delay <= 0) return answer(vendor, ptype, callback);
    // The article's "heavy processing", cut short when the caller goes
    // (grpc-js emits 'cancelled' on a reset stream and on the deadline).
    const timer = setTimeout(() => answer(vendor, ptype, callback), delay);
    call.on('cancelled', (why) => {
      clearTimeout(timer);
      log('storage', `the call was dropped (${why || 'cancel'}): ${vendor} ${ptype}`);
    });
  },
});
