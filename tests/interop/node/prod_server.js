#!/usr/bin/env node
// The grpc-js ProdService, a gateway in front of a StorageService as the
// article's: forwards the caller's deadline and cancel to storage, adds a
// ShortUrl to each product and streams them.
//   node prod_server.js [--listen HOST:PORT] [--storage HOST:PORT] [--stream-delay-ms N]
'use strict';
const crypto = require('crypto');
const {grpc, api, CATALOGUE, PRODUCT_TYPES, log, flags, serve} = require('./common');

const f = flags(process.argv.slice(2), ['listen', 'storage', 'stream-delay-ms']);
if (!f || f.rest.length) {
  process.stderr.write('usage: prod_server.js [--listen HOST:PORT] [--storage HOST:PORT] [--stream-delay-ms N]\n');
  process.exit(2);
}
const delay = parseInt(f.opts['stream-delay-ms'] || '0', 10);
// One persistent channel to storage.
const storage = new api.StorageService(f.opts.storage || '127.0.0.1:6000', grpc.credentials.createInsecure());
const DEADLINE = {code: grpc.status.DEADLINE_EXCEEDED, details: 'context deadline exceeded'};

function pastDeadline(call) {
  const d = call.getDeadline();
  return d !== Infinity && Number(d) <= Date.now();
}

serve('prod', f.opts.listen || '127.0.0.1:8080', api.ProdService.service, {
  GetVendorProdTypes(call, callback) {
    const vendor = call.request.vendor.toLowerCase();
    log('prod', `have received a request for -> ${vendor} <- vendor`);
    if (!(vendor in CATALOGUE)) {
      return callback({code: grpc.status.INVALID_ARGUMENT,
        details: 'wrong vendor, select between google, aws, oracle'});
    }
    callback(null, {productType: PRODUCT_TYPES});
  },

  GetVendorProds(call) {
    const {vendor, productType} = call.request;
    log('prod', `have received a request for -> ${productType} <- product type from -> ${vendor} <- vendor`);
    let ended = false;
    let timer = null;
    const sreq = storage.GetProdsDetail({vendor, productType}, {deadline: call.getDeadline()}, (err, resp) => {
      if (ended) return;
      if (err) {
        ended = true;
        if (pastDeadline(call) || err.code === grpc.status.DEADLINE_EXCEEDED) {
          log('prod', 'deadline has exceeded while waiting for storage');
          return call.emit('error', DEADLINE);
        }
        log('prod', `error while calling client.GetProdsDetail() method: ${err.details}`);
        return call.emit('error', {code: err.code,
          details: `error while calling client.GetProdsDetail() method: ${err.details}`});
      }
      const prods = resp.prodDetail;
      let i = 0;
      const next = () => {
        if (ended) return;
        if (i === prods.length) {
          ended = true;
          log('prod', `a number of ${prods.length} products were sent to client`);
          return call.end();
        }
        const p = prods[i++];
        const shortUrl = 'https://made-up-url.com/' + crypto.randomUUID().slice(0, 6);
        call.write({product: {title: p.title, url: p.url, shortUrl}});
        if (delay > 0) timer = setTimeout(next, delay); else next();
      };
      if (delay > 0) timer = setTimeout(next, delay); else next();
    });
    call.on('cancelled', (why) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      sreq.cancel();
      log('prod', why === 'deadline' ? 'deadline has exceeded, stopping server side operation'
        : 'the user has canceled the request, stopping server side operation');
    });
  },
});
