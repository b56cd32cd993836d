import { describe, expect, it } from 'vitest';
import { YearTracker } from '../time.js';
import { parseSyslogHeader } from './syslog-header.js';

const years = () => new YearTracker({ now: Date.UTC(2026, 10, 22, 12), timeZone: 'UTC' });

describe('parseSyslogHeader', () => {
  it('reads RFC 3164 with and without PRI, host and pid', () => {
    expect(parseSyslogHeader('<86>Nov 22 04:51:47 web1 sshd[42]: hello world', years())).toEqual({
      ok: true,
      header: {
        format: 'rfc3164',
        ts: Date.UTC(2026, 10, 22, 4, 51, 47),
        facility: 10,
        severity: 6,
        host: 'web1',
        program: 'sshd',
        pid: 42,
        message: 'hello world',
      },
    });
    const noHost = parseSyslogHeader('Nov 23 21:50:19 sshd[8148]: x', years());
    expect(noHost.ok && noHost.header).toMatchObject({ program: 'sshd', pid: 8148, message: 'x' });
    expect(noHost.ok && noHost.header.host).toBeUndefined();
    const bracket = parseSyslogHeader('Mar  3 00:17:22 [sshd]: User root', years());
    expect(bracket.ok && bracket.header).toMatchObject({ program: 'sshd', message: 'User root' });
    // No colon after a bracketed tag (fail2ban gh-267).
    const noColon = parseSyslogHeader('Jun 25 23:53:34 [sshd] User root from 1.2.3.4', years());
    expect(noColon.ok && noColon.header).toMatchObject({
      program: 'sshd',
      message: 'User root from 1.2.3.4',
    });
    expect(noColon.ok && noColon.header.host).toBeUndefined();
    const hostNoColon = parseSyslogHeader('Jun 25 23:53:34 h [sshd][7] x', years());
    expect(hostNoColon.ok && hostNoColon.header).toMatchObject({
      host: 'h',
      program: 'sshd',
      pid: 7,
      message: 'x',
    });
    const noPid = parseSyslogHeader('2026-11-22T04:51:47.5+01:00 h kernel: boom', years());
    expect(noPid.ok && noPid.header).toMatchObject({
      ts: Date.UTC(2026, 10, 22, 3, 51, 47, 500),
      host: 'h',
      program: 'kernel',
    });
  });

  it('reads RFC 5424 with structured data holding brackets and quotes', () => {
    const r = parseSyslogHeader(
      '<38>1 2019-07-08T17:40:17.954167-04:00 host.example.com sshd 55555 ID47 [a k="[x] \\"y\\""][b@1 z="1"] \uFEFFmsg here',
      years(),
    );
    expect(r).toEqual({
      ok: true,
      header: {
        format: 'rfc5424',
        ts: Date.UTC(2019, 6, 8, 21, 40, 17, 954),
        facility: 4,
        severity: 6,
        host: 'host.example.com',
        program: 'sshd',
        pid: 55555,
        msgId: 'ID47',
        message: 'msg here',
      },
    });
    const nil = parseSyslogHeader('<13>1 2026-11-22T00:00:00Z - - - - -', years());
    expect(nil).toEqual({
      ok: true,
      header: { format: 'rfc5424', ts: Date.UTC(2026, 10, 22), facility: 1, severity: 5, message: '' },
    });
  });

  it('says why a header is bad', () => {
    expect(parseSyslogHeader('<1a>Nov 22 04:51:47 h p: x', years())).toEqual({
      ok: false,
      reason: 'malformed syslog <PRI>',
    });
    expect(parseSyslogHeader('<13>1 - h p - - - x', years())).toEqual({
      ok: false,
      reason: 'bad RFC 5424 timestamp',
    });
    expect(parseSyslogHeader('<13>1 2026-11-22T00:00:00Z h p', years())).toEqual({
      ok: false,
      reason: 'truncated RFC 5424 header',
    });
    expect(parseSyslogHeader('<13>1 2026-11-22T00:00:00Z h p - - [a k="v" x', years())).toEqual({
      ok: false,
      reason: 'malformed RFC 5424 structured data',
    });
    expect(parseSyslogHeader('hello', years())).toEqual({ ok: false, reason: 'no syslog timestamp' });
  });
});
