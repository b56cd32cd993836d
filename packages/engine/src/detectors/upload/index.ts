import type { DetectorFactory } from '../detector.js';

/** Placeholder until the upload detector lands: reports nothing. */
export const createUploadDetector: DetectorFactory = () => ({ class: 'upload', rules: [], kinds: 0 });
