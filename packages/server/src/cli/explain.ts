import type { Verdict } from '@palisade/engine';

const ACTION_LABEL = { allow: 'ALLOW', log: 'LOG', block: 'BLOCK' } as const;

/** Makes control characters visible so evidence cannot rewrite the terminal. */
export function visible(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code === 10) return '\\n';
    if (code === 13) return '\\r';
    if (code === 9) return '\\t';
    return `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** A readable, multi-line explanation of a verdict: action, score, and each finding. */
export function explainVerdict(title: string, v: Verdict): string {
  const lines = [`${title}: ${ACTION_LABEL[v.action]}  score ${v.score}  severity ${v.severity}`];
  if (v.findings.length === 0) lines.push('  no findings');
  for (const f of v.findings) {
    lines.push(
      `  ${f.rule} v${f.rule_version}  [${f.class}, ${f.severity}, confidence ${f.confidence.toFixed(2)}]`,
    );
    lines.push(`    at       ${visible(f.location)}`);
    lines.push(`    evidence ${visible(f.evidence)}`);
    if (f.decoded_by.length) lines.push(`    decoded  ${f.decoded_by.join(' → ')}`);
  }
  return lines.join('\n');
}
