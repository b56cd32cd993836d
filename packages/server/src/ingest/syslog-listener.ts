/**
 * A syslog receiver over UDP (one datagram = one message) and TCP with both framings of RFC 6587,
 * told apart at every message: octet counting (`MSG-LEN SP MSG`, the length in bytes) when a frame
 * starts with a non-zero digit and the digits end at a space, else non-transparent framing ended by
 * LF or NUL. Memory is bounded: at most maxMessageBytes per connection are held, an oversize
 * octet-counted frame is skipped by exactly its announced length without being buffered, an oversize
 * LF-framed message is dropped up to its delimiter, and connections are limited in number and idle
 * time. Every message delivered or rejected is counted, rejections by reason. Messages are decoded as
 * UTF-8 (invalid bytes become U+FFFD) with a trailing CR removed; parsing them is the caller's job.
 */
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP } from 'node:net';
import type { Server, Socket } from 'node:net';

export interface SyslogPeer {
  address: string;
  port: number;
  transport: 'udp' | 'tcp';
}

export interface SyslogEndpoint {
  host: string;
  /** 0 picks a free port; the one bound is returned by startSyslogListener. */
  port: number;
}

export interface SyslogListenerOptions {
  udp?: SyslogEndpoint;
  tcp?: SyslogEndpoint;
  /** Longest message accepted, in bytes (default 64 KiB); longer ones are rejected and counted. */
  maxMessageBytes?: number;
  /** Most TCP connections open at once (default 256); more are closed at once and counted. */
  maxConnections?: number;
  /** A TCP connection silent this long is closed (default 5 minutes). */
  idleTimeoutMs?: number;
  /** Called for every message; an exception is caught and counted as `handler error`. */
  onMessage: (text: string, peer: SyslogPeer) => void;
  /** Called for every rejection (see SYSLOG_REJECT for the reasons); exceptions are ignored. */
  onReject?: (reason: string, peer: SyslogPeer) => void;
}

export interface SyslogListenerStats {
  /** Messages handed to onMessage. */
  received: number;
  /** Rejected messages and refused connections, by reason. */
  rejected: Record<string, number>;
  connections: { accepted: number; active: number; idleClosed: number };
  /** Socket errors (resets, failed sends of the OS); the connection involved is closed. */
  errors: number;
}

export interface SyslogListener {
  /** The bound UDP port, when UDP was asked for. */
  udpPort?: number;
  /** The bound TCP port, when TCP was asked for. */
  tcpPort?: number;
  stats(): SyslogListenerStats;
  /** Stops listening and closes every connection; resolves when all sockets are closed. */
  close(): Promise<void>;
}

/** The reasons a message or a connection is rejected. */
export const SYSLOG_REJECT = Object.freeze({
  oversize: 'oversize message',
  empty: 'empty message',
  truncated: 'truncated message',
  handler: 'handler error',
  connectionLimit: 'connection limit',
});

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 256;
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;

const LF = 10;
const CR = 13;
const NUL = 0;
const SPACE = 32;
/** Ten digits are enough for any length; a longer digit run is the start of an LF-framed message. */
const MAX_COUNT_DIGITS = 10;

const enum Mode {
  Boundary,
  Count,
  Octets,
  SkipOctets,
  Line,
  SkipLine,
}

/**
 * Splits a TCP byte stream into syslog messages (RFC 6587, both framings, chosen per message). Pure:
 * it calls `emit` with each message's bytes and `reject` with a reason; the socket code feeds it.
 * Frames may be split across chunks anywhere, also inside the length or a UTF-8 sequence.
 */
export class SyslogFramer {
  private mode = Mode.Boundary;
  private digits = '';
  private remaining = 0;
  private parts: Buffer[] = [];
  private size = 0;
  private ended = false;

  constructor(
    private readonly maxBytes: number,
    private readonly emit: (message: Buffer) => void,
    private readonly reject: (reason: string) => void,
  ) {}

