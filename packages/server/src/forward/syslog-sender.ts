/**
 * Sends syslog lines to one receiver. UDP: one message per datagram, no connection. TCP: one
 * connection kept open and re-opened on the next send after it broke (the delivery queue's backoff
 * spaces the attempts, so a receiver that is down is not hammered); RFC 6587 octet-counting or
 * newline framing; connect and write are bounded by `timeout_ms`.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv6, type Socket } from 'node:net';
import type { SyslogTarget } from '../config/forward-config.js';
import { frameSyslog } from './syslog-message.js';

export interface SyslogSender {
  send(line: string): Promise<void>;
  /** Connections opened (TCP), for the tests and the log. */
  readonly connects: number;
  close(): void;
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => {
        onTimeout();
        reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' }));
      }, ms);
    }),
  ]).finally(() => clearTimeout(t));
}

function udpSender(t: SyslogTarget): SyslogSender {
  let sock: UdpSocket | undefined;
  return {
    connects: 0,
    send(line) {
      sock ??= createSocket(isIPv6(t.host) ? 'udp6' : 'udp4').on('error', () => {
        // Errors reach the pending send's callback; a socket-level one closes it for a new one.
        sock?.close();
        sock = undefined;
      });
      const s = sock;
      const buf = Buffer.from(line, 'utf8');
      return withTimeout(
        new Promise<void>((resolve, reject) =>
          s.send(buf, t.port, t.host, (e) => (e ? reject(e) : resolve())),
        ),
        t.timeout_ms,
        () => undefined,
      );
    },
    close() {
      sock?.close();
      sock = undefined;
    },
  };
}

function tcpSender(t: SyslogTarget): SyslogSender {
  let sock: Socket | undefined;
  let connects = 0;
  const drop = (s: Socket) => {
    s.destroy();
    if (sock === s) sock = undefined;
  };
  function open(): Promise<Socket> {
    if (sock && !sock.destroyed && sock.writable) return Promise.resolve(sock);
    const s = connect({ host: t.host, port: t.port });
    s.setNoDelay(true);
    // A receiver does not talk back; anything it sends is discarded.
    s.on('data', () => undefined);
    s.on('error', () => drop(s));
    s.on('close', () => drop(s));
    return withTimeout(
      new Promise<Socket>((resolve, reject) => {
        s.once('connect', () => {
          connects++;
          sock = s;
          resolve(s);
        });
        s.once('error', reject);
      }),
      t.timeout_ms,
      () => drop(s),
    );
  }
  return {
    get connects() {
      return connects;
    },
    async send(line) {
      const s = await open();
      const frame = frameSyslog(line, t.framing);
      await withTimeout(
        new Promise<void>((resolve, reject) => s.write(frame, (e) => (e ? reject(e) : resolve()))),
        t.timeout_ms,
        () => drop(s),
      ).catch((e: unknown) => {
        drop(s);
        throw e;
      });
    },
    close() {
      if (sock) {
        sock.end();
        sock = undefined;
      }
    },
  };
}

export function createSyslogSender(t: SyslogTarget): SyslogSender {
  return t.protocol === 'tcp' ? tcpSender(t) : udpSender(t);
}
