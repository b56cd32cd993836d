/**
 * The data card written beside every dataset (datacard.json and DATACARD.md): what the files hold
 * (counts per split, label, class, label source and event source; time span; duplicates dropped),
 * the schema, and the parameters that produced them, so a model trained on it can be traced back.
 */
import { COLUMNS, type ColumnDef } from './columns.js';

export type SplitCounts = Record<string, { train: number; test: number }>;

export interface DataCardCounts {
  rows: number;
  train: number;
  test: number;
  duplicates_dropped: number;
  by_label: SplitCounts;
  by_class: SplitCounts;
  by_label_source: SplitCounts;
  by_event_source: SplitCounts;
  time_span: { from: string; to: string } | null;
}

export interface DataCard {
  name: 'palisade-dataset';
  version: 1;
  created: string;
  parameters: Record<string, unknown>;
  counts: DataCardCounts & { read: number };
  /** Skips and notes from the source, each with its reason as the key. */
  source_counters: Record<string, number>;
  files: Record<string, { rows: number; sha256: string }>;
  schema: ColumnDef[];
  notes: string[];
}

export interface BuildDataCardInput {
  counts: DataCardCounts;
  read: number;
  source: Record<string, number>;
  params: Record<string, unknown>;
  formulaGuard: boolean | undefined;
  files: DataCard['files'];
  created: string;
}

const sortKeys = <T>(o: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

export function buildDataCard(i: BuildDataCardInput): DataCard {
  const notes = [
    "Split: stratified by label and class; a seeded hash of the request key picks each stratum's test rows, so the same data and seed give the same split.",
    'De-duplicated by request key (method, decoded path, sorted decoded query, body SHA-256); the first (oldest) row of each key is kept.',
    'Payloads are attacker-controlled text: treat every cell as untrusted.',
  ];
  if (i.formulaGuard === true)
    notes.push(
      "CSV: text cells starting with = + - @ tab or CR carry a leading ' so spreadsheets do not run them as formulas; strip it (or export Parquet/JSONL) for exact payloads.",
    );
  if (i.formulaGuard === false)
    notes.push('CSV: written without the formula guard; do not open in a spreadsheet.');
  return {
    name: 'palisade-dataset',
    version: 1,
    created: i.created,
    parameters: i.params,
    counts: {
      ...i.counts,
      read: i.read,
      by_label: sortKeys(i.counts.by_label),
      by_class: sortKeys(i.counts.by_class),
      by_label_source: sortKeys(i.counts.by_label_source),
      by_event_source: sortKeys(i.counts.by_event_source),
    },
    source_counters: sortKeys(i.source),
    files: i.files,
    schema: COLUMNS.map((c) => ({ ...c })),
    notes,
  };
}

function table(title: string, counts: SplitCounts): string {
  const rows = Object.entries(counts).map(
    ([k, v]) => `| ${k} | ${v.train} | ${v.test} | ${v.train + v.test} |`,
  );
  return `### ${title}\n\n| value | train | test | total |\n| --- | ---: | ---: | ---: |\n${rows.join('\n') || '| (none) | 0 | 0 | 0 |'}\n`;
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** The data card as Markdown. */
export function renderDataCard(card: DataCard): string {
  const c = card.counts;
  const params = Object.entries(card.parameters)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `- ${k}: \`${mdCell(JSON.stringify(v))}\``)
    .join('\n');
  const counters = Object.entries(card.source_counters)
    .map(([k, v]) => `- ${k}: ${v}`)
    .join('\n');
  const files = Object.entries(card.files)
    .map(([f, v]) => `| ${f} | ${v.rows} | \`${v.sha256}\` |`)
    .join('\n');
  const schema = card.schema
    .map((s) => `| \`${s.name}\` | ${s.type}${s.nullable ? ' (nullable)' : ''} | ${mdCell(s.description)} |`)
    .join('\n');
  return `# Palisade dataset

Created ${card.created}.

## Parameters

${params}

## Counts

- rows: ${c.rows} (train ${c.train}, test ${c.test})
- rows read: ${c.read}; duplicates dropped: ${c.duplicates_dropped}
- time span: ${c.time_span ? `${c.time_span.from} to ${c.time_span.to}` : 'none'}
${counters ? `\nSkipped or noted by the source:\n\n${counters}\n` : ''}
${table('By label', c.by_label)}
${table('By class', c.by_class)}
${table('By label source', c.by_label_source)}
${table('By event source', c.by_event_source)}
## Files

| file | rows | sha256 |
| --- | ---: | --- |
${files}

## Schema

| column | type | description |
| --- | --- | --- |
${schema}

## Notes

${card.notes.map((n) => `- ${n}`).join('\n')}
`;
}
