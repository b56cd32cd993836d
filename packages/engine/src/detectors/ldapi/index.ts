import type { DetectorFactory } from '../detector.js';

/** Placeholder until the ldapi detector lands: reports nothing. */
export const createLdapiDetector: DetectorFactory = () => ({ class: 'ldapi', rules: [], kinds: 0 });
