import type { AttackClass } from '../types.js';
import type { DetectorFactory } from './detector.js';
import { createSqliDetector } from './sqli/index.js';
import { createXssDetector } from './xss/index.js';
import { createTraversalDetector } from './traversal/index.js';
import { createRfiDetector } from './rfi/index.js';
import { createCmdiDetector } from './cmdi/index.js';
import { createSsrfDetector } from './ssrf/index.js';
import { createSstiDetector } from './ssti/index.js';
import { createXxeDetector } from './xxe/index.js';
import { createNosqliDetector } from './nosqli/index.js';
import { createCrlfDetector } from './crlf/index.js';
import { createLog4shellDetector } from './log4shell/index.js';
import { createLdapiDetector } from './ldapi/index.js';
import { createPrototypePollutionDetector } from './prototype-pollution/index.js';
import { createDeserializationDetector } from './deserialization/index.js';
import { createCodeInjectionDetector } from './code-injection/index.js';
import { createUploadDetector } from './upload/index.js';
import { createScannerDetector } from './scanner/index.js';
import { createSensitiveFileDetector } from './sensitive-file/index.js';
import { createCsrfDetector } from './csrf/index.js';
import { createProtocolDetector } from './protocol/index.js';

/**
 * Every detector, by class. A new detector is a folder `detectors/<class>/` exporting a factory,
 * and one line here.
 */
export const DETECTORS: Readonly<Partial<Record<AttackClass, DetectorFactory>>> = Object.freeze({
  sqli: createSqliDetector,
  xss: createXssDetector,
  traversal: createTraversalDetector,
  rfi: createRfiDetector,
  cmdi: createCmdiDetector,
  ssrf: createSsrfDetector,
  ssti: createSstiDetector,
  xxe: createXxeDetector,
  nosqli: createNosqliDetector,
  crlf: createCrlfDetector,
  log4shell: createLog4shellDetector,
  ldapi: createLdapiDetector,
  prototype_pollution: createPrototypePollutionDetector,
  deserialization: createDeserializationDetector,
  code_injection: createCodeInjectionDetector,
  upload: createUploadDetector,
  scanner: createScannerDetector,
  sensitive_file: createSensitiveFileDetector,
  csrf: createCsrfDetector,
  protocol: createProtocolDetector,
});
