/** The thresholds form: fields by path, edits by path, and server errors placed on their field. */
import { describe, expect, it } from 'vitest';
import { checkNumber, fieldForError, getPath, leafPaths, setPath, type Json } from './config-form';

const config: Json = {
  profile: 'default',
  brute_force: { enabled: true, threshold: 8, by: 'ip' },
  response: { allow_list: ['127.0.0.0/8'], ban_ttl_s: { dos: 600 } },
  critical_config_change: { matchers: [{ name: 'x' }] },
};

describe('config form', () => {
  it('lists leaf fields by path, matchers as one JSON field', () => {
    expect(leafPaths(config)).toEqual([
      'profile',
      'brute_force.enabled',
      'brute_force.threshold',
      'brute_force.by',
      'response.allow_list',
      'response.ban_ttl_s.dos',
      'critical_config_change.matchers',
    ]);
  });

  it('edits by path without touching the original', () => {
    const next = setPath(config, 'response.ban_ttl_s.dos', 60);
    expect(getPath(next, 'response.ban_ttl_s.dos')).toBe(60);
    expect(getPath(config, 'response.ban_ttl_s.dos')).toBe(600);
  });

  it('puts a server error on the field it names, or the nearest one shown', () => {
    const fields = leafPaths(config);
    expect(fieldForError('brute_force.threshold', fields)).toBe('brute_force.threshold');
    expect(fieldForError('response.allow_list[1]', fields)).toBe('response.allow_list');
    expect(fieldForError('critical_config_change.matchers[0].name', fields)).toBe(
      'critical_config_change.matchers',
    );
    expect(fieldForError('brute_force.thresholdx', fields)).toBeUndefined();
  });

  it('checks numbers before sending', () => {
    expect(checkNumber('brute_force.threshold', '8')).toBeUndefined();
    expect(checkNumber('brute_force.threshold', '-1')).toMatch(/0 or more/);
    expect(checkNumber('brute_force.threshold', '')).toBe('required');
    expect(checkNumber('scanner.error_ratio', '1.5')).toMatch(/0 to 1/);
  });
});
