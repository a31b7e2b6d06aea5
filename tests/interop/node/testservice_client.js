#!/usr/bin/env node
// The gRPC interop test cases (the public interop test descriptions) as a
// grpc-js client, against grpc.testing.TestService (our interop-server,
// tests/interop/testservice/). The same cases and checks as
// tests/interop/test_testservice_grpcio.py.
//   node testservice_client.js --addr HOST:PORT
// Prints "ok - case: check" / "not ok - case: check" (details indented),
// then one "row<TAB>n<TAB>case<TAB>pass|FAIL<TAB>first failing check" line per
// case and "version<TAB>grpc-js X.Y.Z". Exit 0 when every check passed.
// The packages come from build/npm/ (tools/npm-deps.sh), through NODE_PATH.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO = path.join(__dirname, '..', 'testservice', 'test.proto');
const def = protoLoader.loadSync(PROTO, {keepCase: true, defaults: true, longs: Number, enums: String});
const pb = grpc.loadPackageDefinition(def).grpc.testing;

const SPECIAL = '\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \u{1f608}\t\n';
const ECHO_INITIAL = ['x-grpc-test-echo-initial', 'test_initial_metadata_value'];
const ECHO_TRAILING = ['x-grpc-test-echo-trailing-bin', Buffer.from([0xab, 0xab, 0xab])];
const C = grpc.status;
const NAMES = Object.fromEntries(Object.entries(C).map(([k, v]) => [v, k]));

let fails = 0;
let checks = 0;
function report(ok, name, details) {
  checks++;
  if (ok) {
    process.stdout.write(`ok - ${name}\n`);
    return;
  }
  fails++;
  process.stdout.write(`not ok - ${name}\n`);
  for (const d of details) {
    for (const line of String(d).split('\n')) process.stdout.write(`    ${line}\n`);
  }
}

class Case {
  constructor(name) {
    this.name = name;
    this.first = null;
  }
  check(cond, what, ...details) {
    report(!!cond, `${this.name}: ${what}`, details);
    if (!cond && this.first === null) this.first = what;
    return cond;
  }
}

const zeros = (n) => ({body: Buffer.alloc(n)});
const deadline = (s) => new Date(Date.now() + s * 1000);
const codeName = (c) => `${NAMES[c] || c}`;
const errText = (e) => (e ? `${codeName(e.code)} ${JSON.stringify(e.details)}` : 'no error');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// unary(stub, method, req, opts, md): {err, resp, metadata (initial), status}
function unary(stub, method, req, opts = {}, md = new grpc.Metadata()) {
  return new Promise((resolve) => {
    const out = {};
    let pending = 2;
    const done = () => { if (--pending === 0) resolve(out); };
    const call = stub[method](req, md, {deadline: deadline(opts.timeout || 5)}, (err, resp) => {
      out.err = err;
      out.resp = resp;
      done();
    });
    call.on('metadata', (m) => { out.metadata = m; });
    call.on('status', (s) => { out.status = s; done(); });
  });
}

// A duplex or server-streaming call read through a queue of events:
// next() resolves with the next message, or null at the end (status in .status).
class Reader {
  constructor(call) {
    this.call = call;
    this.queue = [];
    this.waiters = [];
    this.ended = false;
    this.error = null;
    this.status = null;
    this.metadata = null;
    call.on('data', (m) => this._push(m));
    call.on('metadata', (m) => { this.metadata = m; });
    call.on('error', (e) => { this.error = e; });
    call.on('status', (s) => { this.status = s; this.ended = true; this._push(null); });
  }
  _push(m) {
    if (this.waiters.length) this.waiters.shift()(m);
    else this.queue.push(m);
  }
  next(ms = 5000) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(undefined), ms);
      this.waiters.push((m) => { clearTimeout(t); resolve(m); });
    });
  }
  async all(ms = 10000) {
    const got = [];
    for (;;) {
      const m = await this.next(ms);
      if (m === null || m === undefined) return got;
      got.push(m);
    }
  }
  async finished(ms = 10000) {
    const end = Date.now() + ms;
    while (!this.ended && Date.now() < end) await this.next(end - Date.now());
    return this.status;
  }
}

