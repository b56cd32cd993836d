/**
 * `palisade user create NAME --role R | list | set-role NAME ROLE | reset-password NAME`: user
 * administration from the shell (e.g. the first admin of a headless install, or a locked-out admin).
 * Passwords come from PALISADE_PASSWORD or stdin, never from the command line (shell history, ps).
 */
import { text } from 'node:stream/consumers';
import { PalisadeError } from '../errors.js';
import { audit, print, withStore, type CommandIo } from '../store/index.js';
import { checkPassword, checkUsername, hashPassword } from './passwords.js';
import {
  createUser,
  getUserByName,
  isRole,
  listUsers,
  setPassword,
  toPublicUser,
  updateUser,
} from './users.js';

const STDIN_MAX = 4096;

export interface UserCommandOptions extends CommandIo {
  db?: string;
  /** `create`, `list`, `set-role`, `reset-password` and their positional arguments. */
  args: string[];
  role?: string;
  /** Reads the new password (default: PALISADE_PASSWORD, else stdin up to its end). */
  readPassword?: () => Promise<string>;
}

async function passwordFromEnvOrStdin(): Promise<string> {
  const fromEnv = process.env.PALISADE_PASSWORD;
  if (fromEnv) return fromEnv;
  const input = await text(process.stdin);
  if (input.length > STDIN_MAX) throw new PalisadeError('PAL_ERR_CLI_INPUT', 'password input is too long');
  return input.replace(/\r?\n$/, '');
}

function usage(message: string): never {
  throw new PalisadeError(
    'PAL_ERR_CLI_USAGE',
    `${message} (user create NAME --role R | list | set-role NAME ROLE | reset-password NAME)`,
  );
}

function roleOf(v: string | undefined) {
  if (!isRole(v)) usage('the role must be viewer, analyst or admin');
  return v;
}

export async function runUserCommand(opts: UserCommandOptions): Promise<number> {
  const [sub, name, extra] = opts.args;
  const readPassword = opts.readPassword ?? passwordFromEnvOrStdin;
  return withStore(opts.db, opts, async (store) => {
    const now = Date.now();
    switch (sub) {
      case 'list': {
        const users = (await listUsers(store)).map(toPublicUser);
        print(
          opts,
          users.length === 0
            ? 'no users'
            : users
                .map((u) => `${u.id}\t${u.username}\t${u.role}${u.disabled ? '\tdisabled' : ''}`)
                .join('\n'),
          users,
        );
        return 0;
      }
      case 'create': {
        if (!name) usage('user create needs NAME');
        const username = checkUsername(name);
        const role = roleOf(opts.role);
        const password = checkPassword(await readPassword(), username);
        const user = await createUser(store, username, await hashPassword(password), role, now);
        await audit(store, 'cli', 'user.create', `user:${user.id}`, { username, role }, now);
        print(opts, `created user ${user.id} ${username} (${role})`, toPublicUser(user));
        return 0;
      }
      case 'set-role':
      case 'reset-password': {
        if (!name) usage(`user ${sub} needs NAME`);
        const user = await getUserByName(store, name);
        if (!user) throw new PalisadeError('PAL_ERR_NOT_FOUND', `no user ${name.slice(0, 64)}`);
        if (sub === 'set-role') {
          const role = roleOf(extra);
          const r = await updateUser(store, user.id, { role }, now);
          await audit(
            store,
            'cli',
            'user.role',
            `user:${user.id}`,
            { username: user.name, from: user.role, to: role },
            now,
          );
          print(opts, `${user.name}: ${user.role} → ${role}`, toPublicUser(r!.after));
          return 0;
        }
        const password = checkPassword(await readPassword(), user.name);
        await setPassword(store, user.id, await hashPassword(password), now);
        await audit(store, 'cli', 'user.reset_password', `user:${user.id}`, { username: user.name }, now);
        print(opts, `new password set for ${user.name}; their sessions and tokens ended`, toPublicUser(user));
        return 0;
      }
      default:
        return usage('unknown user command');
    }
  });
}
