import type { DetectorFactory } from '../detector.js';

/** Placeholder until the traversal detector lands: reports nothing. */
export const createTraversalDetector: DetectorFactory = () => ({ class: 'traversal', rules: [], kinds: 0 });
