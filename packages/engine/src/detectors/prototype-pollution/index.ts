import { ruleDefiner, type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import type { ParsedRequest } from '../../request/parse-request.js';
import { ARGS, Kind, type Value } from '../../value.js';

const r = ruleDefiner('prototype_pollution');

/**
 * Prototype pollution: `__proto__` or `constructor` → `prototype` used as a path segment, in a
 * parameter name (`__proto__[isAdmin]=1`, `a[constructor][prototype][x]=1`, `__proto__.x=1`), a JSON
 * key (`{"__proto__": {...}}`), or a value an application uses as a property path
 * (`path=__proto__.polluted`). The word "constructor" alone, or `proto=https`, is no segment.
 */
const RULES: readonly RuleDef[] = [
  r('key', 'critical', 0.95, '__proto__ or constructor.prototype as a parameter name or JSON key segment'),
  r('path_value', 'critical', 0.85, '__proto__ or constructor.prototype path inside a value'),
];

// A separator before and after the segment: `.`, `[`, `]`, quotes, `:` (React flight refs), `/`.
const PROTO_SEGMENT = /(?:^|[.[\]'"`:/\s{,=])__proto__(?:$|[.[\]'"`:/\s=])/;
// Matched after whitespace and quotes are removed: `["constructor"]["prototype"]` → `[constructor][prototype]`.
const CTOR_PROTO = /(?:^|[.[\]:/{,=])constructor(?:\]\[|\[|\.|:\{|:)(?:prototype|constructor)\b/;
const JSON_PROTO_KEY = /"__proto__"\s*:|"constructor"\s*:\s*\{\s*"prototype"\s*:/;

/** Creates the prototype_pollution detector. */
export const createPrototypePollutionDetector: DetectorFactory = () => {
  const kinds = ARGS | Kind.header | Kind.bodyRaw;

  function inspectValue(v: Value, report: Reporter): void {
    // Names made of word characters and dots (`__proto__.x`) reach us only as the argument's name.
    if (
      (v.kind & (Kind.arg | Kind.cookie)) !== 0 &&
      v.name.length >= 9 &&
      v.name !== v.raw &&
      /^[\w.$-]*$/.test(v.name) &&
      hasSegment(v.name.toLowerCase())
    ) {
      report.value('prototype_pollution.key', v, 'raw', snippet(v.name, v.name.indexOf('_'), 20, 120));
    }
    const raw = v.raw;
    if (raw.length < 9) return;
    // cheap prefilter: both words need `proto` or `constructor` (escapes decode in the views)
    if (
      raw.indexOf('proto') < 0 &&
      raw.indexOf('\\') < 0 &&
      raw.indexOf('%') < 0 &&
      raw.indexOf('&') < 0 &&
      raw.indexOf('onstructor') < 0
    )
      return;
    const lower = v.view('lower');
    if (lower.indexOf('proto') < 0 && lower.indexOf('constructor') < 0) return;
    if (hasSegment(lower)) {
      const isKey = v.kind === Kind.argName || v.kind === Kind.cookieName;
      const i = Math.max(lower.indexOf('__proto__'), lower.indexOf('constructor'));
      report.value(
        isKey ? 'prototype_pollution.key' : 'prototype_pollution.path_value',
        v,
        'lower',
        snippet(lower, i, 24, 120),
      );
    }
  }

  /** JSON keys made only of word characters (`__proto__`, `constructor`) are not separate values. */
  function inspectRequest(req: ParsedRequest, report: Reporter): void {
    if (req.bodyFormat !== 'json') return;
    const body = req.body;
    if (body.indexOf('proto') < 0 && body.indexOf('\\u') < 0) return;
    const m = JSON_PROTO_KEY.exec(body);
    if (m) {
      report.request('prototype_pollution.key', 'body.json', snippet(body, m.index, m[0].length, 120));
      return;
    }
    if (body.indexOf('\\u') >= 0 && body.length <= 262144) {
      // `"__pro\u0074o__"` is the same key once parsed: let the parser's own decoding speak.
      let found = '';
      try {
        JSON.parse(body, function (this: unknown, key: string, val: unknown) {
          if (key === '__proto__' || (key === 'prototype' && isCtor(this))) found = key;
          return val;
        });
      } catch {
        return;
      }
      if (found) report.request('prototype_pollution.key', 'body.json', `JSON key ${found} (escaped)`);
    }
  }

  return { class: 'prototype_pollution', rules: RULES, kinds, inspectValue, inspectRequest };
};

function hasSegment(s: string): boolean {
  return (
    (s.indexOf('__proto__') >= 0 && PROTO_SEGMENT.test(s)) ||
    (s.indexOf('constructor') >= 0 && CTOR_PROTO.test(s))
  );
}

function isCtor(_holder: unknown): boolean {
  // The reviver cannot see the parent key; `prototype` under any object is reported only with a
  // `constructor` key somewhere, which the regex pass already covers for the unescaped form.
  return false;
}
