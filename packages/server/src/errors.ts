/**
 * Every error code Palisade returns, in one table (STYLE.md #7). The API answers
 * `{ error: { code, message, details } }`; the CLI prints the message and exits non-zero.
 */
export const ERRORS = {
  PAL_ERR_CLI_USAGE: { status: 400, message: 'Invalid command line' },
  PAL_ERR_CLI_INPUT: { status: 400, message: 'Input file cannot be read' },
  PAL_ERR_ENGINE_CONFIG: { status: 400, message: 'Invalid engine configuration' },
  PAL_ERR_ENGINE_MODEL: { status: 400, message: 'Invalid model file' },
  PAL_ERR_CONFIG: { status: 400, message: 'Invalid server configuration' },
  PAL_ERR_AUTH_REQUIRED: { status: 401, message: 'Authentication required' },
  PAL_ERR_FORBIDDEN: { status: 403, message: 'Not allowed for this key or role' },
  PAL_ERR_AUTH_FAILED: { status: 401, message: 'Invalid username or password' },
  PAL_ERR_CSRF: { status: 403, message: 'Missing or wrong X-CSRF-Token header' },
  PAL_ERR_LOCKED: { status: 423, message: 'Too many failed logins; try again later' },
  PAL_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests; retry later' },
  PAL_ERR_REGISTRATION_CLOSED: { status: 403, message: 'Registration needs an invitation' },
  PAL_ERR_INVITATION_INVALID: { status: 400, message: 'Unknown, used or expired invitation' },
  PAL_ERR_LAST_ADMIN: { status: 409, message: 'The last active admin cannot be removed or demoted' },
  PAL_ERR_VALIDATION: { status: 400, message: 'Invalid request' },
  PAL_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  PAL_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large' },
  PAL_ERR_CONFLICT: { status: 409, message: 'The resource already exists' },
  PAL_ERR_BUSY: { status: 503, message: 'The event queue is full; retry later' },
  PAL_ERR_STREAM_LIMIT: { status: 503, message: 'Too many live streams are open; retry later' },
  PAL_ERR_INTERNAL: { status: 500, message: 'Internal error' },
  PAL_ERR_ENRICH_SECRET: { status: 500, message: 'The install secret cannot be loaded or created' },
  PAL_ERR_ENRICH_DATA: { status: 500, message: 'A GeoIP or ASN data file cannot be read' },
  PAL_ERR_STORE_OPEN: { status: 500, message: 'The database cannot be opened' },
  PAL_ERR_STORE_MIGRATION: { status: 500, message: 'A database migration failed' },
  PAL_ERR_STORE_FILTER: { status: 400, message: 'Invalid event filter' },
  PAL_ERR_STORE_CURSOR: { status: 400, message: 'Invalid cursor' },
  PAL_ERR_STORE_INVALID_EVENT: { status: 400, message: 'Invalid event' },
  PAL_ERR_STORE_BACKUP: { status: 500, message: 'The backup cannot be written' },
  PAL_ERR_STORE_RESTORE: { status: 400, message: 'The backup cannot be restored' },
  PAL_ERR_KEY_CONFIG: { status: 400, message: 'Invalid encryption key configuration' },
  PAL_ERR_KEY_MISSING: { status: 500, message: 'The encryption key of a stored value is not in the keyring' },
  PAL_ERR_KEY_INVALID: {
    status: 500,
    message: 'A stored value failed authentication (wrong key or tampered)',
  },
  PAL_ERR_KEY_IN_USE: { status: 409, message: 'The key still encrypts stored values' },
  PAL_ERR_BAN_INVALID: { status: 400, message: 'Invalid ban' },
  PAL_ERR_SETTINGS_INVALID: { status: 400, message: 'Invalid setting' },
  PAL_ERR_SETTINGS_CONFLICT: { status: 409, message: 'The setting was changed by someone else' },
  PAL_ERR_APIKEY_INVALID: { status: 400, message: 'Invalid API key request' },
  PAL_ERR_PROXY_CONFIG: { status: 400, message: 'Invalid proxy option' },
  PAL_ERR_PROXY_BAD_REQUEST: { status: 400, message: 'Malformed request or ambiguous framing' },
  PAL_ERR_PROXY_BODY_TOO_LARGE: { status: 413, message: 'Request body over the proxy limit' },
  PAL_ERR_PROXY_INSPECT_FAILED: { status: 503, message: 'The request could not be inspected' },
  PAL_ERR_PROXY_UPSTREAM_UNAVAILABLE: { status: 502, message: 'The upstream is not reachable' },
  PAL_ERR_PROXY_UPSTREAM_TIMEOUT: { status: 504, message: 'The upstream did not answer in time' },
  PAL_ERR_SENSOR_CONFIG: { status: 400, message: 'Invalid sensor option' },
  PAL_ERR_SENSOR_INSPECT_FAILED: { status: 503, message: 'The request could not be inspected' },
  PAL_ERR_BUS_CONFIG: { status: 400, message: 'Invalid NATS bus option' },
  PAL_ERR_BUS_UNAVAILABLE: { status: 503, message: 'The NATS server or its JetStream cannot be reached' },
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
