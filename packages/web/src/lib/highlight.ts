/**
 * Finds the detectors' evidence inside request text so the drawer can mark it. Pure: returns text
 * segments, and the component turns marked ones into <mark> elements — the text stays React text
 * nodes, never HTML. Matching is case-insensitive where lower-casing keeps the length (it does for
 * almost all text; where it does not, the exact case is matched), overlapping matches merge, and
 * the work is bounded (needles, matches per needle).
 */

export interface Segment {
  text: string;
  mark: boolean;
}

const MAX_NEEDLES = 50;
const MAX_NEEDLE_CHARS = 4096;
const MAX_MATCHES_PER_NEEDLE = 500;

/** Splits `text` into plain and marked segments, marking every occurrence of any of `needles`. */
export function highlightSegments(text: string, needles: readonly string[]): Segment[] {
  if (text === '') return [];
  const folded = text.toLowerCase();
  const foldable = folded.length === text.length;
  const hay = foldable ? folded : text;
  const ranges: Array<[number, number]> = [];
  const seen = new Set<string>();
  for (const raw of needles.slice(0, MAX_NEEDLES)) {
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_NEEDLE_CHARS) continue;
    const needle = foldable ? raw.toLowerCase() : raw;
    if (needle.trim() === '' || seen.has(needle) || (foldable && needle.length !== raw.length)) continue;
    seen.add(needle);
    let from = 0;
    for (let n = 0; n < MAX_MATCHES_PER_NEEDLE; n++) {
      const at = hay.indexOf(needle, from);
      if (at < 0) break;
      ranges.push([at, at + needle.length]);
      from = at + needle.length;
    }
  }
  if (ranges.length === 0) return [{ text, mark: false }];
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out: Segment[] = [];
  let pos = 0;
  let cur: [number, number] | undefined;
  for (const r of ranges) {
    if (cur && r[0] <= cur[1]) {
      cur[1] = Math.max(cur[1], r[1]);
      continue;
    }
    if (cur) {
      out.push({ text: text.slice(cur[0], cur[1]), mark: true });
      pos = cur[1];
    }
    if (r[0] > pos) out.push({ text: text.slice(pos, r[0]), mark: false });
    cur = [r[0], r[1]];
  }
  if (cur) {
    out.push({ text: text.slice(cur[0], cur[1]), mark: true });
    pos = cur[1];
  }
  if (pos < text.length) out.push({ text: text.slice(pos), mark: false });
  return out;
}

/** True when any needle occurs in `text` (same matching as highlightSegments). */
export function containsAny(text: string, needles: readonly string[]): boolean {
  return highlightSegments(text, needles).some((s) => s.mark);
}

const PERCENT = /%([0-9a-fA-F]{2})/g;
const utf8 = new TextDecoder('utf-8');

/**
 * Percent-decodes request text for reading (`+` stays: it is only a space inside form values),
 * twice at most, so double-encoded payloads read as the detectors saw them. Bytes that are not
 * UTF-8 become U+FFFD.
 */
export function percentDecode(text: string): string {
  let cur = text;
  for (let round = 0; round < 2 && cur.includes('%'); round++) {
    const latin1 = cur.replace(PERCENT, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (latin1 === cur) break;
    const bytes = new Uint8Array(latin1.length);
    let ascii = true;
    for (let i = 0; i < latin1.length; i++) {
      const c = latin1.charCodeAt(i);
      if (c > 0xff) ascii = false;
      bytes[i] = c & 0xff;
    }
    cur = ascii ? utf8.decode(bytes) : latin1;
  }
  return cur;
}

/** Decodes a query string or form body as a server would: `+` is a space, then percent-decoding. */
export function formDecode(text: string): string {
  return percentDecode(text.replace(/\+/g, ' '));
}

/** The raw request split into its request line, header pairs and body (`\r\n` or `\n` lines). */
export interface ParsedRaw {
  requestLine: string;
  headers: Array<[string, string]>;
  body: string;
}

export function parseRawRequest(raw: string): ParsedRaw {
  const m = /\r?\n\r?\n/.exec(raw);
  const head = m ? raw.slice(0, m.index) : raw;
  const body = m ? raw.slice(m.index + m[0].length) : '';
  const lines = head.split(/\r?\n/);
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    else if (line !== '') headers.push(['', line]);
  }
  return { requestLine: lines[0] ?? '', headers, body };
}
