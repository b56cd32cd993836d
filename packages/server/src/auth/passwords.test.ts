/** The password policy, argon2id hashing and the bounded failure counter. */
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../errors.js';
import { checkPassword, checkUsername, hashPassword, verifyPassword } from './passwords.js';
import { FailureWindow } from './failure-window.js';

function reason(password: string, username = 'dana'): string | undefined {
  try {
    checkPassword(password, username);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(PalisadeError);
    expect((e as PalisadeError).details).toEqual({ field: 'password' });
    return (e as PalisadeError).message;
  }
}

describe('password policy', () => {
  it('accepts reasonable passwords', () => {
    for (const p of [
      'Tr0ub4dor&3-horse',
      'correct horse battery staple!',
      'k8#Lq2!vZp0w',
      'ünïcödé-pässwörd-9',
    ])
      expect(reason(p), p).toBeUndefined();
  });
  it('refuses short, long, common, monotonous and username-bearing passwords', () => {
    expect(reason('Ab1!Ab1!Ab1')).toMatch(/at least 12/);
    expect(reason(`A1${'x'.repeat(255)}`)).toMatch(/at most 256/);
    expect(reason('xx-DANA-2026-xx')).toMatch(/username/);
    expect(reason('!!Password2024!!')).toMatch(/common/);
    expect(reason('qwertyuiop123')).toMatch(/common/);
    expect(reason('aaaaaaaaaaaaaaab')).toMatch(/different characters/);
    expect(reason('onlylowercaseab')).toMatch(/mix/);
    expect(reason('onlylowercaseabcd')).toBeUndefined();
  });
  it('checks user names', () => {
    expect(checkUsername('Dana.W_1-x')).toBe('dana.w_1-x');
    for (const n of ['ab', 'a'.repeat(65), 'dana w', 'dana/..', 'dána'])
      expect(() => checkUsername(n), n).toThrow(PalisadeError);
  });
  it('hashes with argon2id and verifies', async () => {
    const h = await hashPassword('Tr0ub4dor&3-horse');
    expect(h).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(h, 'Tr0ub4dor&3-horse')).toBe(true);
    expect(await verifyPassword(h, 'Tr0ub4dor&3-horsE')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
  });
});

describe('FailureWindow', () => {
  it('blocks after max failures for the window, then forgets', () => {
    const w = new FailureWindow(3, 1000);
    expect(w.fail('a', 0)).toBe(false);
    expect(w.fail('a', 10)).toBe(false);
    expect(w.blockedMs('a', 20)).toBe(0);
    expect(w.fail('a', 20)).toBe(true);
    expect(w.blockedMs('a', 520)).toBe(500);
    expect(w.blockedMs('a', 1020)).toBe(0);
    expect(w.fail('a', 1020)).toBe(false);
  });
  it('holds at most `capacity` keys, dropping the least recently failed', () => {
    const w = new FailureWindow(1, 1000, 100);
    for (let i = 0; i < 1000; i++) w.fail(`k${i}`, 0);
    expect(w.size).toBe(100);
    expect(w.blockedMs('k999', 1)).toBeGreaterThan(0);
    expect(w.blockedMs('k0', 1)).toBe(0);
  });
});
