/**
 * The analyst API over correlation: incidents (list, detail with their evidence, workflow), the
 * incident configuration (read, replace at run time), log uploads (multipart, streamed to a spool
 * file while hashed, so a duplicate or an oversized file is refused before any line is ingested)
 * and the timeline of a user or a source address. Every response is an allow-list of fields;
 * every error goes through the app's `{ error: { code, message, details } }` handler.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline as pump } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import type { SecurityEvent } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { INCIDENT_STATUSES, INCIDENT_TYPES, type IncidentStatus } from '../correlate/types.js';
import { resolveCorrelationConfig, type CorrelationConfig } from '../correlate/config.js';
import { ingestBatches, type IngestSummary } from '../ingest/ingest.js';
import { formatOf } from '../ingest/formats.js';
import { readLines, type LineBatch } from '../ingest/source/line-reader.js';
import {
  audit,
  getEvent,
  getIncident,
  getSetting,
  incidentEventIds,
  incidentView,
  listIncidents,
  putSetting,
  setIncidentStatus,
  type ApiKeyScope,
  type ListIncidentsOptions,
} from '../store/index.js';
import {
  claimLogUpload,
  finishLogUpload,
  getLogUpload,
  listLogUploads,
  type LogUpload,
} from '../store/log-uploads.js';
import { timeline, TIMELINE_LIMIT_MAX } from '../store/timeline.js';
import { addIncidentComment, COMMENT_BODY_MAX, listIncidentComments } from '../store/incident-comments.js';
import { INCIDENT_CONFIG_SETTING, type Pipeline } from './pipeline.js';
import { actorOf } from './principal.js';

/** Largest log upload by default, bytes (the uploaded, possibly gzip-compressed, size). */
export const UPLOAD_MAX_BYTES = 100 * 1024 * 1024;
/** Decompressed bytes read from one upload at most, as a multiple of the upload limit (gzip bombs). */
const UPLOAD_EXPANSION_MAX = 16;
const UPLOAD_NAME_MAX = 200;
const LIST_MAX = 1000;
/** Evidence events returned with an incident (MAX_EVIDENCE_LINKS: never more are linked). */
const EVIDENCE_MAX = 1000;

export interface IncidentRoutesOptions {
  pipeline: Pipeline;
  /** The app's check: authenticates, sets `req.principal`, resolves when it holds one of `scopes`. */
  requireScope: (...scopes: ApiKeyScope[]) => (req: FastifyRequest) => Promise<void>;
  /** Largest upload in bytes; default UPLOAD_MAX_BYTES. */
  maxUploadBytes?: number;
  /** Zone of timestamps without an offset (default UTC). */
  timeZone?: string;
  /** Where uploads are spooled while they are hashed; default the OS temp folder. */
  spoolDir?: string;
}

const invalid = (field: string, message: string): PalisadeError =>
  new PalisadeError('PAL_ERR_VALIDATION', `${field}: ${message}`, { field });

/** Names the field at fault (a missing, unknown or ill-typed one) in `details.field`. */
export function schemaError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0];
  const p = (e?.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
  const path = (e?.instancePath ?? '').split('/').filter(Boolean);
  const named = p.missingProperty ?? p.additionalProperty;
  if (named !== undefined) path.push(named);
  const field = path.length > 0 ? path.join('.') : dataVar;
  const what = p.additionalProperty !== undefined ? 'is not a known field' : (e?.message ?? 'is invalid');
  return invalid(field.slice(0, 100), what);
}

/** Epoch ms of an ISO 8601 time (`2026-11-20` or `2026-11-20T10:00:00Z`). */
function isoParam(v: string, field: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms)) throw invalid(field, 'must be an ISO 8601 time');
  return ms;
}

