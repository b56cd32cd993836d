/**
 * Stored XSS: attacker-controlled text reaches every field the dashboard shows through the real
 * interfaces — events ingested by a sensor (path, query, host, user agent, referer, user, message,
 * source name, geo, ASN, reputation, finding rule/class/location/evidence), requests through the
 * reverse proxy (path, query, headers), an uploaded sshd log (file name, host, user names → its
 * brute-force incident), ban reasons, incident comments and assignee, API key names, exclusion
 * reasons. Then every view is visited in Chromium (drawers open, chart tooltips hovered) and must
 * show the payloads as text, run none of them (no dialog, `window.__pwned` unset) and hold no
 * element or attribute they would have injected.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CAN_RUN, openNav, signIn, useBrowserSession } from './harness.js';

const V = {
  img: `<img src=x onerror="window.__pwned=1;alert(1)">`,
  svg: `<svg onload=window.__pwned=1>`,
  script: `"><script>window.__pwned=1</script>`,
  js: `javascript:window.__pwned=1`,
  tmpl: `{{constructor.constructor('window.__pwned=1')()}}`,
  iframe: `<iframe srcdoc="<script>parent.__pwned=1</script>">`,
  details: `<details open ontoggle=window.__pwned=1>`,
  style: `<style>@import 'https://evil.example/x.css';</style>`,
} as const;
/** Vectors without spaces, for fields that end at a space (syslog host, sshd user). */
const HOST = `<img/src=x/onerror=window.__pwned=1>`;
const USER = `<svg/onload=window.__pwned=1>`;

const now = () => new Date().toISOString();
const httpEvent = {
  id: 'xss-http-1',
  kind: 'http',
  source: { name: `sensor:${V.svg}`, type: 'sensor' },
  client: {
    // Public, but in no GeoIP/ASN range today: the server keeps the sensor's geo and ASN.
    ip: '2c0f:ffff::66',
    geo: { country: V.img, country_name: V.svg, city: V.script, lat: 48.2, lon: 16.4 },
    asn: { number: 64500, org: V.iframe },
    reputation: { score: 80, lists: [V.details] },
  },
  http: {
    method: 'POST',
    path: `/shop/${V.img}`,
    query: `q=${V.script}&next=${V.js}`,
    host: V.details,
    user_agent: V.tmpl,
    referer: V.js,
    status: 403,
  },
  user: V.svg,
  message: V.iframe,
  action: 'block',
  severity: 'high',
  score: 9,
  findings: [
    {
      rule: V.js,
      rule_version: 1,
      class: V.svg,
      severity: 'high',
      confidence: 0.9,
      location: `query:${V.img}`,
      evidence: V.script,
      decoded_by: [V.style],
    },
  ],
};
const authEvent = {
  id: 'xss-auth-1',
  kind: 'auth',
  source: { name: 'sensor:auth', type: 'sensor' },
  client: { ip: '192.0.2.67' },
  user: V.style,
  outcome: 'failure',
  message: V.tmpl,
  action: 'log',
  severity: 'medium',
  score: 4,
  findings: [
    {
      rule: `auth.${V.details}`,
      rule_version: 1,
      class: 'auth',
      severity: 'medium',
      confidence: 0.5,
      location: 'message',
      evidence: V.tmpl,
      decoded_by: [],
    },
  ],
};
const sshLog = Array.from(
  { length: 10 },
  (_, i) =>
    `Mar 14 10:00:${String(10 + i * 3).padStart(2, '0')} ${HOST} sshd[${700 + i}]: Failed password for invalid user ${USER} from 203.0.113.77 port ${51000 + i} ssh2`,
).join('\n');

