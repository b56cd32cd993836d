/**
 * Splits SQL text into complete statements as it streams in, for restoring dumps of any size
 * without holding them in memory. Knows quoted strings ('..' with '' escapes), quoted identifiers
 * ("..", [..], `..`), comments (-- and /* *\/) and CREATE TRIGGER bodies (which contain `;` up to END).
 */

export class SqlSplitter {
  #buf = '';
  #pos = 0;
  #stmtStart = 0;
  #quote = 0; // closing char code while inside a quote or comment kind
  #inLineComment = false;
  #inBlockComment = false;

  /** Adds text; returns the statements completed by it (each with its `;`). */
  push(text: string): string[] {
    this.#buf += text;
    const out: string[] = [];
    const b = this.#buf;
    let i = this.#pos;
    for (; i < b.length; i++) {
      const ch = b.charCodeAt(i);
      if (this.#inLineComment) {
        if (ch === 10) this.#inLineComment = false;
      } else if (this.#inBlockComment) {
        if (ch === 42 && b.charCodeAt(i + 1) === 47) {
          if (i + 1 >= b.length) break; // need the next chunk to decide
          this.#inBlockComment = false;
          i++;
        } else if (ch === 42 && i + 1 >= b.length) break;
      } else if (this.#quote !== 0) {
        if (ch === this.#quote) {
          if (i + 1 >= b.length) break; // a doubled quote may continue in the next chunk
          if ((ch === 39 || ch === 34 || ch === 96) && b.charCodeAt(i + 1) === ch) i++;
          else this.#quote = 0;
        }
      } else if ((ch === 45 || ch === 47) && i + 1 >= b.length)
        break; // `--` or `/*` may span chunks
      else if (ch === 39 || ch === 34 || ch === 96) this.#quote = ch;
      else if (ch === 91) this.#quote = 93;
      else if (ch === 45 && b.charCodeAt(i + 1) === 45) this.#inLineComment = true;
      else if (ch === 47 && b.charCodeAt(i + 1) === 42) {
        this.#inBlockComment = true;
        i++;
      } else if (ch === 59) {
        const stmt = b.slice(this.#stmtStart, i + 1);
        if (!isOpenTrigger(stmt)) {
          if (stmt.trim() !== ';') out.push(stmt.trim());
          this.#stmtStart = i + 1;
        }
      }
    }
    this.#pos = i;
    if (this.#stmtStart > 65536) {
      this.#buf = b.slice(this.#stmtStart);
      this.#pos -= this.#stmtStart;
      this.#stmtStart = 0;
    }
    return out;
  }

  /** What is left after the last `;` (non-empty means the input ended mid-statement). */
  rest(): string {
    return this.#buf.slice(this.#stmtStart).trim();
  }
}

/** A CREATE TRIGGER statement is complete only when its text before `;` ends with END. */
function isOpenTrigger(stmt: string): boolean {
  const head = stmt.trimStart().slice(0, 40).toUpperCase().replace(/\s+/g, ' ');
  if (
    !head.startsWith('CREATE TRIGGER') &&
    !head.startsWith('CREATE TEMP TRIGGER') &&
    !head.startsWith('CREATE TEMPORARY TRIGGER')
  )
    return false;
  const body = stmt.slice(0, -1).trimEnd().toUpperCase();
  return !body.endsWith('END');
}