function timeRange(q: { since?: string; until?: string }): { sinceMs?: number; untilMs?: number } {
  const out: { sinceMs?: number; untilMs?: number } = {};
  if (q.since !== undefined) out.sinceMs = isoParam(q.since, 'since');
  if (q.until !== undefined) out.untilMs = isoParam(q.until, 'until');
  if (out.sinceMs !== undefined && out.untilMs !== undefined && out.untilMs <= out.sinceMs)
    throw invalid('until', 'must be later than since');
  return out;
}

function uploadView(u: LogUpload, withSummary: boolean) {
  return {
    id: u.id,
    name: u.name,
    sha256: u.sha256,
    size: u.size,
    status: u.status,
    format: u.format,
    uploaded: u.uploaded,
    finished: u.finished,
    uploaded_by: u.uploaded_by,
    error: u.error,
    ...(withSummary ? { summary: u.summary } : {}),
  };
}

/** A file name without folders or control characters; `upload` when nothing is left. */
function uploadName(filename: string | undefined): string {
  const raw = filename ?? '';
  const base = raw.slice(Math.max(raw.lastIndexOf('/'), raw.lastIndexOf('\\')) + 1);
  let out = '';
  for (let i = 0; i < base.length && out.length < UPLOAD_NAME_MAX; i++) {
    const c = base.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f) out += base[i];
  }
  out = out.trim();
  return out === '' || out === '.' || out === '..' ? 'upload' : out;
}

interface Received {
  name: string;
  sha256: string;
  size: number;
  format: string;
}

/**
 * Reads the multipart body: the `file` part is written to `path` while its SHA-256 and size are
 * computed (never held in memory), `format` is checked, `ignoredFields` are read and dropped. Refuses
 * a missing, empty or oversized file, a second file and unknown fields.
 */
async function receiveUpload(
  req: FastifyRequest,
  path: string,
  maxBytes: number,
  ignoredFields: readonly string[],
): Promise<Received> {
  let file: Omit<Received, 'format'> | undefined;
  let format = 'auto';
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        if (ignoredFields.includes(part.fieldname)) continue;
        if (part.fieldname !== 'format') throw invalid(part.fieldname.slice(0, 40), 'is not a known field');
        format = String(part.value);
        formatOf(format);
        continue;
      }
      if (part.fieldname !== 'file') throw invalid(part.fieldname.slice(0, 40), 'is not a known field');
      const hash = createHash('sha256');
      let size = 0;
      await pump(
        part.file,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(path, { flags: 'wx', mode: 0o600 }),
      );
      if (part.file.truncated)
        throw new PalisadeError('PAL_ERR_PAYLOAD_TOO_LARGE', `the file is larger than ${maxBytes} bytes`, {
          limit_bytes: maxBytes,
        });
      file = { name: uploadName(part.filename), sha256: hash.digest('hex'), size };
    }
  } catch (err) {
    throw uploadError(err);
  }
  if (file === undefined) throw invalid('file', 'a file part named "file" is required');
  if (file.size === 0) throw invalid('file', 'the file is empty');
  return { ...file, format };
}

/** Multipart parser errors as API errors; file-system errors and our own bugs stay internal. */
function uploadError(err: unknown): unknown {
  if (err instanceof PalisadeError || !(err instanceof Error)) return err;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) return err;
  const e = err as Error & { code?: string; syscall?: string };
  if (typeof e.syscall === 'string') return err;
  if (e.code === 'FST_FILES_LIMIT') return invalid('file', 'send one file per upload');
  if (e.code === 'FST_PARTS_LIMIT' || e.code === 'FST_FIELDS_LIMIT')
    return invalid('body', 'too many parts: send a file and, optionally, a format');
  return invalid('body', `malformed multipart body: ${e.message.slice(0, 200)}`);
}

/**
 * The cursor of the next page of a newest-first keyset listing: the last id, when a full page was
 * returned and something older exists.
 */
async function nextCursor(
  rows: readonly { id: number }[],
  limit: number,
  older: (beforeId: number) => Promise<readonly unknown[]>,
): Promise<string | null> {
  const last = rows[rows.length - 1];
  if (last === undefined || rows.length < limit) return null;
  return (await older(last.id)).length > 0 ? String(last.id) : null;
}

