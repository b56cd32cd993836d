/**
 * `palisade ingest FILE…` (or `-` for stdin) and `palisade parse`. Ingest runs the whole pipeline —
 * parse, inspect web requests, enrich, correlate, store — and prints a summary (JSON with `--json`).
 * With `--follow` it keeps reading like `tail -F` and stores a checkpoint per file in the store
 * (`log_files`), so a restart neither loses nor repeats lines. `parse` prints one JSON line per input
 * line: the parsed event or the rejection with its reason.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ServerConfig } from '../config/config.js';
import { PalisadeError } from '../errors.js';
import { profileConfig, PROFILES, type Profile } from '../correlate/config.js';
import { openPipeline, type Pipeline } from '../serve/pipeline.js';
import { ingestBatches, type IngestSummary, type IngestTarget } from '../ingest/ingest.js';
import { createParser, detect, formatOf } from '../ingest/formats.js';
import { readLines, type LineBatch } from '../ingest/source/line-reader.js';
import { followFile, checkpointAfter, type FollowCheckpoint } from '../ingest/source/follow.js';
import { createProgress } from '../ingest/source/progress.js';
import { loadCheckpoint, saveCheckpoint } from '../store/log-files.js';
import type { ParseContext } from '../ingest/parsers/types.js';

export interface IngestCommandOptions {
  config: ServerConfig;
  files: string[];
  format: string;
  profile?: string;
  json?: boolean;
  follow?: boolean;
  timeZone?: string;
  year?: number;
  /** Stops following (tests, signals). */
  signal?: AbortSignal;
  out?: NodeJS.WritableStream;
}

/** Events per write transaction during an import. */
const INGEST_BATCH = 5000;

function parseContext(o: { timeZone?: string; year?: number; config?: ServerConfig }): ParseContext {
  const ctx: ParseContext = { now: Date.now(), timeZone: o.timeZone ?? o.config?.ingest.time_zone ?? 'UTC' };
  if (o.year !== undefined) ctx.year = o.year;
  return ctx;
}

function checkProfile(p: string | undefined): Profile | undefined {
  if (p === undefined) return undefined;
  if (!PROFILES.includes(p as Profile))
    throw new PalisadeError('PAL_ERR_CLI_USAGE', `--profile must be one of ${PROFILES.join(', ')}`);
  return p as Profile;
}

function target(p: Pipeline): IngestTarget {
  return {
    sink: p.sink,
    ingestBatch: (events) => p.ingestBatch(events),
    waitWritable: (ms) => p.writer.waitWritable(ms),
  };
}

function printSummary(s: IngestSummary, out: NodeJS.WritableStream): void {
  const kv = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  out.write(
    `${s.source}: ${s.lines} lines (${s.format}), ${s.events} events, ${s.rejected} rejected, ${s.flagged} flagged\n` +
      `  events: ${kv(s.events_by_type)}\n  incidents: ${kv(s.incidents_by_type)}\n`,
  );
  for (const r of s.rejections.slice(0, 5)) out.write(`  line ${r.line}: ${r.reason}\n`);
}

/** Incidents opened since `before` (a copy of the counters taken at the start). */
function openedSince(p: Pipeline, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [t, n] of Object.entries(p.incidents.counters.opened)) {
    const d = n - (before[t] ?? 0);
    if (d > 0) out[t] = d;
  }
  return out;
}

