/**
 * IT-Sec-Projekt compatibility: the seed project's REST endpoints (its Django backend under `/api/`)
 * answered from Palisade's store in the seed's JSON shapes, so its frontend and scripts keep working
 * while its users switch. Reimplemented from the documented shapes; every alias reuses the store
 * queries and the upload/config code of the v1 routes. Deprecated (OpenAPI tag `compat`); errors keep
 * Palisade's `{ error: { code, message, details } }`. Lists are bounded (COMPAT_LIST_MAX, newest first)
 * where the seed returned whole tables.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { SecurityEvent, Severity } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import type { CorrelationConfig } from '../correlate/config.js';
import { protocolNameOf } from '../correlate/rules/volume.js';
import {
  countIncidentsByType,
  getSetting,
  listEvents,
  listIncidents,
  LIST_LIMIT_MAX,
  type ApiKeyScope,
  type EventFilter,
  type Incident,
} from '../store/index.js';
import { parseTimeBound } from '../store/events.js';
import type { LogUpload } from '../store/log-uploads.js';
import { INCIDENT_CONFIG_SETTING, type Pipeline } from './pipeline.js';
import { actorOf } from './principal.js';
import { createLogUploader, saveIncidentConfig, uploadMultipartOptions } from './routes-incidents.js';

/** Most rows one compat list returns (the seed returned whole tables). */
export const COMPAT_LIST_MAX = 1000;
/** Multipart fields the seed's upload form sends besides `file`; read and dropped (the uploader is the caller). */
const SEED_UPLOAD_FIELDS = ['source', 'uploaded_by', 'uploaded_at'] as const;

export interface CompatRoutesOptions {
  pipeline: Pipeline;
  requireScope: (...scopes: ApiKeyScope[]) => (req: FastifyRequest) => Promise<void>;
  maxUploadBytes?: number;
  timeZone?: string;
  spoolDir?: string;
}

/** The seed's names of Palisade incident types (others keep Palisade's name). */
const SEED_TYPE: Record<string, string> = {
  brute_force: 'bruteforce',
  concurrent_login: 'concurrentLogin',
  critical_config_change: 'configchange',
};
/** The seed's keys of incident counts. */
const SEED_COUNT_KEY: Record<string, string> = { concurrent_login: 'concurrent_logins' };

const seedSeverity = (s: Severity): string =>
  s === 'critical' || s === 'high' ? 'critical' : s === 'medium' ? 'warning' : 'normal';
const seedResult = (e: SecurityEvent): string =>
  e.outcome === 'success' ? 'success' : e.outcome === 'failure' ? 'failed' : 'unknown';
const ipOrNull = (ip: string | undefined): string | null => (ip === undefined || ip === '' ? null : ip);

function eventBase(e: SecurityEvent, eventType: string) {
  return { id: e.id, timestamp: e.ts, event_type: eventType, severity: seedSeverity(e.severity) };
}

function loginView(e: SecurityEvent) {
  return {
    ...eventBase(e, 'login'),
    username: e.user ?? null,
    src_ip_address: ipOrNull(e.client.ip),
    terminal: e.log?.terminal ?? null,
    result: seedResult(e),
  };
}

function logoutView(e: SecurityEvent) {
  return {
    ...eventBase(e, 'logout'),
    username: e.user ?? null,
    terminal: e.log?.terminal ?? null,
    result: seedResult(e),
  };
}

/** USYS_CONFIG: `value` and `condition` are not kept apart from the message, so they are null. */
function configChangeView(e: SecurityEvent) {
  const a = e.log?.audit;
  return {
    ...eventBase(e, 'config change'),
    table: a?.table ?? null,
    action: a?.op ?? null,
    key: a?.key ?? null,
    value: null,
    condition: null,
    terminal: e.log?.terminal ?? null,
    result: seedResult(e),
  };
}

function packetView(e: SecurityEvent) {
  return {
    ...eventBase(e, 'network packets'),
    src_ip_address: ipOrNull(e.client.ip),
    dst_ip_address: e.log?.dst ?? null,
    protocol: protocolNameOf(e.log?.audit?.proto),
    count: 1,
  };
}

