/**
 * Child processes for the bench: the upstream, the proxy under test, the sensor bench and `serve` run
 * in their own processes so the load client never shares an event loop with what it measures. Also
 * reads a process's resident memory from /proc (Linux).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A running child and the lines it has printed on stdout so far. */
export interface Child {
  readonly proc: ChildProcess;
  /** Resolves with the first stdout line matching `re` (rejects on exit or after `timeoutMs`). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Most stdout text kept per child while waiting for lines (children print a few lines each). */
const KEEP_CHARS = 64 * 1024;

/** Starts `command args`; stderr goes to ours unless `stdio` says otherwise. */
export function startChild(command: string, args: string[], opts: SpawnOptions = {}): Child {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
  let text = '';
  let exited = proc.exitCode !== null;
  const listeners = new Set<() => void>();
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (d: string) => {
    text = (text + d).slice(-KEEP_CHARS);
    for (const l of listeners) l();
  });
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      exited = true;
      for (const l of listeners) l();
      resolve();
    }),
  );
  proc.once('error', () => {
    exited = true;
    for (const l of listeners) l();
  });
  return {
    proc,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => done(new Error(`timed out waiting for ${re} from ${command}`)),
          timeoutMs,
        );
        const check = () => {
          for (const line of text.split('\n')) {
            const m = re.exec(line);
            if (m) return done(undefined, m);
          }
          if (exited) done(new Error(`${command} exited (code ${proc.exitCode}) before printing ${re}`));
        };
        const done = (err?: Error, m?: RegExpExecArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (err) reject(err);
          else resolve(m!);
        };
        listeners.add(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (exited) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(t);
    },
  };
}

/** Runs a child to its end; resolves with its stdout (rejects on a non-zero exit, with both outputs). */
export function runToEnd(
  command: string,
  args: string[],
  timeoutMs: number,
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-KEEP_CHARS)));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(
            `${command} ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}): ${`${out}\n${err}`.trim()}`,
          ),
        );
    });
  });
}

/**
 * The built path of a script of this package (`bench/proxy-child.js`, `cli/main.js`): children always
 * run the compiled `dist/` copy, also when the bench itself runs from `src/` under vitest.
 */
export function childScript(rel: string): string {
  const path = fileURLToPath(new URL(`../../dist/${rel}`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} not found (run npm run build first)`);
  return path;
}

/** Resident set size of `pid` in bytes (VmRSS), or null where /proc is unavailable. */
export function rssOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Sum of VmRSS over `pid` and its direct children (nginx: master + workers). */
export function treeRssOf(pid: number): number | null {
  const own = rssOf(pid);
  if (own === null) return null;
  let total = own;
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    for (const k of kids) if (k) total += rssOf(Number(k)) ?? 0;
  } catch {
    // No children list (older kernels): the parent's own RSS.
  }
  return total;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