function hasPair(md, [k, v]) {
  if (!md) return false;
  return md.get(k).some((x) => (Buffer.isBuffer(v) ? Buffer.isBuffer(x) && x.equals(v) : x === v));
}

// ---- the cases ---------------------------------------------------------------
async function emptyUnary(c, stub) {
  const r = await unary(stub, 'EmptyCall', {});
  c.check(!r.err && r.resp && Object.keys(r.resp).length === 0, 'the response is a grpc.testing.Empty',
    errText(r.err), JSON.stringify(r.resp));
}

async function largeUnary(c, stub) {
  const r = await unary(stub, 'UnaryCall', {response_size: 314159, payload: zeros(271828)}, {timeout: 10});
  const body = r.resp && r.resp.payload && r.resp.payload.body;
  c.check(!r.err && body && body.length === 314159 && body.equals(Buffer.alloc(314159)),
    'a 314159-byte payload of zeros for a 271828-byte request', errText(r.err), body && body.length);
}

async function serverStreaming(c, stub) {
  const sizes = [31415, 9, 2653, 58979];
  const rd = new Reader(stub.StreamingOutputCall({response_parameters: sizes.map((size) => ({size}))},
    {deadline: deadline(10)}));
  const got = (await rd.all()).map((m) => m.payload.body.length);
  c.check(JSON.stringify(got) === JSON.stringify(sizes) && rd.status && rd.status.code === C.OK,
    `responses of [${sizes}] bytes, then OK`, JSON.stringify(got), errText(rd.error));
}

async function serverStreamingIntervals(c, stub) {
  const t0 = Date.now();
  const rd = new Reader(stub.StreamingOutputCall(
    {response_parameters: [0, 1, 2].map(() => ({size: 10, interval_us: 200000}))}, {deadline: deadline(10)}));
  await sleep(50);
  const t1 = Date.now();
  const r = await unary(stub, 'EmptyCall', {});
  const otherMs = Date.now() - t1;
  const got = (await rd.all()).map((m) => m.payload.body.length);
  const totalMs = Date.now() - t0;
  c.check(JSON.stringify(got) === '[10,10,10]' && totalMs >= 590,
    `3 responses 200 ms apart (${totalMs} ms in all)`, JSON.stringify(got), errText(rd.error));
  c.check(!r.err && otherMs < 150, `an EmptyCall meanwhile answers at once (${otherMs} ms)`, errText(r.err));
}

async function statusCodeAndMessage(c, stub) {
  const status = {code: 2, message: 'test status message'};
  const r = await unary(stub, 'UnaryCall', {response_status: status});
  c.check(r.err && r.err.code === C.UNKNOWN && r.err.details === 'test status message',
    "UnaryCall: UNKNOWN, 'test status message'", errText(r.err));
  const call = stub.FullDuplexCall({deadline: deadline(5)});
  const rd = new Reader(call);
  call.write({response_status: status});
  call.end();
  await rd.all();
  c.check(rd.error && rd.error.code === C.UNKNOWN && rd.error.details === 'test status message',
    "FullDuplexCall: UNKNOWN, 'test status message'", errText(rd.error));
}

async function specialStatusMessage(c, stub) {
  const r = await unary(stub, 'UnaryCall', {response_status: {code: 2, message: SPECIAL}});
  c.check(r.err && r.err.code === C.UNKNOWN && r.err.details === SPECIAL,
    'UNKNOWN with the whitespace and Unicode message intact', errText(r.err));
}

function echoMd() {
  const md = new grpc.Metadata();
  md.set(...ECHO_INITIAL);
  md.set(...ECHO_TRAILING);
  return md;
}