export async function runIngest(opts: IngestCommandOptions): Promise<number> {
  let o = opts;
  if (o.files.length === 0)
    throw new PalisadeError('PAL_ERR_CLI_USAGE', 'ingest needs FILE… (or - for stdin)');
  formatOf(o.format);
  const profile = checkProfile(o.profile);
  const out = o.out ?? process.stdout;
  // A file import writes big transactions: one fsync per 5,000 events instead of per 500.
  const config: ServerConfig = {
    ...o.config,
    writer: {
      ...o.config.writer,
      batch_size: Math.max(o.config.writer.batch_size, INGEST_BATCH),
      max_queue: Math.max(o.config.writer.max_queue, 4 * INGEST_BATCH),
    },
  };
  const pipeline = await openPipeline(config, {
    log: (l) => process.stderr.write(`palisade: ${l}\n`),
    retention: false,
    ...(profile
      ? { correlation: { ...profileConfig(profile), response: o.config.correlation.response } }
      : {}),
  });
  const summaries: IngestSummary[] = [];
  // Following ends at SIGINT/SIGTERM: the lines read so far are committed and checkpointed first.
  let stop: (() => void) | undefined;
  if (o.follow && o.signal === undefined) {
    const ac = new AbortController();
    stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    o = { ...o, signal: ac.signal };
  }
  try {
    // Files are read one after another, so incidents by file stay apart and the order is stable;
    // followed files are read side by side until the signal stops them.
    if (o.follow) summaries.push(...(await Promise.all(o.files.map((f) => ingestFile(pipeline, f, o)))));
    else for (const file of o.files) summaries.push(await ingestFile(pipeline, file, o));
  } finally {
    if (stop) {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    await pipeline.close();
  }
  if (o.json) out.write(`${JSON.stringify(summaries.length === 1 ? summaries[0] : summaries, null, 2)}\n`);
  else for (const s of summaries) printSummary(s, out);
  return 0;
}

async function ingestFile(pipeline: Pipeline, file: string, o: IngestCommandOptions): Promise<IngestSummary> {
  const before = { ...pipeline.incidents.counters.opened };
  const s =
    o.follow && file !== '-' ? await followOne(pipeline, file, o) : await ingestOne(pipeline, file, o);
  await pipeline.incidents.idle();
  s.incidents_by_type = openedSince(pipeline, before);
  return s;
}

function sourceOf(file: string) {
  return file === '-'
    ? { name: 'log:stdin', type: 'log' as const }
    : { name: `log:${resolve(file)}`, type: 'log' as const };
}

async function ingestOne(p: Pipeline, file: string, o: IngestCommandOptions): Promise<IngestSummary> {
  const size = file === '-' ? undefined : statSync(file).size;
  const progress = o.json
    ? undefined
    : createProgress({ label: file, ...(size ? { totalBytes: size } : {}) });
  const batches = readLines(file === '-' ? process.stdin : file, o.signal ? { signal: o.signal } : {});
  const summary = await ingestBatches(batches, target(p), {
    format: o.format,
    parse: parseContext(o),
    event: { source: sourceOf(file), file: file === '-' ? 'stdin' : resolve(file), engine: p.engine },
    onBatch: (b: LineBatch, s) => progress?.update(b.endOffset, s.lines),
  });
  progress?.done();
  return summary;
}

async function followOne(p: Pipeline, file: string, o: IngestCommandOptions): Promise<IngestSummary> {
  const path = resolve(file);
  const source = sourceOf(file);
  const saved = await loadCheckpoint(p.store, source.name, path);
  const signal = o.signal ?? new AbortController().signal;
  const log = (l: string) => process.stderr.write(`palisade: ${l}\n`);
  const opts = {
    signal,
    ...(saved ? { checkpoint: saved } : {}),
    onRotate: () => log(`${path} was rotated; reading the new file`),
    onTruncate: () => log(`${path} was truncated; reading from its start`),
  };
  return ingestBatches(followFile(path, opts), target(p), {
    format: o.format,
    parse: parseContext(o),
    event: { source, file: path, engine: p.engine },
    onBatch: async (b, s) => {
      const cp: FollowCheckpoint = checkpointAfter(b as LineBatch & { fileId: string });
      await saveCheckpoint(p.store, source.name, path, cp, s);
    },
  });
}

export interface ParseCommandOptions {
  file: string;
  format: string;
  timeZone?: string;
  year?: number;
  out?: NodeJS.WritableStream;
}

/** One JSON line per result: `{line, ok: true, event}` or `{line, ok: false, reason}`. */
export async function runParse(o: ParseCommandOptions): Promise<number> {
  const out = o.out ?? process.stdout;
  let f = formatOf(o.format);
  let parser: ReturnType<typeof createParser> | undefined;
  const ctx = parseContext(o);
  const write = (rs: ReturnType<ReturnType<typeof createParser>['push']>) => {
    for (const r of rs)
      out.write(
        `${JSON.stringify(r.ok ? { line: r.line, ok: true, event: r.parsed } : { line: r.line, ok: false, reason: r.reason })}\n`,
      );
  };
  for await (const b of readLines(o.file === '-' ? process.stdin : o.file)) {
    if (parser === undefined) {
      if (f === 'auto') {
        const d = detect(b.lines);
        if (d === undefined)
          throw new PalisadeError('PAL_ERR_VALIDATION', 'could not recognise the log format; give --format');
        f = d;
      }
      parser = createParser(f, ctx);
    }
    for (const n of b.tooLong) write([{ ok: false, line: n, reason: 'line too long' }]);
    for (let i = 0; i < b.lines.length; i++) write(parser.push(b.lines[i]!, b.firstLine + i));
  }
  if (parser) write(parser.end());
  return 0;
}
