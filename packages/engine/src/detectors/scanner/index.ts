import type { DetectorFactory } from '../detector.js';

/** Placeholder until the scanner detector lands: reports nothing. */
export const createScannerDetector: DetectorFactory = () => ({ class: 'scanner', rules: [], kinds: 0 });
