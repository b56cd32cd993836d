import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { checkSync } from 'recheck';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../packages/engine/src/index.js';

/**
 * Every regex of every package must run in linear time (no ReDoS): regex literals are found in the
 * sources of packages/*\/src with the TypeScript parser, and regexes built at run time are caught
 * while an engine is created; recheck decides each one.
 */
const ROOT = new URL('..', import.meta.url).pathname;
const PACKAGES = join(ROOT, 'packages');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function literalRegexes(): { where: string; source: string; flags: string }[] {
  const found: { where: string; source: string; flags: string }[] = [];
  const files = readdirSync(PACKAGES).flatMap((pkg) => {
    const src = join(PACKAGES, pkg, 'src');
    return statSync(src, { throwIfNoEntry: false })?.isDirectory() ? sourceFiles(src) : [];
  });
  for (const file of files) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = node.getText(sf);
        const end = text.lastIndexOf('/');
        const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
        found.push({
          where: `${relative(PACKAGES, file)}:${line + 1}`,
          source: text.slice(1, end),
          flags: text.slice(end + 1),
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

function runtimeRegexes(): { where: string; source: string; flags: string }[] {
  const found: { where: string; source: string; flags: string }[] = [];
  const Original = globalThis.RegExp;
  globalThis.RegExp = new Proxy(Original, {
    construct(target, args: [string | RegExp, string?]) {
      const r = new target(...args);
      found.push({ where: 'built at run time', source: r.source, flags: r.flags });
      return r;
    },
  });
  try {
    createEngine();
    createEngine({ sensitivity: 'paranoid', origins: ['https://shop.example'] });
  } finally {
    globalThis.RegExp = Original;
  }
  return found;
}

describe('regex safety (recheck)', () => {
  const all = [...literalRegexes(), ...runtimeRegexes()];
  const unique = new Map(all.map((r) => [`/${r.source}/${r.flags}`, r]));

  it('found the regexes of every package', () => {
    expect(unique.size).toBeGreaterThan(10);
    for (const pkg of ['engine/', 'sensor/', 'server/'])
      expect(all.some((r) => r.where.startsWith(pkg))).toBe(true);
  });

  it.each([...unique.values()].map((r) => [r.where, `/${r.source}/${r.flags}`, r] as const))(
    '%s %s is linear-time',
    (_w, _s, r) => {
      const result = checkSync(r.source, r.flags.replace(/[gy]/g, ''), { timeout: 20_000 });
      expect(
        result.status === 'vulnerable'
          ? `${result.status}: ${JSON.stringify(result.attack ?? {})}`
          : result.status,
      ).toBe('safe');
    },
  );
});
