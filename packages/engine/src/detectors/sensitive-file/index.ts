import type { DetectorFactory } from '../detector.js';

/** Placeholder until the sensitive_file detector lands: reports nothing. */
export const createSensitiveFileDetector: DetectorFactory = () => ({
  class: 'sensitive_file',
  rules: [],
  kinds: 0,
});
