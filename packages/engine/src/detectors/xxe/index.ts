import type { DetectorFactory } from '../detector.js';

/** Placeholder until the xxe detector lands: reports nothing. */
export const createXxeDetector: DetectorFactory = () => ({ class: 'xxe', rules: [], kinds: 0 });
