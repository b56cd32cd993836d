/** The trained request classifier: features, model file codec, scoring (pure, no I/O). */
export {
  Featurizer,
  buildDocument,
  DEFAULT_VECTORIZER,
  DENSE_FEATURES,
  FEATURE_SCHEMA_VERSION,
  type VectorizerParams,
  type RawFeatures,
  type DocSpan,
  type ExplainSink,
} from './features.js';
export {
  scoreParsed,
  explainParsed,
  tfidf,
  standardize,
  sigmoid,
  DENSE_CLIP,
  type ClassifierModel,
  type ModelMeta,
  type Explanation,
} from './model.js';
export {
  encodeModel,
  decodeModel,
  isClassifierModel,
  crc32,
  ModelFormatError,
  MODEL_FORMAT,
} from './codec.js';
