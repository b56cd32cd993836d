/**
 * A one-line progress display for long imports, redrawn in place on a terminal's stderr. Silent when
 * the stream is not a TTY, so logs and pipes stay clean.
 */

/** What a progress display needs of its stream (process.stderr qualifies). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  label: string;
  /** Total bytes when known (a regular file's size): adds a bar and a percentage. */
  totalBytes?: number;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Clock in epoch ms (default Date.now); injected in tests. */
  now?: () => number;
}

export interface Progress {
  /** Reports the totals so far (not increments); redraws at most every 100 ms. */
  update(bytes: number, lines: number): void;
  /** Draws the final totals and ends the line. */
  done(): void;
}

const MIN_REDRAW_MS = 100;
const BAR_WIDTH = 20;
const MIB = 1024 * 1024;

/**
 * Creates a progress display: `label [#######.............] 35%  12.3/35.0 MiB  81,204 lines  8.1 MiB/s`.
 *
 * @example const p = createProgress({ label: 'auth.log', totalBytes: size }); p.update(bytes, lines); p.done();
 */
export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const tty = stream.isTTY === true;
  const started = now();
  let lastDraw = -Infinity;
  let bytes = 0;
  let lines = 0;
  let finished = false;

  function draw(): void {
    const elapsedS = (now() - started) / 1000;
    const parts = [opts.label];
    const total = opts.totalBytes;
    if (total !== undefined && total > 0) {
      const ratio = Math.min(1, bytes / total);
      const filled = Math.round(ratio * BAR_WIDTH);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(ratio * 100)}%`);
      parts.push(`${mib(bytes)}/${mib(total)} MiB`);
    } else {
      parts.push(`${mib(bytes)} MiB`);
    }
    parts.push(`${lines.toLocaleString('en-US')} lines`);
    if (elapsedS > 0) parts.push(`${mib(bytes / elapsedS)} MiB/s`);
    let text = parts.join('  ');
    const width = stream.columns;
    if (width !== undefined && width > 1 && text.length > width - 1) text = text.slice(0, width - 1);
    // \r back to column 0, ESC[K clears what a longer previous line left.
    stream.write(`\r${text}\x1b[K`);
  }

  return {
    update(b, l) {
      if (!tty || finished) return;
      bytes = b;
      lines = l;
      const t = now();
      if (t - lastDraw < MIN_REDRAW_MS) return;
      lastDraw = t;
      draw();
    },
    done() {
      if (!tty || finished) return;
      finished = true;
      draw();
      stream.write('\n');
    },
  };
}

function mib(n: number): string {
  return (n / MIB).toFixed(1);
}
