import type { DetectorFactory } from '../detector.js';

/** Placeholder until the cmdi detector lands: reports nothing. */
export const createCmdiDetector: DetectorFactory = () => ({ class: 'cmdi', rules: [], kinds: 0 });
