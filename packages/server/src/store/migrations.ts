/**
 * Schema migrations, written with Kysely's schema builder so every dialect runs the same code. The
 * few things SQL dialects spell differently (auto-increment ids, binary columns) come from the
 * dialect's `SchemaHooks` (dialects/sqlite.ts; a PostgreSQL dialect brings its own). Migrations are
 * append-only: never edit a shipped one, add the next.
 */
import { Migrator, sql, type Kysely, type Migration, type CreateTableBuilder } from 'kysely';
import { PalisadeError } from '../errors.js';
import { COUNTERS, rebuildStats } from './stats-rollup.js';

/** What a dialect tells the migrations about its spelling of types. */
export interface SchemaHooks {
  /** Adds an auto-assigned integer primary key named `id`. */
  idColumn<T extends string>(table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'>;
  /** Column type for binary values (`blob` in SQLite, `bytea` in PostgreSQL). */
  blobType: 'blob' | 'bytea';
  /** Tables can be stored in primary key order (SQLite `WITHOUT ROWID`). */
  clusteredTables?: boolean;
  /**
   * Events carry a `seq` column drawn in commit order (PostgreSQL; SQLite's rowid serves).
   */
  commitSequenceColumn?: boolean;
  /**
   * The events table is partitioned by day on `ts_ms` (PostgreSQL: store/partitions.ts). Its key is
   * then (id, ts_ms), and the tables that point at events keep the event id without a foreign key
   * (a partitioned table's unique keys must hold the partition column); retention deletes them.
   */
  partitionedEvents?: boolean;
  /** Dialect-specific tuning of the statistics rollup (PostgreSQL: narrower counters, a covering index). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on the current schema type
  tuneStatsRollup?: (db: Kysely<any>) => Promise<void>;
}

/** An `event_id` column: a foreign key with cascade where the events table allows one. */
function eventRef(h: SchemaHooks) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the column builder of any table
  return (c: any) =>
    h.partitionedEvents ? c.notNull() : c.notNull().references('events.id').onDelete('cascade');
}

export const MIGRATION_TABLE = 'pal_migrations';
export const MIGRATION_LOCK_TABLE = 'pal_migrations_lock';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the current schema type */
function initial(h: SchemaHooks): Migration {
  return {
    async up(db: Kysely<any>) {
      await h
        .idColumn(db.schema.createTable('users'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text')
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('disabled_ms', 'bigint')
        .execute();

      await h
        .idColumn(db.schema.createTable('api_keys'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('revoked_ms', 'bigint')
        .addColumn('last_used_ms', 'bigint')
        .execute();
      await db.schema.createIndex('api_keys_prefix').on('api_keys').column('prefix').execute();

      await h
        .idColumn(db.schema.createTable('sources'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('first_seen_ms', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_ms', 'bigint', (c) => c.notNull())
        .execute();

      await h
        .idColumn(db.schema.createTable('log_files'))
        .addColumn('source_id', 'integer', (c) => c.notNull().references('sources.id').onDelete('cascade'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('file_id', 'text')
        .addColumn('offset_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('lines_read', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('lines_rejected', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_ms', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('log_files_source_path', ['source_id', 'path'])
        .execute();

      let events = db.schema
        .createTable('events')
        .addColumn('id', 'text', (c) => (h.partitionedEvents ? c.notNull() : c.primaryKey()))
        .addColumn('ts', 'text', (c) => c.notNull())
        .addColumn('ts_ms', 'bigint', (c) => c.notNull())
        .addColumn('source_id', 'integer', (c) => c.notNull().references('sources.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('client_ip', 'text', (c) => c.notNull())
        .addColumn('client_port', 'integer')
        .addColumn('fingerprint', 'text')
        .addColumn('geo_country', 'text')
        .addColumn('geo_country_name', 'text')
        .addColumn('geo_city', 'text')
        .addColumn('geo_lat', 'double precision')
        .addColumn('geo_lon', 'double precision')
        .addColumn('geo_range', 'text')
        .addColumn('asn_number', 'bigint')
        .addColumn('asn_org', 'text')
        .addColumn('reputation_score', 'integer')
        .addColumn('reputation_lists', 'text')
        .addColumn('method', 'text')
        .addColumn('host', 'text')
        .addColumn('path', 'text')
        .addColumn('query', 'text')
        .addColumn('status', 'integer')
        .addColumn('user_agent', 'text')
        .addColumn('referer', 'text')
        .addColumn('bytes_in', 'bigint')
        .addColumn('bytes_out', 'bigint')
        .addColumn('duration_ms', 'double precision')
        .addColumn('user_name', 'text')
        .addColumn('outcome', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('score', 'double precision', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('ml_score', 'double precision')
        .addColumn('label_detector', 'text')
        .addColumn('label_analyst', 'text')
        .addColumn('label_split', 'text')
        .addColumn('message', 'text')
        .addColumn('raw_enc', h.blobType)
        .addColumn('raw_key_id', 'text')
        .addColumn('raw_truncated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('findings_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_ms', 'bigint', (c) => c.notNull());
      if (h.partitionedEvents)
        events = events
          .addPrimaryKeyConstraint('events_pk', ['id', 'ts_ms'])
          .modifyEnd(sql`PARTITION BY RANGE (ts_ms)`);
      await events.execute();
      await db.schema.createIndex('events_ts').on('events').columns(['ts_ms', 'id']).execute();
      await db.schema.createIndex('events_ip_ts').on('events').columns(['client_ip', 'ts_ms']).execute();
      await db.schema
        .createIndex('events_fingerprint')
        .on('events')
        .columns(['fingerprint', 'ts_ms'])
        .execute();
      await db.schema.createIndex('events_action_ts').on('events').columns(['action', 'ts_ms']).execute();
      await db.schema.createIndex('events_source_ts').on('events').columns(['source_id', 'ts_ms']).execute();
      // Key rotation finds the rows still sealed with an old key.
      await db.schema.createIndex('events_raw_key').on('events').column('raw_key_id').execute();

      await h
        .idColumn(db.schema.createTable('findings'))
        .addColumn('event_id', 'text', eventRef(h))
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('rule_version', 'integer', (c) => c.notNull())
        .addColumn('class', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('confidence', 'double precision', (c) => c.notNull())
        .addColumn('location', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('decoded_by', 'text', (c) => c.notNull())
        .execute();
      // event_id: the cascade on event delete and loading an event's findings.
      await db.schema.createIndex('findings_event').on('findings').column('event_id').execute();
      await db.schema.createIndex('findings_rule').on('findings').columns(['rule', 'event_id']).execute();
      await db.schema.createIndex('findings_class').on('findings').columns(['class', 'event_id']).execute();

      await h
        .idColumn(db.schema.createTable('incidents'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('first_seen_ms', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_ms', 'bigint', (c) => c.notNull())
        .addColumn('key_ip', 'text')
        .addColumn('key_user', 'text')
        .addColumn('key_target', 'text')
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('rule_version', 'integer', (c) => c.notNull())
        .addColumn('thresholds', 'text', (c) => c.notNull())
        .addColumn('summary', 'text')
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('incidents_last_seen').on('incidents').column('last_seen_ms').execute();
      await db.schema
        .createIndex('incidents_status')
        .on('incidents')
        .columns(['status', 'last_seen_ms'])
        .execute();

      await db.schema
        .createTable('incident_events')
        .addColumn('incident_id', 'integer', (c) =>
          c.notNull().references('incidents.id').onDelete('cascade'),
        )
        .addColumn('event_id', 'text', eventRef(h))
        .addPrimaryKeyConstraint('incident_events_pk', ['incident_id', 'event_id'])
        .execute();
      await db.schema.createIndex('incident_events_event').on('incident_events').column('event_id').execute();

      await h
        .idColumn(db.schema.createTable('bans'))
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('until_ms', 'bigint')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('removed_ms', 'bigint')
        .addColumn('removed_by', 'text')
        .execute();
      await db.schema.createIndex('bans_value').on('bans').column('value').execute();
      await db.schema.createIndex('bans_active').on('bans').columns(['removed_ms', 'until_ms']).execute();

      await h
        .idColumn(db.schema.createTable('settings'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('settings_key_version', ['key', 'version'])
        .execute();

      await h
        .idColumn(db.schema.createTable('audit_log'))
        .addColumn('ts_ms', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('details', 'text')
        .execute();
      await db.schema.createIndex('audit_log_ts').on('audit_log').column('ts_ms').execute();

      await h
        .idColumn(db.schema.createTable('honeypot_hits'))
        .addColumn('event_id', 'text', eventRef(h))
        .addColumn('trap', 'text', (c) => c.notNull())
        .addColumn('username', 'text')
        .addColumn('password_enc', h.blobType)
        .addColumn('password_key_id', 'text')
        .addColumn('command', 'text')
        .addColumn('ts_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('honeypot_hits_event').on('honeypot_hits').column('event_id').execute();
      await db.schema
        .createIndex('honeypot_hits_key')
        .on('honeypot_hits')
        .column('password_key_id')
        .execute();
    },
  };
}

/**
 * Logs and correlation: events keep what a log line said (its type, destination, terminal and the
 * rest as JSON); incidents get a stable reference (upserts from the correlator are idempotent) and
 * a JSON object of details (sources, successes, the window).
 */
function logsAndIncidents(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('events').addColumn('event_type', 'text').execute();
      await db.schema.alterTable('events').addColumn('dst', 'text').execute();
      await db.schema.alterTable('events').addColumn('terminal', 'text').execute();
      await db.schema.alterTable('events').addColumn('log_info', 'text').execute();
      await db.schema.createIndex('events_user_ts').on('events').columns(['user_name', 'ts_ms']).execute();
      await db.schema.createIndex('events_type_ts').on('events').columns(['event_type', 'ts_ms']).execute();
      await db.schema.alterTable('incidents').addColumn('ref', 'text').execute();
      await db.schema.alterTable('incidents').addColumn('details', 'text').execute();
      await db.schema.alterTable('incidents').addColumn('assignee', 'text').execute();
      await db.schema.createIndex('incidents_ref').on('incidents').column('ref').unique().execute();
      await db.schema
        .createIndex('incidents_type_key')
        .on('incidents')
        .columns(['type', 'key_ip', 'last_seen_ms'])
        .execute();
      await db.schema
        .createIndex('incidents_user')
        .on('incidents')
        .columns(['key_user', 'last_seen_ms'])
        .execute();
    },
  };
}
/**
 * Log uploads (`POST /api/v1/logs`): one row per uploaded file, unique by the SHA-256 of its bytes so
 * the same file is not ingested twice, with its status and the ingest summary as JSON.
 */
function logUploads(h: SchemaHooks): Migration {
  return {
    async up(db: Kysely<any>) {
      await h
        .idColumn(db.schema.createTable('log_uploads'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull().unique())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('format', 'text')
        .addColumn('summary', 'text')
        .addColumn('error', 'text')
        .addColumn('uploaded_ms', 'bigint', (c) => c.notNull())
        .addColumn('finished_ms', 'bigint')
        .addColumn('uploaded_by', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
/** Trained models (classifier, anomaly) with their metrics, at most one active per kind; events' anomaly score. */
function models(h: SchemaHooks): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('models')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('bytes', h.blobType, (c) => c.notNull())
        .addColumn('metrics', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('activated_ms', 'bigint')
        .execute();
      await db.schema.createIndex('models_kind_status').on('models').columns(['kind', 'status']).execute();
      await db.schema.alterTable('events').addColumn('anomaly_score', 'double precision').execute();
    },
  };
}
/**
 * Authentication (auth/): login state on the user row (failed logins and lockout survive a restart),
 * browser sessions, rotating refresh tokens (a family per login, so reuse revokes the whole chain)
 * and invitations. Only SHA-256 hashes of session ids and tokens are stored.
 */
function auth(h: SchemaHooks): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('users')
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('users').addColumn('locked_until_ms', 'bigint').execute();
      await db.schema.alterTable('users').addColumn('last_login_ms', 'bigint').execute();
      await db.schema.alterTable('users').addColumn('password_changed_ms', 'bigint').execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('family', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('expires_ms', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_ms', 'bigint', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

      await h
        .idColumn(db.schema.createTable('refresh_tokens'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('family', 'text', (c) => c.notNull())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('expires_ms', 'bigint', (c) => c.notNull())
        .addColumn('used_ms', 'bigint')
        .addColumn('revoked_ms', 'bigint')
        .execute();
      await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family').execute();
      await db.schema.createIndex('refresh_tokens_user').on('refresh_tokens').column('user_id').execute();

      await h
        .idColumn(db.schema.createTable('invitations'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('expires_ms', 'bigint', (c) => c.notNull())
        .addColumn('used_ms', 'bigint')
        .addColumn('used_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
        .execute();
    },
  };
}
/**
 * Incident workflow: analysts' comments on an incident (the assignee column exists since
 * 0002_logs_incidents). Comments go with their incident.
 */
function incidentWorkflow(h: SchemaHooks): Migration {
  return {
    async up(db: Kysely<any>) {
      await h
        .idColumn(db.schema.createTable('incident_comments'))
        .addColumn('incident_id', 'integer', (c) =>
          c.notNull().references('incidents.id').onDelete('cascade'),
        )
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('incident_comments_incident')
        .on('incident_comments')
        .columns(['incident_id', 'id'])
        .execute();
    },
  };
}
/** The statistics rollup table; `clustered`: rows stored in primary key order where the dialect can. */
async function createStatsRollup(db: Kysely<any>, clustered: boolean): Promise<void> {
  let t = db.schema
    .createTable('stats_rollup')
    .addColumn('dim', 'text', (c) => c.notNull())
    .addColumn('bucket_ms', 'bigint', (c) => c.notNull())
    .addColumn('item', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('label2', 'text');
  for (const counter of COUNTERS) t = t.addColumn(counter, 'bigint', (c) => c.notNull().defaultTo(0));
  t = t.addPrimaryKeyConstraint('stats_rollup_pk', ['dim', 'bucket_ms', 'item']);
  await (clustered ? t.modifyEnd(sql`WITHOUT ROWID`) : t).execute();
}
/**
 * Statistics (stats-rollup.ts): event counts per dimension, time bucket and item, kept by the insert
 * path, backfilled here from the events already stored.
 */
function stats(): Migration {
  return {
    async up(db: Kysely<any>) {
      await createStatsRollup(db, false);
      await rebuildStats(db);
    },
  };
}
/**
 * Statistics: client address, country and geo point count alert events only, so recount; the table
 * is recreated clustered on its key (SQLite WITHOUT ROWID: an upsert or range read touches one
 * b-tree instead of the key index plus the table).
 */
function statsAlertOrigins(h: SchemaHooks): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.dropTable('stats_rollup').execute();
      await createStatsRollup(db, h.clusteredTables === true);
      await rebuildStats(db);
    },
  };
}
/**
 * Scale-out: leases (one holder of a named role at a time, e.g. the correlation leader among
 * `palisade worker` processes, with its checkpoint), and on PostgreSQL the commit sequence of
 * events (dialects/postgres.ts).
 */
function scaleOut(h: SchemaHooks): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('expires_ms', 'bigint', (c) => c.notNull())
        .addColumn('acquired_ms', 'bigint', (c) => c.notNull())
        .addColumn('checkpoint', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_ms', 'bigint', (c) => c.notNull())
        .execute();
      if (h.commitSequenceColumn) {
        await db.schema
          .alterTable('events')
          .addColumn('seq', 'bigserial', (c) => c.notNull())
          .execute();
        // Unique by construction (one sequence); a unique index of a partitioned table would have
        // to hold ts_ms.
        await db.schema.createIndex('events_seq').on('events').column('seq').execute();
      }
    },
  };
}
/**
 * Statistics: the day and 6-hour levels of client addresses, the day level of geo points and the
 * minute level of classes, rules and countries (stats-rollup.ts), backfilled; the dialect's tuning.
 */
function statsLevels(h: SchemaHooks): Migration {
  return {
    async up(db: Kysely<any>) {
      await h.tuneStatsRollup?.(db);
      await rebuildStats(db, [
        'ip_day',
        'ip_6h',
        'ip_min',
        'geo_day',
        'class_min',
        'rule_min',
        'country_min',
      ]);
    },
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Every migration, by name; names sort in the order they run. */
export function buildMigrations(h: SchemaHooks): Record<string, Migration> {
  return {
    '0001_initial': initial(h),
    '0002_logs_incidents': logsAndIncidents(),
    '0003_log_uploads': logUploads(h),
    '0004_models': models(h),
    '0005_auth': auth(h),
    '0006_incident_workflow': incidentWorkflow(h),
    '0007_stats': stats(),
    '0008_stats_alert_origins': statsAlertOrigins(h),
    '0009_scale_out': scaleOut(h),
    '0010_stats_levels': statsLevels(h),
  };
}

/** Brings the schema to the newest migration; throws PAL_ERR_STORE_MIGRATION naming the one that failed. */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  h: SchemaHooks,
  /** PostgreSQL: the schema of Palisade's tables (the migration tables go there too). */
  schema?: string,
): Promise<string[]> {
  const migrations = buildMigrations(h);
  const migrator = new Migrator({
    db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  let { error, results } = await migrator.migrateToLatest();
  // Before it runs any migration, Kysely's migrator lists the tables of every schema (PostgreSQL);
  // a schema dropped at that moment by someone else fails the listing. Nothing was changed then
  // (each migration runs in a transaction), so look again.
  for (let attempt = 1; error && (results === undefined || results.length === 0) && attempt < 4; attempt++) {
    await new Promise((r) => setTimeout(r, 50 * attempt));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new PalisadeError(
      'PAL_ERR_STORE_MIGRATION',
      `migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
