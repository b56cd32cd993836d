/**
 * Guards the dashboard's one security rule for attack payloads: they are shown as text. No source
 * file may write HTML into the DOM (dangerouslySetInnerHTML, innerHTML, outerHTML,
 * insertAdjacentHTML, document.write); eslint enforces the same on edit, this test in CI.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('.', import.meta.url).pathname;
const FORBIDDEN = /dangerouslySetInnerHTML|\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return /\.(ts|tsx)$/.test(d.name) && !d.name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('dashboard source', () => {
  it('never writes HTML into the DOM', () => {
    const files = sources(SRC);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => FORBIDDEN.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the check itself finds the forbidden forms', () => {
    for (const bad of [
      '<div dangerouslySetInnerHTML={{ __html: x }} />',
      'el.innerHTML = x',
      'el.insertAdjacentHTML("a", x)',
    ])
      expect(FORBIDDEN.test(bad)).toBe(true);
  });
});
