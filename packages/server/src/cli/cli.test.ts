import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Runs the built CLI (`npm test` builds first), as a user would.
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'palisade-cli-'));

describe('palisade scan', () => {
  it('explains one payload: rule, location, decoded evidence', () => {
    const out = execFileSync(process.execPath, [CLI, 'scan', "1' or 1=1--"], { encoding: 'utf8' });
    expect(out).toMatch(/GET \/\?q=.*BLOCK/);
    expect(out).toMatch(/sqli\.\w+ v\d/);
    expect(out).toContain('at       query:q');
    expect(out).toContain('evidence');
  });

  it('scans a request file, one JSON line per record, labels give TPR/FPR, bad lines are reported by number', () => {
    const file = join(dir, 'reqs.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({
          id: 'a1',
          method: 'GET',
          url: "/?id=1'%20union%20select%20pass%20from%20users--",
          headers: {},
          label: 'attack',
          class: 'sqli',
        }),
        '{not json',
        JSON.stringify({
          id: 'b1',
          method: 'GET',
          url: '/?q=hello+world',
          headers: { 'user-agent': 'Mozilla/5.0' },
          label: 'benign',
        }),
        JSON.stringify({ id: 'x', url: '/' }),
        '',
      ].join('\n'),
    );
    const r = run(['scan', '--requests', file]);
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; action: string });
    expect(lines.map((l) => [l.id, l.action])).toEqual([
      ['a1', 'block'],
      ['b1', 'allow'],
    ]);
    expect(r.stderr).toContain('line 2: rejected: invalid JSON');
    expect(r.stderr).toContain('line 4: rejected: missing string field "method"');
    expect(r.stderr).toMatch(/overall\s+2\s+1\s+100\.00 %\s+1\s+0\.00 %/);
  });

  it('splits payloads into #q and #b requests, reads .jsonl.gz, writes --out', () => {
    const file = join(dir, 'p.jsonl.gz');
    writeFileSync(
      file,
      gzipSync(
        `${JSON.stringify({ id: 'p1', payload: '<script>alert(1)</script>', label: 'attack', class: 'xss' })}\n`,
      ),
    );
    const out = join(dir, 'out.jsonl');
    const r = run(['scan', '--payloads', file, '--out', out]);
    expect(r.status).toBe(0);
    const ids = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; action: string });
    expect(ids.map((x) => [x.id, x.action])).toEqual([
      ['p1#q', 'block'],
      ['p1#b', 'block'],
    ]);
  });

  it('fails clearly on a missing file and on a bad config', () => {
    const r = run(['scan', '--requests', join(dir, 'nope.jsonl')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('PAL_ERR_CLI_INPUT');
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ mode: 'sometimes' }));
    const c = run(['scan', '--config', cfg, 'x']);
    expect(c.status).toBe(2);
    expect(c.stderr).toContain('PAL_ERR_ENGINE_CONFIG');
    expect(run(['frobnicate']).stderr).toContain('unknown command');
  });

  it('monitor mode logs instead of blocking', () => {
    const out = execFileSync(process.execPath, [CLI, 'scan', '--mode', 'monitor', "1' or 1=1--"], {
      encoding: 'utf8',
    });
    expect(out).toContain('LOG');
    expect(out).not.toContain('BLOCK');
  });
});

describe('palisade train anomaly + scan --anomaly, scan --no-ml', () => {
  it('learns a profile, then reports learning mode beside the verdicts; --no-ml drops the classifier', () => {
    const learnFrom = new URL('../../../engine/src/anomaly/testdata/benign.jsonl', import.meta.url).pathname;
    const model = join(dir, 'anomaly.json');
    const trained = run(['train', 'anomaly', '--requests', learnFrom, '--out', model, '--json']);
    expect(trained.status, trained.stderr).toBe(0);
    const probe = join(dir, 'probe.jsonl');
    const h = { 'user-agent': 'curl/8.5.0', accept: 'text/html,application/json', host: 'shop.example' };
    writeFileSync(
      probe,
      [
        { id: 'n', method: 'GET', url: '/shop/item?id=77&qty=2', headers: h, label: 'benign' },
        {
          id: 't',
          method: 'GET',
          url: '/search?q=lamp&page=2&sort=name&debug=true',
          headers: h,
          label: 'attack',
          class: 'tampering',
        },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const r = run(['scan', '--requests', probe, '--anomaly', model]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; action: string; anomaly_score: number; ml_score?: number });
    expect(lines.map((l) => l.id)).toEqual(['n', 't']);
    expect(lines[1]!.anomaly_score).toBeGreaterThan(lines[0]!.anomaly_score);
    expect(lines[1]!.action).toBe('log');
    expect(typeof lines[0]!.ml_score).toBe('number');
    expect(r.stderr).toMatch(/learning mode alone[^\n]*\n[\s\S]*tampering\s+1\s+1\s+100\.00 %/);
    const blocking = run(['scan', '--requests', probe, '--anomaly', model, '--anomaly-action', 'block']);
    expect(JSON.parse(blocking.stdout.trim().split('\n')[1]!).action).toBe('block');
    const noMl = run(['scan', '--requests', probe, '--no-ml']);
    expect(JSON.parse(noMl.stdout.trim().split('\n')[0]!).ml_score).toBeUndefined();
    expect(run(['scan', '--requests', probe, '--anomaly', join(dir, 'missing.json')]).stderr).toMatch(
      /PAL_ERR_CLI_INPUT/,
    );
    writeFileSync(join(dir, 'broken.json'), '{"format":"palisade-anomaly"}');
    expect(run(['scan', '--requests', probe, '--anomaly', join(dir, 'broken.json')]).stderr).toMatch(
      /PAL_ERR_ENGINE_MODEL/,
    );
  });
});
