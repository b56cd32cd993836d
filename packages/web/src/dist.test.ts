/**
 * The built dashboard (packages/web/dist, made by `npm run build`) can be served under a strict CSP:
 * index.html has no inline script, no inline style and no event-handler attribute, and nothing in
 * the build points at another origin (fonts, icons, tiles: all bundled). Skipped until built.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = new URL('../dist/', import.meta.url).pathname;

describe.skipIf(!existsSync(join(DIST, 'index.html')))(
  'built dashboard (reason: needs npm run build)',
  () => {
    it('index.html loads only same-origin files and has no inline script or style', () => {
      const html = readFileSync(join(DIST, 'index.html'), 'utf8');
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attrs, body] of scripts) {
        expect(attrs).toMatch(/\bsrc="\/assets\/[^"]+\.js"/);
        expect(body?.trim()).toBe('');
      }
      expect(html).not.toMatch(/<style\b/i);
      expect(html).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html).not.toMatch(/\bstyle\s*=/i);
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    });

    it('the bundle fetches nothing from another origin', () => {
      const css = readdirSync(join(DIST, 'assets')).filter((f) => f.endsWith('.css'));
      for (const f of css)
        expect(readFileSync(join(DIST, 'assets', f), 'utf8')).not.toMatch(/url\(\s*['"]?(https?:)?\/\//i);
      const js = readdirSync(join(DIST, 'assets')).filter((f) => f.endsWith('.js'));
      for (const f of js)
        expect(readFileSync(join(DIST, 'assets', f), 'utf8')).not.toMatch(
          /fonts\.googleapis|cdn\.jsdelivr|unpkg\.com|tile\.openstreetmap/,
        );
    });
  },
);
