import type { DetectorFactory } from '../detector.js';

/** Placeholder until the xss detector lands: reports nothing. */
export const createXssDetector: DetectorFactory = () => ({ class: 'xss', rules: [], kinds: 0 });
