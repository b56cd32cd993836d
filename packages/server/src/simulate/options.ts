/**
 * The simulator's options, checked strictly and frozen (STYLE.md #2). Load is bounded: rate, duration,
 * concurrency, request count and timeout each have a ceiling, and the target must be a loopback
 * address unless the caller says `allowRemote` — a simulator must not become a flood tool by accident.
 */
import { CidrSet } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { DEFAULT_MIX, checkMix, parseMix, type Mix } from './traffic-source.js';
import { SCENARIOS, type ScenarioName } from './sim-request.js';

export const MAX_RATE_PER_SEC = 5000;
export const MAX_DURATION_SECS = 3600;
export const MAX_CONCURRENCY = 512;
export const MAX_TIMEOUT_MS = 60_000;
/** Latency samples kept (reservoir): percentiles stay exact below it and bounded in memory above. */
export const LATENCY_RESERVOIR = 100_000;

export interface SimulatorOptions {
  /** Base URL of the target, `http://127.0.0.1:8080` (a path is a prefix). */
  target: string;
  /** Requests started per second (open loop). Default 50; at most 5000. */
  ratePerSec?: number;
  /** How long to send. Default 10; at most 3600. */
  durationSecs?: number;
  /** Requests in flight at most; a due request past it is skipped and counted. Default 64; at most 512. */
  concurrency?: number;
  /** Stop after this many requests (before the duration ends). */
  maxRequests?: number;
  /** Seed of the request sequence. Default 1. */
  seed?: number;
  /** Kind weights, or their text form `normal:1,signature:1`. Default normal:1,signature:1,obfuscated:1. */
  mix?: Mix | string;
  /** Adds the `scenario` kind (with the weight of all others together unless the mix names it). */
  scenario?: ScenarioName;
  /** Permit a target that is not loopback. Default false. */
  allowRemote?: boolean;
  /** Per-request timeout. Default 10 000; at most 60 000. */
  timeoutMs?: number;
}

export interface ResolvedSimulatorOptions {
  readonly target: URL;
  readonly ratePerSec: number;
  readonly durationSecs: number;
  readonly concurrency: number;
  readonly maxRequests: number;
  readonly seed: number;
  readonly mix: Mix;
  readonly scenario: ScenarioName | undefined;
  readonly allowRemote: boolean;
  readonly timeoutMs: number;
}

function fail(message: string, option: string): never {
  throw new PalisadeError('PAL_ERR_CLI_USAGE', message, { option });
}

function num(option: string, v: unknown, def: number, min: number, max: number, integer: boolean): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
    fail(
      `${option}: expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${String(v)}`,
      option,
    );
  return v;
}

const LOOPBACK = new CidrSet();
LOOPBACK.add('127.0.0.0/8');
LOOPBACK.add('::1/128');

/** True for `localhost` (and `*.localhost`, RFC 6761), 127.0.0.0/8 and ::1 (also IPv4-mapped). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return LOOPBACK.has(h);
}

/** Checks the options and freezes them; throws PAL_ERR_CLI_USAGE naming the bad one. */
export function resolveSimulatorOptions(o: SimulatorOptions): ResolvedSimulatorOptions {
  if (typeof o !== 'object' || o === null) fail('options: expected an object', 'options');
  let target: URL;
  try {
    target = new URL(o.target);
  } catch {
    fail(`--target: not a URL: ${String(o.target)}`, 'target');
  }
  if (target.protocol !== 'http:') fail('--target: expected an http:// URL', 'target');
  if (target.username || target.password)
    fail('--target: credentials in the URL are not supported', 'target');
  if (target.search || target.hash) fail('--target: a query or fragment is not allowed', 'target');
  const allowRemote = o.allowRemote === true;
  if (!allowRemote && !isLoopbackHost(target.hostname))
    fail(
      `--target: ${target.hostname} is not a loopback address (127.0.0.0/8, ::1, localhost); pass --allow-remote to simulate against a host you are allowed to test`,
      'target',
    );
  const ratePerSec = num('--rate', o.ratePerSec, 50, 0.1, MAX_RATE_PER_SEC, false);
  const durationSecs = num('--duration', o.durationSecs, 10, 0.1, MAX_DURATION_SECS, false);
  const concurrency = num('--concurrency', o.concurrency, 64, 1, MAX_CONCURRENCY, true);
  const planned = Math.ceil(ratePerSec * durationSecs);
  const maxRequests = num(
    '--requests',
    o.maxRequests,
    planned,
    1,
    MAX_RATE_PER_SEC * MAX_DURATION_SECS,
    true,
  );
  const seed = num('--seed', o.seed, 1, 0, 0xffffffff, true);
  const timeoutMs = num('--timeout', o.timeoutMs, 10_000, 100, MAX_TIMEOUT_MS, true);
  if (o.scenario !== undefined && !SCENARIOS.includes(o.scenario))
    fail(`--scenario: expected one of ${SCENARIOS.join(', ')}, got ${String(o.scenario)}`, 'scenario');
  let mix = o.mix === undefined ? DEFAULT_MIX : typeof o.mix === 'string' ? parseMix(o.mix) : checkMix(o.mix);
  if (o.scenario !== undefined && mix.scenario === undefined) {
    // The scenario takes half the traffic unless the mix says otherwise.
    const others = Object.values(mix).reduce((a, b) => a + (b ?? 0), 0);
    mix = checkMix({ ...mix, scenario: Math.min(others, 1000) });
  }
  if ((mix.scenario ?? 0) > 0 && o.scenario === undefined)
    fail('--mix: the scenario kind needs --scenario bruteforce|stuffing|spraying|ddos|scan', 'mix');
  return Object.freeze({
    target,
    ratePerSec,
    durationSecs,
    concurrency,
    maxRequests,
    seed,
    mix,
    scenario: o.scenario,
    allowRemote,
    timeoutMs,
  });
}
