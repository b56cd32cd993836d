import type { DetectorFactory } from '../detector.js';

/** Placeholder until the prototype_pollution detector lands: reports nothing. */
export const createPrototypePollutionDetector: DetectorFactory = () => ({
  class: 'prototype_pollution',
  rules: [],
  kinds: 0,
});