/** What is in the page that a payload would have put there; empty when nothing. */
function injected(page: Page): Promise<{ found: string[]; pwned: unknown }> {
  return page.evaluate(() => {
    const found: string[] = [];
    const urlAttrs = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc']);
    for (const el of Array.from(document.querySelectorAll('*'))) {
      for (const a of Array.from(el.attributes)) {
        if (/^on/i.test(a.name)) found.push(`<${el.tagName} ${a.name}="${a.value}">`);
        if (urlAttrs.has(a.name.toLowerCase()) && /^\s*(javascript|data|vbscript):/i.test(a.value))
          found.push(`<${el.tagName} ${a.name}="${a.value}">`);
      }
    }
    for (const sel of ['img[src="x"]', 'iframe', 'frame', 'object', 'embed', 'base', 'meta[http-equiv]'])
      for (const el of Array.from(document.querySelectorAll(sel)))
        found.push(`${sel}: ${el.outerHTML.slice(0, 120)}`);
    const scripts = Array.from(document.querySelectorAll('script'));
    for (const s of scripts)
      if (!(s.type === 'module' && /^\/assets\/[\w.-]+\.js$/.test(s.getAttribute('src') ?? '')))
        found.push(`script: ${s.outerHTML.slice(0, 120)}`);
    if (scripts.length !== 1) found.push(`${scripts.length} script elements`);
    for (const s of Array.from(document.querySelectorAll('style')))
      if (/evil\.example/.test(s.textContent ?? '')) found.push(`style: ${s.outerHTML.slice(0, 120)}`);
    for (const l of Array.from(document.querySelectorAll('link')))
      if (!/^\/(assets\/[\w.-]+\.css|favicon\.svg)$/.test(l.getAttribute('href') ?? ''))
        found.push(`link: ${l.outerHTML.slice(0, 120)}`);
    return { found, pwned: (window as unknown as { __pwned?: unknown }).__pwned };
  });
}

