import { describe, expect, it } from 'vitest';
import { parseRequest } from './parse-request.js';
import { DEFAULT_LIMITS } from './limits.js';
import { Flag } from '../value.js';
import type { RequestRecord } from '../types.js';

const parse = (r: RequestRecord, limits = DEFAULT_LIMITS) => parseRequest(r, limits);
const where = (r: RequestRecord) => Object.fromEntries(parse(r).values.map((v) => [v.location, v.raw]));

describe('parseRequest surfaces', () => {
  it('splits path, segments, query (repeated names kept) and decodes once', () => {
    const p = parse({ method: 'GET', url: '/shop/it%27em/view?id=1&id=2&q=a+b%2520c&flag', headers: {} });
    expect(p.path).toBe("/shop/it'em/view");
    const vals = p.values.map((v) => [v.location, v.raw]);
    expect(vals).toContainEqual(['path.segment:2', "it'em"]);
    expect(vals.filter(([l]) => l === 'query:id').map(([, r]) => r)).toEqual(['1', '2']);
    expect(vals).toContainEqual(['query:q', 'a b%20c']);
    expect(vals).toContainEqual(['query:flag', 'flag']);
  });

  it('inspects unusual argument names', () => {
    const w = where({ method: 'GET', url: '/login?password[$ne]=x&__proto__[admin]=1', headers: {} });
    expect(w['query.name:password[$ne]']).toBe('password[$ne]');
    expect(w['query.name:__proto__[admin]']).toBe('__proto__[admin]');
  });

  it('reads cookies and every header, with odd header names', () => {
    const w = where({
      method: 'GET',
      url: '/',
      headers: { cookie: 'sid=abc; pref=%3Cb%3E', 'user-agent': 'curl/8', 'x-we(rd': 'v' },
    });
    expect(w['cookie:pref']).toBe('<b>');
    expect(w['header:user-agent']).toBe('curl/8');
    expect(w['header.name:x-we(rd']).toBe('x-we(rd');
  });

  it('walks JSON bodies with JSON-path locations and unusual keys', () => {
    const w = where({
      method: 'POST',
      url: '/api',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"user":{"name":"bob","tags":["a","<b>"]},"password":{"$ne":null}}',
    });
    expect(w['body.json:$.user.name']).toBe('bob');
    expect(w['body.json:$.user.tags[1]']).toBe('<b>');
    expect(w['body.json.key:$.password.$ne']).toBe('$ne');
  });

  it('parses multipart fields, filenames and part content types', () => {
    const body = [
      '--XyZ',
      'Content-Disposition: form-data; name="title"',
      '',
      'hello',
      '--XyZ',
      'Content-Disposition: form-data; name="file"; filename="shell.php.jpg"',
      'Content-Type: image/jpeg',
      '',
      '<?php system($_GET[c]); ?>',
      '--XyZ--',
      '',
    ].join('\r\n');
    const w = where({
      method: 'POST',
      url: '/up',
      headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
      body,
    });
    expect(w['body.multipart:title']).toBe('hello');
    expect(w['body.multipart.filename:file']).toBe('shell.php.jpg');
    expect(w['body.multipart.content-type:file']).toBe('image/jpeg');
    expect(w['body.multipart.file:file']).toBe('<?php system($_GET[c]); ?>');
  });

  it('walks XML text, attributes and the DOCTYPE', () => {
    const w = where({
      method: 'POST',
      url: '/soap',
      headers: { 'content-type': 'text/xml' },
      body: '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r><a id="7">&x;</a></r>',
    });
    expect(w['body.xml:!DOCTYPE']).toContain('<!ENTITY x SYSTEM');
    expect(w['body.xml:/r/a']).toBe('&x;');
    expect(w['body.xml:/r/a/@id']).toBe('7');
  });

  it('inspects unknown and mismatched content types as raw text', () => {
    expect(
      where({ method: 'POST', url: '/', headers: { 'content-type': 'application/x-foo' }, body: 'a b c' })[
        'body'
      ],
    ).toBe('a b c');
    const p = parse({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/json' },
      body: 'not json {',
    });
    expect(p.values.some((v) => v.location === 'body' && v.raw === 'not json {')).toBe(true);
    expect(p.notes.map((n) => n.kind)).toContain('malformed_body');
  });

  it('adds base64 values decoded to text as extra values', () => {
    const p = parse({ method: 'GET', url: '/?d=PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg%3D%3D', headers: {} });
    const decoded = p.values.find((v) => v.pre.includes('base64Decode'));
    expect(decoded?.raw).toBe('<script>alert(1)</script>');
    expect(decoded?.decodedBy('norm')).toEqual(['base64Decode']);
  });
});

