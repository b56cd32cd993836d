/**
 * The log formats `palisade ingest`/`parse`, the upload API and the syslog listener understand, by
 * name, and the parser for each. `auto` looks at the first lines (parsers/detect). Auditd and
 * access lines may also arrive wrapped in a syslog header (audisp-syslog, nginx `access_log syslog:`):
 * a line the inner parser refuses is tried again without its header, keeping the header's host.
 */
import { PalisadeError } from '../errors.js';
import { createAccessParser } from './parsers/access/access-parser.js';
import { createAuditdParser } from './parsers/auditd/auditd-parser.js';
import { detectFormat } from './parsers/detect/detect-format.js';
import { createJsonlParser, type JsonlParserOptions } from './parsers/jsonl/jsonl-parser.js';
import { createSshdParser } from './parsers/sshd/sshd-parser.js';
import { parseSyslogHeader } from './parsers/syslog/syslog-header.js';
import { YearTracker } from './parsers/time.js';
import type { LineParser, ParseContext, ParseResult } from './parsers/types.js';

/** Canonical format names. */
export const FORMATS = ['access', 'auth', 'auditd', 'jsonl'] as const;
export type Format = (typeof FORMATS)[number];

/** Names users may give, mapped to the canonical ones. */
const ALIASES: Readonly<Record<string, Format>> = {
  access: 'access',
  nginx: 'access',
  apache: 'access',
  combined: 'access',
  common: 'access',
  auth: 'auth',
  sshd: 'auth',
  syslog: 'auth',
  secure: 'auth',
  'auth.log': 'auth',
  auditd: 'auditd',
  audit: 'auditd',
  jsonl: 'jsonl',
  json: 'jsonl',
  ecs: 'jsonl',
};

export const FORMAT_NAMES = Object.keys(ALIASES);

/** The canonical format of a user-given name (`auto` passes through); PAL_ERR_VALIDATION otherwise. */
export function formatOf(name: string): Format | 'auto' {
  if (name === 'auto') return 'auto';
  const f = ALIASES[name.toLowerCase()];
  if (f === undefined)
    throw new PalisadeError(
      'PAL_ERR_VALIDATION',
      `unknown log format "${name}" (use auto, ${FORMAT_NAMES.join(', ')})`,
      {
        field: 'format',
      },
    );
  return f;
}

/** The format of a sample of lines, or undefined when nothing fits. */
export function detect(sample: readonly string[]): Format | undefined {
  const d = detectFormat(sample);
  if (d === null) return undefined;
  return d.format === 'sshd' || d.format === 'syslog' ? 'auth' : d.format;
}

export interface ParserOptions {
  jsonl?: JsonlParserOptions;
}

export function createParser(format: Format, ctx: ParseContext, opts: ParserOptions = {}): LineParser {
  switch (format) {
    case 'access':
      return unwrapSyslog(createAccessParser(ctx), ctx);
    case 'auth':
      return createSshdParser(ctx);
    case 'auditd':
      return unwrapSyslog(createAuditdParser(ctx), ctx);
    case 'jsonl':
      return createJsonlParser(ctx, opts.jsonl);
  }
}

/** Lets `inner` read lines that carry a syslog header in front of its own format. */
function unwrapSyslog(inner: LineParser, ctx: ParseContext): LineParser {
  const years = new YearTracker(ctx);
  return {
    format: inner.format,
    push(text, line) {
      const first = inner.push(text, line);
      if (first.length !== 1 || first[0]!.ok) return first;
      const h = parseSyslogHeader(text, years);
      if (!h.ok || h.header.message.length === 0) return first;
      const again = inner.push(h.header.message, line);
      const host = h.header.host;
      if (host !== undefined) for (const r of again) if (r.ok) r.parsed.host ??= host;
      // Still refused: report the inner parser's reason for the whole line.
      return again.length === 1 && !again[0]!.ok ? first : again;
    },
    end: (): ParseResult[] => inner.end(),
  };
}
