/** The traffic simulator: seeded benign, attack and scenario traffic against a (loopback) target. */
export {
  createSimulator,
  sendSimRequest,
  type Simulator,
  type SimulatorHooks,
  type SimResult,
  type SimulationSummary,
  type KindSummary,
} from './simulator.js';
export {
  resolveSimulatorOptions,
  isLoopbackHost,
  MAX_RATE_PER_SEC,
  MAX_DURATION_SECS,
  MAX_CONCURRENCY,
  type SimulatorOptions,
  type ResolvedSimulatorOptions,
} from './options.js';
export {
  createTrafficSource,
  parseMix,
  DEFAULT_MIX,
  type Mix,
  type TrafficSource,
} from './traffic-source.js';
export {
  SCENARIOS,
  TRAFFIC_KINDS,
  type ScenarioName,
  type SimRequest,
  type TrafficKind,
} from './sim-request.js';
export { OBFUSCATION_FAMILIES } from './attack-traffic.js';
export { SCAN_PATHS } from './scenarios.js';
export { runSimulate, formatSummary, SIMULATE_USAGE } from './simulate-command.js';
