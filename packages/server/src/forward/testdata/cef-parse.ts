/**
 * Test helpers (not shipped behaviour): a small CEF parser written from the ArcSight spec — seven
 * `|`-separated header fields (`\|` and `\\` escaped), then `key=value` extensions separated by
 * spaces, where a value runs to the next unescaped ` key=` and unescapes `\\`, `\=`, `\n`, `\r` —
 * and an RFC 5424 header splitter, so the tests read what a SIEM would read.
 */
export interface ParsedCef {
  version: string;
  vendor: string;
  product: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: number;
  ext: Record<string, string>;
}

function unescapeValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = v[++i];
    if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else if (n === '\\' || n === '=') out += n;
    else throw new Error(`bad escape \\${n ?? '(end)'} in extension value`);
  }
  return out;
}

export function parseCef(line: string): ParsedCef {
  if (!line.startsWith('CEF:')) throw new Error('not CEF');
  const fields: string[] = [];
  let cur = '';
  let i = 4;
  for (; i < line.length && fields.length < 7; i++) {
    const c = line[i]!;
    if (c === '\\') {
      const n = line[++i];
      if (n !== '\\' && n !== '|') throw new Error(`bad header escape \\${n ?? ''}`);
      cur += n;
    } else if (c === '|') {
      fields.push(cur);
      cur = '';
    } else {
      if (c === '\n' || c === '\r') throw new Error('line break in a header');
      cur += c;
    }
  }
  if (fields.length !== 7) throw new Error(`expected 7 header fields, got ${fields.length}`);
  const rest = line.slice(i);
  if (/[\r\n]/.test(rest)) throw new Error('raw line break in the extensions');
  const ext: Record<string, string> = {};
  // Key starts: at the beginning or after a space, letters/digits then an unescaped '='.
  const starts: { key: string; at: number; valueAt: number }[] = [];
  for (let j = 0; j < rest.length; j++) {
    if (j > 0 && rest[j - 1] !== ' ') continue;
    let k = j;
    while (k < rest.length && /[A-Za-z0-9]/.test(rest[k]!)) k++;
    if (k > j && rest[k] === '=') {
      // An escaped '=' cannot start a key: count backslashes before it (none possible in a key).
      starts.push({ key: rest.slice(j, k), at: j, valueAt: k + 1 });
      j = k;
    }
  }
  // A value may contain spaces; a "key=" inside a value is escaped (\=), so every start is real.
  starts.forEach((s, n) => {
    const end = n + 1 < starts.length ? starts[n + 1]!.at - 1 : rest.length;
    ext[s.key] = unescapeValue(rest.slice(s.valueAt, end));
  });
  return {
    version: line.slice(4, line.indexOf('|')),
    vendor: fields[1]!,
    product: fields[2]!,
    deviceVersion: fields[3]!,
    signatureId: fields[4]!,
    name: fields[5]!,
    severity: Number(fields[6]),
    ext,
  };
}

export interface ParsedSyslog {
  pri: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  msg: string;
}

/** Splits an RFC 5424 line (no structured data expected: `-`). */
export function parseSyslog5424(line: string): ParsedSyslog {
  const m = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) - ([\s\S]*)$/.exec(line);
  if (!m) throw new Error(`not RFC 5424: ${line.slice(0, 80)}`);
  if (Number.isNaN(Date.parse(m[2]!))) throw new Error('bad timestamp');
  return {
    pri: Number(m[1]),
    timestamp: m[2]!,
    hostname: m[3]!,
    appName: m[4]!,
    procId: m[5]!,
    msgId: m[6]!,
    msg: m[7]!,
  };
}

/** Splits an RFC 6587 octet-counted stream into messages; throws on a bad frame. */
export function splitOctetCounted(buf: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    if (sp < 0) throw new Error('incomplete frame');
    const len = buf.subarray(i, sp).toString('ascii');
    if (!/^[1-9]\d{0,5}$/.test(len)) throw new Error(`bad frame length "${len}"`);
    const end = sp + 1 + Number(len);
    if (end > buf.length) throw new Error('incomplete frame');
    out.push(buf.subarray(sp + 1, end).toString('utf8'));
    i = end;
  }
  return out;
}
