/**
 * Turns the records of one auditd event (same `audit(time:serial)`) into a ParsedLine: the first
 * record of a known type decides `type`/`kind`; EXECVE gives the command, PATH the paths, SYSCALL
 * the rule key; uid/auid come as numbers and, in the enriched form, names (used for `user`).
 */
import type { EventKind, Outcome } from '@palisade/engine';
import { MAX_MESSAGE_CHARS } from '../types.js';
import type { ParsedLine } from '../types.js';
import { auditInt, auditText, decodeHex, isHexEncoded } from './auditd-fields.js';
import type { AuditFields } from './auditd-fields.js';
import type { AuditRecord } from './auditd-record.js';

/** Longest command kept (EXECVE arguments joined). */
export const MAX_COMMAND_CHARS = 4096;
/** Most PATH names kept per event. */
export const MAX_PATHS = 32;
/** Most EXECVE arguments read. */
const MAX_ARGS = 1024;
/** auditd's "unset" login uid (-1 as u32). */
const UNSET_ID = 4294967295;

interface Mapping {
  type: string;
  kind: EventKind;
}

/** Record types that name the event, in the order they are looked for. */
const MAPPINGS = new Map<string, Mapping>([
  ['USER_LOGIN', { type: 'auth_success', kind: 'auth' }],
  ['USER_AUTH', { type: 'auth_success', kind: 'auth' }],
  ['USER_LOGOUT', { type: 'session_close', kind: 'auth' }],
  ['USER_END', { type: 'session_close', kind: 'auth' }],
  ['USER_START', { type: 'session_open', kind: 'auth' }],
  ['USER_CHAUTHTOK', { type: 'password_change', kind: 'auth' }],
  ['ADD_USER', { type: 'user_add', kind: 'system' }],
  ['DEL_USER', { type: 'user_del', kind: 'system' }],
  ['USYS_CONFIG', { type: 'config_change', kind: 'system' }],
  ['CONFIG_CHANGE', { type: 'config_change', kind: 'system' }],
  ['NETFILTER_PKT', { type: 'netfilter_packet', kind: 'network' }],
  ['EXECVE', { type: 'exec', kind: 'system' }],
]);

function outcomeOf(f: AuditFields): Outcome | undefined {
  const res = auditText(f, 'res') ?? auditText(f, 'success');
  if (res === undefined) return undefined;
  if (res === 'success' || res === 'yes' || res === '1') return 'success';
  if (res === 'failed' || res === 'fail' || res === 'failure' || res === 'no' || res === '0')
    return 'failure';
  return 'unknown';
}

/** EXECVE `a0..aN` (also split `aN_len` / `aN[i]` arguments), decoded and joined with spaces. */
function commandOf(f: AuditFields): string | undefined {
  const argc = Math.min(auditInt(f, 'argc') ?? MAX_ARGS, MAX_ARGS);
  const args: string[] = [];
  let len = 0;
  for (let i = 0; i < argc && len < MAX_COMMAND_CHARS; i++) {
    let arg = f.has(`a${i}`) ? (auditText(f, `a${i}`, true) ?? '') : undefined;
    if (arg === undefined && f.has(`a${i}_len`)) {
      let joined = '';
      for (let j = 0; j < MAX_ARGS && f.has(`a${i}[${j}]`); j++) joined += f.get(`a${i}[${j}]`) ?? '';
      arg = isHexEncoded(joined) ? decodeHex(joined) : joined.replaceAll('"', '');
    }
    if (arg === undefined) break;
    args.push(arg);
    len += arg.length + 1;
  }
  if (args.length === 0) return undefined;
  const cmd = args.join(' ');
  return cmd.length > MAX_COMMAND_CHARS ? cmd.slice(0, MAX_COMMAND_CHARS) : cmd;
}

/** A rule key; several keys are hex-encoded joined by 0x01 and come out comma-separated. */
function keyOf(f: AuditFields): string | undefined {
  return auditText(f, 'key', true)?.replaceAll('\u0001', ',');
}

function idOf(f: AuditFields, key: string): number | undefined {
  const n = auditInt(f, key);
  return n === undefined || n === UNSET_ID ? undefined : n;
}

function nameOf(names: AuditFields, key: string): string | undefined {
  const n = auditText(names, key);
  return n === 'unset' ? undefined : n;
}

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? path : path.slice(slash + 1);
}

