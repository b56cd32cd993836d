/** `palisade user …` on a real SQLite file: create, list, set-role, reset-password (ends logins). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Keyring, openStore, withStore } from '../store/index.js';
import { PalisadeError } from '../errors.js';
import { runUserCommand } from './user-command.js';
import { createSession, newFamily, findSession } from './sessions.js';
import { getUserByName } from './users.js';
import { verifyPassword } from './passwords.js';

const dir = mkdtempSync(join(tmpdir(), 'palisade-usercmd-'));
const db = join(dir, 'palisade.db');
const key = Keyring.generate().entries()[0]!.key.toString('base64');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], extra: { role?: string; password?: string } = {}) {
  const out: string[] = [];
  const code = await runUserCommand({
    db,
    env: key,
    args,
    ...(extra.role ? { role: extra.role } : {}),
    readPassword: async () => extra.password ?? 'Tr0ub4dor&3-horse',
    write: (t) => void out.push(t),
  });
  return { code, out: out.join('') };
}

describe('palisade user', () => {
  it('creates, lists, changes roles and resets passwords', async () => {
    expect((await run(['create', 'Root.Admin'], { role: 'admin' })).out).toMatch(
      /created user 1 root\.admin \(admin\)/,
    );
    await run(['create', 'eve'], { role: 'viewer' });
    await expect(run(['create', 'eve2'], { role: 'viewer', password: 'password1234' })).rejects.toThrow(
      PalisadeError,
    );
    await expect(run(['create', 'eve3'], { role: 'boss' })).rejects.toThrow(/role/);
    await expect(run(['create', 'eve'], { role: 'viewer' })).rejects.toThrow(/taken/);
    expect((await run(['list'])).out).toBe('1\troot.admin\tadmin\n2\teve\tviewer\n');
    expect((await run(['set-role', 'eve', 'analyst'])).out).toMatch(/viewer → analyst/);

    const store = await openStore({ path: db, env: key });
    const eve = (await getUserByName(store, 'eve'))!;
    const session = await createSession(store, {
      userId: eve.id,
      family: newFamily(),
      ip: null,
      userAgent: null,
      nowMs: Date.now(),
      maxMs: 3_600_000,
    });
    await store.close();
    await run(['reset-password', 'eve'], { password: 'n3w-Secret-phrase' });
    await withStore(db, { env: key }, async (s) => {
      const after = (await getUserByName(s, 'eve'))!;
      expect(after.role).toBe('analyst');
      expect(await verifyPassword(after.password_hash!, 'n3w-Secret-phrase')).toBe(true);
      expect(await findSession(s, session.id, Date.now(), 3_600_000)).toBeUndefined();
      const actions = (await s.db.selectFrom('audit_log').select('action').execute()).map((r) => r.action);
      expect(actions).toEqual(['user.create', 'user.create', 'user.role', 'user.reset_password']);
    });
  });
});
