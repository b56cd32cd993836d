import { describe, expect, it } from 'vitest';
import { SqlSplitter } from './sql-split.js';

function splitAll(text: string, chunk: number): string[] {
  const s = new SqlSplitter();
  const out: string[] = [];
  for (let i = 0; i < text.length; i += chunk) out.push(...s.push(text.slice(i, i + chunk)));
  expect(s.rest()).toBe('');
  return out;
}

describe('SqlSplitter', () => {
  const sql = [
    "INSERT INTO t VALUES('a;b','it''s');",
    'CREATE TABLE "x;y"(a);',
    '-- a comment; with a semicolon\nSELECT 1;',
    '/* block; comment */ SELECT [c;d] FROM `e;f`;',
    'CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; DELETE FROM u; END;',
    "INSERT INTO t VALUES(X'00ff', 'line\nbreak');",
  ];
  const text = sql.join('\n');
  it.each([1, 2, 3, 7, 64, 100_000])('splits the same way with chunks of %i', (n) => {
    expect(splitAll(text, n)).toEqual(sql.map((s) => s.trim()));
  });
  it('reports an unfinished statement', () => {
    const s = new SqlSplitter();
    s.push("INSERT INTO t VALUES('unterminated;");
    expect(s.rest()).toContain('unterminated');
  });
});