/** Builds the ParsedLine of one event from its records (at least one). */
export function buildAuditEvent(records: readonly AuditRecord[]): ParsedLine {
  const first = records[0];
  if (first === undefined) throw new RangeError('an audit event needs a record');
  let main = first;
  let mapping: Mapping | undefined;
  let syscall: AuditRecord | undefined;
  let execve: AuditRecord | undefined;
  let proctitle: AuditRecord | undefined;
  const paths: string[] = [];
  const types: string[] = [];
  for (const r of records) {
    types.push(r.type);
    const m = MAPPINGS.get(r.type);
    if (m !== undefined && mapping === undefined) {
      mapping = m;
      main = r;
    }
    if (r.type === 'SYSCALL') syscall ??= r;
    else if (r.type === 'EXECVE') execve ??= r;
    else if (r.type === 'PROCTITLE') proctitle ??= r;
    else if (r.type === 'PATH' && paths.length < MAX_PATHS) {
      const name = auditText(r.fields, 'name', true);
      if (name !== undefined) paths.push(name);
    }
  }
  // The process facts live in SYSCALL when there is one, else in the naming record.
  const proc = syscall ?? main;
  const f = main.fields;
  const outcome = outcomeOf(syscall !== undefined && main === execve ? syscall.fields : f);
  let type = mapping?.type ?? 'other';
  if ((type === 'auth_success' || type === 'auth_failure') && outcome === 'failure') type = 'auth_failure';
  const body = `${main.type} ${main.body}`;
  const parsed: ParsedLine = {
    ts: first.ts,
    kind: mapping?.kind ?? 'system',
    type,
    message: body.length > MAX_MESSAGE_CHARS ? body.slice(0, MAX_MESSAGE_CHARS) : body,
  };
  if (outcome !== undefined) parsed.outcome = outcome;
  const user =
    auditText(f, 'acct', true) ??
    (type === 'user_add' || type === 'user_del' ? auditText(f, 'id') : undefined) ??
    nameOf(proc.names, 'AUID') ??
    nameOf(proc.names, 'UID');
  if (user !== undefined) parsed.user = user;
  const srcIp = auditText(f, 'addr') ?? auditText(f, 'saddr');
  if (srcIp !== undefined) parsed.src_ip = srcIp;
  const dst = auditText(f, 'daddr');
  if (dst !== undefined) parsed.dst = dst;
  if (first.node !== undefined) parsed.host = first.node;
  const exe = auditText(proc.fields, 'exe', true);
  const program = auditText(proc.fields, 'comm', true) ?? (exe === undefined ? undefined : basename(exe));
  if (program !== undefined) parsed.program = program;
  const pid = auditInt(proc.fields, 'pid');
  if (pid !== undefined) parsed.pid = pid;
  const terminal = auditText(f, 'terminal') ?? auditText(proc.fields, 'tty');
  if (terminal !== undefined) parsed.terminal = terminal;

  const audit: NonNullable<ParsedLine['audit']> = { types, serial: first.serial };
  const key = (syscall === undefined ? undefined : keyOf(syscall.fields)) ?? keyOf(f);
  if (key !== undefined) audit.key = key;
  const op = auditText(f, 'op') ?? auditText(f, 'action');
  if (op !== undefined) audit.op = op;
  const table = auditText(f, 'table');
  if (table !== undefined) audit.table = table;
  const proto = auditInt(f, 'proto');
  if (proto !== undefined) audit.proto = proto;
  const uid = idOf(proc.fields, 'uid');
  if (uid !== undefined) audit.uid = uid;
  const auid = idOf(proc.fields, 'auid');
  if (auid !== undefined) audit.auid = auid;
  if (exe !== undefined) audit.exe = exe;
  const command =
    (execve === undefined ? undefined : commandOf(execve.fields)) ??
    auditText(f, 'cmd', true) ??
    (proctitle === undefined ? undefined : auditText(proctitle.fields, 'proctitle', true));
  if (command !== undefined) {
    audit.command = command.length > MAX_COMMAND_CHARS ? command.slice(0, MAX_COMMAND_CHARS) : command;
  }
  if (paths.length > 0) audit.paths = paths;
  parsed.audit = audit;
  return parsed;
}
