/**
 * Reads one auditd record line — raw (`type=T msg=audit(SEC.MS:SERIAL): fields`) or enriched (the
 * record, the 0x1D character, then `UID="root" AUID="alice"` translations), optionally prefixed by
 * `node=NAME ` — into its type, event id, time, serial and fields. Pure; no regex.
 */
import { scanAuditFields } from './auditd-fields.js';
import type { AuditFields } from './auditd-fields.js';

export interface AuditRecord {
  type: string;
  /** `SEC.MS:SERIAL` as written: the records of one event share it. */
  id: string;
  /** Epoch ms. */
  ts: number;
  serial: number;
  /** `node=` of a multi-host log. */
  node?: string;
  fields: AuditFields;
  /** Enriched-form translations (`UID`, `AUID`, ...); empty for raw records. */
  names: AuditFields;
  /** The record text after the header, without the enrichment, for messages. */
  body: string;
}

export type RecordResult = { ok: true; record: AuditRecord } | { ok: false; reason: string };

const HEADER = ' msg=audit(';
const GS = '\u001d';

/** Parses the digits of `text[start, end)`; -1 when empty, too long or not all digits. */
function digits(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Parses one record line (no newline). */
export function parseAuditRecord(text: string): RecordResult {
  let pos = 0;
  let node: string | undefined;
  if (text.startsWith('node=')) {
    const sp = text.indexOf(' ');
    if (sp === -1) return { ok: false, reason: 'not an audit record' };
    node = text.slice(5, sp);
    pos = sp + 1;
  }
  if (!text.startsWith('type=', pos)) return { ok: false, reason: 'not an audit record' };
  const typeEnd = text.indexOf(' ', pos + 5);
  if (typeEnd === -1 || typeEnd === pos + 5) return { ok: false, reason: 'not an audit record' };
  const type = text.slice(pos + 5, typeEnd);
  if (!text.startsWith(HEADER, typeEnd)) return { ok: false, reason: 'no msg=audit(time:serial) header' };
  const idStart = typeEnd + HEADER.length;
  const close = text.indexOf(')', idStart);
  const colon = text.indexOf(':', idStart);
  if (close === -1 || colon === -1 || colon > close) {
    return { ok: false, reason: 'no msg=audit(time:serial) header' };
  }
  const dot = text.indexOf('.', idStart);
  const secEnd = dot !== -1 && dot < colon ? dot : colon;
  const sec = digits(text, idStart, secEnd);
  const frac = secEnd === colon ? 0 : digits(text, secEnd + 1, colon);
  const serial = digits(text, colon + 1, close);
  if (sec < 0 || frac < 0 || serial < 0) return { ok: false, reason: 'bad audit(time:serial) value' };
  const fracLen = secEnd === colon ? 0 : colon - secEnd - 1;
  const ms = fracLen === 0 ? 0 : Math.floor((frac * 1000) / 10 ** fracLen);
  const ts = sec * 1000 + ms;
  let bodyStart = close + 1;
  if (text.charCodeAt(bodyStart) === 58) bodyStart++; // ':'
  const gs = text.indexOf(GS, bodyStart);
  const bodyEnd = gs === -1 ? text.length : gs;
  const fields: AuditFields = new Map();
  scanAuditFields(text, bodyStart, bodyEnd, fields);
  const names: AuditFields = new Map();
  if (gs !== -1) scanAuditFields(text, gs + 1, text.length, names);
  const record: AuditRecord = {
    type,
    id: text.slice(idStart, close),
    ts,
    serial,
    fields,
    names,
    body: text.slice(bodyStart, bodyEnd).trim(),
  };
  if (node !== undefined) record.node = node;
  return { ok: true, record };
}
