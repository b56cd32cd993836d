/**
 * The dashboard's one door to the server: same-origin JSON over fetch with the session cookie,
 * the CSRF token on every unsafe method (from login/me, else the readable `pal_csrf` cookie), errors
 * as ApiError (code, message, details.field), and a 401 anywhere sends the user back to the login.
 * Uploads go through XMLHttpRequest, the one browser API that reports upload progress.
 */
import type { Upload } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
  /** The field the server named (`details.field`), for showing the error next to it. */
  get field(): string | undefined {
    const f = this.details?.field;
    return typeof f === 'string' ? f : undefined;
  }
}

let csrfToken: string | undefined;
let onUnauthorized: () => void = () => {};

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called once by the app: what to do when the session is gone (show the login). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

function cookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function csrfHeader(): Record<string, string> {
  const t = csrfToken ?? cookie('pal_csrf');
  return t ? { 'x-csrf-token': t } : {};
}

export type Query = Record<string, string | number | boolean | null | undefined>;

/** `?a=1&b=x` from the defined, non-empty values of `q`. */
export function queryString(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

async function toError(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const e = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
    ?.error;
  return new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? res.statusText, e?.details);
}

export interface ApiOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Do not treat 401 as "session gone" (the login and me calls). */
  quiet401?: boolean;
}

/** Calls `/api/v1${path}` and returns the parsed JSON (undefined for 204). */
export async function api<T>(path: string, opts: ApiOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (method !== 'GET') Object.assign(headers, csrfHeader());
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}${queryString(opts.query)}`, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401 && !opts.quiet401) onUnauthorized();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** Sends a log file as multipart (`file`, `format`), reporting upload progress 0..1. */
export function uploadLog(
  file: File,
  format: string,
  onProgress: (fraction: number) => void,
): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/logs');
    xhr.withCredentials = true;
    xhr.responseType = 'text';
    for (const [k, v] of Object.entries(csrfHeader())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'the upload failed (network error)'));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve((body as { upload: Upload }).upload);
        return;
      }
      const e = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
        ?.error;
      if (xhr.status === 401) onUnauthorized();
      reject(
        new ApiError(xhr.status, e?.code ?? `HTTP_${xhr.status}`, e?.message ?? 'upload refused', e?.details),
      );
    };
    const form = new FormData();
    // The format field comes first: the server reads the parts in order.
    form.append('format', format);
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}
