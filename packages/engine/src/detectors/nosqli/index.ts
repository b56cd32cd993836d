import type { DetectorFactory } from '../detector.js';

/** Placeholder until the nosqli detector lands: reports nothing. */
export const createNosqliDetector: DetectorFactory = () => ({ class: 'nosqli', rules: [], kinds: 0 });