  /** Feeds the next bytes of the stream. */
  push(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.mode) {
        case Mode.Boundary: {
          const b = chunk[i] as number;
          if (b === LF || b === CR || b === NUL) i++;
          else if (b >= 49 && b <= 57) {
            this.mode = Mode.Count;
            this.digits = '';
          } else this.mode = Mode.Line;
          break;
        }
        case Mode.Count: {
          const b = chunk[i] as number;
          if (b >= 48 && b <= 57 && this.digits.length < MAX_COUNT_DIGITS) {
            this.digits += String.fromCharCode(b);
            i++;
          } else if (b === SPACE) {
            i++;
            this.remaining = Number(this.digits);
            if (this.remaining > this.maxBytes) {
              this.reject(SYSLOG_REJECT.oversize);
              this.mode = Mode.SkipOctets;
            } else this.mode = Mode.Octets;
          } else {
            // Not a length: the digits begin a non-transparent (LF-framed) message.
            this.keep(Buffer.from(this.digits, 'latin1'));
            this.mode = Mode.Line;
          }
          break;
        }
        case Mode.Octets: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          if (this.remaining === 0 && this.parts.length === 0) this.emit(chunk.subarray(i, i + take));
          else {
            this.keep(Buffer.from(chunk.subarray(i, i + take)));
            if (this.remaining === 0) this.flush();
          }
          i += take;
          if (this.remaining === 0) this.mode = Mode.Boundary;
          break;
        }
        case Mode.SkipOctets: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.mode = Mode.Boundary;
          break;
        }
        case Mode.Line: {
          const end = delimiter(chunk, i);
          const stop = end === -1 ? n : end;
          if (this.size + (stop - i) > this.maxBytes) {
            this.drop();
            this.reject(SYSLOG_REJECT.oversize);
            this.mode = end === -1 ? Mode.SkipLine : Mode.Boundary;
          } else if (end === -1) this.keep(Buffer.from(chunk.subarray(i, n)));
          else {
            if (this.parts.length === 0) this.emit(chunk.subarray(i, end));
            else {
              this.keep(chunk.subarray(i, end));
              this.flush();
            }
            this.mode = Mode.Boundary;
          }
          i = end === -1 ? n : end + 1;
          break;
        }
        case Mode.SkipLine: {
          const end = delimiter(chunk, i);
          if (end === -1) i = n;
          else {
            i = end + 1;
            this.mode = Mode.Boundary;
          }
          break;
        }
      }
    }
  }

  /**
   * End of the stream: an unterminated LF-framed message (or a lone digit run) is delivered, an
   * incomplete octet-counted frame is rejected as truncated. Later calls do nothing.
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.mode === Mode.Count) this.keep(Buffer.from(this.digits, 'latin1'));
    if ((this.mode === Mode.Line || this.mode === Mode.Count) && this.size > 0) this.flush();
    else if (this.mode === Mode.Octets) {
      this.drop();
      this.reject(SYSLOG_REJECT.truncated);
    }
    this.mode = Mode.Boundary;
  }

  private keep(part: Buffer): void {
    this.parts.push(part);
    this.size += part.length;
  }

  private flush(): void {
    const message =
      this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.size);
    this.drop();
    this.emit(message);
  }

  private drop(): void {
    this.parts = [];
    this.size = 0;
  }
}

/** Index of the first LF or NUL at or after `from`, or -1. */
function delimiter(chunk: Buffer, from: number): number {
  const lf = chunk.indexOf(LF, from);
  const nul = chunk.subarray(from, lf === -1 ? chunk.length : lf).indexOf(NUL);
  return nul === -1 ? lf : from + nul;
}

function checkEndpoint(name: string, e: SyslogEndpoint | undefined): void {
  if (e === undefined) return;
  if (typeof e.host !== 'string' || e.host === '') throw new TypeError(`syslog ${name}: host is required`);
  if (!Number.isInteger(e.port) || e.port < 0 || e.port > 65535)
    throw new RangeError(`syslog ${name}: port must be an integer in 0..65535`);
}

function positive(name: string, v: number | undefined, def: number): number {
  if (v === undefined) return def;
  if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`syslog: ${name} must be a positive integer`);
  return v;
}

/**
 * Binds the asked transports and resolves once they listen; rejects (with nothing left open) when the
 * options are bad or a port cannot be bound.
 */
