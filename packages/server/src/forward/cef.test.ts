import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { sqliEvent } from '../serve/test-client.js';
import type { Incident } from '../store/incidents.js';
import { alertToCef, escapeCefHeader, escapeCefValue, formatCef, incidentToCef } from './cef.js';
import {
  backoffDelay,
  createDeliveryQueue,
  PermanentDeliveryError,
  type Delivery,
} from './delivery-queue.js';
import { cutUtf8, formatSyslog, frameSyslog } from './syslog-message.js';
import { parseCef, parseSyslog5424, splitOctetCounted } from './testdata/cef-parse.js';
import { resolveForwardConfig } from '../config/forward-config.js';
import { PalisadeError } from '../errors.js';

const nasty = 'a|b\\c=d\ne\rf  g=h';

describe('CEF', () => {
  it('escapes header and extension specials', () => {
    expect(escapeCefHeader('a|b\\c')).toBe('a\\|b\\\\c');
    expect(escapeCefHeader('x\r\ny')).toBe('x y');
    expect(escapeCefValue('a=b\\c\nd\re|f')).toBe('a\\=b\\\\c\\nd\\re|f');
  });

  it('round-trips any value through a CEF parser', () => {
    const line = formatCef({
      version: '1.2|3',
      signatureId: 'sig|1',
      name: `name ${nasty}`,
      severity: 8,
      extensions: [
        ['msg', nasty],
        ['src', '203.0.113.9'],
        ['request', '/p?q=1 x=2&y=\\'],
        ['empty', ''],
        ['none', undefined],
      ],
    });
    expect(line).not.toMatch(/[\r\n]/);
    const p = parseCef(line);
    expect(p).toMatchObject({
      version: '0',
      vendor: 'Palisade',
      product: 'Palisade',
      deviceVersion: '1.2|3',
      signatureId: 'sig|1',
      name: 'name a|b\\c=d e f  g=h',
      severity: 8,
    });
    expect(p.ext).toEqual({ msg: nasty, src: '203.0.113.9', request: '/p?q=1 x=2&y=\\' });
  });

  it('describes an alert: rule, client, request, outcome', () => {
    const e: SecurityEvent = sqliEvent('evt-cef', {
      http: { method: 'GET', host: 'shop|x', path: '/s', query: 'q=a=b', status: 403, user_agent: 'ua\nx' },
    });
    const p = parseCef(alertToCef(e, '9.9.9'));
    expect(p).toMatchObject({ deviceVersion: '9.9.9', signatureId: 'sqli.tautology', severity: 10 });
    expect(p.name).toBe('sqli blocked (sqli.tautology)');
    expect(p.ext).toMatchObject({
      rt: String(Date.parse(e.ts)),
      externalId: 'evt-cef',
      src: '8.8.8.8',
      spt: '40000',
      requestMethod: 'GET',
      request: '/s?q=a=b',
      dhost: 'shop|x',
      requestClientApplication: 'ua\nx',
      act: 'block',
      cat: 'sqli',
      cs1Label: 'rules',
      cs1: 'sqli.tautology',
      cs2: 'sqli',
      msg: "query:q: ' or 1=1--",
    });
  });

  it('describes an incident', () => {
    const i: Incident = {
      id: 7,
      ref: 'r',
      type: 'brute_force',
      severity: 'critical',
      status: 'open',
      first_seen: '2026-11-22T08:00:00.000Z',
      last_seen: '2026-11-22T08:00:09.000Z',
      keys: { ip: '203.0.113.50', user: 'root' },
      count: 10,
      rule: 'brute_force',
      thresholds: {},
      reason: '9 failed logins in 2 minutes, then 1 successful',
      details: {},
      assignee: null,
      created: '2026-11-22T08:00:10.000Z',
      updated: '2026-11-22T08:00:10.000Z',
    };
    const p = parseCef(incidentToCef(i, '1.0.0'));
    expect(p).toMatchObject({
      signatureId: 'incident:brute_force',
      name: 'Incident brute_force',
      severity: 10,
    });
    expect(p.ext).toMatchObject({
      externalId: '7',
      src: '203.0.113.50',
      suser: 'root',
      cat: 'brute_force',
      cnt: '10',
      start: String(Date.parse(i.first_seen)),
      end: String(Date.parse(i.last_seen)),
      cs4: 'open',
      msg: i.reason,
    });
  });
});

describe('syslog messages', () => {
  it('formats RFC 5424 with PRI, time, host, app, msgid', () => {
    const line = formatSyslog(
      {
        facility: 13,
        severity: 2,
        time: Date.UTC(2026, 10, 22, 8),
        msgId: 'alert',
        msg: 'CEF:0|x',
        hostname: 'web 1',
      },
      8192,
    );
    const p = parseSyslog5424(line);
    expect(p).toMatchObject({
      pri: 13 * 8 + 2,
      timestamp: '2026-11-22T08:00:00.000Z',
      hostname: 'web1',
      appName: 'palisade',
      procId: String(process.pid),
      msgId: 'alert',
      msg: 'CEF:0|x',
    });
  });

  it('cuts a long message to the byte bound on a character boundary, never leaving half an escape', () => {
    expect(cutUtf8('aé€', 4)).toBe('aé');
    const msg = `CEF:0|${'x'.repeat(600)}\\\\${'y'.repeat(100)}`;
    for (let max = 560; max < 720; max++) {
      const line = formatSyslog({ facility: 1, severity: 6, time: 0, msgId: 'a', msg, hostname: 'h' }, max);
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(max);
      const body = parseSyslog5424(line).msg;
      let n = 0;
      while (body.endsWith('\\'.repeat(n + 1))) n++;
      expect(n % 2, `max ${max}`).toBe(0);
    }
  });

  it('frames for TCP by octet counting or newline', () => {
    const a = frameSyslog('héllo', 'octet-counting');
    const b = frameSyslog('x y', 'octet-counting');
    expect(a.toString('utf8')).toBe('6 héllo');
    expect(splitOctetCounted(Buffer.concat([a, b]))).toEqual(['héllo', 'x y']);
    expect(frameSyslog('a\nb', 'newline').toString()).toBe('a b\n');
  });
});