async function customMetadata(c, stub) {
  const r = await unary(stub, 'UnaryCall', {response_size: 314159, payload: zeros(271828)}, {timeout: 10}, echoMd());
  const n = r.resp && r.resp.payload ? r.resp.payload.body.length : null;
  c.check(!r.err && n === 314159, 'UnaryCall: the 314159-byte response', errText(r.err), n);
  c.check(hasPair(r.metadata, ECHO_INITIAL), 'UnaryCall: initial metadata echoed',
    JSON.stringify(r.metadata && r.metadata.getMap()));
  c.check(r.status && hasPair(r.status.metadata, ECHO_TRAILING), 'UnaryCall: binary trailing metadata echoed',
    JSON.stringify(r.status && r.status.metadata.getMap()));

  const call = stub.FullDuplexCall(echoMd(), {deadline: deadline(10)});
  const rd = new Reader(call);
  call.write({response_parameters: [{size: 314159}], payload: zeros(271828)});
  call.end();
  const got = (await rd.all()).map((m) => m.payload.body.length);
  c.check(JSON.stringify(got) === '[314159]', 'FullDuplexCall: the 314159-byte response', JSON.stringify(got),
    errText(rd.error));
  c.check(hasPair(rd.metadata, ECHO_INITIAL), 'FullDuplexCall: initial metadata echoed',
    JSON.stringify(rd.metadata && rd.metadata.getMap()));
  c.check(rd.status && hasPair(rd.status.metadata, ECHO_TRAILING), 'FullDuplexCall: binary trailing metadata echoed',
    JSON.stringify(rd.status && rd.status.metadata.getMap()));

  // An error status carries both as well (trailers-only response).
  const e = await unary(stub, 'UnaryCall', {response_status: {code: 5, message: 'nf'}}, {}, echoMd());
  const both = new grpc.Metadata();
  for (const m of [e.metadata, e.status && e.status.metadata]) if (m) both.merge(m);
  c.check(e.err && e.err.code === C.NOT_FOUND && hasPair(both, ECHO_INITIAL) && hasPair(both, ECHO_TRAILING),
    'error status (trailers-only): both echoed', errText(e.err), JSON.stringify(both.getMap()));
}

async function unimplementedMethod(c, stub) {
  const r = await unary(stub, 'UnimplementedCall', {});
  c.check(r.err && r.err.code === C.UNIMPLEMENTED, 'UNIMPLEMENTED', errText(r.err));
}

async function unimplementedService(c, stub, addr) {
  const other = new pb.UnimplementedService(addr, grpc.credentials.createInsecure());
  const r = await unary(other, 'UnimplementedCall', {});
  other.close();
  c.check(r.err && r.err.code === C.UNIMPLEMENTED, 'UNIMPLEMENTED', errText(r.err));
}

async function cancelAfterBegin(c, stub) {
  const res = await new Promise((resolve) => {
    const call = stub.StreamingInputCall({deadline: deadline(10)}, (err, resp) => resolve({err, resp}));
    setTimeout(() => call.cancel(), 100);
  });
  c.check(res.err && res.err.code === C.CANCELLED, 'CANCELLED', errText(res.err));
}

async function cancelAfterFirstResponse(c, stub) {
  const call = stub.FullDuplexCall({deadline: deadline(10)});
  const rd = new Reader(call);
  call.write({response_parameters: [{size: 31415}], payload: zeros(27182)});
  const first = await rd.next();
  const n = first && first.payload.body.length;
  c.check(n === 31415, 'the first response (31415 bytes)', n);
  call.cancel();
  await rd.finished();
  c.check(rd.status && rd.status.code === C.CANCELLED, 'CANCELLED', rd.status && codeName(rd.status.code));
}

