/**
 * The ingest driver shared by `palisade ingest`, the upload API and the syslog listener: lines →
 * parser → SecurityEvents → the pipeline's sink (enrich, correlate, store), with a summary of what
 * happened: lines, parsed, rejected (the first reasons with line numbers), events by kind and type,
 * incidents by type. Back-pressure: a batch is submitted only when the writer has room, and the
 * next batch is read while at most a few are in flight.
 */
import type { SecurityEvent } from '@palisade/engine';
import type { EventSink } from '../sink.js';
import { DropError } from '../sink.js';
import { createParser, detect, formatOf, type Format, type ParserOptions } from './formats.js';
import type { LineBatch } from './source/line-reader.js';
import { VerdictCache, parsedToEvent, type ToEventContext } from './to-event.js';
import type { LineParser, ParseContext, ParseResult } from './parsers/types.js';

/** Rejections listed with their line number; the rest are only counted by reason. */
export const MAX_LISTED_REJECTIONS = 20;
/** Batches (of up to 1,000 lines) submitted but not yet committed: enough to fill a large write transaction. */
const MAX_IN_FLIGHT = 12;

export interface IngestSummary {
  source: string;
  format: Format | 'unknown';
  lines: number;
  /** Lines that became (part of) an event. */
  parsed: number;
  events: number;
  rejected: number;
  rejections: Array<{ line: number; reason: string }>;
  rejected_by_reason: Record<string, number>;
  events_by_kind: Record<string, number>;
  events_by_type: Record<string, number>;
  /** Web requests the engine flagged. */
  flagged: number;
  /** Events the store refused (invalid), counted by reason; never silently lost. */
  refused: number;
  incidents_by_type: Record<string, number>;
  duration_ms: number;
}

export function emptySummary(source: string): IngestSummary {
  return {
    source,
    format: 'unknown',
    lines: 0,
    parsed: 0,
    events: 0,
    rejected: 0,
    rejections: [],
    rejected_by_reason: {},
    events_by_kind: {},
    events_by_type: {},
    flagged: 0,
    refused: 0,
    incidents_by_type: {},
    duration_ms: 0,
  };
}

export interface IngestTarget {
  sink: EventSink;
  /** The pipeline's bulk path (one promise per batch); used instead of `sink` when present. */
  ingestBatch?(events: readonly SecurityEvent[]): Promise<{ refused: number }>;
  /** Waits until the writer has room (back-pressure); resolves false on timeout. */
  waitWritable(timeoutMs: number): Promise<boolean>;
}

export interface IngestOptions {
  /** `auto` or a format name. */
  format: string;
  parse: ParseContext;
  event: ToEventContext;
  parser?: ParserOptions;
  /** Keep the log line as the event's raw payload (encrypted at rest). Default true. */
  keepRaw?: boolean;
  /** Called after each batch is committed (checkpoints, progress). */
  onBatch?(batch: LineBatch, summary: IngestSummary): void | Promise<void>;
}

/** Turns parse results into events and counts them; shared by ingest and the listener. */
export class LineConverter {
  readonly summary: IngestSummary;
  private parser: LineParser | undefined;
  private readonly texts = new Map<number, string>();

  constructor(
    private readonly opts: IngestOptions,
    summary?: IngestSummary,
  ) {
    if (opts.event.engine !== undefined && opts.event.verdicts === undefined)
      this.opts = { ...opts, event: { ...opts.event, verdicts: new VerdictCache() } };
    this.summary = summary ?? emptySummary(opts.event.source.name);
    const f = formatOf(opts.format);
    if (f !== 'auto') this.use(f);
  }

  private use(f: Format): void {
    this.parser = createParser(f, this.opts.parse, this.opts.parser);
    this.summary.format = f;
  }

