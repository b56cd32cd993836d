/**
 * The answers the proxy writes itself: blocks and bans (JSON `{error:{code,message,event_id}}`),
 * refusals (400, 413, 431), upstream failures (502, 504; an HTML page for browsers, JSON otherwise).
 * Nothing from the request is reflected except the event id, which the proxy made.
 */
import type { ServerResponse } from 'node:http';
import type { BlockResponse } from './options.js';

export interface OwnResponse {
  status: number;
  contentType: string;
  body: string;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** `{error:{code,message,event_id}}`. */
export function jsonError(status: number, code: string, message: string, eventId?: string): OwnResponse {
  const error: Record<string, string> = { code, message };
  if (eventId !== undefined) error.event_id = eventId;
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ error }) };
}

/** The response to a request the verdict blocked. */
export function blockedResponse(
  eventId: string,
  custom: Readonly<Required<BlockResponse>> | undefined,
): OwnResponse {
  if (!custom || custom.body === '')
    return jsonError(
      custom?.status ?? 403,
      'PAL_BLOCKED',
      'The request was blocked by the web application firewall.',
      eventId,
    );
  return {
    status: custom.status,
    contentType: custom.contentType,
    body: custom.body.replaceAll('{{event_id}}', eventId),
  };
}

/** Whether the client prefers an HTML page (a browser) to JSON. */
export function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}

/** An error answer: a small HTML page for browsers, JSON for everything else. */
export function errorResponse(
  status: number,
  code: string,
  title: string,
  message: string,
  eventId: string,
  html: boolean,
): OwnResponse {
  if (!html) return jsonError(status, code, message, eventId);
  const body =
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${status} ${escapeHtml(title)}</title>` +
    `<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;color:#222}` +
    `code{background:#eee;padding:0 .3em}</style></head><body>` +
    `<h1>${status} ${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>` +
    `<p>Error <code>${escapeHtml(code)}</code>, event <code>${escapeHtml(eventId)}</code>.</p>` +
    `</body></html>\n`;
  return { status, contentType: 'text/html; charset=utf-8', body };
}

/**
 * Writes an own response. `close` ends the connection after it (the request body was not read, or the
 * framing cannot be trusted). Returns the body length in bytes.
 */
export function sendOwn(
  res: ServerResponse,
  r: OwnResponse,
  close: boolean,
  extra?: readonly string[],
): number {
  const body = Buffer.from(r.body, 'utf8');
  const headers = [
    'Content-Type',
    r.contentType,
    'Content-Length',
    String(body.length),
    'Cache-Control',
    'no-store',
    'X-Content-Type-Options',
    'nosniff',
  ];
  if (extra) headers.push(...extra);
  if (close) {
    headers.push('Connection', 'close');
    res.shouldKeepAlive = false;
  }
  res.writeHead(r.status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : body);
  return res.req.method === 'HEAD' ? 0 : body.length;
}
