import type { DetectorFactory } from '../detector.js';

/** Placeholder until the log4shell detector lands: reports nothing. */
export const createLog4shellDetector: DetectorFactory = () => ({ class: 'log4shell', rules: [], kinds: 0 });
