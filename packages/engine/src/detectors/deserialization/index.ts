import type { DetectorFactory } from '../detector.js';

/** Placeholder until the deserialization detector lands: reports nothing. */
export const createDeserializationDetector: DetectorFactory = () => ({
  class: 'deserialization',
  rules: [],
  kinds: 0,
});
