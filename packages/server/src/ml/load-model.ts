import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodeModel, type ClassifierModel } from '@palisade/engine';

/**
 * The shipped default model: `models/default-classifier.bin` in the engine package (found through
 * the package's own location, so it works from the source tree and from an install).
 */
export const DEFAULT_MODEL_PATH = join(
  dirname(createRequire(import.meta.url).resolve('@palisade/engine')),
  '..',
  'models',
  'default-classifier.bin',
);

/** Reads and validates a model file (throws `ModelFormatError` naming what is wrong). */
export function loadModel(path: string): ClassifierModel {
  return decodeModel(new Uint8Array(readFileSync(path)));
}

/** Loads the shipped default classifier. */
export function loadDefaultModel(): ClassifierModel {
  return loadModel(DEFAULT_MODEL_PATH);
}