export async function startSyslogListener(opts: SyslogListenerOptions): Promise<SyslogListener> {
  if (typeof opts.onMessage !== 'function') throw new TypeError('syslog: onMessage is required');
  if (!opts.udp && !opts.tcp) throw new TypeError('syslog: give udp, tcp or both');
  checkEndpoint('udp', opts.udp);
  checkEndpoint('tcp', opts.tcp);
  const maxBytes = positive('maxMessageBytes', opts.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES);
  const maxConnections = positive('maxConnections', opts.maxConnections, DEFAULT_MAX_CONNECTIONS);
  const idleTimeoutMs = positive('idleTimeoutMs', opts.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS);
  const { onMessage, onReject } = opts;

  let received = 0;
  let errors = 0;
  const rejected: Record<string, number> = {};
  const connections = { accepted: 0, active: 0, idleClosed: 0 };
  const sockets = new Set<Socket>();

  function reject(reason: string, peer: SyslogPeer): void {
    rejected[reason] = (rejected[reason] ?? 0) + 1;
    if (!onReject) return;
    try {
      onReject(reason, peer);
    } catch {
      // A failing observer must not stop the listener.
    }
  }

  function deliver(bytes: Buffer, peer: SyslogPeer): void {
    let text = bytes.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text === '') {
      reject(SYSLOG_REJECT.empty, peer);
      return;
    }
    received++;
    try {
      onMessage(text, peer);
    } catch {
      reject(SYSLOG_REJECT.handler, peer);
    }
  }

  function onConnection(socket: Socket): void {
    const peer: SyslogPeer = {
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      transport: 'tcp',
    };
    if (connections.active >= maxConnections) {
      reject(SYSLOG_REJECT.connectionLimit, peer);
      socket.destroy();
      return;
    }
    connections.accepted++;
    connections.active++;
    sockets.add(socket);
    const framer = new SyslogFramer(
      maxBytes,
      (m) => deliver(m, peer),
      (reason) => reject(reason, peer),
    );
    socket.setTimeout(idleTimeoutMs, () => {
      connections.idleClosed++;
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', () => {
      errors++;
    });
    socket.on('close', () => {
      framer.end();
      connections.active--;
      sockets.delete(socket);
    });
  }

  let udp: UdpSocket | undefined;
  let server: Server | undefined;
  const listener: SyslogListener = {
    stats: () => ({ received, rejected: { ...rejected }, connections: { ...connections }, errors }),
    close: closeAll,
  };

  let closing: Promise<void> | undefined;
  function closeAll(): Promise<void> {
    closing ??= (async () => {
      const done: Promise<void>[] = [];
      if (udp) {
        const s = udp;
        done.push(new Promise((resolve) => s.close(() => resolve())));
      }
      if (server) {
        const s = server;
        done.push(new Promise((resolve) => s.close(() => resolve())));
        for (const socket of sockets) socket.destroy();
      }
      await Promise.all(done);
    })();
    return closing;
  }

  try {
    if (opts.udp) {
      const { host, port } = opts.udp;
      const s = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
      udp = s;
      await new Promise<void>((resolve, fail) => {
        s.once('error', fail);
        s.bind(port, host, () => {
          s.off('error', fail);
          resolve();
        });
      });
      s.on('error', () => {
        errors++;
      });
      s.on('message', (msg, rinfo) => {
        const peer: SyslogPeer = { address: rinfo.address, port: rinfo.port, transport: 'udp' };
        if (msg.length > maxBytes) {
          reject(SYSLOG_REJECT.oversize, peer);
          return;
        }
        // Senders often end a datagram with LF, CRLF or NUL: not part of the message.
        let end = msg.length;
        while (end > 0 && (msg[end - 1] === LF || msg[end - 1] === NUL)) end--;
        deliver(msg.subarray(0, end), peer);
      });
      listener.udpPort = s.address().port;
    }
    if (opts.tcp) {
      const { host, port } = opts.tcp;
      const s = createServer(onConnection);
      server = s;
      await new Promise<void>((resolve, fail) => {
        s.once('error', fail);
        s.listen(port, host, () => {
          s.off('error', fail);
          resolve();
        });
      });
      s.on('error', () => {
        errors++;
      });
      const address = s.address();
      if (address !== null && typeof address === 'object') listener.tcpPort = address.port;
    }
  } catch (err) {
    // Nothing stays open after a failed start; closing a socket that never bound is harmless.
    const open: Promise<void>[] = [];
    if (udp) {
      const s = udp;
      open.push(
        new Promise((resolve) => {
          try {
            s.close(() => resolve());
          } catch {
            resolve();
          }
        }),
      );
    }
    if (server) {
      const s = server;
      open.push(new Promise((resolve) => s.close(() => resolve())));
    }
    await Promise.all(open);
    throw err;
  }
  return listener;
}