async function pingPong(c, stub) {
  const call = stub.FullDuplexCall({deadline: deadline(10)});
  const rd = new Reader(call);
  const got = [];
  for (const [req, resp] of [[27182, 31415], [8, 9], [1828, 2653], [45904, 58979]]) {
    call.write({response_parameters: [{size: resp}], payload: zeros(req)});
    const m = await rd.next();
    got.push(m ? m.payload.body.length : m);
  }
  call.end();
  const rest = await rd.all();
  c.check(JSON.stringify(got) === '[31415,9,2653,58979]', 'each request answered in turn', JSON.stringify(got),
    errText(rd.error));
  c.check(rest.length === 0 && rd.status && rd.status.code === C.OK, 'OK after the half-close',
    rd.status && codeName(rd.status.code), errText(rd.error));
}

async function clientStreaming(c, stub) {
  const res = await new Promise((resolve) => {
    const call = stub.StreamingInputCall({deadline: deadline(10)}, (err, resp) => resolve({err, resp}));
    for (const n of [27182, 8, 1828, 45904]) call.write({payload: zeros(n)});
    call.end();
  });
  const n = res.resp && res.resp.aggregated_payload_size;
  c.check(!res.err && n === 74922, 'aggregated_payload_size 74922', errText(res.err), n);
}

async function emptyStream(c, stub) {
  const call = stub.FullDuplexCall({deadline: deadline(10)});
  const rd = new Reader(call);
  call.end();
  const got = await rd.all();
  c.check(got.length === 0 && rd.status && rd.status.code === C.OK, 'no response, OK',
    got.length, rd.status && codeName(rd.status.code), errText(rd.error));
}

async function timeoutOnSleepingServer(c, stub) {
  const call = stub.FullDuplexCall({deadline: new Date(Date.now() + 1)});
  const rd = new Reader(call);
  call.write({payload: zeros(27182)});
  await rd.finished();
  call.end();
  c.check(rd.status && rd.status.code === C.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED',
    rd.status && `${codeName(rd.status.code)} ${JSON.stringify(rd.status.details)}`);
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.length !== 2 || argv[0] !== '--addr') {
    process.stderr.write('usage: testservice_client.js --addr HOST:PORT\n');
    process.exit(2);
  }
  const addr = argv[1];
  const stub = new pb.TestService(addr, grpc.credentials.createInsecure());
  const cases = [
    ['empty_unary', emptyUnary],
    ['large_unary', largeUnary],
    ['server_streaming', serverStreaming],
    ['server_streaming with interval_us (timers, not sleeps)', serverStreamingIntervals],
    ['status_code_and_message', statusCodeAndMessage],
    ['special_status_message', specialStatusMessage],
    ['custom_metadata', customMetadata],
    ['unimplemented_method', unimplementedMethod],
    ['unimplemented_service', unimplementedService],
    ['cancel_after_begin', cancelAfterBegin],
    ['cancel_after_first_response', cancelAfterFirstResponse],
    ['ping_pong', pingPong],
    ['client_streaming', clientStreaming],
    ['empty_stream', emptyStream],
    ['timeout_on_sleeping_server', timeoutOnSleepingServer],
  ];
  const rows = [];
  for (const [name, fn] of cases) {
    const c = new Case(name);
    try {
      await fn(c, stub, addr);
    } catch (e) {
      c.check(false, 'no unexpected error', e && e.stack ? e.stack : String(e));
    }
    rows.push([name, c.first === null ? 'pass' : 'FAIL', c.first || '']);
  }
  const r = await unary(stub, 'EmptyCall', {});
  report(!r.err, 'the server still answers after every case', [errText(r.err)]);
  stub.close();
  rows.forEach(([name, verdict, note], i) => {
    process.stdout.write(`row\tT.${i + 1}\t${name}\t${verdict}\t${note.replace(/[\t\n]/g, ' ')}\n`);
  });
  const version = require('@grpc/grpc-js/package.json').version;
  process.stdout.write(`version\tgrpc-js ${version}\n`);
  process.stdout.write(`# testservice_client.js: ${fails} of ${checks} checks failed\n`);
  process.exitCode = fails ? 1 : 0;
}

main();