/** Multipart limits of an upload route: one file and the `known` short fields it reads. */
export function uploadMultipartOptions(maxUploadBytes: number, known = 1) {
  return {
    throwFileSizeLimit: false,
    limits: {
      fileSize: maxUploadBytes,
      files: 1,
      fields: known + 1,
      parts: known + 2,
      fieldSize: 100,
      fieldNameSize: 100,
      headerPairs: 20,
    },
  };
}

export interface LogUploader {
  readonly maxUploadBytes: number;
  /**
   * Spools, claims and ingests the multipart upload of `req` (file part `file`, optional `format`;
   * fields named in `ignoredFields` are read and dropped); the spool folder is gone when this settles.
   */
  accept(req: FastifyRequest, ignoredFields?: readonly string[]): Promise<LogUpload>;
}

interface UploadQueue {
  /** Uploads being ingested by this process, by SHA-256. */
  running: Set<string>;
  turn: Promise<unknown>;
}

// One queue per pipeline, whichever route received the upload: uploads are ingested one at a time,
// so lines keep their order and the incidents opened while one ran are counted as its own.
const queues = new WeakMap<Pipeline, UploadQueue>();

/** The log upload handling of the upload routes (`/api/v1/logs` and its IT-Sec-Projekt alias). */
export function createLogUploader(opts: Omit<IncidentRoutesOptions, 'requireScope'>): LogUploader {
  const { pipeline } = opts;
  const { store } = pipeline;
  const maxUploadBytes = opts.maxUploadBytes ?? UPLOAD_MAX_BYTES;
  const queue: UploadQueue = queues.get(pipeline) ?? { running: new Set(), turn: Promise.resolve() };
  queues.set(pipeline, queue);

  /** Spools, claims and ingests one upload; the spool folder is gone when this settles. */
  async function accept(req: FastifyRequest, ignoredFields: readonly string[] = []): Promise<LogUpload> {
    const spool = await mkdtemp(join(opts.spoolDir ?? tmpdir(), 'palisade-upload-'));
    try {
      const path = join(spool, 'upload');
      const got = await receiveUpload(req, path, maxUploadBytes, ignoredFields);
      const actor = actorOf(req);
      const claim = await claimLogUpload(
        store,
        { name: got.name, sha256: got.sha256, size: got.size, uploaded_by: actor },
        (sha) => queue.running.has(sha),
      );
      if ('duplicate' in claim)
        throw new PalisadeError(
          'PAL_ERR_CONFLICT',
          `this file was uploaded before (upload ${claim.duplicate.id}, "${claim.duplicate.name}")`,
          { upload_id: claim.duplicate.id, sha256: got.sha256 },
        );
      queue.running.add(got.sha256);
      let upload: LogUpload;
      try {
        const run = queue.turn.then(() => ingestUpload(claim.claimed.id, path, got));
        queue.turn = run.catch(() => undefined);
        upload = await run;
      } finally {
        queue.running.delete(got.sha256);
      }
      await audit(store, actor, 'log.upload', `upload:${upload.id}`, {
        name: upload.name,
        sha256: upload.sha256,
        size: upload.size,
        status: upload.status,
      });
      return upload;
    } finally {
      await rm(spool, { recursive: true, force: true });
    }
  }

  /** Ingests a spooled upload through the pipeline and records the outcome. */
  async function ingestUpload(id: number, path: string, got: Received): Promise<LogUpload> {
    const before = { ...pipeline.incidents.counters.opened };
    const expandedMax = maxUploadBytes * UPLOAD_EXPANSION_MAX;
    let stopped: string | undefined;
    async function* capped(): AsyncGenerator<LineBatch> {
      for await (const b of readLines(path)) {
        if (b.endOffset > expandedMax) {
          stopped = `stopped after ${expandedMax} decompressed bytes`;
          return;
        }
        yield b;
      }
    }
    let summary: IngestSummary;
    try {
      summary = await ingestBatches(
        capped(),
        {
          sink: pipeline.sink,
          ingestBatch: (events) => pipeline.ingestBatch(events),
          waitWritable: (ms) => pipeline.writer.waitWritable(ms),
        },
        {
          format: got.format,
          parse: { now: Date.now(), timeZone: opts.timeZone ?? 'UTC' },
          event: {
            source: { name: `upload:${got.name}`, type: 'upload' },
            file: got.name,
            engine: pipeline.engine,
          },
        },
      );
      await pipeline.incidents.idle();
    } catch (err) {
      await finishLogUpload(store, id, {
        status: 'failed',
        format: null,
        summary: null,
        error: (err as Error).message,
      });
      throw err;
    }
    // Incidents opened while this upload ran (uploads run one at a time).
    for (const [t, n] of Object.entries(pipeline.incidents.counters.opened)) {
      const d = n - (before[t] ?? 0);
      if (d > 0) summary.incidents_by_type[t] = d;
    }
    return finishLogUpload(store, id, {
      status: stopped === undefined ? 'done' : 'partial',
      format: summary.format,
      summary: summary as unknown as Record<string, unknown>,
      error: stopped ?? null,
    });
  }

  return { maxUploadBytes, accept };
}

