/**
 * A small evaluator for Log4j 2 lookup syntax, enough to undo the obfuscations used against
 * CVE-2021-44228: `${lower:j}`, `${upper:x}`, `${::-j}`, `${env:NAME:-j}`, `${sys:x:-j}`, `${date:'j'}`,
 * `${base64:...}`, nested to any depth. Unknown variables resolve to their default (after `:-`) the way
 * Log4j does when the variable is unset; other lookups resolve to an empty string.
 */

/** What resolving a string found. */
export interface Resolution {
  /** The text after all lookups were replaced by their values. */
  text: string;
  /** The argument of the first `jndi:` lookup seen (`ldap://x/a`), or null. */
  jndi: string | null;
  /** The first data-reading lookup without a default (`env:AWS_SECRET_ACCESS_KEY`), or null. */
  exfil: string | null;
  /** True when a lookup's name was itself built from lookups (`${${lower:j}ndi:...}`). */
  nested: boolean;
}

/** Lookups that read configuration, environment or context: the exfiltration channel. */
const DATA_LOOKUPS: ReadonlySet<string> = new Set([
  'env',
  'sys',
  'ctx',
  'main',
  'bundle',
  'java',
  'docker',
  'k8s',
  'spring',
  'web',
  'log4j',
  'marker',
  'map',
  'sd',
  'event',
  'jvmrunargs',
  'hostname',
]);

const MAX_LEN = 8192;

/** Resolves every `${...}` in `input` (which should already be URL/entity decoded). */
export function resolveLookups(input: string): Resolution {
  const res: Resolution = { text: '', jndi: null, exfil: null, nested: false };
  let s = input.length > MAX_LEN ? input.slice(0, MAX_LEN) : input;
  // Log4j resolves recursively: a value that spells `${jndi:` after substitution is looked up again.
  for (let round = 0; round < 3; round++) {
    const out = resolveOnce(s, res);
    if (out === s || out.indexOf('${') < 0 || res.jndi !== null) {
      s = out;
      break;
    }
    s = out;
  }
  res.text = s;
  return res;
}

function resolveOnce(s: string, res: Resolution): string {
  // A stack of open `${` frames, each collecting its text; frame 0 is the output.
  const stack: string[] = [''];
  const hadNested: boolean[] = [false];
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 36 /* $ */ && s.charCodeAt(i + 1) === 123 /* { */ && stack.length < 64) {
      if (stack.length > 1) hadNested[hadNested.length - 1] = true;
      stack.push('');
      hadNested.push(false);
      i++;
      continue;
    }
    if (c === 125 /* } */ && stack.length > 1) {
      const body = stack.pop()!;
      const nested = hadNested.pop()!;
      stack[stack.length - 1] += evaluate(body, nested, res);
      continue;
    }
    stack[stack.length - 1] += s[i]!;
  }
  // Unclosed lookups (a truncated payload) are evaluated as if they closed at the end.
  while (stack.length > 1) {
    const body = stack.pop()!;
    const nested = hadNested.pop()!;
    stack[stack.length - 1] += evaluate(body, nested, res);
  }
  return stack[0]!;
}

function evaluate(body: string, nested: boolean, res: Resolution): string {
  // `name:-default`: the default separator is taken first, as in Log4j's StrSubstitutor.
  const dflt = body.indexOf(':-');
  const key = dflt >= 0 ? body.slice(0, dflt) : body;
  const colon = key.indexOf(':');
  const prefix = (colon >= 0 ? key.slice(0, colon) : '').trim().toLowerCase();
  const arg = colon >= 0 ? key.slice(colon + 1) : key;
  if (nested && colon >= 0) res.nested = true;
  switch (prefix) {
    case 'jndi':
      if (res.jndi === null) res.jndi = arg.slice(0, 200);
      return '';
    case 'lower':
      return dflt >= 0 ? body.slice(dflt + 2).toLowerCase() : arg.toLowerCase();
    case 'upper':
      return dflt >= 0 ? body.slice(dflt + 2).toUpperCase() : arg.toUpperCase();
    case 'date':
      return dateLiterals(arg);
    case 'base64':
      return base64Text(arg);
    default:
      break;
  }
  if (dflt >= 0) {
    res.nested ||= prefix === '' || DATA_LOOKUPS.has(prefix);
    return body.slice(dflt + 2);
  }
  if (DATA_LOOKUPS.has(prefix)) {
    if (res.exfil === null) res.exfil = `${prefix}:${arg.slice(0, 80)}`;
    return '';
  }
  // Not a lookup Log4j knows: it stays as written.
  return '${' + body + '}';
}

/** The quoted literal parts of a SimpleDateFormat pattern: `'j'` → `j`. */
function dateLiterals(fmt: string): string {
  let out = '';
  let inQ = false;
  for (const ch of fmt) {
    if (ch === "'") inQ = !inQ;
    else if (inQ) out += ch;
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64Text(s: string): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const ch of s) {
    if (ch === '=') break;
    const v = B64.indexOf(ch);
    if (v < 0) return '';
    acc = ((acc << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((acc >> bits) & 0xff);
    }
  }
  return out;
}
