import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CidrMap, normalizeIp, parseCidr, parseIp } from './cidr-map.js';
import { createClientResolver } from './client-address.js';

describe('parseIp / normalizeIp', () => {
  it('reads IPv4, IPv6, IPv4-mapped IPv6 and zone ids; refuses the rest', () => {
    expect(parseIp('10.1.2.3')).toEqual({ v: 4, n: 0x0a010203 });
    expect(parseIp('::ffff:10.1.2.3')).toEqual({ v: 4, n: 0x0a010203 });
    expect(parseIp('2001:db8::1')).toEqual({ v: 6, w: [0x20010db8, 0, 0, 1] });
    expect(parseIp('fe80::1%eth0')).toEqual({ v: 6, w: [0xfe800000, 0, 0, 1] });
    expect(parseIp('::')).toEqual({ v: 6, w: [0, 0, 0, 0] });
    expect(parseIp('64:ff9b::192.0.2.33')).toEqual({ v: 6, w: [0x0064ff9b, 0, 0, 0xc0000221] });
    for (const bad of ['', '1.2.3', '1.2.3.256', 'example.com', '1::2::3', 'x'.repeat(200)])
      expect(parseIp(bad), bad).toBeNull();
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('2001:DB8::1%eth0')).toBe('2001:db8::1');
  });

  it('parses CIDRs, including IPv4-mapped prefixes', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ key: { v: 4, n: 0x0a000000 }, prefix: 8 });
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual({ key: { v: 4, n: 0x0a000000 }, prefix: 8 });
    expect(parseCidr('1.2.3.4')?.prefix).toBe(32);
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '2001:db8::/129', 'a/8'])
      expect(parseCidr(bad), bad).toBeNull();
  });
});

describe('CidrMap', () => {
  it('matches the longest prefix, for IPv4 and IPv6', () => {
    const m = new CidrMap<string>();
    expect(m.set('10.0.0.0/8', 'wide')).toBe(true);
    expect(m.set('10.1.0.0/16', 'narrow')).toBe(true);
    expect(m.set('203.0.113.5', 'one')).toBe(true);
    expect(m.set('2001:db8::/32', 'v6')).toBe(true);
    expect(m.set('0.0.0.0/0', 'all-v4')).toBe(true);
    expect(m.set('nonsense', 'x')).toBe(false);
    expect(m.size).toBe(5);
    expect(m.get('10.1.2.3')).toBe('narrow');
    expect(m.get('10.2.2.3')).toBe('wide');
    expect(m.get('::ffff:10.2.2.3')).toBe('wide');
    expect(m.get('203.0.113.5')).toBe('one');
    expect(m.get('203.0.113.6')).toBe('all-v4');
    expect(m.get('2001:db8:ffff::1')).toBe('v6');
    expect(m.get('2001:db9::1')).toBeUndefined();
    expect(m.has('garbage')).toBe(false);
  });

  it('find skips values the predicate refuses', () => {
    const m = new CidrMap<number>();
    m.set('10.0.0.0/8', 1);
    m.set('10.1.0.0/16', 2);
    expect(m.find(parseIp('10.1.1.1')!, (v) => v === 1)).toBe(1);
    expect(m.find(parseIp('10.1.1.1')!, () => false)).toBeUndefined();
  });
});

describe('client address', () => {
  const req = (peer: string, xff?: string | string[]) =>
    ({
      socket: { remoteAddress: peer, remotePort: 5555 },
      headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
    }) as unknown as IncomingMessage;

  it('uses the socket peer unless it is a trusted proxy', () => {
    const none = createClientResolver([]);
    expect(none(req('::ffff:192.0.2.1', '203.0.113.5'))).toEqual({ ip: '192.0.2.1', port: 5555 });
    const trusting = createClientResolver(['10.0.0.0/8', '127.0.0.1']);
    expect(trusting(req('192.0.2.1', '203.0.113.5'))).toEqual({ ip: '192.0.2.1', port: 5555 });
  });

  it('walks X-Forwarded-For from the right past trusted hops', () => {
    const r = createClientResolver(['10.0.0.0/8', '127.0.0.1']);
    expect(r(req('127.0.0.1', '203.0.113.5'))).toEqual({ ip: '203.0.113.5' });
    // The left-most entry is client-controlled: the first untrusted hop from the right wins.
    expect(r(req('127.0.0.1', '1.1.1.1, 203.0.113.5, 10.0.0.7'))).toEqual({ ip: '203.0.113.5' });
    expect(r(req('127.0.0.1', ['198.51.100.1', '10.0.0.8']))).toEqual({ ip: '198.51.100.1' });
    expect(r(req('127.0.0.1', '[2001:db8::7]:443'))).toEqual({ ip: '2001:db8::7' });
    expect(r(req('127.0.0.1', '203.0.113.9:1234'))).toEqual({ ip: '203.0.113.9' });
    // Garbage stops the walk at the last good hop.
    expect(r(req('127.0.0.1', '203.0.113.5, unknown'))).toEqual({ ip: '127.0.0.1', port: 5555 });
    expect(r(req('127.0.0.1', 'unknown, 10.0.0.1'))).toEqual({ ip: '10.0.0.1' });
  });

  it('refuses an invalid trustProxy entry', () => {
    expect(() => createClientResolver(['10.0.0.0/40'])).toThrow(/trustProxy/);
  });
});
