/** The store's public API: open, write (batched writer), read, bans, keys, settings, audit, maintenance. */
export { openStore, DEFAULT_DB_PATH, type Store, type OpenStoreOptions } from './store.js';
export type { Database, EventRow, FindingRow, BanRow, ApiKeyRow, SettingRow, AuditRow } from './schema.js';
export type { StoreDialect } from './dialect.js';
export { migrateToLatest, buildMigrations, type SchemaHooks } from './migrations.js';
export { createSqliteDialect, type SqliteStoreDialect } from './dialects/sqlite.js';
export { Keyring, type KeyEntry, type KeyringOrigin } from './crypto.js';
export {
  loadKeyring,
  parseKeyEnv,
  writeFileAtomic0600,
  KEY_FILE_NAME,
  type LoadKeyringOptions,
} from './keyring-file.js';
export { rotateKeys, retireKey, keyUsage, type RotateResult } from './rotate-keys.js';
export { validateEvent, EVENT_LIMITS } from './validate-event.js';
export { rowToEvent } from './event-rows.js';
export {
  insertEvents,
  listEvents,
  getEvent,
  countEvents,
  LIST_LIMIT_MAX,
  type EventFilter,
  type EventPageQuery,
  type EventPage,
  type InsertResult,
  type GetEventOptions,
} from './events.js';
export { createWriter, type Writer, type WriterOptions, type WriterStats } from './writer.js';
export { addBan, removeBan, listBans, activeBans, type Ban, type NewBan } from './bans.js';
export { createBanCache, type BanCache } from './ban-cache.js';
export {
  createApiKey,
  verifyApiKey,
  revokeApiKey,
  listApiKeys,
  countApiKeys,
  API_KEY_SCOPES,
  type ApiKey,
  type ApiKeyScope,
} from './api-keys.js';
export { getSetting, putSetting, settingHistory, settingVersion, type Setting } from './settings.js';
export {
  listExclusions,
  addExclusion,
  removeExclusion,
  toEngineExclusions,
  EXCLUSIONS_MAX,
  EXCLUSION_FIELD_MAX,
  type ExclusionMatch,
  type ExclusionSet,
  type StoredExclusion,
} from './exclusions.js';
export {
  listIncidentComments,
  addIncidentComment,
  COMMENT_BODY_MAX,
  COMMENTS_MAX,
  type IncidentComment,
} from './incident-comments.js';
export { audit, listAudit, type AuditEntry } from './audit.js';
export {
  setAnalystLabel,
  countAnalystLabels,
  ANALYST_LABELS,
  type AnalystLabel,
  type LabelChange,
} from './labels.js';
export {
  iterateStoredRequests,
  parseRawRequest,
  type StoredRequest,
  type StoredRequestQuery,
  type LabelSource,
} from './stored-requests.js';
export {
  saveModel,
  activateModel,
  deactivateModel,
  getActiveModel,
  activeModelIds,
  getModelInfo,
  getModelBytes,
  listModels,
  MODEL_KINDS,
  MODEL_MAX_BYTES,
  type ModelKind,
  type ModelInfo,
} from './models.js';
export { purgeOlderThan, startRetention, DEFAULT_RETENTION_DAYS, type PurgeResult } from './retention.js';
export { backupToSql, restoreFromSql, type BackupResult, type RestoreResult } from './backup.js';
export {
  runKeysRotate,
  runKeysList,
  runPurge,
  runBackup,
  runRestore,
  runApiKeyCreate,
  runApiKeyList,
  runApiKeyRevoke,
  runLabel,
  withStore,
  print,
  type CommandIo,
} from './commands.js';
export {
  applyIncidentUpdates,
  listIncidents,
  getIncident,
  incidentEventIds,
  incidentView,
  countIncidentsByType,
  setIncidentStatus,
  type Incident,
  type ListIncidentsOptions,
} from './incidents.js';
