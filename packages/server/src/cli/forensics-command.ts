/**
 * `palisade forensics burst|distributed-bruteforce|top-talkers|sessions [options]` and
 * `palisade forensics export --out FILE.parquet`: parses its own arguments (main.ts hands over
 * everything after `forensics`), runs an analysis on the store of the server configuration
 * (SQLite or PostgreSQL) or, with `--engine duckdb --parquet FILE`, in DuckDB over a forensics
 * export, and prints a table (JSON with `--json`: the API's answer). Parameters are checked by
 * forensics/params.ts, the same check as the API's; errors are PalisadeErrors for main.ts to print.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type ServerConfig } from '../config/config.js';
import { PalisadeError } from '../errors.js';
import {
  ANALYSES,
  FORENSICS_LIMIT_MAX,
  exportForensicEvents,
  isAnalysis,
  openDuckDbEvents,
  resolveForensicsParams,
  runForensics,
  type ForensicsInput,
  type ForensicsResult,
  type ForensicsRow,
} from '../forensics/index.js';
import { parseTimeBound } from '../store/events.js';
import { loadKeyring } from '../store/keyring-file.js';
import { openStore, type Store } from '../store/store.js';
import { formatTable } from './scan-command.js';

export const FORENSICS_USAGE = `Usage:
  palisade forensics burst [--window 60s] [--threshold 100]
      sources by their most events within any sliding window (peak, where, total)
  palisade forensics distributed-bruteforce [--window 10m] [--min-sources 10]
      accounts whose logins failed from at least K distinct addresses within one window
  palisade forensics top-talkers
      sources with the most events: first/last seen, blocked, alerts, distinct paths and users
  palisade forensics sessions [--gap 30m]
      client sessions (fingerprint, else address + user agent), split at idle gaps >= --gap
  palisade forensics export --out FILE.parquet [--from T] [--to T]
      the events (store column names) as Parquet for --engine duckdb
Options of the analyses:
  --from T, --to T     [from, to): ISO 8601 or epoch ms; default the 24 hours before now; <= 31 days
  --window, --gap      seconds, or with a unit: 90s, 10m, 1h, 1d (1 s to 1 day)
  --limit N            most rows (1-${FORENSICS_LIMIT_MAX}; default 100, top-talkers 20)
  --engine store|duckdb  the store of the configuration (default), or DuckDB over --parquet FILE
  --parquet FILE       a file written by palisade forensics export (implies --engine duckdb)
  --db PATH, --config FILE, --json
`;

export interface ForensicsCommandIo {
  /** Server configuration (default: loaded from --config, PALISADE_* and --db). */
  config?: ServerConfig;
  write?: (text: string) => void;
  /** Clock for the default range (tests). */
  now?: () => number;
}

const usage = (m: string) => new PalisadeError('PAL_ERR_CLI_USAGE', `${m}\n${FORENSICS_USAGE}`);

const UNIT_SECS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `10m`, `1h`, `1d` → seconds (as digits, for params.ts to bound). */
export function parseSecs(v: string, flag: string): string {
  const m = /^(\d{1,7})([smhd]?)$/.exec(v);
  if (!m) throw usage(`--${flag} takes seconds or a number with s, m, h or d: ${v.slice(0, 20)}`);
  return String(Number(m[1]) * UNIT_SECS[m[2] || 's']!);
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = Math.round((s % 60) * 1000) / 1000;
  return h > 0 ? `${h}h ${m}m ${rest}s` : `${m}m ${rest}s`;
}

/** Header and cells of each analysis' table. */
function table(r: ForensicsResult): string[][] {
  const rows = r.rows as ForensicsRow[];
  switch (r.analysis) {
    case 'burst':
      return [
        ['source', 'peak', 'peak from', 'peak to', 'events'],
        ...(rows as ForensicsResult<'burst'>['rows']).map((x) => [
          x.source,
          String(x.peak_events),
          iso(x.peak_start_ms),
          iso(x.peak_end_ms),
          String(x.events),
        ]),
      ];
    case 'distributed-bruteforce':
      return [
        ['account', 'peak sources', 'peak failures', 'peak from', 'peak to', 'failures', 'sources', 'sample'],
        ...(rows as ForensicsResult<'distributed-bruteforce'>['rows']).map((x) => [
          x.account,
          String(x.peak_sources),
          String(x.peak_failures),
          iso(x.peak_start_ms),
          iso(x.peak_end_ms),
          String(x.failures),
          String(x.sources),
          x.sample_sources.join(' '),
        ]),
      ];
    case 'top-talkers':
      return [
        ['source', 'events', 'blocked', 'alerts', 'paths', 'users', 'first seen', 'last seen'],
        ...(rows as ForensicsResult<'top-talkers'>['rows']).map((x) => [
          x.source,
          String(x.events),
          String(x.blocked),
          String(x.alerts),
          String(x.paths),
          String(x.users),
          iso(x.first_seen_ms),
          iso(x.last_seen_ms),
        ]),
      ];
    case 'sessions':
      return [
        ['start', 'duration', 'events', 'paths', 'blocked', 'first path', 'last path', 'client'],
        ...(rows as ForensicsResult<'sessions'>['rows']).map((x) => [
          iso(x.start_ms),
          duration(x.duration_ms),
          String(x.events),
          String(x.paths),
          String(x.blocked),
          (x.first_path ?? '').slice(0, 60),
          (x.last_path ?? '').slice(0, 60),
          `${x.key_kind === 'fingerprint' ? 'fp ' : ''}${x.session_key.slice(0, 80)}`,
        ]),
      ];
  }
}

