/**
 * A small declarative checker for configuration objects: every key must be known, every value of the
 * declared type and range. Fields are optional (defaults fill them); errors name the dotted key.
 */
import { PalisadeError } from '../errors.js';

export type Field =
  | { type: 'string' | 'bool' | 'strings' | 'url' | 'hostport' | 'any' }
  | { type: 'int'; min: number; max: number }
  | { type: 'enum' | 'enums'; values: readonly string[] }
  | { type: 'object'; fields: Schema; nullable?: boolean };

export type Schema = Readonly<Record<string, Field>>;

function fail(key: string, message: string): never {
  throw new PalisadeError('PAL_ERR_CONFIG', `${key}: ${message}`, { key });
}

export function checkObject(schema: Schema, value: unknown, prefix: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail(prefix || '(top level)', 'must be an object');
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const field = schema[k];
    if (!field) fail(key, `unknown key (known: ${Object.keys(schema).join(', ')})`);
    checkField(field, v, key);
  }
}

function checkField(field: Field, v: unknown, key: string): void {
  switch (field.type) {
    case 'any':
      return;
    case 'string':
      if (typeof v !== 'string' || v === '') fail(key, 'must be a non-empty string');
      return;
    case 'bool':
      if (typeof v === 'boolean') return;
      return fail(key, 'must be true or false');
    case 'strings':
      if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fail(key, 'must be a list of strings');
      return;
    case 'int': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < field.min || v > field.max)
        fail(key, `must be an integer from ${field.min} to ${field.max}`);
      return;
    }
    case 'enum':
      if (typeof v !== 'string' || !field.values.includes(v))
        fail(key, `must be one of ${field.values.join(', ')}`);
      return;
    case 'enums':
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !field.values.includes(x)))
        fail(key, `must be a list of: ${field.values.join(', ')}`);
      return;
    case 'url':
      if (typeof v !== 'string' || (v !== '' && !/^https?:\/\/[^\s/]+/.test(v)))
        fail(key, 'must be an http:// or https:// URL');
      return;
    case 'hostport':
      if (typeof v !== 'string' || !/^(?:\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):\d{1,5}$/.test(v))
        fail(key, 'must be HOST:PORT');
      return;
    case 'object':
      if (v === null && field.nullable) return;
      checkObject(field.fields, v, key);
      return;
  }
}