describe('delivery queue', () => {
  it('backs off exponentially with jitter, within the cap', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, 100, 1000, () => 1))).toEqual([100, 200, 400, 800]);
    expect([1, 2, 3].map((a) => backoffDelay(a, 100, 1000, () => 0))).toEqual([50, 100, 200]);
    expect(backoffDelay(30, 100, 1000, () => 1)).toBe(1000);
  });

  it('holds at most max_queue waiting, counts drops, and dead-letters a permanent refusal at once', async () => {
    const release: (() => void)[] = [];
    const sent: string[] = [];
    const dead: string[] = [];
    const q = createDeliveryQueue({
      name: 't',
      maxQueue: 2,
      maxAttempts: 5,
      backoffMs: 1,
      maxBackoffMs: 2,
      send: async (d) => {
        if (d.ref === 'bad') throw new PermanentDeliveryError('HTTP 404');
        await new Promise<void>((r) => release.push(r));
        sent.push(d.ref);
      },
      onDeadLetter: (d) => dead.push(`${d.ref}:${d.attempts}:${d.error}`),
    });
    const d = (ref: string): Delivery => ({ kind: 'alert', ref, severity: 'high', payload: ref });
    // The first goes in flight; two wait; the fourth finds the queue full.
    expect(['a', 'b', 'bad', 'c'].map((r) => q.push(d(r)))).toEqual([true, true, true, false]);
    expect(q.stats()).toMatchObject({ queued: 2, dropped: { queue_full: 1 } });
    while (sent.length < 2) {
      await new Promise((r) => setImmediate(r));
      release.shift()?.();
    }
    await q.idle();
    expect(sent).toEqual(['a', 'b']);
    expect(dead).toEqual(['bad:1:HTTP 404']);
    expect(q.stats()).toMatchObject({ sent: 2, failed: 1, retried: 0, dead_lettered: 1, queued: 0 });
    await q.close(10);
    expect(q.push(d('late'))).toBe(false);
    expect(q.stats().dropped).toEqual({ queue_full: 1, shutdown: 1 });
  });
});

describe('forward config', () => {
  const err = (raw: unknown, env = {}) => {
    try {
      resolveForwardConfig(raw, env);
    } catch (e) {
      if (e instanceof PalisadeError) return e.message;
      throw e;
    }
    return 'no error';
  };

  it('fills defaults and reads targets from the environment', () => {
    const c = resolveForwardConfig(
      {
        syslog: [{ host: 'siem.example', port: 6514, protocol: 'tcp' }],
        webhooks: [{ url: 'https://hooks.example/T/123?token=s3cret', secret_env: 'HOOK_KEY' }],
      },
      {
        HOOK_KEY: 'k',
        PALISADE_FORWARD_SYSLOG: 'udp://[::1]:514',
        PALISADE_FORWARD_WEBHOOK: 'http://127.0.0.1:9/x',
      },
    );
    expect(c.syslog).toMatchObject([
      {
        name: 'syslog:siem.example:6514',
        protocol: 'tcp',
        format: 'cef',
        framing: 'octet-counting',
        min_severity: 'medium',
      },
      { name: 'syslog:::1:514', host: '::1', port: 514, protocol: 'udp' },
    ]);
    // The name never carries the URL's path or query (they may hold a token).
    expect(c.webhooks).toMatchObject([
      { name: 'webhook:hooks.example', secret: 'k', format: 'json', min_severity: 'high', max_attempts: 5 },
      { name: 'webhook:127.0.0.1:9', secret: '' },
    ]);
    expect(resolveForwardConfig(undefined)).toEqual({ syslog: [], webhooks: [], dead_letter_max: 100 });
  });

  it('refuses bad targets naming the key', () => {
    expect(err({ syslog: [{ host: 'h' }] })).toBe('forward.syslog[0].port: required');
    expect(err({ syslog: [{ host: 'h', port: 1, protocol: 'sctp' }] })).toMatch(
      /^forward.syslog\[0\].protocol: must be one of udp, tcp/,
    );
    expect(err({ webhooks: [{ url: 'ftp://x' }] })).toMatch(/^forward.webhooks\[0\].url:/);
    expect(err({ webhooks: [{ url: 'http://x', min_severity: 'huge' }] })).toMatch(/min_severity/);
    expect(err({ webhooks: [{ url: 'http://x', secret_env: 'NOPE' }] })).toMatch(/NOPE is not set/);
    expect(err({ webhooks: [{ url: 'http://x', colour: 1 }] })).toMatch(
      /^forward.webhooks\[0\].colour: unknown key/,
    );
    expect(err({ webhooks: [{ url: 'http://x' }, { url: 'http://x/2' }] })).toMatch(/named "webhook:x"/);
    expect(err({}, { PALISADE_FORWARD_SYSLOG: 'siem:514' })).toMatch(/PALISADE_FORWARD_SYSLOG/);
    expect(err({ syslogs: [] })).toMatch(/^forward.syslogs: unknown key/);
  });
});
