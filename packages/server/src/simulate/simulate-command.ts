/**
 * `palisade simulate`: sends seeded, realistic benign and attack traffic to a target (normally a
 * Palisade proxy on this machine) and prints what was sent per kind, the answers per status
 * (403 = blocked), how many of each attack family got through, and latency percentiles.
 */
import { parseArgs } from 'node:util';
import { PalisadeError } from '../errors.js';
import { MAX_CONCURRENCY, MAX_DURATION_SECS, MAX_RATE_PER_SEC } from './options.js';
import { createSimulator, KIND_ORDER, type SimulationSummary } from './simulator.js';
import { SCENARIOS, type ScenarioName } from './sim-request.js';

export const SIMULATE_USAGE = `Usage: palisade simulate --target URL [options]

  --target URL         where to send (default http://127.0.0.1:8080); loopback only unless --allow-remote
  --rate N             requests per second, up to ${MAX_RATE_PER_SEC} (default 50)
  --duration S         seconds to send, up to ${MAX_DURATION_SECS} (default 10)
  --mix SPEC           kind weights (default normal:1,signature:1,obfuscated:1);
                       kinds: normal, signature, obfuscated, scenario
  --scenario NAME      add a multi-request scenario: ${SCENARIOS.join(', ')}
                       (half the traffic unless --mix gives scenario:N)
  --seed S             seed of the request sequence (default 1); the same seed sends the same requests
  --requests N         stop after N requests
  --concurrency N      requests in flight at most, up to ${MAX_CONCURRENCY} (default 64)
  --timeout MS         per-request timeout (default 10000)
  --allow-remote       permit a target that is not 127.0.0.0/8, ::1 or localhost
  --json               one JSON object instead of the tables
`;

export interface SimulateIo {
  out?: NodeJS.WritableStream;
  /** Aborting stops sending early; the summary is still printed. Default: SIGINT. */
  signal?: AbortSignal;
}

function usage(message: string): never {
  throw new PalisadeError('PAL_ERR_CLI_USAGE', message);
}

/** A flag's number: digits with an optional fraction, nothing else. */
function parseNumber(flag: string, v: string | undefined, integer = false): number | undefined {
  if (v === undefined) return undefined;
  if (!(integer ? /^\d{1,10}$/ : /^\d{1,10}(?:\.\d{1,6})?$/).test(v.trim()))
    usage(`${flag}: expected ${integer ? 'a whole number' : 'a number'}, got "${v}"`);
  return Number(v);
}

/** Runs `palisade simulate ARGS` (argv without the command name); resolves with the exit code. */
export async function runSimulate(argv: string[], io: SimulateIo = {}): Promise<number> {
  const out = io.out ?? process.stdout;
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        target: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        mix: { type: 'string' },
        scenario: { type: 'string' },
        seed: { type: 'string' },
        requests: { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        'allow-remote': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    usage(`${(e as Error).message}\n\n${SIMULATE_USAGE}`);
  }
  if (values.help) {
    out.write(SIMULATE_USAGE);
    return 0;
  }
  const scenario = values.scenario;
  if (scenario !== undefined && !(SCENARIOS as readonly string[]).includes(scenario))
    usage(`--scenario: expected one of ${SCENARIOS.join(', ')}, got "${scenario}"`);
  const sim = createSimulator({
    target: values.target ?? 'http://127.0.0.1:8080',
    ratePerSec: parseNumber('--rate', values.rate),
    durationSecs: parseNumber('--duration', values.duration),
    mix: values.mix,
    scenario: scenario as ScenarioName | undefined,
    seed: parseNumber('--seed', values.seed, true),
    maxRequests: parseNumber('--requests', values.requests, true),
    concurrency: parseNumber('--concurrency', values.concurrency, true),
    timeoutMs: parseNumber('--timeout', values.timeout, true),
    allowRemote: values['allow-remote'] === true,
  });
  const onSigint = () => void sim.stop();
  if (io.signal) io.signal.addEventListener('abort', onSigint, { once: true });
  else process.once('SIGINT', onSigint);
  let s: SimulationSummary;
  try {
    s = await sim.start();
  } finally {
    if (io.signal) io.signal.removeEventListener('abort', onSigint);
    else process.off('SIGINT', onSigint);
  }
  out.write(values.json ? `${JSON.stringify(s)}\n` : formatSummary(s));
  // Nothing answered at all: the target is not there (the summary says why).
  return s.sent > 0 && s.answered === 0 ? 1 : 0;
}

