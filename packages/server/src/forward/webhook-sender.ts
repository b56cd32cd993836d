/**
 * POSTs a JSON body to one webhook. A 2xx answer is a delivery; 408, 429 and 5xx (and network
 * errors, timeouts) are retried by the delivery queue; any other answer is a permanent refusal.
 * Redirects are not followed (a signed alert goes where it was configured to, or nowhere). With a
 * secret the body is signed: `X-Palisade-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
 */
import { createHmac } from 'node:crypto';
import type { WebhookTarget } from '../config/forward-config.js';
import { PermanentDeliveryError, type Delivery } from './delivery-queue.js';

/** The signature header value of `body` (what a receiver recomputes and compares). */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** Longest answer body read (then the connection is dropped). */
const MAX_ANSWER_BYTES = 64 * 1024;

export function createWebhookSender(t: WebhookTarget, userAgent: string): (d: Delivery) => Promise<void> {
  return async (d) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': userAgent,
      'x-palisade-event': d.meta?.event ?? d.kind,
    };
    if (d.meta?.delivery) headers['x-palisade-delivery'] = d.meta.delivery;
    if (t.secret) headers['x-palisade-signature'] = signBody(t.secret, d.payload);
    const res = await fetch(t.url, {
      method: 'POST',
      headers,
      body: d.payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(t.timeout_ms),
    });
    // The answer is not needed; read a bounded amount so the connection can be reused.
    const reader = res.body?.getReader();
    if (reader) {
      let n = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        n += value.byteLength;
        if (n > MAX_ANSWER_BYTES) {
          await reader.cancel();
          break;
        }
      }
    }
    if (res.status >= 200 && res.status < 300) return;
    const msg = `HTTP ${res.status}`;
    if (res.status === 408 || res.status === 429 || res.status >= 500) throw new Error(msg);
    throw new PermanentDeliveryError(msg);
  };
}
