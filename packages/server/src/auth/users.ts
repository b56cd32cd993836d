/**
 * The users table: registration (first user becomes admin, later ones need an invitation or open
 * registration — decided and written in one transaction), role and disable changes that never leave
 * the install without an active admin, and the login bookkeeping (failures, lockout, last login).
 * `toPublicUser` is the only shape a user leaves the API in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import { PalisadeError } from '../errors.js';
import type { Database, UserRow } from '../store/schema.js';
import { settingVersion, type Store } from '../store/index.js';
import { ROLES, type Role } from '../serve/principal.js';

/** Settings key written with the first admin: its unique (key, version) makes the first-user race safe. */
const FIRST_ADMIN_SETTING = 'auth.first_admin';
export const INVITATION_TTL_MS = 7 * 86_400_000;

export interface PublicUser {
  id: number;
  username: string;
  role: Role;
  created_ms: number;
  last_login_ms: number | null;
  disabled: boolean;
}

export function toPublicUser(u: UserRow): PublicUser {
  return {
    id: u.id,
    username: u.name,
    role: u.role as Role,
    created_ms: u.created_ms,
    last_login_ms: u.last_login_ms,
    disabled: u.disabled_ms !== null,
  };
}

export function isRole(v: unknown): v is Role {
  return (ROLES as readonly unknown[]).includes(v);
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

export async function countUsers(store: Store): Promise<number> {
  const r = await store.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export function getUserById(store: Store, id: number): Promise<UserRow | undefined> {
  return store.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function getUserByName(store: Store, name: string): Promise<UserRow | undefined> {
  return store.db.selectFrom('users').selectAll().where('name', '=', name.toLowerCase()).executeTakeFirst();
}

export function listUsers(store: Store): Promise<UserRow[]> {
  return store.db.selectFrom('users').selectAll().orderBy('id').execute();
}

export interface Registration {
  username: string;
  passwordHash: string;
  /** The invitation token as given by the caller. */
  invitation?: string;
  /** Whether open registration is on (settings). */
  open: boolean;
  nowMs: number;
}

/** Creates the user the registration rules allow, with the role they grant; returns its row. */
export async function registerUser(store: Store, r: Registration): Promise<UserRow> {
  return store.db.transaction().execute(async (trx) => {
    const n = await trx
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    let role: Role;
    let invitationId: number | undefined;
    if (Number(n.n) === 0) {
      await claimFirstAdmin(trx, r.username, r.nowMs);
      role = 'admin';
    } else if (r.invitation !== undefined) {
      const inv = await trx
        .updateTable('invitations')
        .set({ used_ms: r.nowMs })
        .where('token_hash', '=', sha256Hex(r.invitation))
        .where('used_ms', 'is', null)
        .where('expires_ms', '>', r.nowMs)
        .returning(['id', 'role'])
        .executeTakeFirst();
      if (!inv || !isRole(inv.role))
        throw new PalisadeError('PAL_ERR_INVITATION_INVALID', undefined, { field: 'invitation' });
      role = inv.role;
      invitationId = inv.id;
    } else if (r.open) role = 'viewer';
    else throw new PalisadeError('PAL_ERR_REGISTRATION_CLOSED');
    const user = await insertUser(trx, r.username, r.passwordHash, role, r.nowMs);
    if (invitationId !== undefined)
      await trx.updateTable('invitations').set({ used_by: user.id }).where('id', '=', invitationId).execute();
    return user;
  });
}

/** A concurrent first registration inserts the same (key, version) and fails on the unique constraint. */
async function claimFirstAdmin(trx: Transaction<Database>, username: string, nowMs: number): Promise<void> {
  const version = (await settingVersion(trx, FIRST_ADMIN_SETTING)) + 1;
  try {
    await trx
      .insertInto('settings')
      .values({
        key: FIRST_ADMIN_SETTING,
        version,
        value: JSON.stringify({ username }),
        created_ms: nowMs,
        created_by: `user:${username}`,
      })
      .execute();
  } catch (err) {
    if (/unique|duplicate/i.test((err as Error).message))
      throw new PalisadeError('PAL_ERR_CONFLICT', 'another first user registered at the same time');
    throw err;
  }
}

async function insertUser(
  db: Transaction<Database> | Store['db'],
  name: string,
  passwordHash: string,
  role: Role,
  nowMs: number,
): Promise<UserRow> {
  const taken = await db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst();
  if (taken) throw new PalisadeError('PAL_ERR_CONFLICT', 'this username is taken', { field: 'username' });
  return db
    .insertInto('users')
    .values({ name, password_hash: passwordHash, role, created_ms: nowMs, password_changed_ms: nowMs })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Creates a user directly (CLI); the name must be checked (`checkUsername`) already. */
export function createUser(
  store: Store,
  name: string,
  passwordHash: string,
  role: Role,
  nowMs: number,
): Promise<UserRow> {
  return insertUser(store.db, name, passwordHash, role, nowMs);
}

/**
 * Changes role and/or disabled state; refuses (PAL_ERR_LAST_ADMIN) when no active admin would remain.
 * Disabling ends the user's sessions and refresh tokens.
 */
export async function updateUser(
  store: Store,
  id: number,
  change: { role?: Role; disabled?: boolean },
  nowMs: number,
): Promise<{ before: UserRow; after: UserRow } | undefined> {
  return store.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!before) return undefined;
    const role = change.role ?? before.role;
    const disabled = change.disabled ?? before.disabled_ms !== null;
    if (!(role === 'admin' && !disabled)) await ensureOtherAdmin(trx, before);
    const after = await trx
      .updateTable('users')
      .set({
        role,
        disabled_ms: disabled ? (before.disabled_ms ?? nowMs) : null,
        // Re-enabling also lifts a lockout.
        ...(disabled ? {} : { failed_logins: 0, locked_until_ms: null }),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (disabled) await endLogins(trx, id, nowMs);
    return { before, after };
  });
}

/** Deletes a user with its sessions and tokens; false when there is none. */
export async function deleteUser(store: Store, id: number): Promise<UserRow | undefined> {
  return store.db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!user) return undefined;
    await ensureOtherAdmin(trx, user);
    await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
    await trx.deleteFrom('refresh_tokens').where('user_id', '=', id).execute();
    await trx.updateTable('api_keys').set({ user_id: null }).where('user_id', '=', id).execute();
    await trx.updateTable('invitations').set({ used_by: null }).where('used_by', '=', id).execute();
    await trx.deleteFrom('users').where('id', '=', id).execute();
    return user;
  });
}

