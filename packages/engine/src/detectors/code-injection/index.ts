import type { DetectorFactory } from '../detector.js';

/** Placeholder until the code_injection detector lands: reports nothing. */
export const createCodeInjectionDetector: DetectorFactory = () => ({
  class: 'code_injection',
  rules: [],
  kinds: 0,
});
