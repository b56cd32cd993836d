/**
 * The syslog listener of `palisade serve`: every message is parsed (the configured format, or the
 * format detected per message for `auto`), turned into events and submitted to the pipeline in small
 * batches (every 100 ms or 500 events). The queue is bounded: when the store cannot keep up, new
 * messages are refused and counted (`queue_full`), never held without limit.
 */
import type { Engine, SecurityEvent } from '@palisade/engine';
import { startSyslogListener, type SyslogListener } from './syslog-listener.js';
import { detect, formatOf, type Format } from './formats.js';
import {
  LineConverter,
  emptySummary,
  submitEvents,
  type IngestSummary,
  type IngestTarget,
} from './ingest.js';

const FLUSH_MS = 100;
const FLUSH_EVENTS = 500;
/** Most events waiting for the store. */
const MAX_QUEUED = 20_000;

export interface SyslogIngest {
  listener: SyslogListener;
  summary: IngestSummary;
  dropped(): number;
  close(): Promise<void>;
}

export async function startSyslogIngest(o: {
  udp?: { host: string; port: number };
  tcp?: { host: string; port: number };
  format: string;
  target: IngestTarget;
  engine: Engine;
  timeZone?: string;
  log?: (line: string) => void;
}): Promise<SyslogIngest> {
  const fixed = formatOf(o.format);
  const summary = emptySummary('syslog');
  const converters = new Map<Format, LineConverter>();
  let queue: SecurityEvent[] = [];
  let dropped = 0;
  let line = 0;
  let flushing: Promise<void> = Promise.resolve();

  const converter = (f: Format): LineConverter => {
    let c = converters.get(f);
    if (c === undefined) {
      c = new LineConverter(
        {
          format: f,
          parse: { now: Date.now(), timeZone: o.timeZone ?? 'UTC' },
          event: { source: { name: `syslog:${f}`, type: 'log' }, file: 'syslog', engine: o.engine },
        },
        summary,
      );
      converters.set(f, c);
    }
    return c;
  };

  const flush = () => {
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    flushing = flushing
      .then(() => submitEvents(o.target, batch, summary))
      .catch((e: Error) => o.log?.(`syslog: ${e.message}`));
  };
  const timer = setInterval(flush, FLUSH_MS);
  timer.unref();

  const listener = await startSyslogListener({
    ...(o.udp ? { udp: o.udp } : {}),
    ...(o.tcp ? { tcp: o.tcp } : {}),
    onMessage(text) {
      line++;
      const f = fixed === 'auto' ? (detect([text]) ?? 'auth') : fixed;
      const events = converter(f).convert([text], line);
      if (queue.length + events.length > MAX_QUEUED) {
        dropped += events.length;
        return;
      }
      for (const e of events) queue.push(e);
      if (queue.length >= FLUSH_EVENTS) flush();
    },
    onReject(reason) {
      summary.rejected++;
      summary.rejected_by_reason[reason] = (summary.rejected_by_reason[reason] ?? 0) + 1;
    },
  });
  return {
    listener,
    summary,
    dropped: () => dropped,
    async close() {
      await listener.close();
      clearInterval(timer);
      for (const c of converters.values()) for (const e of c.end()) queue.push(e);
      flush();
      await flushing;
    },
  };
}
