import { describe, expect, it } from 'vitest';
import { requestHeadersUpstream, responseHeadersDownstream } from './forward-headers.js';

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
