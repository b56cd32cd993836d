/**
 * Every error code Palisade returns, in one table (STYLE.md #7). The API answers
 * `{ error: { code, message, details } }`; the CLI prints the message and exits non-zero.
 */
export const ERRORS = {
  PAL_ERR_CLI_USAGE: { status: 400, message: 'Invalid command line' },
  PAL_ERR_CLI_INPUT: { status: 400, message: 'Input file cannot be read' },
  PAL_ERR_ENGINE_CONFIG: { status: 400, message: 'Invalid engine configuration' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class PalisadeError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: unknown,
  ) {
    super(message ?? ERRORS[code].message);
    this.name = 'PalisadeError';
    this.status = ERRORS[code].status;
  }
}
