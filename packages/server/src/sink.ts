/**
 * The seams between the parts of the collector: sources (proxy, ingest API, log readers) hand events
 * to an EventSink; the store's batched writer is the sink that `palisade serve` and `palisade proxy
 * --db` use. Sources ask a BanCheck before inspecting.
 */
import type { SecurityEvent } from '@palisade/engine';

export interface EventSink {
  /**
   * Takes one event. Resolves once it is durably written (committed); rejects with a DropError when
   * it was refused (queue full, closing, invalid) — the refusal is also counted by reason.
   */
  submit(event: SecurityEvent): Promise<void>;
}

export class DropError extends Error {
  constructor(
    readonly reason: 'queue_full' | 'closing' | 'invalid' | 'write_failed',
    message?: string,
  ) {
    super(message ?? `event dropped: ${reason}`);
    this.name = 'DropError';
  }
}

export interface BanCheck {
  /** The active ban covering this ip, if any (exact ip or CIDR), as of `nowMs`. */
  banned(ip: string, nowMs: number): { reason: string; until: string | null } | undefined;
}
