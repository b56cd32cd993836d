/**
 * The evidence highlighter: segments cover the text exactly, every occurrence of the evidence is
 * marked (case-insensitive), overlaps merge, and hostile text stays text (the segments are plain
 * strings, rendered as React text nodes).
 */
import { describe, expect, it } from 'vitest';
import { formDecode, highlightSegments, parseRawRequest, percentDecode } from './highlight';

const join = (segs: { text: string }[]) => segs.map((s) => s.text).join('');
const marked = (segs: { text: string; mark: boolean }[]) => segs.filter((s) => s.mark).map((s) => s.text);

describe('highlightSegments', () => {
  it('marks every occurrence and keeps the text whole', () => {
    const text = "GET /search?q=' or 1=1-- and ' OR 1=1-- again";
    const segs = highlightSegments(text, ["' or 1=1--"]);
    expect(join(segs)).toBe(text);
    expect(marked(segs)).toEqual(["' or 1=1--", "' OR 1=1--"]);
  });

  it('merges overlapping and adjacent evidence into one mark', () => {
    const segs = highlightSegments('xx<script>alert(1)</script>yy', ['<script>alert', 'alert(1)</script>']);
    expect(segs).toEqual([
      { text: 'xx', mark: false },
      { text: '<script>alert(1)</script>', mark: true },
      { text: 'yy', mark: false },
    ]);
  });

  it('returns the text unmarked when nothing matches, and nothing for empty text', () => {
    expect(highlightSegments('plain', ['absent', '', '   '])).toEqual([{ text: 'plain', mark: false }]);
    expect(highlightSegments('', ['x'])).toEqual([]);
  });

  it('keeps markup as text: a payload is a segment string, never parsed', () => {
    const payload = '<img src=x onerror=alert(document.cookie)>';
    const segs = highlightSegments(`a=${payload}`, ['onerror=alert']);
    expect(join(segs)).toBe(`a=${payload}`);
    expect(marked(segs)).toEqual(['onerror=alert']);
  });

  it('matches exactly where lower-casing would change the length', () => {
    const text = 'İstanbul İSTANBUL';
    const segs = highlightSegments(text, ['İSTANBUL']);
    expect(join(segs)).toBe(text);
    expect(marked(segs)).toEqual(['İSTANBUL']);
  });

  it('bounds the work on many matches', () => {
    const segs = highlightSegments('a'.repeat(100_000), ['a']);
    expect(join(segs)).toBe('a'.repeat(100_000));
    expect(marked(segs).join('').length).toBe(500);
  });
});

describe('percentDecode', () => {
  it('undoes percent-encoding up to twice and decodes UTF-8', () => {
    expect(percentDecode('q=%27%20or%201%3D1--')).toBe("q=' or 1=1--");
    expect(percentDecode('q=%253Cscript%253E')).toBe('q=<script>');
    expect(percentDecode('%C3%A9t%C3%A9')).toBe('été');
    expect(percentDecode('100%')).toBe('100%');
  });

  it('reads + as a space in query strings and form bodies', () => {
    expect(formDecode('text=%3Cscript%3Ea+b%2Bc')).toBe('text=<script>a b+c');
  });
});

describe('parseRawRequest', () => {
  it('splits the request line, headers and body', () => {
    const r = parseRawRequest('POST /login HTTP/1.1\r\nHost: shop\r\nX-A: b: c\r\n\r\nuser=admin');
    expect(r.requestLine).toBe('POST /login HTTP/1.1');
    expect(r.headers).toEqual([
      ['Host', 'shop'],
      ['X-A', 'b: c'],
    ]);
    expect(r.body).toBe('user=admin');
  });
});
