/** `palisade errors [--markdown]`: every error code with its HTTP status and message. */
import { parseArgs } from 'node:util';
import { errorRows, errorTable } from '../errors-table.js';
import { formatTable } from './scan-command.js';

export function runErrorsCommand(
  args: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
): number {
  const { values } = parseArgs({ args, strict: true, options: { markdown: { type: 'boolean' } } });
  out(values.markdown ? errorTable() : `${formatTable([['code', 'status', 'message'], ...errorRows()])}\n`);
  return 0;
}
