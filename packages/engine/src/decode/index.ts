import { urlDecode, urlDecodeFixpoint } from './url-decode.js';
import { htmlEntityDecode } from './html-entity-decode.js';
import { jsDecode, cssDecode } from './js-decode.js';
import {
  removeNulls,
  nfkc,
  lowercase,
  compressWhitespace,
  sqlCommentRemove,
  pathNormalize,
  cmdLineNormalize,
  base64Decode,
} from './text-decoders.js';

export * from './url-decode.js';
export * from './html-entity-decode.js';
export * from './js-decode.js';
export * from './text-decoders.js';

/** A decoder is pure and returns its input itself (same reference) when it changed nothing. */
export type Decoder = (input: string) => string;

/** The decoders by name, as they appear in a finding's `decoded_by`. */
export const DECODERS = Object.freeze({
  urlDecode,
  urlDecodeFixpoint: (s: string) => urlDecodeFixpoint(s),
  htmlEntityDecode,
  jsDecode,
  cssDecode,
  removeNulls,
  nfkc,
  lowercase,
  compressWhitespace,
  sqlCommentRemove,
  pathNormalize,
  cmdLineNormalize,
  base64Decode,
} satisfies Record<string, Decoder>);

export type DecoderName = keyof typeof DECODERS;

/** Runs one decoder by name and says whether it changed the input (Coraza's `(string, bool)`). */
export function applyDecoder(name: DecoderName, input: string): { value: string; changed: boolean } {
  const value = DECODERS[name](input);
  return { value, changed: value !== input };
}
