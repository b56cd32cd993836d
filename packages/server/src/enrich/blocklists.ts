/**
 * Local IP blocklists: every `*.txt` / `*.list` file in one folder, one IP or CIDR per line, `#` (or
 * `;`, as in Spamhaus DROP) starts a comment. Bad lines are counted with `file:line` and a reason and
 * the rest of the file still loads. The folder is watched (fs.watch, debounced) and also polled
 * (mtime/size of every file) because fs.watch misses changes on some filesystems; a reload builds new
 * sets off the request path and swaps them in whole. Timers and watchers never keep the process up.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CidrSet, parseCidr, type IpAddress } from '@palisade/engine';

export interface BlocklistOptions {
  dir: string;
  /** Quiet time after a change event before reloading. */
  debounceMs?: number;
  /** Interval of the stat fallback. */
  pollMs?: number;
  /** Larger files are skipped with a reason. */
  maxFileBytes?: number;
  /** Entries kept over all files; further lines are rejected (`entry limit reached`). */
  maxEntries?: number;
  /** Called after each reload that changed the lists (the enricher drops its cached answers). */
  onReload?: () => void;
}

export interface RejectedLine {
  file: string;
  /** 1-based; 0 for a whole file (too large, unreadable). */
  line: number;
  reason: string;
}

export interface BlocklistStats {
  entries: number;
  files: number;
  rejected_lines: number;
  /** The first rejected lines of the current load (at most REJECTED_KEPT), to show where. */
  rejected: RejectedLine[];
  reloads: number;
}

export interface Blocklists {
  /** Names of the files listing `ip` (sorted); undefined when none does. */
  match(ip: IpAddress): readonly string[] | undefined;
  /** Resolves when the first load finished (it never rejects: problems are counted). */
  readonly ready: Promise<void>;
  /** Reloads now (also what the watcher and the poll call). */
  reload(): Promise<void>;
  stats(): BlocklistStats;
  close(): void;
}

export const BLOCKLIST_EXTENSIONS = ['.txt', '.list'];
const REJECTED_KEPT = 100;
const MAX_LINE_CHARS = 512;

interface Loaded {
  lists: Array<{ name: string; set: CidrSet; hit: readonly string[] }>;
  files: number;
  entries: number;
  rejectedLines: number;
  rejected: RejectedLine[];
}

const EMPTY: Loaded = { lists: [], files: 0, entries: 0, rejectedLines: 0, rejected: [] };

/** Parses one file's text into `set`; bad lines go to `reject`, lines past `room()` are refused. */
export function parseBlocklist(
  text: string,
  set: CidrSet,
  reject: (line: number, reason: string) => void,
  room: () => boolean = () => true,
): void {
  let lineNo = 0;
  let from = 0;
  while (from <= text.length) {
    let nl = text.indexOf('\n', from);
    if (nl < 0) nl = text.length;
    let line = text.slice(from, nl);
    from = nl + 1;
    lineNo++;
    if (line.length > MAX_LINE_CHARS) {
      reject(lineNo, `line longer than ${MAX_LINE_CHARS} characters`);
      continue;
    }
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    const semi = line.indexOf(';');
    if (semi >= 0) line = line.slice(0, semi);
    line = line.trim();
    if (line === '') continue;
    const cidr = parseCidr(line);
    if (cidr === null) {
      reject(lineNo, `not an IP or CIDR: ${JSON.stringify(line.slice(0, 60))}`);
      continue;
    }
    if (!room()) {
      reject(lineNo, 'entry limit reached');
      continue;
    }
    set.add(cidr);
  }
}

