/**
 * Request headers whose values have a fixed grammar set by a standard or by every browser (media
 * types, q-value lists, credentials, validators, client hints, trace context). Their punctuation is
 * syntax, not input an application reads as text, so detectors that read custom headers like
 * arguments (sqli, cmdi) leave these to the rules written for them.
 */
const STRUCTURED: ReadonlySet<string> = new Set([
  'accept',
  'accept-charset',
  'accept-datetime',
  'accept-encoding',
  'accept-language',
  'accept-patch',
  'accept-ranges',
  'access-control-request-headers',
  'access-control-request-method',
  'authorization',
  'cache-control',
  'connection',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-length',
  'content-md5',
  'content-range',
  'content-type',
  'cookie',
  'date',
  'dnt',
  'early-data',
  'expect',
  'forwarded',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'keep-alive',
  'max-forwards',
  'origin',
  'pragma',
  'prefer',
  'priority',
  'proxy-authorization',
  'proxy-connection',
  'range',
  'save-data',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'upgrade-insecure-requests',
  'via',
  'want-digest',
  'warning',
  'x-csrf-token',
  'x-xsrf-token',
  'x-requested-with',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-amzn-trace-id',
  'x-cloud-trace-context',
  'traceparent',
  'tracestate',
  'baggage',
]);

/** Prefixes of families with the same property: client hints, fetch metadata, B3 tracing. */
const STRUCTURED_PREFIXES = ['sec-', 'x-b3-', 'content-security-policy'];

/**
 * Whether a request header has a standard grammar (`accept`, `authorization`, `sec-ch-ua`, ...)
 * rather than being free text or a custom application header (`x-custom-data`, `x-forwarded-host`).
 * `isStructuredHeader('accept-language') === true`, `isStructuredHeader('x-api-version') === false`.
 */
export function isStructuredHeader(name: string): boolean {
  if (STRUCTURED.has(name)) return true;
  for (const p of STRUCTURED_PREFIXES) if (name.startsWith(p)) return true;
  return false;
}
