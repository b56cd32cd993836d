#!/usr/bin/env node
/* global process, console, Buffer, URL, setTimeout, clearTimeout */
// Replays every evaluation set of `palisade eval` (EVAL_SETS) against a running Apache +
// ModSecurity + OWASP CRS instance and judges it exactly like eval-command.ts does, with
// "detected" = HTTP 403. See README.md beside this file for the set-up.
//
//   node scripts/crs-baseline/replay.mjs [--corpus DIR] [--target http://127.0.0.1:8090]
//        [--concurrency 16] [--only set,set] [--limit N] [--verbose] [--out FILE|-]
//        [--error-log FILE] [--no-go-ftw-defaults] [--trace-status 500,400] [--variant TEXT]
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  openSync,
  readSync,
  closeSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const DIST = join(ROOT, 'packages/server/dist');
if (!existsSync(join(DIST, 'index.js'))) {
  console.error(`${DIST}/index.js not found: run "npx tsc -b packages/engine packages/server" in ${ROOT}`);
  process.exit(2);
}
// The same readers, judging and table helpers `palisade eval` uses.
const { readRequests, EVAL_SETS, Confusion, rates, formatTable, confusionTable, evalTable } = await import(
  join(DIST, 'index.js')
);

const { values: opt } = parseArgs({
  options: {
    corpus: { type: 'string', default: resolve(ROOT, '../shared/corpus') },
    target: { type: 'string', default: 'http://127.0.0.1:8090' },
    concurrency: { type: 'string', default: '16' },
    only: { type: 'string' },
    limit: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    out: { type: 'string', default: join(HERE, 'results-crs-3.3.4-pl1.json') },
    'error-log': { type: 'string', default: '/tmp/crs-baseline/error.log' },
    'no-go-ftw-defaults': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '30000' },
    'trace-status': { type: 'string' },
    variant: { type: 'string' },
  },
});
const target = new URL(opt.target);
const concurrency = Number(opt.concurrency);
const limit = opt.limit ? Number(opt.limit) : Infinity;
const timeoutMs = Number(opt.timeout);
const only = opt.only ? opt.only.split(',') : null;
const traceStatus = new Set(opt['trace-status'] ? opt['trace-status'].split(',') : []);
const goFtwDefaults = !opt['no-go-ftw-defaults'];
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });

/** Latin-1 "binary" string whose bytes are the UTF-8 encoding of `s` (node writes head bytes as latin1). */
const utf8AsLatin1 = (s) => Buffer.from(s, 'utf8').toString('latin1');

/**
 * The request as it goes on the wire. `host` and `content-length` are added when absent (FORMAT.md).
 * For the CRS regression-test sets, two defaults of go-ftw (the runner the CRS tests are written
 * for) are applied unless --no-go-ftw-defaults: a body without Content-Type gets
 * `application/x-www-form-urlencoded`, and a multipart/form-data body has its LF line ends made CRLF.
 */
function wireRequest(rec, kind) {
  const headers = {};
  for (const [k, v] of Object.entries(rec.headers ?? {})) headers[k.toLowerCase()] = v;
  if (headers.host === undefined) headers.host = 'localhost';
  let text = typeof rec.body === 'string' && rec.body !== '' ? rec.body : null;
  let goFtw = null;
  if (text !== null && kind === 'crs' && goFtwDefaults) {
    if (headers['content-type'] === undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      goFtw = 'content-type added';
    } else if (/^multipart\/form-data;/.test(String(headers['content-type']))) {
      const crlf = text.replace(/\r?\n/g, '\r\n');
      if (crlf !== text) goFtw = 'multipart LF made CRLF';
      text = crlf;
    }
  }
  const body = text === null ? null : Buffer.from(text, 'utf8');
  const givenLength = headers['content-length'];
  const te = headers['transfer-encoding'];
  if (body && givenLength === undefined && te === undefined) headers['content-length'] = String(body.length);
  // node:http cannot send these faithfully: a raw socket does (one request per connection).
  let raw = null;
  if (rec.method === 'CONNECT') raw = 'CONNECT method';
  else if (te !== undefined) raw = 'transfer-encoding header';
  else if (givenLength !== undefined && String(givenLength) !== String(body ? body.length : 0))
    raw = 'content-length differs from the body';
  else if (/[^\u0021-\u00ff]/.test(utf8AsLatin1(rec.url))) raw = 'path with spaces or control characters';
  else {
    for (const [k, v] of Object.entries(headers)) {
      try {
        http.validateHeaderName(k);
        for (const x of [].concat(v)) http.validateHeaderValue(k, utf8AsLatin1(x));
      } catch {
        raw = 'header not sendable by node:http';
      }
    }
  }
  return { method: rec.method, path: rec.url, headers, body, raw, goFtw };
}

