/**
 * The table rendered from errors.ts names every code once, in the README's column order (code,
 * status, meaning): `palisade errors --markdown` prints the rows to paste for a new code
 * (errors.test.ts checks that the README lists every code with its status).
 */
import { describe, expect, it } from 'vitest';
import { ERRORS } from './errors.js';
import { errorTable } from './errors-table.js';
import { runErrorsCommand } from './cli/errors-command.js';

describe('errorTable', () => {
  it('has one row per code with its status and message', () => {
    const rows = errorTable().trim().split('\n').slice(2);
    expect(rows).toHaveLength(Object.keys(ERRORS).length);
    expect(rows).toContain('| `PAL_ERR_NOT_FOUND` | 404 | Not found |');
    for (const [code, e] of Object.entries(ERRORS))
      expect(
        rows.filter((r) => r.startsWith(`| \`${code}\` | ${e.status} |`)),
        code,
      ).toHaveLength(1);
  });

  it('is what palisade errors --markdown prints; plain text lists the same codes', () => {
    let out = '';
    expect(runErrorsCommand(['--markdown'], (s) => (out += s))).toBe(0);
    expect(out).toBe(errorTable());
    out = '';
    runErrorsCommand([], (s) => (out += s));
    for (const code of Object.keys(ERRORS)) expect(out).toContain(code);
    expect(() => runErrorsCommand(['--html'])).toThrow();
  });
});
