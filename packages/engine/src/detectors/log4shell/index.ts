import { type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import { Flag, type Value } from '../../value.js';
import { resolveLookups } from './lookup-resolver.js';

/**
 * Log4Shell (CVE-2021-44228 and relatives). Every value of every kind (header names and values, path,
 * cookies, bodies) that holds `${` after decoding is run through a small Log4j lookup evaluator, which
 * strips the obfuscation layers; the rule then looks at what Log4j itself would look up.
 */

const RULES: readonly RuleDef[] = [
  {
    id: 'log4shell.jndi',
    version: 2, // v2: zero-padded numeric entities (&#000…123;) are read too
    severity: 'critical',
    confidence: 0.98,
    description: 'A Log4j JNDI lookup `${jndi:ldap://...}`, after resolving nested obfuscation',
  },
  {
    id: 'log4shell.obfuscated-lookup',
    version: 1,
    severity: 'high',
    confidence: 0.8,
    description: 'Nested Log4j lookups that build a name (`${${lower:x}...}`, `${::-x}`)',
  },
  {
    id: 'log4shell.data-lookup',
    version: 1,
    severity: 'high',
    confidence: 0.75,
    description: 'A Log4j lookup reading secrets or context: `${env:AWS_SECRET_ACCESS_KEY}`, `${sys:...}`',
  },
  {
    id: 'log4shell.jndi-url',
    version: 1,
    severity: 'high',
    confidence: 0.7,
    description: 'A `jndi:ldap://` style URL outside a complete lookup (truncated or split payload)',
  },
];

const JNDI_PROTOCOLS = /jndi:(?:ldaps?|rmi|dns|iiop|corba|nds|nis|https?):/;
// HTML named braces without their semicolon, and numeric ones padded with more zeros than the
// entity decoder reads (`&#0000000000123;`), survive it (`$&lbracejndi:`).
const LOOSE_BRACE = /&(?:lbrace|lcub|#0*123|#x0*7b);?/gi;
const LOOSE_CLOSE = /&(?:rbrace|rcub|#0*125|#x0*7d);?/gi;
const LOOSE_DOLLAR = /&(?:dollar|#0*36|#x0*24);?/gi;

/** Creates the Log4Shell detector. */
export const createLog4shellDetector: DetectorFactory = () => ({
  class: 'log4shell',
  rules: RULES,
  kinds: 0xfff,
  inspectValue(v: Value, report: Reporter): void {
    if (v.isPlain) return;
    let s = v.view('norm');
    let start = s.indexOf('${');
    if (start < 0) {
      if ((v.flags & Flag.dollar) === 0) return;
      const u = v.view('url');
      if (s.indexOf('&') >= 0 || u.indexOf('&#') >= 0) {
        // Read the braces (and dollar) from the URL-decoded text when the entity decoder mangled them.
        const src = s.indexOf('&') >= 0 ? s : u;
        const t = src.replace(LOOSE_BRACE, '{').replace(LOOSE_CLOSE, '}').replace(LOOSE_DOLLAR, '$');
        start = t.indexOf('${');
        if (start < 0) return;
        s = t;
      } else {
        const lower = s.toLowerCase();
        const j = lower.search(JNDI_PROTOCOLS);
        if (j >= 0) report.value('log4shell.jndi-url', v, 'norm', snippet(s, j, 12, 120));
        return;
      }
    }
    const r = resolveLookups(s.slice(start));
    if (r.jndi !== null) {
      report.value('log4shell.jndi', v, 'norm', snippet(s, start, 0, 120));
      return;
    }
    const lower = r.text.toLowerCase();
    const j = lower.indexOf('jndi:');
    if (j >= 0 && (lower.lastIndexOf('${', j) >= 0 || JNDI_PROTOCOLS.test(lower))) {
      report.value('log4shell.jndi', v, 'norm', snippet(s, start, 0, 120));
      return;
    }
    if (r.nested) report.value('log4shell.obfuscated-lookup', v, 'norm', snippet(s, start, 0, 120));
    if (r.exfil !== null) report.value('log4shell.data-lookup', v, 'norm', snippet(s, start, 0, 120));
  },
});
