/** Size limits of inspection. Exceeding one is a finding (`protocol.limit_exceeded`), never a silent skip. */
export interface Limits {
  /** Body bytes inspected (ModSecurity's default no-files limit); the rest is not parsed. */
  max_body_bytes: number;
  /** Request-target length. */
  max_url_bytes: number;
  /** Values (arguments, cookies, JSON leaves, ...) inspected per request. */
  max_params: number;
  /** JSON and XML nesting depth followed. */
  max_json_depth: number;
  /** Characters of one value inspected. */
  max_value_bytes: number;
  /** Header lines inspected. */
  max_headers: number;
  /** Multipart parts inspected. */
  max_parts: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  max_body_bytes: 128 * 1024,
  max_url_bytes: 8192,
  max_params: 1000,
  max_json_depth: 64,
  max_value_bytes: 64 * 1024,
  max_headers: 100,
  max_parts: 100,
});