describe.skipIf(!CAN_RUN)('stored XSS: payloads in every field stay text', () => {
  const session = useBrowserSession();

  /** Asserts the page is clean and shows each of `texts` as text. */
  async function check(view: string, texts: readonly string[]): Promise<void> {
    const { page, watch } = session;
    const r = await injected(page);
    expect(r.found, `${view}: injected markup`).toEqual([]);
    expect(r.pwned, `${view}: window.__pwned`).toBeUndefined();
    expect(watch.dialogs, `${view}: dialogs`).toEqual([]);
    const body = await page.evaluate(() => document.body.innerText);
    for (const t of texts) expect(body, `${view} shows ${t} as text`).toContain(t);
  }

  it('every view shows the payloads as text and runs none of them', async () => {
    const { stack, page, watch } = session;
    await page.goto(`${stack.api}/`);
    await page.getByTestId('register-intro').waitFor();
    await signIn(page, 'ana', 'correct horse battery staple 42');

    // Seed through the real interfaces.
    const ingest = await stack.call<{ accepted: number; rejected: unknown[] }>('/api/v1/ingest', {
      method: 'POST',
      body: { events: [httpEvent, authEvent].map((e) => ({ ...e, ts: now() })) },
    });
    expect(ingest).toEqual({ accepted: 2, rejected: [] });
    // What enrichment left of the sensor's geo and ASN (a GeoIP update could cover the address).
    const kept = (
      await stack.call<{ client: { geo?: { city?: string; country?: string }; asn?: { org?: string } } }>(
        '/api/v1/events/xss-http-1',
      )
    ).client;
    const keptGeo = [kept.geo?.city, kept.geo?.country, kept.asn?.org].filter(
      (t): t is string => typeof t === 'string' && t.includes('__pwned'),
    );
    const keptCountry = kept.geo?.country === V.img ? [V.img] : [];

    const form = new FormData();
    form.append('format', 'auth');
    form.append('file', new Blob([`${sshLog}\n${V.img}\n`]), `${V.svg}.log`);
    const up = await fetch(`${stack.api}/api/v1/logs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      body: form,
    });
    expect(up.status, await up.clone().text()).toBeLessThan(300);
    const uploadId = ((await up.json()) as { upload: { id: number } }).upload.id;
    await expect
      .poll(
        async () =>
          (await stack.call<{ upload: { status: string } }>(`/api/v1/logs/${uploadId}`)).upload.status,
      )
      .toMatch(/^(done|partial)$/);
    const { incidents } = await stack.call<{ incidents: Array<{ id: number; type: string }> }>(
      '/api/v1/incidents?type=brute_force',
    );
    expect(incidents.length).toBeGreaterThan(0);
    const incidentId = incidents[0]!.id;
    await stack.call(`/api/v1/incidents/${incidentId}/comments`, {
      method: 'POST',
      body: { body: V.iframe },
    });
    await stack.call(`/api/v1/incidents/${incidentId}`, { method: 'PATCH', body: { assignee: V.script } });
    await stack.call('/api/v1/bans', { method: 'POST', body: { value: '198.51.100.66', reason: V.img } });
    await stack.call('/api/v1/apikeys', { method: 'POST', body: { name: V.svg, scopes: ['read'] } });
    await stack.call('/api/v1/exclusions', {
      method: 'POST',
      body: { rule: 'xss.script_tag', path: `/never/${V.js}`, reason: V.details },
    });

    // Alerts, with requests through the proxy arriving live while the page is open.
    await openNav(page, 'alerts');
    await page.locator('[data-testid="stream-state"].live').waitFor();
    const proxied = [
      fetch(`${stack.proxy}/xss-path/${V.svg}?q=${encodeURIComponent(V.img)}`),
      fetch(`${stack.proxy}/xss-headers?id=${encodeURIComponent(V.script)}`, {
        headers: { 'user-agent': V.img, referer: V.js, 'x-note': V.iframe, cookie: `c=${V.tmpl}` },
      }),
    ];
    expect((await Promise.all(proxied)).map((r) => r.status)).toEqual([403, 403]);
    const rows = page.getByTestId('alerts-row');
    await rows.filter({ hasText: '/xss-path/' }).waitFor();
    await rows.filter({ hasText: '/xss-headers' }).waitFor();
    await check('alerts', [`/shop/${V.img}`, V.js, V.tmpl, `auth.${V.details}`]);

    const drawer = page.getByTestId('event-drawer');
    const drawers: Array<[string, string[]]> = [
      [
        'xss-http-1',
        [V.tmpl, V.js, V.details, V.script, `query:${V.img}`, V.svg, V.iframe, V.style, ...keptGeo],
      ],
      ['xss-auth-1', [V.style, V.tmpl, `auth.${V.details}`]],
    ];
    for (const [id, texts] of drawers) {
      await page.locator(`[data-testid="alerts-row"][data-event-id="${id}"]`).click();
      await drawer.getByTestId('event-labels').waitFor();
      await check(`drawer ${id}`, texts);
      await drawer.getByTestId('drawer-close').click();
    }
    for (const [marker, texts] of [
      ['/xss-path/', [V.svg, V.img]],
      ['/xss-headers', [V.img, V.js, V.iframe, V.tmpl, V.script]],
    ] as const) {
      await rows.filter({ hasText: marker }).click();
      await drawer.getByTestId('findings').waitFor();
      // The raw request too (analysts and admins see it).
      await drawer.locator('details summary').click();
      await check(`drawer ${marker}`, texts);
      await drawer.getByTestId('drawer-close').click();
    }

    // Incidents, the brute-force one with its comment, assignee and log events.
    await openNav(page, 'incidents');
    await page.getByTestId('incident-filter-status').selectOption('');
    await page.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"]`).waitFor();
    await check('incidents', [V.script]);
    await page.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"]`).click();
    await page.getByTestId('incident-comments').locator('li').first().waitFor();
    await page.getByTestId('incident-event').first().waitFor();
    await check('incident detail', [V.iframe, V.script, USER]);
    await page.getByTestId('incident-event').first().click();
    await drawer.getByTestId('event-labels').waitFor();
    await check('incident event drawer', [USER, HOST]);
    await drawer.getByTestId('drawer-close').click();

    // Uploads: the list (file name) and the report of the upload.
    await openNav(page, 'uploads');
    await page.getByTestId('upload-row').first().click();
    await page.getByTestId('upload-report').getByTestId('upload-status').waitFor();
    await check('uploads', [`${V.svg}.log`]);

    await openNav(page, 'bans');
    await page.getByTestId('ban-row').first().waitFor();
    await check('bans', [V.img]);

    await openNav(page, 'admin');
    await page.getByTestId('apikey-row').first().waitFor();
    await page.getByTestId('exclusion-row').first().waitFor();
    await check('admin', [V.svg, V.details]);

    await openNav(page, 'thresholds');
    await page.getByTestId('threshold-form').waitFor();
    await check('thresholds', []);

    // Overview: the rank lists as text, the chart tooltips (ECharts renders them as HTML) hovered.
    await openNav(page, 'overview');
    await page.getByTestId('top-rules').locator('li').first().waitFor();
    await check('overview', [V.js, `auth.${V.details}`, ...keptCountry]);
    const chart = page.getByTestId('classes-chart');
    await chart.scrollIntoViewIfNeeded();
    const box = (await chart.boundingBox())!;
    let tooltip = '';
    for (let y = box.y + 10; y < box.y + box.height - 24 && !tooltip.includes(V.svg); y += 6) {
      await page.mouse.move(box.x + box.width / 2, y);
      tooltip = await chart.evaluate((el) => (el as HTMLElement).innerText);
    }
    expect(tooltip, 'a class tooltip shows the class name as text').toContain(V.svg);
    await check('overview tooltip', [V.svg]);

    expect(watch.problems).toEqual([]);
  }, 180_000);
});