/** An incident as the seed's incident models serialise (fields of every type; the seed's type names). */
function incidentView(i: Incident) {
  const window = i.thresholds.window_s;
  const sources = Array.isArray(i.details.sources) ? (i.details.sources as string[]) : [];
  return {
    id: i.id,
    timestamp: i.first_seen,
    event_type: 'incident',
    incident_type: SEED_TYPE[i.type] ?? i.type,
    severity: seedSeverity(i.severity),
    reason: i.reason,
    src_ip_address: i.keys.ip ?? null,
    dst_ip_address: i.keys.target ?? null,
    username: i.keys.user ?? null,
    timeDelta: typeof window === 'number' ? String(window) : null,
    protocol: typeof i.details.protocol === 'string' ? i.details.protocol : null,
    packets: i.type === 'dos' || i.type === 'ddos' ? i.count : null,
    attempts: i.type === 'dos' || i.type === 'ddos' ? null : i.count,
    successful: typeof i.details.successes === 'number' ? i.details.successes : 0,
    sources: i.type === 'ddos' ? sources.join(', ') : null,
    status: i.status,
  };
}

/** The `start`/`end` query of the seed (ISO 8601 or epoch ms) as an event filter. */
function timeFilter(q: { start?: string; end?: string }): { from?: number; to?: number } {
  return {
    ...(q.start === undefined ? {} : { from: parseTimeBound(q.start, 'start') }),
    ...(q.end === undefined ? {} : { to: parseTimeBound(q.end, 'end') }),
  };
}

/** Newest events matching `filter`, at most `max`, read page by page through listEvents. */
async function collectEvents(pipeline: Pipeline, filter: EventFilter, max: number): Promise<SecurityEvent[]> {
  const out: SecurityEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await listEvents(pipeline.store, {
      ...filter,
      limit: Math.min(LIST_LIMIT_MAX, max - out.length),
      ...(cursor === undefined ? {} : { cursor }),
    });
    out.push(...page.events);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined && out.length < max);
  return out;
}

async function incidentsOf(
  pipeline: Pipeline,
  q: { start?: string; end?: string },
  type?: string,
): Promise<Incident[]> {
  const t = timeFilter(q);
  return listIncidents(pipeline.store, {
    ...(type === undefined ? {} : { type }),
    ...(t.from === undefined ? {} : { sinceMs: t.from }),
    ...(t.to === undefined ? {} : { untilMs: t.to }),
    limit: COMPAT_LIST_MAX,
  });
}

/** The seed's three configurable detectors, read from Palisade's correlation config. */
function seedConfig(c: CorrelationConfig) {
  return {
    brute_force: {
      attempt_threshold: c.brute_force.threshold,
      time_delta: c.brute_force.window_s,
      repeat_threshold: c.brute_force.cooldown_s,
    },
    dos: { packet_threshold: c.dos.packets, time_delta: c.dos.window_s, repeat_threshold: c.dos.cooldown_s },
    ddos: {
      packet_threshold: c.ddos.per_source,
      time_delta: c.ddos.window_s,
      repeat_threshold: c.ddos.cooldown_s,
      min_sources: c.ddos.min_sources,
    },
  };
}

type SeedConfigBody = Partial<{
  [S in keyof ReturnType<typeof seedConfig>]: Partial<ReturnType<typeof seedConfig>[S]>;
}>;

/** Palisade overrides of a seed config body (only the fields given). */
function configOverrides(b: SeedConfigBody): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const put = (section: string, field: string, v: number | undefined) => {
    if (v !== undefined) (out[section] ??= {})[field] = v;
  };
  put('brute_force', 'threshold', b.brute_force?.attempt_threshold);
  put('brute_force', 'window_s', b.brute_force?.time_delta);
  put('brute_force', 'cooldown_s', b.brute_force?.repeat_threshold);
  put('dos', 'packets', b.dos?.packet_threshold);
  put('dos', 'window_s', b.dos?.time_delta);
  put('dos', 'cooldown_s', b.dos?.repeat_threshold);
  put('ddos', 'per_source', b.ddos?.packet_threshold);
  put('ddos', 'window_s', b.ddos?.time_delta);
  put('ddos', 'cooldown_s', b.ddos?.repeat_threshold);
  put('ddos', 'min_sources', b.ddos?.min_sources);
  return out;
}

