import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import {
  ANOMALY_RULE,
  createEngine,
  ConfigError,
  type Engine,
  type EngineConfig,
  type Verdict,
} from '@palisade/engine';
import {
  readRequests,
  payloadRequests,
  type InputKind,
  type Rejection,
  type LabelledRequest,
} from '../scan/read-records.js';
import { Confusion, isDetected, rates, pct } from '../scan/metrics.js';
import { PalisadeError } from '../errors.js';
import { explainVerdict } from './explain.js';
import { loadEngineModels, type ModelChoice } from '../models/load-models.js';

export interface ScanOptions {
  payload?: string;
  requests?: string;
  payloads?: string;
  out?: string;
  config?: string;
  mode?: string;
  sensitivity?: string;
  /** Print the JSON summary instead of the readable table. */
  json?: boolean;
  /** The classifier and anomaly model (default: the shipped classifier, no anomaly model). */
  models?: ModelChoice;
}

/**
 * Loads `--config FILE` (JSON), applies `--mode`/`--sensitivity` on top, and adds the models
 * (`--no-ml`, `--model FILE`, `--anomaly FILE`).
 */
export async function buildEngine(
  opts: Pick<ScanOptions, 'config' | 'mode' | 'sensitivity' | 'models'>,
): Promise<Engine> {
  let config: EngineConfig = {};
  if (opts.config) {
    if (!existsSync(opts.config))
      throw new PalisadeError('PAL_ERR_CLI_INPUT', `config file not found: ${opts.config}`);
    try {
      config = JSON.parse(readFileSync(opts.config, 'utf8')) as EngineConfig;
    } catch (e) {
      throw new PalisadeError('PAL_ERR_ENGINE_CONFIG', `${opts.config}: ${(e as Error).message}`);
    }
  }
  if (opts.mode) config = { ...config, mode: opts.mode as EngineConfig['mode'] };
  if (opts.sensitivity) config = { ...config, sensitivity: opts.sensitivity as EngineConfig['sensitivity'] };
  const { config: models } = await loadEngineModels(opts.models ?? {});
  try {
    return createEngine({ ...config, ...models });
  } catch (e) {
    if (e instanceof ConfigError) throw new PalisadeError('PAL_ERR_ENGINE_CONFIG', e.message);
    throw e;
  }
}

export interface ScanSummary {
  records: number;
  rejected: number;
  rejections: Rejection[];
  actions: { allow: number; log: number; block: number };
  confusion: Confusion;
  /** With an anomaly model: detected = the request has an `anomaly.request` finding, whatever the action. */
  anomaly: Confusion | null;
}

/**
 * Inspects every request of a file; writes one JSON line per request to `write` and returns counts.
 * Malformed lines are counted with their line number and skipped.
 */
export async function scanFile(
  engine: Engine,
  file: string,
  kind: InputKind,
  write: ((line: string) => void) | null,
  onRecord?: (record: LabelledRequest, verdict: Verdict) => void,
): Promise<ScanSummary> {
  if (file !== '-' && !existsSync(file))
    throw new PalisadeError('PAL_ERR_CLI_INPUT', `input file not found: ${file}`);
  const summary: ScanSummary = {
    records: 0,
    rejected: 0,
    rejections: [],
    actions: { allow: 0, log: 0, block: 0 },
    confusion: new Confusion(),
    anomaly: engine.config.anomaly ? new Confusion() : null,
  };
  const onReject = (r: Rejection) => {
    summary.rejected++;
    if (summary.rejections.length < 20) summary.rejections.push(r);
  };
  for await (const r of readRequests(file, kind, onReject)) {
    const v = engine.inspect(r.request);
    summary.records++;
    summary.actions[v.action]++;
    if (r.label) summary.confusion.add(r.label, r.class, isDetected(v.action));
    if (r.label && summary.anomaly)
      summary.anomaly.add(
        r.label,
        r.class,
        v.findings.some((f) => f.rule === ANOMALY_RULE.id),
      );
    onRecord?.(r, v);
    if (write)
      write(
        JSON.stringify({
          id: r.id,
          action: v.action,
          score: v.score,
          severity: v.severity,
          findings: v.findings,
          ...(v.ml ? { ml_score: v.ml.score } : {}),
          ...(v.anomaly ? { anomaly_score: v.anomaly.score } : {}),
        }),
      );
  }
  return summary;
}

/** The per-class TPR/FPR table of a scan with labels. */
export function confusionTable(c: Confusion): string {
  const rows = [['class', 'n', 'attacks', 'TPR', 'benign', 'FPR', 'balanced acc.']];
  const add = (name: string, k: typeof c.overall) => {
    const r = rates(k);
    rows.push([
      name,
      String(r.n),
      String(k.attacks),
      pct(r.tpr),
      String(k.benign),
      pct(r.fpr),
      pct(r.balancedAccuracy),
    ]);
  };
  for (const [name, k] of [...c.byClass.entries()].sort()) add(name, k);
  add('overall', c.overall);
  return formatTable(rows);
}

/** A plain-text table: numbers right-aligned, text left-aligned. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const numeric = /^[-+\d.,% —µsm]+$/;
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i > 0 && numeric.test(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export async function runScan(opts: ScanOptions): Promise<number> {
  const engine = await buildEngine(opts);
  if (opts.payload !== undefined) {
    const [get, post] = payloadRequests('arg', opts.payload);
    process.stdout.write(`${explainVerdict(`GET ${get.url}`, engine.inspect(get))}\n\n`);
    process.stdout.write(`${explainVerdict(`POST / (form body q=…)`, engine.inspect(post))}\n`);
    return 0;
  }
  const file = opts.requests ?? opts.payloads;
  if (!file)
    throw new PalisadeError(
      'PAL_ERR_CLI_USAGE',
      'scan needs a payload argument, --requests FILE or --payloads FILE',
    );
  const kind: InputKind = opts.requests ? 'requests' : 'payloads';
  const out = opts.out ? createWriteStream(opts.out) : null;
  const write = out ? (l: string) => out.write(`${l}\n`) : (l: string) => process.stdout.write(`${l}\n`);
  const summary = await scanFile(engine, file, kind, write);
  if (out) await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  const err = process.stderr;
  for (const r of summary.rejections) err.write(`line ${r.line}: rejected: ${r.reason}\n`);
  if (summary.rejected > summary.rejections.length)
    err.write(`… and ${summary.rejected - summary.rejections.length} more rejected lines\n`);
  err.write(
    `${summary.records} requests: ${summary.actions.block} blocked, ${summary.actions.log} logged, ${summary.actions.allow} allowed; ${summary.rejected} lines rejected\n`,
  );
  if (summary.confusion.overall.attacks + summary.confusion.overall.benign > 0) {
    err.write(`${confusionTable(summary.confusion)}\n`);
    if (summary.anomaly)
      err.write(
        `learning mode alone (detected = an anomaly.request finding, logged or blocked):\n${confusionTable(summary.anomaly)}\n`,
      );
  }
  return 0;
}
