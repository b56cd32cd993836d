import type { DetectorFactory } from '../detector.js';

/** Placeholder until the ssti detector lands: reports nothing. */
export const createSstiDetector: DetectorFactory = () => ({ class: 'ssti', rules: [], kinds: 0 });