describe('parseRequest limits are notes, never silent', () => {
  const small = {
    ...DEFAULT_LIMITS,
    max_body_bytes: 100,
    max_params: 5,
    max_json_depth: 3,
    max_value_bytes: 10,
    max_url_bytes: 50,
  };
  it('notes every exceeded limit', () => {
    const kinds = (r: RequestRecord) => parse(r, small).notes.map((n) => `${n.kind}@${n.location}`);
    expect(
      kinds({ method: 'POST', url: '/', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(200) }),
    ).toContain('limit_exceeded@body');
    expect(kinds({ method: 'GET', url: '/?a=1&b=2&c=3&d=4&e=5&f=6', headers: {} })).toContain(
      'limit_exceeded@request',
    );
    expect(
      kinds({
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/json' },
        body: '{"a":{"b":{"c":{"d":1}}}}',
      }),
    ).toContain('limit_exceeded@body');
    expect(kinds({ method: 'GET', url: '/?a=01234567890123', headers: {} })).toContain(
      'limit_exceeded@query:a',
    );
    expect(kinds({ method: 'GET', url: `/${'a'.repeat(60)}`, headers: {} })).toContain('limit_exceeded@url');
  });
  it('flags a NUL that decoding removes from the norm view', () => {
    const v = parse({ method: 'GET', url: '/?a=sel%00ect', headers: {} }).values.find(
      (x) => x.location === 'query:a',
    )!;
    expect(v.view('norm')).toBe('select');
    expect(v.flags & Flag.nul).not.toBe(0);
  });
  it('headers do not count against max_params: padding arguments cannot hide a header', () => {
    const limits = { ...DEFAULT_LIMITS, max_params: 3 };
    const p = parse({ method: 'GET', url: '/?a=1&b=2&c=3&d=4&e=5', headers: { 'user-agent': 'x' } }, limits);
    expect(p.values.some((v) => v.location === 'header:user-agent')).toBe(true);
    expect(p.notes.find((n) => n.location === 'request')?.evidence).toBe('5 values > max_params 3');
  });
  it('notes invalid percent-encoding', () => {
    expect(parse({ method: 'GET', url: '/?a=%zz', headers: {} }).notes[0]?.kind).toBe('invalid_encoding');
  });
});

describe('parseRequest on a body cut at the limit', () => {
  const small = { ...DEFAULT_LIMITS, max_body_bytes: 120 };
  const notes = (r: RequestRecord) => parse(r, small).notes.map((n) => `${n.kind}@${n.location}`);
  const post = (ct: string, body: string, extra: Partial<RequestRecord> = {}): RequestRecord => ({
    method: 'POST',
    url: '/',
    headers: { 'content-type': ct },
    body,
    ...extra,
  });
  it('walks the received JSON values and keeps the cut member as raw text', () => {
    const body = JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => ({ sku: `A${i}` })) });
    const p = parse(post('application/json', body), small);
    expect(p.bodyTruncated).toBe(true);
    expect(p.notes.map((n) => `${n.kind}@${n.location}`)).toEqual(['limit_exceeded@body']);
    expect(p.values.find((v) => v.location === 'body.json:$.items[0].sku')?.raw).toBe('A0');
    expect(p.values.some((v) => v.location === 'body' && v.raw === '"sku"')).toBe(true);
  });
  it('still notes JSON that was malformed before the cut', () => {
    expect(notes(post('application/json', `{"a":1,,"b":[${'1,'.repeat(80)}`))).toContain(
      'malformed_body@body',
    );
  });
  it('takes a missing closing delimiter and a half part header for the cut', () => {
    const body = `--b\r\nContent-Disposition: form-data; name="t"\r\n\r\nhi\r\n--b\r\nContent-Disposition: form-data; name="f"; filename="a.png"\r\n\r\n${'x'.repeat(200)}`;
    expect(notes(post('multipart/form-data; boundary=b', body))).toEqual(['limit_exceeded@body']);
    const head = `--b\r\nContent-Disposition: form-data; name="t"\r\n\r\nhi\r\n--b\r\nContent-Disposition: form-data; name="${'f'.repeat(100)}"`;
    expect(notes(post('multipart/form-data; boundary=b', head, { body_truncated: true }))).toEqual([
      'limit_exceeded@body',
    ]);
    // Not cut: the same shapes are malformed.
    expect(
      notes(
        post('multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="t"\r\n\r\nhi'),
      ),
    ).toContain('malformed_body@body');
  });
  it('walks cut XML without a malformed note, but still notes mismatched tags', () => {
    const xml = `<a><b>one</b><c x="1">${'two '.repeat(60)}</c></a>`;
    const p = parse(post('application/xml', xml), small);
    expect(p.notes.map((n) => n.kind)).toEqual(['limit_exceeded']);
    expect(p.values.find((v) => v.location === 'body.xml:/a/b')?.raw).toBe('one');
    expect(notes(post('application/xml', `<a><b>x</c>${' '.repeat(200)}`))).toContain('malformed_body@body');
  });
  it('drops an escape the cut left half of in a form body', () => {
    const body = `a=1&t=${'caf%C3%A9+'.repeat(12)}caf%C3`;
    const p = parse(post('application/x-www-form-urlencoded', body, { body_truncated: true }), small);
    expect(p.notes.map((n) => n.kind)).toEqual(['limit_exceeded']);
    expect(p.values.find((v) => v.location === 'body.form:t')?.raw.endsWith('café caf')).toBe(true);
    const half = parse(post('application/x-www-form-urlencoded', 'a=1&t=x%E2%8', { body_truncated: true }));
    expect(half.notes.map((n) => n.kind)).toEqual(['limit_exceeded']);
  });
  it('notes a body the caller cut, once, at body', () => {
    const p = parse(post('application/json', '{"a":"b","c":', { body_truncated: true }));
    expect(p.notes.map((n) => `${n.kind}@${n.location}`)).toEqual(['limit_exceeded@body']);
    expect(p.values.find((v) => v.location === 'body.json:$.a')?.raw).toBe('b');
  });
  it('notes the value limit once per request, with the count', () => {
    const limits = { ...DEFAULT_LIMITS, max_value_bytes: 10 };
    const p = parse({ method: 'GET', url: `/?a=${'x'.repeat(20)}&b=${'y'.repeat(20)}`, headers: {} }, limits);
    expect(p.notes).toEqual([
      {
        kind: 'limit_exceeded',
        location: 'query:a',
        evidence: 'value of 20 chars > max_value_bytes 10; 2 values cut in all',
      },
    ]);
  });
});
