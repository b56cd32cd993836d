/**
 * A fixed set of ASCII literals looked for in one pass: a table of the literals' first two characters
 * points at the few candidates to compare, so "does any of these 60 words occur?" costs one walk
 * over the string instead of one `indexOf` per word.
 */
export class LiteralSet {
  private readonly slot = new Uint16Array(128 * 128);
  private readonly lists: string[][] = [[]];

  constructor(literals: readonly string[]) {
    for (const w of literals) {
      if (w.length < 2) throw new Error(`literal too short: ${w}`);
      const a = w.charCodeAt(0);
      const b = w.charCodeAt(1);
      if (a >= 128 || b >= 128) throw new Error(`literal not ASCII: ${w}`);
      const k = a * 128 + b;
      if (this.slot[k] === 0) {
        this.slot[k] = this.lists.length;
        this.lists.push([]);
      }
      this.lists[this.slot[k]!]!.push(w);
    }
  }

  /** True when some literal occurs in `s`. */
  any(s: string): boolean {
    const slot = this.slot;
    const n = s.length - 1;
    let a = n >= 0 ? s.charCodeAt(0) : 128;
    for (let i = 0; i < n; i++) {
      const b = s.charCodeAt(i + 1);
      if (a < 128 && b < 128) {
        const k = slot[a * 128 + b]!;
        if (k !== 0) for (const w of this.lists[k]!) if (s.startsWith(w, i)) return true;
      }
      a = b;
    }
    return false;
  }
}