  /**
   * Parses one batch of lines; returns the events that became complete. Lines listed in `skip`
   * (too long: the reader hands them over empty) were rejected already.
   */
  convert(lines: readonly string[], firstLine: number, skip: readonly number[] = []): SecurityEvent[] {
    if (this.parser === undefined) {
      const f = detect(lines);
      if (f === undefined) {
        // Nothing recognisable in the first lines: every line is a counted rejection.
        for (let i = 0; i < lines.length; i++)
          if (lines[i]!.trim() !== '') this.reject(firstLine + i, 'unknown format');
        this.summary.lines += lines.length;
        return [];
      }
      this.use(f);
    }
    const out: SecurityEvent[] = [];
    const keep = this.opts.keepRaw !== false;
    const skipped = new Set(skip);
    for (let i = 0; i < lines.length; i++) {
      const n = firstLine + i;
      if (skipped.has(n)) continue;
      const text = lines[i]!;
      if (keep) this.texts.set(n, text);
      this.take(this.parser!.push(text, n), out);
    }
    this.summary.lines += lines.length;
    return out;
  }

  /** End of input: events still grouped in the parser. */
  end(): SecurityEvent[] {
    const out: SecurityEvent[] = [];
    if (this.parser !== undefined) this.take(this.parser.end(), out);
    this.texts.clear();
    return out;
  }

  reject(line: number, reason: string): void {
    const s = this.summary;
    s.rejected++;
    s.rejected_by_reason[reason] = (s.rejected_by_reason[reason] ?? 0) + 1;
    if (s.rejections.length < MAX_LISTED_REJECTIONS) s.rejections.push({ line, reason });
  }

  private take(results: ParseResult[], out: SecurityEvent[]): void {
    const s = this.summary;
    let prevLine = -1;
    let occurrence = 0;
    for (const r of results) {
      if (!r.ok) {
        this.reject(r.line, r.reason);
        continue;
      }
      occurrence = r.line === prevLine ? occurrence + 1 : 0;
      prevLine = r.line;
      const ev = parsedToEvent(r.parsed, r.line, this.opts.event, this.texts.get(r.line), occurrence);
      s.parsed++;
      s.events++;
      s.events_by_kind[ev.kind] = (s.events_by_kind[ev.kind] ?? 0) + 1;
      s.events_by_type[r.parsed.type] = (s.events_by_type[r.parsed.type] ?? 0) + 1;
      if (ev.findings.length > 0) s.flagged++;
      out.push(ev);
    }
    // Raw text is only needed until the line's event is built; auditd groups a few lines at most.
    if (this.texts.size > 4096) {
      const keep = [...this.texts.keys()].slice(-256);
      const keepSet = new Set(keep);
      for (const k of this.texts.keys()) if (!keepSet.has(k)) this.texts.delete(k);
    }
  }
}

/** Submits events, retrying refusals for room (queue full) and counting invalid ones. */
export async function submitEvents(
  target: IngestTarget,
  events: SecurityEvent[],
  summary: IngestSummary,
): Promise<void> {
  if (target.ingestBatch !== undefined && events.length > 0) {
    for (let attempt = 0; ; attempt++) {
      await target.waitWritable(5000);
      try {
        summary.refused += (await target.ingestBatch(events)).refused;
        return;
      } catch (err) {
        if (!(err instanceof DropError && err.reason === 'queue_full') || attempt > 1000) throw err;
      }
    }
  }
  let pending = events;
  for (let attempt = 0; pending.length > 0; attempt++) {
    await target.waitWritable(5000);
    const results = await Promise.allSettled(pending.map((e) => target.sink.submit(e)));
    const retry: SecurityEvent[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      const err = r.reason as unknown;
      if (err instanceof DropError && err.reason === 'queue_full') retry.push(pending[i]!);
      else if (err instanceof DropError && err.reason === 'invalid') summary.refused++;
      else throw err;
    });
    if (attempt > 1000) throw new Error('the store did not accept events for too long');
    pending = retry;
  }
}

/** Ingests batches of lines to their end; returns the summary. */
export async function ingestBatches(
  batches: AsyncIterable<LineBatch>,
  target: IngestTarget,
  opts: IngestOptions,
): Promise<IngestSummary> {
  const started = Date.now();
  const conv = new LineConverter(opts);
  const inFlight: Promise<void>[] = [];
  for await (const b of batches) {
    for (const n of b.tooLong) conv.reject(n, 'line too long');
    const events = conv.convert(b.lines, b.firstLine, b.tooLong);
    inFlight.push(submitEvents(target, events, conv.summary).then(() => opts.onBatch?.(b, conv.summary)));
    if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
  }
  await submitEvents(target, conv.end(), conv.summary);
  await Promise.all(inFlight);
  conv.summary.duration_ms = Date.now() - started;
  return conv.summary;
}
