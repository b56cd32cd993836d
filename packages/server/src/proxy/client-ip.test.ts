import { describe, expect, it } from 'vitest';
import { CidrSet } from '../enrich/ip.js';
import { resolveClientIp, XFF_MAX_ENTRIES } from './client-ip.js';
import { requestHeadersUpstream, responseHeadersDownstream } from './forward-headers.js';

const trusted = (...c: string[]) => {
  const s = new CidrSet();
  for (const x of c) s.add(x);
  return s;
};

describe('resolveClientIp', () => {
  it('uses the peer when it is not trusted, whatever X-Forwarded-For says', () => {
    expect(resolveClientIp('::ffff:198.51.100.7', '1.2.3.4', trusted('10.0.0.0/8'))).toEqual({
      ip: '198.51.100.7',
      peerTrusted: false,
      peer: '198.51.100.7',
    });
  });

  it('walks a trusted chain right to left to the first untrusted address', () => {
    const t = trusted('10.0.0.0/8', '2001:db8::/32');
    expect(resolveClientIp('10.0.0.1', '6.6.6.6, 203.0.113.5, 10.9.9.9', t).ip).toBe('203.0.113.5');
    expect(resolveClientIp('10.0.0.1', ['6.6.6.6', '[2001:db8::2]:443'], t).ip).toBe('6.6.6.6');
    expect(resolveClientIp('10.0.0.1', '203.0.113.5:4711', t).ip).toBe('203.0.113.5');
    // all trusted: the left-most one
    expect(resolveClientIp('10.0.0.1', '10.1.1.1, 10.2.2.2', t).ip).toBe('10.1.1.1');
  });

  it('stops at garbage and at the entry bound', () => {
    const t = trusted('10.0.0.0/8');
    expect(resolveClientIp('10.0.0.1', '6.6.6.6, unknown, 10.2.2.2', t).ip).toBe('10.2.2.2');
    const long = [...Array(100).fill('10.3.3.3'), '10.4.4.4'].join(',');
    expect(resolveClientIp('10.0.0.1', `6.6.6.6,${long}`, t).ip).toBe('10.3.3.3');
    expect(XFF_MAX_ENTRIES).toBe(32);
  });
});

describe('forward headers', () => {
  const ctx = {
    peer: '127.0.0.1',
    peerTrusted: false,
    proto: 'http',
    httpVersion: '1.1',
    hostOverride: null,
    chunked: false,
  };

  it('removes hop-by-hop headers and those Connection names, but never Host or Content-Length', () => {
    const out = requestHeadersUpstream(
      [
        'Host',
        'a',
        'Connection',
        'close, X-Drop, host, Content-Length',
        'X-Drop',
        '1',
        'Content-Length',
        '3',
        'Proxy',
        'http://evil',
        'Upgrade',
        'h2c',
      ],
      ctx,
    );
    expect(out).toEqual([
      'Host',
      'a',
      'Content-Length',
      '3',
      'X-Forwarded-For',
      '127.0.0.1',
      'X-Forwarded-Proto',
      'http',
      'X-Forwarded-Host',
      'a',
      'Via',
      '1.1 palisade',
    ]);
  });

  it('drops forgeable identity headers from untrusted peers and re-frames chunked bodies', () => {
    const out = requestHeadersUpstream(
      ['Host', 'a', 'Forwarded', 'for=6.6.6.6', 'X-Real-IP', '6.6.6.6', 'Transfer-Encoding', 'chunked'],
      { ...ctx, chunked: true },
    );
    expect(out).not.toContain('Forwarded');
    expect(out).not.toContain('X-Real-IP');
    expect(out.slice(-2)).toEqual(['Transfer-Encoding', 'chunked']);
  });

  it('keeps response headers in order and case, less hop-by-hop ones', () => {
    expect(
      responseHeadersDownstream([
        'Set-Cookie',
        'a=1',
        'Connection',
        'X-Internal',
        'X-Internal',
        's',
        'set-cookie',
        'b=2',
        'Transfer-Encoding',
        'chunked',
        'Proxy-Authenticate',
        'Basic',
        'ETag',
        '"x"',
      ]),
    ).toEqual(['Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'ETag', '"x"']);
  });
});
