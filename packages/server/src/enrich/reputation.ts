/**
 * Reputation: the local blocklists (a listed ip scores 100) and, when configured, AbuseIPDB (listed
 * from `threshold`). Special-purpose addresses are never sent to AbuseIPDB. The local answer is
 * synchronous; the remote one is a cache lookup, or one bounded request when not cached.
 */
import type { IpAddress, Reputation } from '@palisade/engine';
import {
  createAbuseIpdb,
  type AbuseIpdbClient,
  type AbuseIpdbOptions,
  type AbuseIpdbStats,
} from './abuseipdb.js';
import {
  createBlocklists,
  type BlocklistOptions,
  type BlocklistStats,
  type Blocklists,
} from './blocklists.js';

export const BLOCKLIST_SCORE = 100;
export const ABUSEIPDB_LIST = 'abuseipdb';

export interface ReputationOptions {
  /** Folder of list files; false for none. */
  blocklistDir: string | false;
  blocklist?: Omit<BlocklistOptions, 'dir' | 'onReload'>;
  abuseipdb?: AbuseIpdbOptions;
  clock?: () => number;
  /** Called when the local lists changed (cached answers are stale). */
  onReload?: () => void;
}

export interface ReputationStats {
  blocklist: BlocklistStats;
  abuseipdb?: AbuseIpdbStats;
}

export interface ReputationSource {
  /** Names of the local lists holding `ip`, undefined when none. Synchronous and cheap. */
  local(ip: IpAddress): readonly string[] | undefined;
  /** Whether a remote lookup is configured. */
  readonly remote: boolean;
  /** The AbuseIPDB score from which an ip counts as listed. */
  readonly threshold: number;
  /**
   * The AbuseIPDB score of a public ip (canonical text): a number when cached, else a promise that
   * settles within the timeout; undefined when not configured or skipped.
   */
  remoteScore(ip: string): number | Promise<number | undefined> | undefined;
  /** Resolves when the first blocklist load finished. */
  readonly ready: Promise<void>;
  reload(): Promise<void>;
  stats(): ReputationStats;
  close(): void;
}

/** Combines local lists and a remote score into a Reputation; undefined when nothing matched. */
export function combineReputation(
  local: readonly string[] | undefined,
  remote: number | undefined,
  threshold: number,
): Reputation | undefined {
  const remoteHit = remote !== undefined && remote >= threshold;
  if (!local && !remoteHit) return undefined;
  const lists = local ? [...local] : [];
  let score = local ? BLOCKLIST_SCORE : 0;
  if (remoteHit) {
    lists.push(ABUSEIPDB_LIST);
    score = Math.max(score, remote);
  }
  return { lists, score };
}

const NO_LISTS: BlocklistStats = { entries: 0, files: 0, rejected_lines: 0, rejected: [], reloads: 0 };

export function createReputation(opts: ReputationOptions): ReputationSource {
  const lists: Blocklists | undefined =
    opts.blocklistDir === false
      ? undefined
      : createBlocklists({
          ...opts.blocklist,
          dir: opts.blocklistDir,
          ...(opts.onReload ? { onReload: opts.onReload } : {}),
        });
  const abuse: AbuseIpdbClient | undefined = opts.abuseipdb
    ? createAbuseIpdb(opts.abuseipdb, opts.clock)
    : undefined;
  return {
    remote: abuse !== undefined,
    threshold: abuse?.threshold ?? 50,
    ready: lists?.ready ?? Promise.resolve(),
    local: (ip) => lists?.match(ip),
    remoteScore(ip) {
      if (!abuse) return undefined;
      return abuse.cached(ip) ?? abuse.check(ip);
    },
    reload: () => lists?.reload() ?? Promise.resolve(),
    stats: () => ({
      blocklist: lists?.stats() ?? NO_LISTS,
      ...(abuse ? { abuseipdb: abuse.stats() } : {}),
    }),
    close() {
      lists?.close();
      abuse?.close();
    },
  };
}