function viaHttp(w) {
  return new Promise((resolveStatus) => {
    const headers = {};
    for (const [k, v] of Object.entries(w.headers))
      headers[k] = Array.isArray(v) ? v.map(utf8AsLatin1) : utf8AsLatin1(v);
    let req;
    try {
      req = http.request({
        agent,
        host: target.hostname,
        port: target.port,
        method: w.method,
        path: utf8AsLatin1(w.path),
        headers,
        setHost: false,
        timeout: timeoutMs,
      });
    } catch (e) {
      resolveStatus({ error: `client: ${e.code ?? e.message}` });
      return;
    }
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolveStatus({ status: res.statusCode }));
      res.on('error', () => resolveStatus({ status: res.statusCode }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolveStatus({ error: e.code ?? e.message }));
    req.end(w.body ?? undefined);
  });
}

function viaSocket(w) {
  return new Promise((resolveStatus) => {
    const lines = [`${w.method} ${w.path} HTTP/1.1`];
    for (const [k, v] of Object.entries(w.headers)) for (const x of [].concat(v)) lines.push(`${k}: ${x}`);
    if (w.headers.connection === undefined) lines.push('connection: close');
    const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
    const sock = net.connect({ host: target.hostname, port: Number(target.port) });
    let buf = '';
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolveStatus(r);
    };
    const timer = setTimeout(() => finish({ error: 'timeout' }), timeoutMs);
    sock.on('connect', () => sock.end(w.body ? Buffer.concat([head, w.body]) : head));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(buf);
      if (m) finish({ status: Number(m[1]) });
      else if (buf.length > 64) finish({ error: 'unparsable response' });
    });
    sock.on('error', (e) => finish({ error: e.code ?? e.message }));
    sock.on('close', () => finish({ error: 'closed without a response' }));
  });
}

/** Byte length of the error log, to attribute its lines to one set. */
const logSize = (f) => (existsSync(f) ? statSync(f).size : 0);

/** Counts, in the error-log bytes written while one set ran, who answered 400/404/413 and why. */
function errorLogSummary(file, from, to) {
  const out = { modsecDenied: {}, modsecDenyRules: {}, apacheCore: {} };
  if (!existsSync(file) || to <= from) return out;
  const fd = openSync(file, 'r');
  const chunk = Buffer.alloc(8 << 20);
  let pos = from;
  let rest = '';
  const line = (l) => {
    const d = /ModSecurity: Access denied with code (\d+)/.exec(l);
    if (d) {
      out.modsecDenied[d[1]] = (out.modsecDenied[d[1]] ?? 0) + 1;
      if (d[1] !== '403') {
        const id = /\[id "(\d+)"\]/.exec(l)?.[1] ?? '?';
        out.modsecDenyRules[`${d[1]}:${id}`] = (out.modsecDenyRules[`${d[1]}:${id}`] ?? 0) + 1;
      }
      return;
    }
    // Apache's own refusals, keyed by message number and the words before the URI (no corpus text).
    const c = /\[core:\w+\].*?(AH\d+): ([^(/]*)/.exec(l);
    if (c) {
      const k = `${c[1]} ${c[2].trim()}`;
      out.apacheCore[k] = (out.apacheCore[k] ?? 0) + 1;
    }
  };
  while (pos < to) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, to - pos), pos);
    if (n <= 0) break;
    pos += n;
    const parts = (rest + chunk.subarray(0, n).toString('latin1')).split('\n');
    rest = parts.pop();
    for (const l of parts) line(l);
  }
  if (rest) line(rest);
  closeSync(fd);
  return out;
}

function sha256(file) {
  return new Promise((ok, fail) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', () => ok(h.digest('hex')))
      .on('error', fail);
  });
}

