/**
 * The configuration tests run the pipeline with: everything in `dir` (database, keys, secrets), no
 * environment, and no GeoIP/ASN tables (they take a second to load and play no part in most tests).
 */
import { loadConfig, type ServerConfig } from './config.js';

export function testConfig(dir: string): ServerConfig {
  const config = loadConfig({ cwd: dir, env: {}, flags: { data_dir: dir } });
  config.enrich.geo = false;
  config.enrich.asn = false;
  return config;
}
