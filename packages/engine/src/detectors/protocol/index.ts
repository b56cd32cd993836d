import type { DetectorFactory } from '../detector.js';

/** Placeholder until the protocol detector lands: reports nothing. */
export const createProtocolDetector: DetectorFactory = () => ({ class: 'protocol', rules: [], kinds: 0 });
