import type { DetectorFactory } from '../detector.js';

/** Placeholder until the crlf detector lands: reports nothing. */
export const createCrlfDetector: DetectorFactory = () => ({ class: 'crlf', rules: [], kinds: 0 });
