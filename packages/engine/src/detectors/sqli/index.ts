import type { DetectorFactory } from '../detector.js';

/** Placeholder until the sqli detector lands: reports nothing. */
export const createSqliDetector: DetectorFactory = () => ({ class: 'sqli', rules: [], kinds: 0 });
