/**
 * The error codes as documentation: the Markdown table the README carries (`palisade errors
 * --markdown` prints it), rendered from the one table in errors.ts so the two cannot drift apart
 * (errors-table.test.ts checks the README holds it).
 */
import { ERRORS } from './errors.js';

/** Rows of code, HTTP status and message, in the order of errors.ts. */
export function errorRows(): string[][] {
  return Object.entries(ERRORS).map(([code, e]) => [code, String(e.status), e.message]);
}

/** The Markdown table of every error code, e.g. "| `PAL_ERR_NOT_FOUND` | 404 | Not found |". */
export function errorTable(): string {
  const rows = errorRows().map(([code, status, message]) => `| \`${code}\` | ${status} | ${message} |`);
  return ['| Code | HTTP status | Meaning |', '| --- | --- | --- |', ...rows].join('\n') + '\n';
}
