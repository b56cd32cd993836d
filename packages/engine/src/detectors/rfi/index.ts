import type { DetectorFactory } from '../detector.js';

/** Placeholder until the rfi detector lands: reports nothing. */
export const createRfiDetector: DetectorFactory = () => ({ class: 'rfi', rules: [], kinds: 0 });