async function ensureOtherAdmin(trx: Transaction<Database>, user: UserRow): Promise<void> {
  if (user.role !== 'admin' || user.disabled_ms !== null) return;
  const others = await trx
    .selectFrom('users')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('role', '=', 'admin')
    .where('disabled_ms', 'is', null)
    .where('id', '!=', user.id)
    .executeTakeFirstOrThrow();
  if (Number(others.n) === 0) throw new PalisadeError('PAL_ERR_LAST_ADMIN');
}

/** Ends every session and revokes every refresh token of a user. */
export async function endLogins(
  db: Transaction<Database> | Store['db'],
  userId: number,
  nowMs: number,
): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_ms: nowMs })
    .where('user_id', '=', userId)
    .where('revoked_ms', 'is', null)
    .execute();
}

/** Sets a new password hash, lifts a lockout and ends the user's logins. */
export async function setPassword(
  store: Store,
  id: number,
  passwordHash: string,
  nowMs: number,
): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({
        password_hash: passwordHash,
        password_changed_ms: nowMs,
        failed_logins: 0,
        locked_until_ms: null,
      })
      .where('id', '=', id)
      .execute();
    await endLogins(trx, id, nowMs);
  });
}

/**
 * Counts a failed login; the `maxFailures`-th consecutive one locks the user until
 * `nowMs + lockMs`. Returns true when this failure locked it.
 */
export async function recordLoginFailure(
  store: Store,
  id: number,
  nowMs: number,
  maxFailures: number,
  lockMs: number,
): Promise<boolean> {
  const row = await store.db
    .updateTable('users')
    .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
    .where('id', '=', id)
    .returning('failed_logins')
    .executeTakeFirst();
  if (!row || row.failed_logins < maxFailures) return false;
  await store.db
    .updateTable('users')
    .set({ failed_logins: 0, locked_until_ms: nowMs + lockMs })
    .where('id', '=', id)
    .execute();
  return true;
}

export async function recordLoginSuccess(store: Store, id: number, nowMs: number): Promise<UserRow> {
  return store.db
    .updateTable('users')
    .set({ failed_logins: 0, locked_until_ms: null, last_login_ms: nowMs })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A single-use invitation for `role`; the returned token is the only copy (the store keeps its hash). */
export async function createInvitation(
  store: Store,
  role: Role,
  createdBy: string,
  nowMs: number,
): Promise<{ token: string; expires_ms: number }> {
  const token = `pali_${randomBytes(32).toString('base64url')}`;
  const expires_ms = nowMs + INVITATION_TTL_MS;
  await store.db
    .insertInto('invitations')
    .values({ token_hash: sha256Hex(token), role, created_by: createdBy, created_ms: nowMs, expires_ms })
    .execute();
  return { token, expires_ms };
}
