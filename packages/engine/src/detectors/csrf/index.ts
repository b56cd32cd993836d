import type { DetectorFactory } from '../detector.js';

/** Placeholder until the csrf detector lands: reports nothing. */
export const createCsrfDetector: DetectorFactory = () => ({ class: 'csrf', rules: [], kinds: 0 });
