/**
 * What the browser tests share: the real stack (a small upstream app on node:http, the built CLI's
 * `serve --upstream` in a tmp directory), Debian's Chromium driven by playwright-core, a watch on
 * the page for console errors, uncaught exceptions, CSP violations and dialogs, and screenshots
 * (test-results/screenshots/, copied to docs/screenshots/ with PALISADE_UPDATE_SCREENSHOTS=1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'packages/server/dist/cli/main.js');
const WEB_INDEX = join(ROOT, 'packages/web/dist/index.html');
const CHROMIUM = '/usr/bin/chromium';

/** The browser tests need Debian's Chromium (CI: apt) and the built dashboard. */
export const CAN_RUN = existsSync(CHROMIUM) && existsSync(WEB_INDEX) && existsSync(CLI);
if (!CAN_RUN)
  console.warn(
    `browser tests skipped: need ${CHROMIUM} (apt install chromium) and a build (npm run build) — ` +
      `missing: ${[CHROMIUM, WEB_INDEX, CLI].filter((p) => !existsSync(p)).join(', ')}`,
  );

export interface Stack {
  dir: string;
  /** The API and dashboard, e.g. http://127.0.0.1:41234 */
  api: string;
  /** The reverse proxy in front of the upstream. */
  proxy: string;
  /** The first admin API key the server wrote to <dir>/data/admin-api-key. */
  apiKey: string;
  /** `fetch` against the API with the admin key; throws on a non-2xx answer. */
  call: <T = unknown>(path: string, init?: { method?: string; body?: unknown }) => Promise<T>;
  stop: () => Promise<void>;
}

function upstreamApp(): Server {
  return createServer((req, res) => {
    if ((req.url ?? '').startsWith('/api/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, items: [1, 2, 3] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>shop</title><h1>Welcome to the shop</h1>');
  });
}

/** Starts the upstream and `palisade serve --upstream` on free ports in a fresh tmp directory. */
export async function startStack(): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-browser-'));
  const upstream = upstreamApp();
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'serve', '--listen', '127.0.0.1:0', '--upstream', upstreamUrl],
    {
      cwd: dir,
      env: { ...process.env, PALISADE_PROXY_LISTEN: '127.0.0.1:0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/serving on (http:\/\/\S+)[\s\S]*proxy +(http:\/\/\S+) →/);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve exited ${code} before ready:\n${out}\n${err}`)));
  });
  const api = match[1]!;
  const apiKey = readFileSync(join(dir, 'data', 'admin-api-key'), 'utf8').trim();

  const call = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const res = await fetch(`${api}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} → ${res.status} ${text.slice(0, 500)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
    // Chromium helpers may still be writing the profile for a moment after close.
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
  return { dir, api, proxy: match[2]!, apiKey, call, stop };
}

/** Debian's Chromium, headless, with a throwaway profile inside `dir`. */
export function launchBrowser(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * Collects what must not happen on a page: console errors, uncaught exceptions, CSP violations
 * (the `securitypolicyviolation` event, reported through a binding, and Chromium's "Refused to …"
 * console lines) and dialogs (alert/confirm/prompt — dismissed and recorded). One console error is
 * expected and not counted: the 401 of GET /api/v1/auth/me while nobody is signed in, which the
 * browser logs for any failed request although the app asks it on purpose.
 */
export async function watchPage(page: Page): Promise<{ problems: string[]; dialogs: string[] }> {
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    const text = m.text();
    if (m.type() === 'error') {
      const url = m.location().url;
      if (/status of 401/.test(text) && url.endsWith('/api/v1/auth/me')) return;
      problems.push(`console error: ${text} (${url})`);
    } else if (/Refused to /.test(text)) problems.push(`console CSP: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => undefined);
  });
  await page.exposeFunction('__palisadeCspViolation', (v: string) => problems.push(`CSP violation: ${v}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __palisadeCspViolation: (v: string) => void })
        .__palisadeCspViolation;
      report(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  return { problems, dialogs };
}

const SHOTS = join(ROOT, 'test-results', 'screenshots');
const DOCS_SHOTS = join(ROOT, 'docs', 'screenshots');

/** A full-page screenshot as test-results/screenshots/<name>.png (and docs/screenshots/ on request). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  if (process.env.PALISADE_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS_SHOTS, { recursive: true });
    copyFileSync(file, join(DOCS_SHOTS, `${name}.png`));
  }
}

export interface BrowserSession {
  stack: Stack;
  page: Page;
  /** What `watchPage` collected on `page`. */
  watch: { problems: string[]; dialogs: string[] };
}

/**
 * Registers the suite's beforeAll (the stack, Chromium, its first page watched) and afterAll (both
 * stopped); the returned session is filled in once beforeAll has run.
 */
export function useBrowserSession(): BrowserSession {
  const session = {} as BrowserSession;
  let ctx: BrowserContext | undefined;
  beforeAll(async () => {
    session.stack = await startStack();
    ctx = await launchBrowser(session.stack.dir);
    session.page = ctx.pages()[0] ?? (await ctx.newPage());
    session.page.setDefaultTimeout(15_000);
    session.watch = await watchPage(session.page);
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
    await session.stack?.stop();
  }, 30_000);
  return session;
}

/** Fills and sends the login form on the page (it registers the first admin when there is no user). */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByTestId('login-form').waitFor();
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('current-user').waitFor();
}

/** Goes to a dashboard page through the navigation, as a user clicks. */
export async function openNav(page: Page, id: string): Promise<void> {
  await page.getByTestId(`nav-${id}`).click();
}
