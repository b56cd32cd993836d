/**
 * The dataset's columns: ECS field names where ECS has one, `palisade.*` for ours, and the label
 * columns. Every writer (CSV, JSONL, Parquet) writes exactly these, in this order, for exports of
 * stored events and for synthetic datasets alike.
 */
import { SEVERITIES, type Severity } from '@palisade/engine';

/** The value kinds a column can hold; each writer maps them to its own types. */
export type ColumnType = 'timestamp' | 'string' | 'int' | 'double' | 'string_list';

export interface ColumnDef {
  name: string;
  type: ColumnType;
  /** False only for columns every row fills. */
  nullable: boolean;
  description: string;
}

/** One dataset row: column name → value (null when unknown). */
export interface DatasetRow {
  '@timestamp': number;
  'event.id': string;
  'event.kind': string;
  'event.type': string | null;
  'palisade.source.type': string;
  'palisade.source.name': string;
  'source.ip': string | null;
  'http.request.method': string | null;
  'url.domain': string | null;
  'url.path': string | null;
  'url.query': string | null;
  'url.original': string | null;
  'http.request.headers': string | null;
  'http.request.body.content': string | null;
  'user_agent.original': string | null;
  'http.response.status_code': number | null;
  'event.action': string | null;
  'event.severity': number | null;
  'palisade.severity': string | null;
  'rule.name': string[];
  'threat.technique.name': string[];
  'palisade.score': number | null;
  'palisade.ml_score': number | null;
  'palisade.anomaly_score': number | null;
  'palisade.request_key': string;
  label: 'attack' | 'benign';
  'label.source': LabelSource;
  'label.class': string;
  split: 'train' | 'test';
}

/** Where a row's label came from: an analyst's verdict, the detectors', or the synthetic generator. */
export type LabelSource = 'analyst' | 'detector' | 'synthetic';

export type ColumnName = keyof DatasetRow;

const c = (name: ColumnName, type: ColumnType, nullable: boolean, description: string): ColumnDef => ({
  name,
  type,
  nullable,
  description,
});

/** The columns in file order. */
export const COLUMNS: readonly ColumnDef[] = Object.freeze([
  c('@timestamp', 'timestamp', false, 'Event time (UTC, milliseconds).'),
  c('event.id', 'string', false, 'Palisade event id (synthetic rows: syn-<seed>-<n>).'),
  c('event.kind', 'string', false, 'Palisade event kind: http, auth, system, network, honeypot.'),
  c('event.type', 'string', true, 'Log type (http_request, auth_failure, ...).'),
  c('palisade.source.type', 'string', false, 'Event source type: sensor, proxy, log, upload, synthetic.'),
  c('palisade.source.name', 'string', false, 'Event source name.'),
  c('source.ip', 'string', true, 'Client address.'),
  c('http.request.method', 'string', true, 'HTTP method.'),
  c('url.domain', 'string', true, 'Host header.'),
  c('url.path', 'string', true, 'Request path as sent (percent-encoded).'),
  c('url.query', 'string', true, 'Query string without "?" as sent.'),
  c('url.original', 'string', true, 'Path plus query as sent.'),
  c(
    'http.request.headers',
    'string',
    true,
    'JSON object of request headers (lower-case names), only when raw payloads are included.',
  ),
  c(
    'http.request.body.content',
    'string',
    true,
    'Request body (UTF-8, lossy), only when raw payloads are included.',
  ),
  c('user_agent.original', 'string', true, 'User-Agent header.'),
  c('http.response.status_code', 'int', true, 'Response status.'),
  c('event.action', 'string', true, 'What Palisade did: allow, log, block.'),
  c('event.severity', 'int', true, 'Numeric severity: 0 info, 1 low, 2 medium, 3 high, 4 critical.'),
  c('palisade.severity', 'string', true, 'Severity name.'),
  c('rule.name', 'string_list', false, 'Ids of the rules that fired.'),
  c('threat.technique.name', 'string_list', false, 'Attack classes of the findings (distinct).'),
  c('palisade.score', 'double', true, 'Anomaly score.'),
  c('palisade.ml_score', 'double', true, 'ML score 0..1.'),
  c('palisade.anomaly_score', 'double', true, "Learning mode's anomaly score 0..1."),
  c(
    'palisade.request_key',
    'string',
    false,
    'De-duplication key: SHA-256 (hex, 32 chars) of method, normalised path, query and body hash.',
  ),
  c('label', 'string', false, 'attack or benign.'),
  c('label.source', 'string', false, 'analyst, detector or synthetic.'),
  c('label.class', 'string', false, 'Attack class (sqli, xss, ...), "benign", or "unknown".'),
  c('split', 'string', false, 'train or test.'),
]);

/** ECS-style numeric severity (index in SEVERITIES), or null. */
export function severityNumber(s: string | null): number | null {
  if (s === null) return null;
  const i = SEVERITIES.indexOf(s as Severity);
  return i < 0 ? null : i;
}
