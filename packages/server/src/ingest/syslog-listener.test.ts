import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SYSLOG_REJECT, SyslogFramer, startSyslogListener } from './syslog-listener.js';
import type { SyslogListener, SyslogListenerOptions, SyslogPeer } from './syslog-listener.js';

const HOST = '127.0.0.1';
const RFC3164 = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8";
const RFC5424 =
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 ' +
  '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...';
const SSHD = '<38>Nov 22 04:51:47 bastion sshd[1234]: Failed password for root from 192.0.2.1 port 22 ssh2';

/** `MSG-LEN SP MSG` with the length in bytes. */
function octet(msg: string): string {
  return `${Buffer.byteLength(msg)} ${msg}`;
}

interface Harness {
  listener: SyslogListener;
  messages: { text: string; peer: SyslogPeer }[];
  rejects: { reason: string; peer: SyslogPeer }[];
}

const open: SyslogListener[] = [];
const clients: Socket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(open.splice(0).map((l) => l.close()));
});

async function start(opts: Partial<SyslogListenerOptions> = {}): Promise<Harness> {
  const messages: Harness['messages'] = [];
  const rejects: Harness['rejects'] = [];
  const listener = await startSyslogListener({
    udp: { host: HOST, port: 0 },
    tcp: { host: HOST, port: 0 },
    onMessage: (text, peer) => messages.push({ text, peer }),
    onReject: (reason, peer) => rejects.push({ reason, peer }),
    ...opts,
  });
  open.push(listener);
  return { listener, messages, rejects };
}

async function tcpClient(port: number): Promise<Socket> {
  const socket = connect({ host: HOST, port, noDelay: true });
  clients.push(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

/** Writes and waits until the bytes are handed to the kernel, so separate writes leave separately. */
function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

async function sendUdp(port: number, data: string | Buffer): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) =>
    s.send(data, port, HOST, (err) => (err ? reject(err) : resolve())),
  );
  s.close();
}

describe('syslog listener over UDP', () => {
  it('delivers one message per datagram, RFC 3164 and RFC 5424, without trailing LF/CR/NUL', async () => {
    const h = await start();
    const port = h.listener.udpPort ?? 0;
    expect(port).toBeGreaterThan(0);
    await sendUdp(port, RFC3164);
    await sendUdp(port, `${RFC5424}\r\n`);
    await sendUdp(port, `${SSHD}\n\u0000`);
    await vi.waitFor(() => expect(h.messages).toHaveLength(3));
    expect(h.messages.map((m) => m.text).sort()).toEqual([RFC3164, RFC5424, SSHD].sort());
    expect(h.messages[0]?.peer).toMatchObject({ address: HOST, transport: 'udp' });
    expect(h.listener.stats().received).toBe(3);
  });

  it('rejects oversize and empty datagrams with their reason', async () => {
    const h = await start({ maxMessageBytes: 100 });
    const port = h.listener.udpPort ?? 0;
    await sendUdp(port, `<13>${'x'.repeat(200)}`);
    await sendUdp(port, '\n');
    await sendUdp(port, '<13>ok');
    await vi.waitFor(() => expect(h.messages.length + h.rejects.length).toBe(3));
    expect(h.messages.map((m) => m.text)).toEqual(['<13>ok']);
    expect(h.listener.stats().rejected).toEqual({ [SYSLOG_REJECT.oversize]: 1, [SYSLOG_REJECT.empty]: 1 });
    expect(h.rejects.every((r) => r.peer.transport === 'udp')).toBe(true);
  });

  it('decodes UTF-8 and replaces invalid bytes', async () => {
    const h = await start();
    await sendUdp(h.listener.udpPort ?? 0, Buffer.from([0x3c, 0x31, 0x3e, 0xc3, 0xbc, 0xff]));
    await vi.waitFor(() => expect(h.messages).toHaveLength(1));
    expect(h.messages[0]?.text).toBe('<1>ü\uFFFD');
  });
});