const STATUS_NAMES: Record<string, string> = {
  '200': 'ok',
  '201': 'created',
  '204': 'no content',
  '301': 'redirect',
  '302': 'redirect',
  '304': 'not modified',
  '400': 'bad request',
  '401': 'unauthorized',
  '403': 'blocked',
  '404': 'not found',
  '405': 'method not allowed',
  '413': 'too large',
  '429': 'rate limited',
  '500': 'server error',
  '502': 'bad gateway',
  '503': 'unavailable',
  '504': 'gateway timeout',
  error: 'no answer',
};

const pct = (n: number, d: number) => (d === 0 ? '—' : `${((100 * n) / d).toFixed(1)} %`);

/** The human-readable summary. */
export function formatSummary(s: SimulationSummary): string {
  const lines: string[] = [];
  const mix = Object.entries(s.mix)
    .map(([k, w]) => `${k}:${w}`)
    .join(',');
  lines.push(
    `Palisade simulate → ${s.target}  seed ${s.seed}  mix ${mix}${s.scenario ? `  scenario ${s.scenario}` : ''}`,
    `sent ${s.sent} in ${s.elapsed_secs.toFixed(2)} s = ${s.achieved_rps} req/s (asked ${s.rate_per_sec}/s)` +
      `; answered ${s.answered}` +
      (s.skipped > 0
        ? `; ${s.skipped} due but not sent (all ${s.concurrency} slots busy: the target is slower)`
        : ''),
    '',
  );
  const statuses = Object.keys(s.status).sort();
  const head = [
    'kind'.padEnd(12),
    'sent'.padStart(8),
    ...statuses.map((c) => c.padStart(7)),
    'blocked'.padStart(9),
  ];
  lines.push(head.join(' '));
  for (const k of KIND_ORDER) {
    const b = s.by_kind[k];
    if (!b) continue;
    lines.push(
      [
        k.padEnd(12),
        String(b.sent).padStart(8),
        ...statuses.map((c) => String(b.status[c] ?? 0).padStart(7)),
        pct(b.blocked, b.sent).padStart(9),
      ].join(' '),
    );
  }
  lines.push(
    '',
    'status: ' +
      statuses.map((c) => `${c} ${STATUS_NAMES[c] ?? ''} ${s.status[c]}`.replace('  ', ' ')).join(', '),
  );
  const errs = Object.entries(s.errors);
  if (errs.length > 0) lines.push('errors: ' + errs.map(([c, n]) => `${c} ${n}`).join(', '));
  const attacks = Object.entries(s.by_family)
    .filter(([, f]) => f.kind !== 'normal')
    .sort((a, b) => a[1].kind.localeCompare(b[1].kind) || a[0].localeCompare(b[0]));
  if (attacks.length > 0) {
    lines.push(
      '',
      `${'family'.padEnd(22)} ${'kind'.padEnd(11)} ${'sent'.padStart(7)} ${'blocked'.padStart(9)}`,
    );
    for (const [name, f] of attacks)
      lines.push(
        `${name.padEnd(22)} ${f.kind.padEnd(11)} ${String(f.sent).padStart(7)} ${pct(f.blocked, f.sent).padStart(9)}`,
      );
  }
  if (s.latency_ms) {
    const l = s.latency_ms;
    lines.push('', `latency ms: p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}  mean ${l.mean}`);
  }
  return lines.join('\n') + '\n';
}