function seedCounts(byType: Record<string, number>): Record<string, number> {
  const counts: Record<string, number> = {
    brute_force: 0,
    critical_config_change: 0,
    concurrent_logins: 0,
    dos: 0,
    ddos: 0,
  };
  for (const [t, n] of Object.entries(byType)) counts[SEED_COUNT_KEY[t] ?? t] = n;
  return counts;
}

function uploadView(u: LogUpload) {
  const s = (u.summary ?? {}) as { events?: number; incidents_by_type?: Record<string, number> };
  const byType = s.incidents_by_type ?? {};
  return {
    id: u.id,
    status: u.status === 'done' ? 'success' : u.status === 'failed' ? 'error' : u.status,
    filename: u.name,
    entries_created: s.events ?? 0,
    incidents_created_total: Object.values(byType).reduce((a, n) => a + n, 0),
    incident_counts: seedCounts(byType),
  };
}

const int = (minimum: number) => ({ type: 'integer', minimum, maximum: 31_536_000 });
const windowQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { start: { type: 'string', maxLength: 40 }, end: { type: 'string', maxLength: 40 } },
};

/** Registers the IT-Sec-Projekt aliases on `app` (deprecated, tag `compat`). */
export function registerCompatRoutes(app: FastifyInstance, opts: CompatRoutesOptions): void {
  const { pipeline, requireScope } = opts;
  const uploader = createLogUploader(opts);

  void app.register(async (scope) => {
    await scope.register(
      multipart,
      uploadMultipartOptions(uploader.maxUploadBytes, 1 + SEED_UPLOAD_FIELDS.length),
    );

    /** A GET alias at the seed's path (with its trailing slash, as Django routes it) and without it. */
    function alias(
      path: string,
      summary: string,
      options: RouteShorthandOptions,
      handler: (req: FastifyRequest) => Promise<unknown>,
      method: 'GET' | 'POST' = 'GET',
    ) {
      for (const url of [path, path.slice(0, -1)]) {
        const hide = url !== path;
        scope.route({
          method,
          url,
          ...options,
          schema: {
            ...options.schema,
            tags: ['compat'],
            summary,
            deprecated: true,
            ...(hide ? { hide } : {}),
          },
          handler,
        });
      }
    }
    const read = { onRequest: requireScope('read'), schema: { querystring: windowQuery } };

    alias(
      '/api/logfiles/',
      'IT-Sec-Projekt: upload an audit log (multipart `file`; `source`, `uploaded_by`, `uploaded_at` are ignored) → POST /api/v1/logs',
      { onRequest: requireScope('upload', 'ingest') },
      async (req) => {
        if (!req.isMultipart())
          throw new PalisadeError('PAL_ERR_VALIDATION', 'file: send the log as multipart/form-data', {
            field: 'file',
          });
        return uploadView(await uploader.accept(req, SEED_UPLOAD_FIELDS));
      },
      'POST',
    );

    alias(
      '/api/logfiles/processed-logins/',
      'IT-Sec-Projekt: logins (auditd USER_LOGIN) → GET /api/v1/events?kind=auth',
      read,
      async (req) => {
        const q = req.query as { start?: string; end?: string };
        const filter = { ...timeFilter(q), event_type: ['auth_success', 'auth_failure'] };
        return (await collectEvents(pipeline, filter, COMPAT_LIST_MAX)).map(loginView);
      },
    );

    alias(
      '/api/logfiles/config-changes/',
      'IT-Sec-Projekt: configuration changes (auditd USYS_CONFIG) → GET /api/v1/events?kind=system',
      read,
      async (req) => {
        const q = req.query as { start?: string; end?: string };
        const filter = { ...timeFilter(q), event_type: ['config_change'] };
        return (await collectEvents(pipeline, filter, COMPAT_LIST_MAX)).map(configChangeView);
      },
    );

    for (const [path, type] of [
      ['/api/logfiles/dos-packets/', 'dos'],
      ['/api/logfiles/ddos-packets/', 'ddos'],
    ] as const)
      alias(
        path,
        `IT-Sec-Projekt: ${type === 'dos' ? 'DoS' : 'DDoS'} incidents → GET /api/v1/incidents?type=${type}`,
        read,
        async (req) => {
          const rows = await incidentsOf(pipeline, req.query as { start?: string; end?: string }, type);
          return rows.map((i) => {
            const v = incidentView(i);
            const common = {
              timestamp: v.timestamp,
              dst_ip_address: v.dst_ip_address,
              protocol: v.protocol,
              packets: v.packets,
              timeDelta: v.timeDelta,
            };
            return type === 'dos'
              ? { ...common, src_ip_address: v.src_ip_address }
              : { ...common, sources: v.sources };
          });
        },
      );

    alias(
      '/api/logfiles/incidents/',
      'IT-Sec-Projekt: incidents of every type → GET /api/v1/incidents',
      read,
      async (req) =>
        (await incidentsOf(pipeline, req.query as { start?: string; end?: string })).map(incidentView),
    );

    alias(
      '/api/logfiles/unified-event-log/',
      'IT-Sec-Projekt: logins, logouts, config changes, packets and incidents, newest first → GET /api/v1/events + /api/v1/incidents',
      read,
      async (req) => {
        const q = req.query as { start?: string; end?: string };
        const views: Record<string, (e: SecurityEvent) => { timestamp: string }> = {
          auth_success: loginView,
          auth_failure: loginView,
          session_close: logoutView,
          config_change: configChangeView,
          netfilter_packet: packetView,
        };
        const events = await collectEvents(
          pipeline,
          { ...timeFilter(q), event_type: Object.keys(views) },
          COMPAT_LIST_MAX,
        );
        const rows: { timestamp: string }[] = [
          ...events.map((e) => views[e.log?.type ?? '']!(e)),
          ...(await incidentsOf(pipeline, q)).map(incidentView),
        ];
        return rows
          .sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp))
          .slice(0, COMPAT_LIST_MAX);
      },
    );

    alias(
      '/api/incidents-config/',
      'IT-Sec-Projekt: the brute-force, DoS and DDoS thresholds → GET /api/v1/incidents/config',
      { onRequest: requireScope('read') },
      async () => seedConfig(pipeline.incidents.correlator.config),
    );

    const section = (fields: Record<string, unknown>) => ({
      type: 'object',
      additionalProperties: false,
      properties: fields,
    });
    alias(
      '/api/incidents-config/',
      'IT-Sec-Projekt: change the brute-force, DoS and DDoS thresholds (seconds) → PUT /api/v1/incidents/config',
      {
        onRequest: requireScope('admin'),
        schema: {
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              brute_force: section({
                attempt_threshold: int(1),
                time_delta: int(1),
                repeat_threshold: int(0),
              }),
              // The seed refuses windows under its 30 s packet bucket.
              dos: section({ packet_threshold: int(1), time_delta: int(30), repeat_threshold: int(0) }),
              ddos: section({
                packet_threshold: int(1),
                time_delta: int(30),
                repeat_threshold: int(0),
                min_sources: int(2),
              }),
            },
          },
        },
      },
      async (req) => {
        const before = seedConfig(pipeline.incidents.correlator.config);
        const saved = await getSetting<Record<string, unknown>>(pipeline.store, INCIDENT_CONFIG_SETTING);
        const body: Record<string, unknown> = { ...(saved?.value ?? {}) };
        const b = req.body as SeedConfigBody;
        const wanted = {
          brute_force: { ...before.brute_force, ...b.brute_force },
          dos: { ...before.dos, ...b.dos },
          ddos: { ...before.ddos, ...b.ddos },
        };
        const changed = JSON.stringify(wanted) !== JSON.stringify(before);
        for (const [s, fields] of Object.entries(configOverrides(b)))
          body[s] = { ...(body[s] as Record<string, unknown> | undefined), ...fields };
        let lastUpdated = saved === undefined ? null : new Date(saved.created_ms).toISOString();
        if (changed) {
          await saveIncidentConfig(pipeline, body, actorOf(req), saved?.version ?? 0);
          lastUpdated = new Date().toISOString();
        }
        const counts = seedCounts(await countIncidentsByType(pipeline.store));
        return {
          message: changed
            ? 'Config updated; new thresholds apply to events from now on.'
            : 'Config unchanged',
          last_updated: lastUpdated,
          changed,
          total_incidents: Object.values(counts).reduce((a, n) => a + n, 0),
          result: { counts },
          config: seedConfig(pipeline.incidents.correlator.config),
        };
      },
      'POST',
    );
  });
}