/**
 * Validates and saves a new incident configuration (the stored overrides `body`), applies it to the
 * running correlator and audits it. `expectedVersion` refuses a save over someone else's change.
 */
export async function saveIncidentConfig(
  pipeline: Pipeline,
  body: Record<string, unknown>,
  actor: string,
  expectedVersion?: number,
): Promise<{ config: CorrelationConfig; version: number }> {
  // Checked before anything is saved; the error names the field at fault.
  const resolved = resolveCorrelationConfig(body);
  const saved = await putSetting(pipeline.store, INCIDENT_CONFIG_SETTING, body, actor, {
    ...(expectedVersion === undefined ? {} : { expectedVersion }),
  });
  pipeline.incidents.setConfig(resolved);
  await audit(pipeline.store, actor, 'incident_config.update', INCIDENT_CONFIG_SETTING, {
    version: saved.version,
    profile: resolved.profile,
  });
  return { config: pipeline.incidents.correlator.config, version: saved.version };
}

/** Registers the incident, configuration, upload and timeline routes on `app`. */
export function registerIncidentRoutes(app: FastifyInstance, opts: IncidentRoutesOptions): void {
  const { pipeline, requireScope } = opts;
  const { store } = pipeline;
  const uploader = createLogUploader(opts);

  void app.register(async (scope) => {
    scope.setSchemaErrorFormatter(schemaError);
    // Only this scope parses multipart; other routes keep refusing it.
    await scope.register(multipart, uploadMultipartOptions(uploader.maxUploadBytes));

    const timeProps = { since: { type: 'string', maxLength: 40 }, until: { type: 'string', maxLength: 40 } };
    const idParams = {
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
    };

    scope.get(
      '/api/v1/incidents',
      {
        onRequest: requireScope('read'),
        schema: {
          tags: ['incidents'],
          summary: 'List incidents (status, type, ip, user, time; cursor paging)',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'string', enum: [...INCIDENT_STATUSES] },
              type: { type: 'string', enum: [...INCIDENT_TYPES] },
              ip: { type: 'string', minLength: 1, maxLength: 64 },
              user: { type: 'string', minLength: 1, maxLength: 256 },
              ...timeProps,
              cursor: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
              limit: { type: 'integer', minimum: 1, maximum: LIST_MAX, default: 100 },
            },
          },
        },
      },
      async (req) => {
        const q = req.query as {
          status?: IncidentStatus;
          type?: string;
          ip?: string;
          user?: string;
          since?: string;
          until?: string;
          cursor?: number;
          limit: number;
        };
        const filter: ListIncidentsOptions = { ...timeRange(q) };
        if (q.status !== undefined) filter.status = q.status;
        if (q.type !== undefined) filter.type = q.type;
        if (q.ip !== undefined) filter.ip = q.ip;
        if (q.user !== undefined) filter.user = q.user;
        const rows = await listIncidents(store, {
          ...filter,
          ...(q.cursor === undefined ? {} : { beforeId: q.cursor }),
          limit: q.limit,
        });
        const next = await nextCursor(rows, q.limit, (beforeId) =>
          listIncidents(store, { ...filter, beforeId, limit: 1 }),
        );
        return { incidents: rows.map(incidentView), next_cursor: next };
      },
    );

    const configDoc = { tags: ['incidents'], summary: 'The incident configuration (ETag: its version)' };
    scope.get(
      '/api/v1/incidents/config',
      { onRequest: requireScope('read'), schema: configDoc },
      async (_req, reply) => {
        const saved = await getSetting(store, INCIDENT_CONFIG_SETTING);
        const version = saved?.version ?? 0;
        return reply
          .header('etag', `"${version}"`)
          .send({ config: pipeline.incidents.correlator.config, version });
      },
    );

    scope.put(
      '/api/v1/incidents/config',
      {
        onRequest: requireScope('admin'),
        schema: {
          tags: ['incidents'],
          summary: 'Replace the incident configuration (If-Match: the version read)',
          body: { type: 'object', maxProperties: 32 },
          headers: { type: 'object', properties: { 'if-match': { type: 'string', maxLength: 24 } } },
        },
      },
      async (req, reply) => {
        const body = req.body as Record<string, unknown>;
        const ifMatch = req.headers['if-match'];
        let expectedVersion: number | undefined;
        if (ifMatch !== undefined) {
          const v = ifMatch.startsWith('"') && ifMatch.endsWith('"') ? ifMatch.slice(1, -1) : ifMatch;
          expectedVersion = Number(v);
          if (v === '' || !Number.isSafeInteger(expectedVersion) || expectedVersion < 0)
            throw invalid('if-match', 'must be the version read, e.g. "3"');
        }
        const saved = await saveIncidentConfig(pipeline, body, actorOf(req), expectedVersion);
        return reply.header('etag', `"${saved.version}"`).send(saved);
      },
    );

    scope.get(
      '/api/v1/incidents/:id',
      {
        onRequest: requireScope('read'),
        schema: { tags: ['incidents'], summary: 'One incident with its evidence events', params: idParams },
      },
      async (req) => {
        const { id } = req.params as { id: number };
        const incident = await getIncident(store, id);
        if (incident === undefined) throw new PalisadeError('PAL_ERR_NOT_FOUND', `no incident ${id}`);
        const events: SecurityEvent[] = [];
        for (const eventId of await incidentEventIds(store, id, EVIDENCE_MAX)) {
          const e = await getEvent(store, eventId);
          if (e !== undefined) events.push(e);
        }
        return { incident: incidentView(incident), events };
      },
    );

    scope.patch(
      '/api/v1/incidents/:id',
      {
        onRequest: requireScope('label'),
        schema: {
          tags: ['incidents'],
          summary: 'Move an incident along the workflow, assign it',
          params: idParams,
          body: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              status: { type: 'string', enum: [...INCIDENT_STATUSES] },
              assignee: { type: ['string', 'null'], minLength: 1, maxLength: 200 },
            },
          },
        },
      },
      async (req) => {
        const { id } = req.params as { id: number };
        const body = req.body as { status?: IncidentStatus; assignee?: string | null };
        const current = await getIncident(store, id);
        if (current === undefined) throw new PalisadeError('PAL_ERR_NOT_FOUND', `no incident ${id}`);
        const updated = await setIncidentStatus(
          store,
          id,
          body.status ?? current.status,
          actorOf(req),
          Date.now(),
          body.assignee,
        );
        pipeline.live.publishIncident(updated);
        return { incident: incidentView(updated) };
      },
    );

    scope.get(
      '/api/v1/incidents/:id/comments',
      {
        onRequest: requireScope('read'),
        schema: { tags: ['incidents'], summary: "An incident's comments, oldest first", params: idParams },
      },
      async (req) => ({
        comments: await listIncidentComments(store, (req.params as { id: number }).id),
      }),
    );

    scope.post(
      '/api/v1/incidents/:id/comments',
      {
        onRequest: requireScope('label'),
        schema: {
          tags: ['incidents'],
          summary: 'Comment on an incident',
          params: idParams,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['body'],
            properties: { body: { type: 'string', minLength: 1, maxLength: COMMENT_BODY_MAX } },
          },
        },
      },
      async (req, reply) => {
        const { id } = req.params as { id: number };
        const { body } = req.body as { body: string };
        const comment = await addIncidentComment(store, id, actorOf(req), body);
        return reply.status(201).send({ comment });
      },
    );

    const uploadDoc = { tags: ['logs'], summary: 'Upload a log file (multipart: file, format)' };
    scope.post(
      '/api/v1/logs',
      { onRequest: requireScope('upload', 'ingest'), schema: uploadDoc },
      async (req, reply) => {
        if (!req.isMultipart())
          throw invalid('file', 'send the log as multipart/form-data with a file part named "file"');
        const upload = await uploader.accept(req);
        return reply.status(201).send({ upload: uploadView(upload, true) });
      },
    );

    scope.get(
      '/api/v1/logs',
      {
        onRequest: requireScope('read'),
        schema: {
          tags: ['logs'],
          summary: 'List log uploads',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              cursor: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
              limit: { type: 'integer', minimum: 1, maximum: LIST_MAX, default: 50 },
            },
          },
        },
      },
      async (req) => {
        const q = req.query as { cursor?: number; limit: number };
        const rows = await listLogUploads(store, {
          ...(q.cursor === undefined ? {} : { beforeId: q.cursor }),
          limit: q.limit,
        });
        return {
          uploads: rows.map((u) => uploadView(u, false)),
          next_cursor: await nextCursor(rows, q.limit, (beforeId) =>
            listLogUploads(store, { beforeId, limit: 1 }),
          ),
        };
      },
    );

    scope.get(
      '/api/v1/logs/:id',
      {
        onRequest: requireScope('read'),
        schema: { tags: ['logs'], summary: 'One log upload with its summary', params: idParams },
      },
      async (req) => {
        const { id } = req.params as { id: number };
        const upload = await getLogUpload(store, id);
        if (upload === undefined) throw new PalisadeError('PAL_ERR_NOT_FOUND', `no upload ${id}`);
        return { upload: uploadView(upload, true) };
      },
    );

    scope.get(
      '/api/v1/timeline',
      {
        onRequest: requireScope('read'),
        schema: {
          tags: ['timeline'],
          summary: 'Events and incidents of a user or an address, in time order',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              user: { type: 'string', minLength: 1, maxLength: 256 },
              ip: { type: 'string', minLength: 1, maxLength: 64 },
              ...timeProps,
              limit: { type: 'integer', minimum: 1, maximum: TIMELINE_LIMIT_MAX, default: 100 },
            },
          },
        },
      },
      async (req) => {
        const q = req.query as { user?: string; ip?: string; since?: string; until?: string; limit: number };
        if (q.user === undefined && q.ip === undefined) throw invalid('user', 'give user or ip');
        if (q.user !== undefined && q.ip !== undefined) throw invalid('ip', 'give user or ip, not both');
        const items = await timeline(store, {
          ...(q.user === undefined ? { ip: q.ip! } : { user: q.user }),
          ...timeRange(q),
          limit: q.limit,
        });
        return { items };
      },
    );
  });
}