function versions() {
  const q = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  return {
    apache2: q('dpkg-query', ['-W', '-f=${Version}', 'apache2']),
    'libapache2-mod-security2': q('dpkg-query', ['-W', '-f=${Version}', 'libapache2-mod-security2']),
    'modsecurity-crs': q('dpkg-query', ['-W', '-f=${Version}', 'modsecurity-crs']),
    node: process.version,
  };
}

const inc = (o, k) => (o[k] = (o[k] ?? 0) + 1);

async function runSet(set) {
  const file = join(opt.corpus, set.file);
  const judged = new Confusion();
  const statuses = { attack: {}, benign: {}, ignored: {}, dropped: {}, unlabelled: {}, all: {} };
  const viaRaw = {};
  let dropped = 0;
  let ignored = 0;
  let unlabelled = 0;
  let sent = 0;
  const goFtwChanges = {};
  let rejectedLines = 0;
  const errors = {};
  const statusByClass = {};
  const logFrom = logSize(opt['error-log']);
  const started = process.hrtime.bigint();
  const it = readRequests(file, set.kind, () => rejectedLines++)[Symbol.asyncIterator]();
  let taken = 0;
  const next = async () => (taken++ < limit ? it.next() : { done: true });
  const worker = async () => {
    for (let n = await next(); !n.done; n = await next()) {
      const r = n.value;
      const w = wireRequest(r.request, set.kind);
      if (w.goFtw) inc(goFtwChanges, w.goFtw);
      if (w.raw) inc(viaRaw, w.raw);
      let res = await (w.raw ? viaSocket(w) : viaHttp(w));
      if (res.error && !w.raw) res = await viaHttp(w); // one retry: a keep-alive socket may race its close
      sent++;
      const status = res.error ? `error` : String(res.status);
      if (res.error) inc(errors, res.error);
      inc(statuses.all, status);
      if (traceStatus.has(status)) process.stderr.write(`${set.name} ${r.id} ${r.label} -> ${status}\n`);
      // Judged exactly like eval-command.ts.
      if (!r.label) {
        unlabelled++;
        inc(statuses.unlabelled, status);
        continue;
      }
      if (r.label === 'attack' && r.class && set.ignoreAttackClasses?.[r.class]) {
        ignored++;
        inc(statuses.ignored, status);
        continue;
      }
      if (r.label === 'attack' && set.noiseFilter?.isNoise(r.request.url)) {
        dropped++;
        inc(statuses.dropped, status);
        continue;
      }
      inc(statuses[r.label], status);
      judged.add(r.label, r.class, res.status === 403);
      inc((statusByClass[`${r.label}:${r.class ?? r.label}`] ??= {}), status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  const r = rates(judged.overall);
  return {
    set: set.name,
    file: set.file,
    attacks: judged.overall.attacks,
    tpr: r.tpr,
    benign: judged.overall.benign,
    fpr: r.fpr,
    balancedAccuracy: r.balancedAccuracy,
    dropped,
    ignoredAttacks: ignored,
    unlabelled,
    requestsSent: sent,
    rejectedLines,
    seconds: Math.round(secs * 10) / 10,
    statuses,
    errors,
    sentViaRawSocket: viaRaw,
    goFtwDefaultsApplied: goFtwChanges,
    errorLog: errorLogSummary(opt['error-log'], logFrom, logSize(opt['error-log'])),
    classes: Object.fromEntries(
      [...judged.byClass].sort().map(([k, v]) => [
        k,
        {
          ...v,
          ...rates(v),
          statuses: {
            attack: statusByClass[`attack:${k}`] ?? {},
            benign: statusByClass[`benign:${k}`] ?? {},
          },
        },
      ]),
    ),
    confusion: judged,
  };
}

async function main() {
  if (!existsSync(opt.corpus)) throw new Error(`corpus directory not found: ${opt.corpus}`);
  // Fail fast when the instance is not up.
  const probe = await viaHttp({ method: 'GET', path: '/', headers: { host: 'localhost' }, body: null });
  if (probe.error || probe.status !== 200)
    throw new Error(`${opt.target} GET / answered ${probe.error ?? probe.status}, expected 200 (start.sh?)`);
  const started = process.hrtime.bigint();
  const rows = [];
  const files = {};
  for (const set of EVAL_SETS) {
    if (only && !only.includes(set.name)) continue;
    const file = join(opt.corpus, set.file);
    if (!existsSync(file)) continue;
    files[set.file] = await sha256(file);
    process.stderr.write(`${set.name} ... `);
    const row = await runSet(set);
    process.stderr.write(`${row.requestsSent} requests in ${row.seconds} s\n`);
    rows.push(row);
  }
  agent.destroy();
  const secs = Number(process.hrtime.bigint() - started) / 1e9;

  process.stdout.write(
    `OWASP CRS ${versions()['modsecurity-crs']} PL1 (ModSecurity ${versions()['libapache2-mod-security2']}) at ${opt.target} over ${opt.corpus} (detected = HTTP 403), ${secs.toFixed(1)} s\n\n`,
  );
  process.stdout.write(`${evalTable(rows)}\n\n`);
  for (const s of EVAL_SETS) {
    for (const reason of Object.values(s.ignoreAttackClasses ?? {}))
      process.stdout.write(`note: ${reason}\n`);
    if (s.noiseFilter) process.stdout.write(`note: ${s.noiseFilter.rule}\n`);
  }
  const s = [['set', 'label', 'statuses (all judged requests)', 'sent via raw socket', 'errors']];
  for (const r of rows)
    for (const label of ['attack', 'benign'])
      s.push([
        r.set,
        label,
        Object.entries(r.statuses[label])
          .sort()
          .map(([k, v]) => `${k}:${v}`)
          .join(' '),
        label === 'attack' ? String(Object.values(r.sentViaRawSocket).reduce((a, b) => a + b, 0)) : '',
        label === 'attack' ? String(Object.values(r.errors).reduce((a, b) => a + b, 0)) : '',
      ]);
  process.stdout.write(`\nHTTP statuses (only 403 counts as detected):\n${formatTable(s)}\n`);
  for (const r of rows) {
    const e = r.errorLog;
    const bits = [
      ...Object.entries(e.modsecDenied).map(([k, v]) => `ModSecurity denied ${k}: ${v}`),
      ...Object.entries(e.modsecDenyRules).map(([k, v]) => `non-403 deny ${k}: ${v}`),
      ...Object.entries(e.apacheCore).map(([k, v]) => `Apache ${k}: ${v}`),
    ];
    const all403 = r.statuses.all['403'] ?? 0;
    bits.unshift(`HTTP 403 received (all ${r.requestsSent} sent, judged or not): ${all403}`);
    process.stdout.write(`error.log ${r.set}: ${bits.join('; ')}\n`);
  }
  if (opt.verbose)
    for (const r of rows) {
      process.stdout.write(`\n## ${r.set}\n${confusionTable(r.confusion)}\n`);
      const c = [['class', 'attack statuses', 'benign statuses']];
      for (const [k, v] of Object.entries(r.classes))
        c.push([
          k,
          ...['attack', 'benign'].map((l) =>
            Object.entries(v.statuses[l])
              .sort()
              .map(([s2, n]) => `${s2}:${n}`)
              .join(' '),
          ),
        ]);
      process.stdout.write(`${formatTable(c)}\n`);
    }

  if (opt.out !== '-') {
    const result = {
      description:
        'OWASP CRS paranoia level 1 baseline over the palisade eval sets: detected = HTTP 403 from Apache + ModSecurity 2 + CRS (Debian packages). Figures only, no corpus content.',
      generatedAt: new Date().toISOString(),
      target: opt.target,
      versions: versions(),
      setup: {
        paranoiaLevel: 1,
        inboundAnomalyThreshold: 5,
        config: 'scripts/crs-baseline/apache.conf.template',
        goFtwDefaultsForCrsSets: goFtwDefaults,
        variant: opt.variant ?? 'default (Debian crs-setup.conf untouched)',
        concurrency,
        limitPerSet: Number.isFinite(limit) ? limit : null,
      },
      corpusSha256: files,
      seconds: Math.round(secs),
      rows: rows.map(({ confusion: _c, ...r }) => r),
      notes: EVAL_SETS.flatMap((s) => [
        ...Object.values(s.ignoreAttackClasses ?? {}),
        ...(s.noiseFilter ? [s.noiseFilter.rule] : []),
      ]),
    };
    writeFileSync(opt.out, `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(`wrote ${opt.out}\n`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
