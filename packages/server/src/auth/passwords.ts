/**
 * Passwords and user names: argon2id hashing (OWASP's parameters: 19 MiB, 2 passes) and the policy
 * a new password must meet. Policy failures are PAL_ERR_VALIDATION naming the field, so the
 * dashboard can show the reason beside the input.
 */
import { randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { PalisadeError } from '../errors.js';

/** `Algorithm.Argon2id`: the package's enum is an ambient const enum, which isolated modules cannot read. */
const ARGON2ID = 2 as Algorithm;
const ARGON2 = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;
export const USERNAME = /^[A-Za-z0-9._-]{3,64}$/;

/**
 * The most common passwords of 12 characters or more, and the words behind most of the shorter ones
 * (a password that is one of these words with digits or symbols around it is refused too).
 */
const COMMON_PASSWORDS = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234567890',
  '111111111111',
  '000000000000',
  'qwertyuiopasdfghjkl',
  'qwertyuiopas',
  'qwertyuiop123',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'zaq12wsxcde3',
  'q1w2e3r4t5y6',
  'abcdefghijkl',
  'abc123abc123',
  'passwordpassword',
  'correcthorsebatterystaple',
  'letmeinletmein',
]);
const COMMON_WORDS = new Set([
  'password',
  'passw0rd',
  'p@ssword',
  'p@ssw0rd',
  'qwerty',
  'qwertyuiop',
  'asdfghjkl',
  'letmein',
  'welcome',
  'admin',
  'administrator',
  'root',
  'palisade',
  'changeme',
  'iloveyou',
  'dragon',
  'monkey',
  'football',
  'baseball',
  'sunshine',
  'princess',
  'master',
  'superman',
  'trustno',
  'secret',
  'default',
  'login',
  'guest',
]);

/** `lower` without the non-letters around it (`!!password2024!` → `password`); a loop, not a regex. */
function lettersCore(lower: string): string {
  const isLetter = (c: string) => c >= 'a' && c <= 'z';
  let start = 0;
  let end = lower.length;
  while (start < end && !isLetter(lower[start]!)) start++;
  while (end > start && !isLetter(lower[end - 1]!)) end--;
  return lower.slice(start, end);
}

function fail(message: string): never {
  throw new PalisadeError('PAL_ERR_VALIDATION', message, { field: 'password' });
}

/** Throws PAL_ERR_VALIDATION (details.field "username") unless the name is 3..64 of [A-Za-z0-9._-]. */
export function checkUsername(name: unknown): string {
  if (typeof name !== 'string' || !USERNAME.test(name))
    throw new PalisadeError('PAL_ERR_VALIDATION', 'username must be 3..64 of A-Z a-z 0-9 . _ -', {
      field: 'username',
    });
  return name.toLowerCase();
}

/** Throws PAL_ERR_VALIDATION (details.field "password") when the password breaks the policy. */
export function checkPassword(password: unknown, username: string): string {
  if (typeof password !== 'string') fail('password must be a string');
  const chars = [...password];
  if (chars.length < PASSWORD_MIN) fail(`password must have at least ${PASSWORD_MIN} characters`);
  if (chars.length > PASSWORD_MAX) fail(`password must have at most ${PASSWORD_MAX} characters`);
  const lower = password.toLowerCase();
  if (username.length >= 3 && lower.includes(username.toLowerCase()))
    fail('password must not contain the username');
  const core = lettersCore(lower);
  if (COMMON_PASSWORDS.has(lower) || COMMON_WORDS.has(core) || COMMON_PASSWORDS.has(core))
    fail('password is one of the most common passwords');
  if (new Set(chars).size < 6) fail('password must use at least 6 different characters');
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 2 && chars.length < 16)
    fail('password must mix letters with digits or symbols, or be at least 16 characters long');
  return password;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

/** False for a wrong password or an unreadable hash (never throws on bad input). */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * A hash of a random password, verified against for unknown users so a login takes as long whether
 * or not the name exists.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hash(randomBytes(18).toString('base64'), ARGON2);
  return dummy;
}