describe('syslog listener over TCP', () => {
  it('splits many LF-, CRLF- and NUL-framed messages sent in one chunk', async () => {
    const h = await start();
    const c = await tcpClient(h.listener.tcpPort ?? 0);
    await write(c, `${RFC3164}\n${RFC5424}\r\n${SSHD}\u0000\n\n${RFC3164}\n`);
    await vi.waitFor(() => expect(h.messages).toHaveLength(4));
    expect(h.messages.map((m) => m.text)).toEqual([RFC3164, RFC5424, SSHD, RFC3164]);
    expect(h.messages[0]?.peer).toMatchObject({ address: HOST, transport: 'tcp' });
  });

  it('reads octet-counted frames split across TCP chunks, also inside the length and a UTF-8 character', async () => {
    const h = await start();
    const c = await tcpClient(h.listener.tcpPort ?? 0);
    const msg = '<13>1 2026-11-22T04:51:47Z h app - - - grüße';
    const bytes = Buffer.from(octet(msg) + octet(RFC5424));
    const cut = bytes.indexOf(0xbc); // inside the two bytes of ü
    await write(c, bytes.subarray(0, 1));
    await new Promise((r) => setTimeout(r, 20));
    await write(c, bytes.subarray(1, cut));
    await new Promise((r) => setTimeout(r, 20));
    await write(c, bytes.subarray(cut));
    await vi.waitFor(() => expect(h.messages).toHaveLength(2));
    expect(h.messages.map((m) => m.text)).toEqual([msg, RFC5424]);
  });

  it('chooses the framing per message on one connection', async () => {
    const h = await start();
    const c = await tcpClient(h.listener.tcpPort ?? 0);
    await write(c, `${octet(RFC3164)}${SSHD}\n${octet('<13>a\nb')}\n2026-11-22 no pri\n`);
    await vi.waitFor(() => expect(h.messages).toHaveLength(4));
    expect(h.messages.map((m) => m.text)).toEqual([RFC3164, SSHD, '<13>a\nb', '2026-11-22 no pri']);
  });

  it('skips exactly the announced bytes of an oversize octet-counted frame', async () => {
    const h = await start({ maxMessageBytes: 100 });
    const c = await tcpClient(h.listener.tcpPort ?? 0);
    // The oversize frame holds LFs and something that looks like a frame: all of it is skipped.
    const big = `<13>${'a'.repeat(50)}\n5 <13>x\n${'b'.repeat(100)}`;
    await write(c, `${octet(big)}${octet('<13>after')}`);
    await vi.waitFor(() => expect(h.messages).toHaveLength(1));
    expect(h.messages[0]?.text).toBe('<13>after');
    expect(h.listener.stats().rejected).toEqual({ [SYSLOG_REJECT.oversize]: 1 });
  });

  it('drops an oversize LF-framed message up to its delimiter and goes on', async () => {
    const h = await start({ maxMessageBytes: 100 });
    const c = await tcpClient(h.listener.tcpPort ?? 0);
    await write(c, `<13>${'a'.repeat(80)}`);
    await write(c, `${'a'.repeat(80)}`);
    await write(c, `${'a'.repeat(80)}\n<13>next\n`);
    await vi.waitFor(() => expect(h.messages).toHaveLength(1));
    expect(h.messages[0]?.text).toBe('<13>next');
    expect(h.rejects.map((r) => r.reason)).toEqual([SYSLOG_REJECT.oversize]);
  });

  it('delivers an unterminated last message at close and rejects a truncated octet frame', async () => {
    const h = await start();
    const a = await tcpClient(h.listener.tcpPort ?? 0);
    await write(a, `${RFC3164}\n<13>last without LF`);
    a.end();
    await vi.waitFor(() => expect(h.messages).toHaveLength(2));
    expect(h.messages[1]?.text).toBe('<13>last without LF');
    const b = await tcpClient(h.listener.tcpPort ?? 0);
    await write(b, '50 <13>short');
    b.end();
    await vi.waitFor(() => expect(h.listener.stats().rejected).toEqual({ [SYSLOG_REJECT.truncated]: 1 }));
  });

  it('refuses connections beyond maxConnections and counts them', async () => {
    const h = await start({ maxConnections: 1 });
    const port = h.listener.tcpPort ?? 0;
    const first = await tcpClient(port);
    await vi.waitFor(() => expect(h.listener.stats().connections.active).toBe(1));
    // The server closes it at once, maybe before the client saw 'connect'.
    const second = connect({ host: HOST, port });
    clients.push(second);
    second.on('error', () => undefined);
    await closed(second);
    expect(h.listener.stats().rejected).toEqual({ [SYSLOG_REJECT.connectionLimit]: 1 });
    await write(first, `${RFC3164}\n`);
    await vi.waitFor(() => expect(h.messages).toHaveLength(1));
    first.destroy();
    await vi.waitFor(() => expect(h.listener.stats().connections.active).toBe(0));
    const third = await tcpClient(port);
    await write(third, `${SSHD}\n`);
    await vi.waitFor(() => expect(h.messages).toHaveLength(2));
    expect(h.listener.stats().connections).toMatchObject({ accepted: 2 });
  });

  it('closes an idle connection', async () => {
    const h = await start({ idleTimeoutMs: 50 });
    const c = await tcpClient(h.listener.tcpPort ?? 0);
    await closed(c);
    await vi.waitFor(() =>
      expect(h.listener.stats().connections).toEqual({ accepted: 1, active: 0, idleClosed: 1 }),
    );
  });

  it('counts a throwing handler and keeps going', async () => {
    const rejects: string[] = [];
    let calls = 0;
    const listener = await startSyslogListener({
      tcp: { host: HOST, port: 0 },
      onMessage: () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
      onReject: (reason) => rejects.push(reason),
    });
    open.push(listener);
    const c = await tcpClient(listener.tcpPort ?? 0);
    await write(c, 'a\nb\n');
    await vi.waitFor(() => expect(calls).toBe(2));
    expect(listener.stats()).toMatchObject({ received: 2, rejected: { [SYSLOG_REJECT.handler]: 1 } });
    expect(rejects).toEqual([SYSLOG_REJECT.handler]);
    expect(listener.udpPort).toBeUndefined();
  });

  it('close() closes the open connections and is idempotent', async () => {
    const h = await start();
    const c = await tcpClient(h.listener.tcpPort ?? 0);
    await vi.waitFor(() => expect(h.listener.stats().connections.active).toBe(1));
    await Promise.all([h.listener.close(), h.listener.close()]);
    await closed(c);
    expect(h.listener.stats().connections.active).toBe(0);
  });
});

