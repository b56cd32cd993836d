import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createClientResolver } from './client-address.js';

// The X-Forwarded-For walk itself is tested in the engine (ip.test.ts); these are the sensor's own rules.
describe('client address', () => {
  const req = (peer: string | undefined, xff?: string | string[]) =>
    ({
      socket: { remoteAddress: peer, remotePort: peer === undefined ? undefined : 5555 },
      headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
    }) as unknown as IncomingMessage;

  it('uses the socket peer, with its port, unless it is a trusted proxy', () => {
    const none = createClientResolver([]);
    expect(none(req('::ffff:192.0.2.1', '203.0.113.5'))).toEqual({ ip: '192.0.2.1', port: 5555 });
    const trusting = createClientResolver(['10.0.0.0/8', ' 127.0.0.1 ']);
    expect(trusting(req('192.0.2.1', '203.0.113.5'))).toEqual({ ip: '192.0.2.1', port: 5555 });
    expect(none(req(undefined))).toEqual({ ip: '0.0.0.0' });
  });

  it('takes the client from X-Forwarded-For behind a trusted proxy, without a port', () => {
    const r = createClientResolver(['10.0.0.0/8', '127.0.0.1']);
    expect(r(req('127.0.0.1', '1.1.1.1, 203.0.113.5, 10.0.0.7'))).toEqual({ ip: '203.0.113.5' });
    expect(r(req('127.0.0.1', '[2001:db8::7]:443'))).toEqual({ ip: '2001:db8::7' });
    // Garbage stops the walk; when nothing good is left the peer stays the client, port and all.
    expect(r(req('127.0.0.1', '203.0.113.5, unknown'))).toEqual({ ip: '127.0.0.1', port: 5555 });
  });

  it('refuses an invalid trustProxy entry', () => {
    expect(() => createClientResolver(['10.0.0.0/40'])).toThrow(/trustProxy/);
    expect(() => createClientResolver(['010.0.0.0/8'])).toThrow(/trustProxy/);
    expect(() => createClientResolver([42 as unknown as string])).toThrow(/trustProxy/);
  });
});
