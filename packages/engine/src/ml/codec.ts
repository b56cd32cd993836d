import { DENSE_FEATURES, FEATURE_SCHEMA_VERSION, type VectorizerParams } from './features.js';
import type { ClassifierModel, ModelMeta } from './model.js';

/**
 * Model file format 1 (little endian):
 *   0  "PALMODEL"            magic
 *   8  u16 format (1), u16 0
 *  12  u32 header length H (ASCII JSON: schema, vectorizer, quantisation, thresholds, meta)
 *  16  header
 *      u8  idf[2^hashBits]    idf = min + q * (max - min) / 255
 *      i16 weights[2^hashBits] w = q * scale
 *      f32 dense mean[D], std[D], weights[D]
 *      u32 CRC-32 of every byte before it
 */
export const MODEL_FORMAT = 1;
const MAGIC = 'PALMODEL';
const MAX_HEADER_BYTES = 1 << 20;

/** A model file that cannot be used; the message says what is wrong with it. */
export class ModelFormatError extends Error {
  readonly code = 'PAL_ERR_ENGINE_MODEL';
  constructor(message: string) {
    super(`invalid model file: ${message}`);
    this.name = 'ModelFormatError';
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE) of `bytes`. */
export function crc32(bytes: Uint8Array, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = 0; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Header {
  kind: 'palisade-classifier';
  name: string;
  feature_schema: { version: number; dense: string[] };
  vectorizer: VectorizerParams;
  idf: { min: number; max: number };
  weights: { scale: number };
  bias: number;
  thresholds: { log: number; block: number };
  meta: ModelMeta;
}

function asciiJson(x: unknown): string {
  return JSON.stringify(x).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Serialises a model (quantising idf to 8 bits and weights to 16 bits). `name` is kept in the id. */
export function encodeModel(model: Omit<ClassifierModel, 'id' | 'kind'>, name: string): Uint8Array {
  const dim = 1 << model.vectorizer.hashBits;
  if (model.idf.length !== dim || model.weights.length !== dim)
    throw new Error('idf/weights length != 2^hashBits');
  let idfMin = Infinity;
  let idfMax = -Infinity;
  let wMax = 0;
  for (let i = 0; i < dim; i++) {
    idfMin = Math.min(idfMin, model.idf[i]!);
    idfMax = Math.max(idfMax, model.idf[i]!);
    wMax = Math.max(wMax, Math.abs(model.weights[i]!));
  }
  if (idfMax === idfMin) idfMax = idfMin + 1;
  const scale = wMax > 0 ? wMax / 32767 : 1;
  const header: Header = {
    kind: 'palisade-classifier',
    name,
    feature_schema: { version: FEATURE_SCHEMA_VERSION, dense: [...model.denseNames] },
    vectorizer: { ...model.vectorizer },
    idf: { min: idfMin, max: idfMax },
    weights: { scale },
    bias: model.bias,
    thresholds: { log: model.thresholds.log, block: model.thresholds.block },
    meta: model.meta,
  };
  const h = asciiJson(header);
  const D = model.denseNames.length;
  const total = 16 + h.length + dim + 2 * dim + 12 * D + 4;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  dv.setUint16(8, MODEL_FORMAT, true);
  dv.setUint32(12, h.length, true);
  for (let i = 0; i < h.length; i++) out[16 + i] = h.charCodeAt(i);
  let o = 16 + h.length;
  const span = idfMax - idfMin;
  for (let i = 0; i < dim; i++) out[o++] = Math.round(((model.idf[i]! - idfMin) / span) * 255);
  for (let i = 0; i < dim; i++, o += 2) dv.setInt16(o, Math.round(model.weights[i]! / scale), true);
  for (const arr of [model.denseMean, model.denseStd, model.denseWeights])
    for (let k = 0; k < D; k++, o += 4) dv.setFloat32(o, arr[k]!, true);
  dv.setUint32(o, crc32(out, o), true);
  return out;
}

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const fin = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
function int(x: unknown, field: string, lo: number, hi: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi)
    throw new ModelFormatError(`${field} must be an integer in [${lo}, ${hi}], got ${JSON.stringify(x)}`);
  return x;
}

/**
 * Reads and strictly validates a model file. Throws `ModelFormatError` naming the first problem
 * (magic, format, header field, size, checksum, feature schema).
 */
export function decodeModel(bytes: Uint8Array): ClassifierModel {
  if (!(bytes instanceof Uint8Array)) throw new ModelFormatError('expected bytes (Uint8Array)');
  if (bytes.length < 20) throw new ModelFormatError(`file of ${bytes.length} bytes is too short`);
  for (let i = 0; i < 8; i++)
    if (bytes[i] !== MAGIC.charCodeAt(i)) throw new ModelFormatError('bad magic (not a Palisade model file)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = dv.getUint16(8, true);
  if (format !== MODEL_FORMAT)
    throw new ModelFormatError(`format ${format} is not supported (expected ${MODEL_FORMAT})`);
  const hLen = dv.getUint32(12, true);
  if (hLen > MAX_HEADER_BYTES || 16 + hLen > bytes.length)
    throw new ModelFormatError(`header length ${hLen} exceeds the file or ${MAX_HEADER_BYTES} bytes`);
  const stored = dv.getUint32(bytes.length - 4, true);
  const actual = crc32(bytes, bytes.length - 4);
  if (stored !== actual)
    throw new ModelFormatError(
      `checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)}): file is corrupt or truncated`,
    );
  let text = '';
  for (let i = 16; i < 16 + hLen; i++) {
    const b = bytes[i]!;
    if (b > 127) throw new ModelFormatError(`header byte ${i} is not ASCII`);
    text += String.fromCharCode(b);
  }
  let h: unknown;
  try {
    h = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(`header is not JSON: ${(e as Error).message}`);
  }
  if (!isObj(h)) throw new ModelFormatError('header is not an object');
  if (h.kind !== 'palisade-classifier')
    throw new ModelFormatError(`header.kind must be "palisade-classifier"`);
  if (typeof h.name !== 'string' || !/^[\w.-]{1,64}$/.test(h.name))
    throw new ModelFormatError('header.name must match [A-Za-z0-9_.-]{1,64}');
  const fs = h.feature_schema;
  if (!isObj(fs)) throw new ModelFormatError('header.feature_schema missing');
  if (fs.version !== FEATURE_SCHEMA_VERSION)
    throw new ModelFormatError(
      `feature_schema.version ${JSON.stringify(fs.version)} != this engine's ${FEATURE_SCHEMA_VERSION}`,
    );
  if (
    !Array.isArray(fs.dense) ||
    fs.dense.length !== DENSE_FEATURES.length ||
    fs.dense.some((n, i) => n !== DENSE_FEATURES[i])
  )
    throw new ModelFormatError("feature_schema.dense differs from this engine's dense features");
  const vz = h.vectorizer;
  if (!isObj(vz)) throw new ModelFormatError('header.vectorizer missing');
  const vectorizer: VectorizerParams = Object.freeze({
    hashBits: int(vz.hashBits, 'vectorizer.hashBits', 10, 24),
    ngramMin: int(vz.ngramMin, 'vectorizer.ngramMin', 1, 8),
    ngramMax: int(vz.ngramMax, 'vectorizer.ngramMax', 1, 8),
    maxDocChars: int(vz.maxDocChars, 'vectorizer.maxDocChars', 16, 65536),
    maxValueChars: int(vz.maxValueChars, 'vectorizer.maxValueChars', 16, 65536),
  });
  if (vectorizer.ngramMin > vectorizer.ngramMax) throw new ModelFormatError('vectorizer.ngramMin > ngramMax');
  const idfQ = h.idf;
  if (!isObj(idfQ) || !fin(idfQ.min) || !fin(idfQ.max) || !(idfQ.max > idfQ.min))
    throw new ModelFormatError('header.idf must be {min, max} with max > min');
  const wq = h.weights;
  if (!isObj(wq) || !fin(wq.scale) || !(wq.scale > 0))
    throw new ModelFormatError('header.weights.scale must be > 0');
  if (!fin(h.bias)) throw new ModelFormatError('header.bias must be a finite number');
  const th = h.thresholds;
  if (!isObj(th) || !fin(th.log) || !fin(th.block) || !(th.log > 0 && th.log <= th.block && th.block < 1))
    throw new ModelFormatError('header.thresholds must satisfy 0 < log <= block < 1');
  const meta = h.meta;
  if (
    !isObj(meta) ||
    typeof meta.training_data_sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(meta.training_data_sha256)
  )
    throw new ModelFormatError('header.meta.training_data_sha256 must be 64 hex digits');

  const dim = 1 << vectorizer.hashBits;
  const D = DENSE_FEATURES.length;
  const expected = 16 + hLen + dim + 2 * dim + 12 * D + 4;
  if (bytes.length !== expected)
    throw new ModelFormatError(
      `file is ${bytes.length} bytes, expected ${expected} for hashBits ${vectorizer.hashBits}`,
    );
  let o = 16 + hLen;
  const idf = new Float32Array(dim);
  const step = (idfQ.max - idfQ.min) / 255;
  for (let i = 0; i < dim; i++) idf[i] = idfQ.min + bytes[o++]! * step;
  const weights = new Float32Array(dim);
  for (let i = 0; i < dim; i++, o += 2) weights[i] = dv.getInt16(o, true) * wq.scale;
  const dense = [new Float64Array(D), new Float64Array(D), new Float64Array(D)] as const;
  for (const arr of dense)
    for (let k = 0; k < D; k++, o += 4) {
      const x = dv.getFloat32(o, true);
      if (!Number.isFinite(x)) throw new ModelFormatError(`dense parameter ${k} is not finite`);
      arr[k] = x;
    }
  for (let k = 0; k < D; k++)
    if (!(dense[1][k]! > 0)) throw new ModelFormatError(`dense std of ${DENSE_FEATURES[k]} must be > 0`);
  return Object.freeze({
    kind: 'palisade-classifier',
    id: `${h.name}@${actual.toString(16).padStart(8, '0')}`,
    vectorizer,
    denseNames: DENSE_FEATURES,
    denseMean: dense[0],
    denseStd: dense[1],
    denseWeights: dense[2],
    idf,
    weights,
    bias: h.bias,
    thresholds: Object.freeze({ log: th.log, block: th.block }),
    meta: Object.freeze(meta as ModelMeta),
  });
}

/** True when `x` is a model object returned by `decodeModel` (used to check the engine config). */
export function isClassifierModel(x: unknown): x is ClassifierModel {
  return (
    isObj(x) &&
    x.kind === 'palisade-classifier' &&
    x.idf instanceof Float32Array &&
    x.weights instanceof Float32Array &&
    isObj(x.vectorizer) &&
    x.idf.length === 1 << (x.vectorizer.hashBits as number)
  );
}