describe('startSyslogListener', () => {
  it('refuses bad options', async () => {
    const onMessage = () => undefined;
    await expect(startSyslogListener({ onMessage })).rejects.toThrow(TypeError);
    await expect(startSyslogListener({ tcp: { host: HOST, port: 70000 }, onMessage })).rejects.toThrow(
      RangeError,
    );
    await expect(startSyslogListener({ tcp: { host: '', port: 0 }, onMessage })).rejects.toThrow(TypeError);
    await expect(
      startSyslogListener({ tcp: { host: HOST, port: 0 }, maxMessageBytes: 0, onMessage }),
    ).rejects.toThrow(RangeError);
    await expect(
      startSyslogListener({ tcp: { host: HOST, port: 0 }, onMessage: 1 as never }),
    ).rejects.toThrow(TypeError);
  });

  it('fails to start when the TCP port is taken and leaves the UDP socket closed', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, HOST, () => resolve()));
    const address = blocker.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    try {
      await expect(
        startSyslogListener({
          udp: { host: HOST, port },
          tcp: { host: HOST, port },
          onMessage: () => undefined,
        }),
      ).rejects.toThrow(/EADDRINUSE/);
      // The UDP port was released: it can be bound again.
      const again = await startSyslogListener({ udp: { host: HOST, port }, onMessage: () => undefined });
      await again.close();
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('SyslogFramer', () => {
  function frame(chunks: (string | Buffer)[], maxBytes = 1000): { out: string[]; rejects: string[] } {
    const out: string[] = [];
    const rejects: string[] = [];
    const f = new SyslogFramer(
      maxBytes,
      (m) => out.push(m.toString('utf8')),
      (r) => rejects.push(r),
    );
    for (const c of chunks) f.push(typeof c === 'string' ? Buffer.from(c) : c);
    f.end();
    f.end();
    return { out, rejects };
  }

  it('gives the same messages whatever the chunking, byte by byte included', () => {
    const stream = Buffer.from(
      `${octet(RFC5424)}\n${RFC3164}\n${octet('<1>ü\n')}${SSHD}\u0000123456789012 digits\n6 <1>abc`,
    );
    const want = [RFC5424, RFC3164, '<1>ü\n', SSHD, '123456789012 digits', '<1>abc'];
    expect(frame([stream]).out).toEqual(want);
    expect(frame([...stream].map((b) => Buffer.from([b]))).out).toEqual(want);
    for (const cut of [1, 2, 3, 50, 200, stream.length - 1])
      expect(frame([stream.subarray(0, cut), stream.subarray(cut)]).out).toEqual(want);
  });

  it('treats a digit run not ended by a space, or a leading zero, as the start of an LF-framed message', () => {
    expect(frame(['12ab\n0 x\n']).out).toEqual(['12ab', '0 x']);
    expect(frame(['42']).out).toEqual(['42']);
  });

  it('bounds both framings at maxBytes', () => {
    expect(frame(['10 01234567899 012345678'], 10)).toEqual({
      out: ['0123456789', '012345678'],
      rejects: [],
    });
    expect(frame([`11 01234567890`, 'abc\n'], 10)).toEqual({
      out: ['abc'],
      rejects: [SYSLOG_REJECT.oversize],
    });
    expect(frame(['0123456789\n', '01234567890\nz\n'], 10)).toEqual({
      out: ['0123456789', 'z'],
      rejects: [SYSLOG_REJECT.oversize],
    });
    expect(frame(['9999999999 abc'], 10)).toEqual({ out: [], rejects: [SYSLOG_REJECT.oversize] });
  });
});
