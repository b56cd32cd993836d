/**
 * Runs fail2ban's sshd filter test files (../shared/logs/fail2ban-tests/sshd.log and
 * sshd-journal.log, only when present) through one parser each, in order, as fail2ban's harness
 * reads them, and holds the parser to fail2ban's labels in its `aggressive` mode, the one Palisade
 * follows: every `# failJSON: {"match": true, "host": H}` line must yield a record of type
 * auth_failure / invalid_user with src_ip H (and the user, when the label names one); no
 * `"match": false` line may yield one. A line may yield several records: failures it settles for
 * earlier lines of its connection come before its own (sshd-session.ts).
 *
 * How fail2ban's options are read: lines whose `constraint` excludes aggressive mode are skipped (not
 * fed), as fail2ban skips them; `name == 'sshd'` holds. Journal entries have no time stamp; they get
 * one, as `journalctl -o short` prints them. Sections tested in normal mode only may label a line
 * false that aggressive mode counts; those lines are listed in AGGRESSIVE_ONLY, each with its reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ParsedLine } from '../types.js';
import { createSshdParser } from './sshd-parser.js';

const DIR = new URL('../../../../../../../shared/logs/fail2ban-tests/', import.meta.url).pathname;
const FAILURE = new Set(['auth_failure', 'invalid_user']);

/**
 * `match: false` lines of normal-mode-only sections that Palisade counts, as fail2ban's
 * extra/aggressive modes do. Keep this list tiny: each entry needs a reason.
 */
const AGGRESSIVE_ONLY: { re: RegExp; why: string }[] = [
  {
    re: /: Disconnected from authenticating user \S+ \S+ port \d+ \[preauth\]$/,
    why: 'a disconnect before login; the same text is match:true in the extra/aggressive section (gh-2115)',
  },
];

interface Label {
  match: boolean;
  host?: string;
  ip4?: string;
  ip6?: string;
  user?: string;
  constraint?: string;
}

/** fail2ban's constraint expressions as they read in aggressive mode for the `sshd` filter. */
const CONSTRAINTS: Record<string, boolean> = {
  "name == 'sshd'": true,
  "opts.get('mode') == 'aggressive'": true,
  "opts.get('mode') != 'aggressive'": false,
};

interface Figures {
  trueOk: number;
  trueTotal: number;
  falseOk: number;
  falseTotal: number;
  aggressiveOnly: number;
  skipped: number;
  missed: string[];
  wrong: string[];
}

function run(file: string, journal: boolean): Figures {
  const parser = createSshdParser({ now: Date.UTC(2026, 11, 31), timeZone: 'UTC' });
  const f: Figures = {
    trueOk: 0,
    trueTotal: 0,
    falseOk: 0,
    falseTotal: 0,
    aggressiveOnly: 0,
    skipped: 0,
    missed: [],
    wrong: [],
  };
  let label: Label | null = null;
  let normalOnly = false;
  let n = 0;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (raw.startsWith('# filterOptions:')) {
      const opts = JSON.parse(raw.slice(16)) as Record<string, unknown> | Record<string, unknown>[];
      normalOnly = !(Array.isArray(opts) ? opts : [opts]).some((o) => o.mode === 'aggressive');
      continue;
    }
    if (raw.startsWith('# failJSON:')) {
      label = JSON.parse(raw.slice(11)) as Label;
      continue;
    }
    if (raw.startsWith('#') || raw.trim() === '') continue;
    const here = label;
    label = null;
    if (here?.constraint !== undefined) {
      const holds = CONSTRAINTS[here.constraint];
      if (holds === undefined) throw new Error(`unknown constraint ${here.constraint}`);
      if (!holds) {
        f.skipped++;
        continue;
      }
    }
    const text = journal ? `Jan  1 00:00:00 ${raw}` : raw;
    const records = parser
      .push(text, ++n)
      .flatMap((r) => (r.ok ? [r.parsed] : []))
      .filter((p: ParsedLine) => FAILURE.has(p.type));
    if (here === null) continue;
    const show = () => `${records.map((p) => `${p.type}/${p.src_ip}/${p.user}`).join(',') || 'none'} ${raw}`;
    if (here.match) {
      f.trueTotal++;
      const host = here.host ?? here.ip4 ?? here.ip6;
      const right = records.some(
        (p) => (host === undefined || p.src_ip === host) && (!here.user || p.user === here.user),
      );
      if (right) f.trueOk++;
      else f.missed.push(show());
    } else {
      f.falseTotal++;
      if (records.length === 0) f.falseOk++;
      else if (normalOnly && AGGRESSIVE_ONLY.some((a) => a.re.test(raw))) f.aggressiveOnly++;
      else f.wrong.push(show());
    }
  }
  return f;
}

describe.runIf(existsSync(DIR))('fail2ban sshd vectors (aggressive mode)', () => {
  it.each([
    ['sshd.log', false],
    ['sshd-journal.log', true],
  ] as const)('%s: every failure line with its source, no other line', (name, journal) => {
    const f = run(DIR + name, journal);
    console.log(
      `fail2ban ${name}: ${f.trueOk}/${f.trueTotal} match:true parsed as failures with the right source; ` +
        `${f.falseOk}/${f.falseTotal} match:false not failures (${f.aggressiveOnly} more counted as in ` +
        `aggressive mode, ${f.skipped} skipped by their constraint)`,
    );
    expect(f.trueTotal).toBeGreaterThan(80);
    expect(f.missed, 'match:true lines not parsed as failures with their source').toEqual([]);
    expect(f.wrong, 'match:false lines parsed as failures').toEqual([]);
  });
});
