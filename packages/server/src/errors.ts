/**
 * Every error code Palisade returns, in one table (STYLE.md #7). The API answers
 * `{ error: { code, message, details } }`; the CLI prints the message and exits non-zero.
 */
export const ERRORS = {
  PAL_ERR_CLI_USAGE: { status: 400, message: 'Invalid command line' },
  PAL_ERR_CLI_INPUT: { status: 400, message: 'Input file cannot be read' },
  PAL_ERR_ENGINE_CONFIG: { status: 400, message: 'Invalid engine configuration' },
  PAL_ERR_CONFIG: { status: 400, message: 'Invalid server configuration' },
  PAL_ERR_AUTH_REQUIRED: { status: 401, message: 'Authentication required' },
  PAL_ERR_FORBIDDEN: { status: 403, message: 'Not allowed for this key or role' },
  PAL_ERR_VALIDATION: { status: 400, message: 'Invalid request' },
  PAL_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  PAL_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large' },
  PAL_ERR_BUSY: { status: 503, message: 'The event queue is full; retry later' },
  PAL_ERR_INTERNAL: { status: 500, message: 'Internal error' },
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