function human(r: ForensicsResult): string {
  const head = `${r.analysis} ${iso(r.params.from_ms)} – ${iso(r.params.to_ms)}: ${r.rows.length} rows${
    r.truncated ? ` (more match: raise --limit, at most ${FORENSICS_LIMIT_MAX})` : ''
  }\n`;
  return r.rows.length === 0 ? head : `${head}${formatTable(table(r))}\n`;
}

async function withConfigStore<T>(
  io: ForensicsCommandIo,
  values: { config?: string; db?: string },
  fn: (s: Store) => Promise<T>,
): Promise<T> {
  const config = io.config ?? loadConfig({ file: values.config, flags: { db: values.db } });
  const store = await openStore({ path: config.db, keyring: loadKeyring({ dataDir: config.data_dir }) });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Runs `forensics …` with `argv` = the arguments after `forensics`; returns the exit code. */
export async function runForensicsCommand(argv: string[], io: ForensicsCommandIo = {}): Promise<number> {
  const write = io.write ?? ((t: string) => void process.stdout.write(t));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      window: { type: 'string' },
      threshold: { type: 'string' },
      'min-sources': { type: 'string' },
      gap: { type: 'string' },
      limit: { type: 'string' },
      engine: { type: 'string' },
      parquet: { type: 'string' },
      out: { type: 'string', short: 'o' },
      db: { type: 'string' },
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const sub = positionals[0];
  if (values.help || sub === undefined) {
    write(FORENSICS_USAGE);
    return values.help ? 0 : 2;
  }
  if (positionals.length > 1) throw usage(`unexpected argument "${positionals[1]}"`);

  if (sub === 'export') {
    if (!values.out) throw usage('forensics export needs --out FILE.parquet');
    const out = resolve(values.out);
    const range = {
      ...(values.from !== undefined ? { from_ms: parseTimeBound(values.from, 'from') } : {}),
      ...(values.to !== undefined ? { to_ms: parseTimeBound(values.to, 'to') } : {}),
    };
    const rows = await withConfigStore(io, values, (s) => exportForensicEvents(s, out, range));
    write(values.json ? `${JSON.stringify({ file: out, rows })}\n` : `${out}: ${rows} events\n`);
    return 0;
  }
  if (!isAnalysis(sub)) throw usage(`forensics takes ${ANALYSES.join(', ')} or export, not "${sub}"`);

  const input: ForensicsInput = {};
  if (values.from !== undefined) input.from = values.from;
  if (values.to !== undefined) input.to = values.to;
  if (values.window !== undefined) input.window_secs = parseSecs(values.window, 'window');
  if (values.gap !== undefined) input.gap_secs = parseSecs(values.gap, 'gap');
  if (values.threshold !== undefined) input.threshold = values.threshold;
  if (values['min-sources'] !== undefined) input.min_sources = values['min-sources'];
  if (values.limit !== undefined) input.limit = values.limit;
  const params = resolveForensicsParams(sub, input, (io.now ?? Date.now)());

  const engine = values.engine ?? (values.parquet !== undefined ? 'duckdb' : 'store');
  let result: ForensicsResult;
  if (engine === 'duckdb') {
    if (values.parquet === undefined)
      throw usage('--engine duckdb needs --parquet FILE (written by palisade forensics export)');
    const duck = await openDuckDbEvents(resolve(values.parquet));
    try {
      result = await duck.run(params);
    } finally {
      duck.close();
    }
  } else if (engine === 'store') {
    if (values.parquet !== undefined) throw usage('--parquet is for --engine duckdb');
    result = await withConfigStore(io, values, (s) => runForensics(s, params));
  } else throw usage(`--engine takes store or duckdb, not "${engine.slice(0, 20)}"`);
  write(values.json ? `${JSON.stringify(result, null, 2)}\n` : human(result));
  return 0;
}