export function createBlocklists(opts: BlocklistOptions): Blocklists {
  const debounceMs = opts.debounceMs ?? 250;
  const pollMs = opts.pollMs ?? 30_000;
  const maxFileBytes = opts.maxFileBytes ?? 64 << 20;
  const maxEntries = opts.maxEntries ?? 2_000_000;
  let current = EMPTY;
  let signature = '';
  let reloads = 0;
  let closed = false;
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let againForce = false;

  async function listFiles(): Promise<Array<{ name: string; mtimeMs: number; size: number }>> {
    let names: string[];
    try {
      names = await readdir(opts.dir);
    } catch {
      return []; // no folder (yet): no lists
    }
    const out = [];
    for (const name of names.sort()) {
      if (!BLOCKLIST_EXTENSIONS.some((e) => name.endsWith(e))) continue;
      try {
        const st = await stat(join(opts.dir, name));
        if (st.isFile()) out.push({ name, mtimeMs: st.mtimeMs, size: st.size });
      } catch {
        // removed between readdir and stat
      }
    }
    return out;
  }

  async function load(files: Array<{ name: string; size: number }>): Promise<Loaded> {
    const loaded: Loaded = { lists: [], files: 0, entries: 0, rejectedLines: 0, rejected: [] };
    const reject = (file: string, line: number, reason: string) => {
      loaded.rejectedLines++;
      if (loaded.rejected.length < REJECTED_KEPT) loaded.rejected.push({ file, line, reason });
    };
    for (const f of files) {
      if (f.size > maxFileBytes) {
        reject(f.name, 0, `file larger than ${maxFileBytes} bytes`);
        continue;
      }
      let text: string;
      try {
        text = await readFile(join(opts.dir, f.name), 'utf8');
      } catch (e) {
        reject(f.name, 0, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        continue;
      }
      const set = new CidrSet();
      parseBlocklist(
        text,
        set,
        (line, reason) => reject(f.name, line, reason),
        () => loaded.entries + set.size < maxEntries,
      );
      loaded.files++;
      loaded.entries += set.size;
      if (set.size > 0) loaded.lists.push({ name: f.name, set, hit: Object.freeze([f.name]) });
    }
    return loaded;
  }

  async function reloadOnce(force: boolean): Promise<void> {
    const files = await listFiles();
    const sig = files.map((f) => `${f.name}\0${f.mtimeMs}\0${f.size}`).join('\n');
    if (!force && sig === signature) return;
    const loaded = await load(files);
    if (closed) return;
    signature = sig;
    current = loaded;
    reloads++;
    ensureWatcher();
    opts.onReload?.();
  }

  /** Runs reloads one at a time; a request during a run queues exactly one more. */
  function reload(force = true): Promise<void> {
    if (running) {
      again = true;
      againForce ||= force;
      return running;
    }
    running = (async () => {
      try {
        let f = force;
        do {
          again = false;
          await reloadOnce(f);
          f = againForce;
          againForce = false;
        } while (again && !closed);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  function ensureWatcher(): void {
    if (watcher || closed) return;
    try {
      watcher = watch(opts.dir, { persistent: false }, () => {
        if (closed) return;
        clearTimeout(debounce);
        debounce = setTimeout(() => void reload(true).catch(() => undefined), debounceMs);
        debounce.unref();
      });
      watcher.on('error', () => {
        // the folder went away: fall back on the poll, which re-watches once it is back
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined;
    }
  }

  const poll = setInterval(() => void reload(false).catch(() => undefined), pollMs);
  poll.unref();
  const ready = reload(true).catch(() => undefined);

  return {
    ready,
    reload: () => reload(true),
    match(ip) {
      const lists = current.lists;
      let out: string[] | readonly string[] | undefined;
      for (const l of lists) {
        if (!l.set.has(ip)) continue;
        if (out === undefined) out = l.hit;
        else out = [...out, l.name];
      }
      return out;
    },
    stats: () => ({
      entries: current.entries,
      files: current.files,
      rejected_lines: current.rejectedLines,
      rejected: current.rejected.slice(),
      reloads,
    }),
    close() {
      closed = true;
      clearInterval(poll);
      clearTimeout(debounce);
      watcher?.close();
      watcher = undefined;
    },
  };
}
