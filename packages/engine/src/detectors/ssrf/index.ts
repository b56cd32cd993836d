import type { DetectorFactory } from '../detector.js';

/** Placeholder until the ssrf detector lands: reports nothing. */
export const createSsrfDetector: DetectorFactory = () => ({ class: 'ssrf', rules: [], kinds: 0 });
