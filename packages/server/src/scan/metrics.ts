import type { Action } from '@palisade/engine';

/** Counts of one class: attacks detected / missed, benign flagged / passed. */
export interface ClassCounts {
  attacks: number;
  detected: number;
  benign: number;
  flagged: number;
}

export interface Rates {
  n: number;
  tpr: number | null;
  fpr: number | null;
  balancedAccuracy: number | null;
}

/** A request counts as detected when the verdict blocks it (what a WAF in block mode would do). */
export function isDetected(action: Action): boolean {
  return action === 'block';
}

/** Confusion counts overall and per class of the input (`class` field). */
export class Confusion {
  readonly overall: ClassCounts = { attacks: 0, detected: 0, benign: 0, flagged: 0 };
  readonly byClass = new Map<string, ClassCounts>();

  add(label: 'attack' | 'benign', cls: string | undefined, detected: boolean): void {
    const key = cls ?? (label === 'attack' ? 'attack' : 'benign');
    let c = this.byClass.get(key);
    if (!c) this.byClass.set(key, (c = { attacks: 0, detected: 0, benign: 0, flagged: 0 }));
    for (const t of [this.overall, c]) {
      if (label === 'attack') {
        t.attacks++;
        if (detected) t.detected++;
      } else {
        t.benign++;
        if (detected) t.flagged++;
      }
    }
  }
}

export function rates(c: ClassCounts): Rates {
  const tpr = c.attacks ? c.detected / c.attacks : null;
  const fpr = c.benign ? c.flagged / c.benign : null;
  return {
    n: c.attacks + c.benign,
    tpr,
    fpr,
    balancedAccuracy: tpr !== null && fpr !== null ? (tpr + (1 - fpr)) / 2 : null,
  };
}

export function pct(x: number | null, digits = 2): string {
  return x === null ? '—' : `${(x * 100).toFixed(digits)} %`;
}
