import { ruleDefiner, type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import { ARGS, Flag, Kind, type Value } from '../../value.js';

const r = ruleDefiner('xxe');

/**
 * XML external entities and their relatives, in XML bodies (the parser hands the DOCTYPE over as
 * `body.xml:!DOCTYPE`; a malformed body arrives whole as `body`) and in any argument that carries XML
 * (a form field, a JSON string, a SOAP parameter). Plain XML, SOAP envelopes without a DTD, RSS and
 * SVG with the W3C's public DTD are fine.
 */
const RULES: readonly RuleDef[] = [
  r('external_entity', 'critical', 0.95, 'ENTITY declared with SYSTEM or PUBLIC (external entity)'),
  r('parameter_entity', 'critical', 0.95, 'parameter entity declaration (<!ENTITY % ...>, out-of-band XXE)'),
  r('external_dtd', 'critical', 0.85, 'DOCTYPE loading a non-W3C external DTD'),
  r('entity_expansion', 'critical', 0.9, 'nested entity references (billion laughs)'),
  r('entity_in_input', 'critical', 0.8, 'DOCTYPE with ENTITY declarations inside a request argument'),
  r('internal_entity', 'medium', 0.5, 'internal ENTITY declaration in an XML body'),
  r('xinclude', 'critical', 0.9, 'XInclude element (xi:include href=...)'),
  r('xslt', 'critical', 0.85, 'XSLT stylesheet with file, network or extension functions'),
  r('cdata_split', 'critical', 0.85, 'markup hidden by CDATA splitting (<![CDATA[<]]>script)'),
];

// `<!ENTITY [%] name SYSTEM|PUBLIC`; names and keywords are case-insensitive for lenient parsers.
const ENTITY_DECL = /<!entity\s+(%\s*)?([^\s"'>%]+)\s*(system|public)?/g;
// Literal markers, searched with indexOf (no regex backtracking on attacker-sized input).
const XSLT_DANGER = [
  'php:function',
  'php.net/xsl',
  'document(',
  'document (',
  'unparsed-text',
  'system-property',
  'xalan://',
  'xml.apache.org/xalan/java',
  '"java:',
  "'java:",
  'urn:schemas-microsoft-com:xslt',
  'msxsl:script',
  '<xsl:include',
  '<xsl:import',
  'rt:exec',
  'runtime:exec',
];
const ENTITY_REF = /&[a-z_][\w.-]{0,40};/g;

/** Creates the xxe detector. */
export const createXxeDetector: DetectorFactory = () => {
  const kinds = ARGS | Kind.bodyRaw | Kind.header;

  function inspectValue(v: Value, report: Reporter): void {
    if (v.kind === Kind.xml) xmlBodyAttribute(v, report);
    if (v.isPlain) return;
    if ((v.flags & Flag.angle) === 0) return;
    // `norm` decodes `&#37;` (a parameter entity's `%`) and `&lt;` of XML escaped into HTML forms;
    // an UTF-16 body read as UTF-8 loses its NULs there too.
    const s = v.view('lower');
    const isXmlBody = v.kind === Kind.xml || v.kind === Kind.bodyRaw;
    const dt = s.indexOf('<!doctype');
    const en = s.indexOf('<!entity');
    if (dt >= 0 || en >= 0) {
      if (entities(v, s, isXmlBody && v.location !== 'body' ? true : isXmlBody, report)) return;
      if (dt >= 0) {
        const ext = externalDtd(s, dt);
        if (ext && !isW3cDtd(ext.kind, ext.first, ext.second)) {
          report.value('xxe.external_dtd', v, 'lower', snippet(s, dt, 120, 160));
          return;
        }
      }
    }
    if (s.indexOf('include') >= 0 && s.indexOf('href') >= 0) {
      const xi = Math.max(s.indexOf('<xi:include'), s.indexOf('w3.org/2001/xinclude'));
      if (xi >= 0) {
        report.value('xxe.xinclude', v, 'lower', snippet(s, xi, 40, 160));
        return;
      }
    }
    if (s.indexOf('w3.org/1999/xsl/transform') >= 0) {
      for (const d of XSLT_DANGER) {
        const i = s.indexOf(d);
        if (i >= 0) {
          report.value('xxe.xslt', v, 'lower', snippet(s, i, d.length, 160));
          return;
        }
      }
    }
    if (!isXmlBody && s.indexOf('<![cdata[') >= 0) {
      const at = cdataSplit(s);
      if (at >= 0) report.value('xxe.cdata_split', v, 'lower', snippet(s, at, 40, 160));
    }
  }

  /**
   * In a parsed XML body the elements themselves are no values: `<xi:include href=...>` arrives as the
   * attribute `body.xml:/r/xi:include/@href`, an XSLT call as `.../xsl:copy-of/@select`.
   */
  function xmlBodyAttribute(v: Value, report: Reporter): void {
    const loc = v.location;
    const at = loc.lastIndexOf('/@');
    if (at < 0) return;
    const el = loc.slice(loc.lastIndexOf('/', at - 1) + 1, at).toLowerCase();
    const attr = loc.slice(at + 2).toLowerCase();
    if (attr === 'href' && (el === 'xi:include' || el.endsWith(':include')))
      report.value('xxe.xinclude', v, 'raw', `<${el} href="${v.raw.slice(0, 120)}">`);
    else if (
      el.startsWith('xsl:') &&
      /\b(?:document|unparsed-text|system-property|php:function)\s*\(|\b[a-z]+:exec\s*\(/i.test(v.raw)
    )
      report.value('xxe.xslt', v, 'raw', `<${el} ${attr}="${v.raw.slice(0, 120)}">`);
    else if (el.startsWith('xsl:') && (el === 'xsl:include' || el === 'xsl:import') && attr === 'href')
      report.value('xxe.xslt', v, 'raw', `<${el} href="${v.raw.slice(0, 120)}">`);
  }

  /** Reports the worst ENTITY finding; true when one was reported. */
  function entities(v: Value, s: string, inXmlBody: boolean, report: Reporter): boolean {
    ENTITY_DECL.lastIndex = 0;
    let m: RegExpExecArray | null;
    let count = 0;
    let nested = 0;
    let first = -1;
    let guard = 0;
    while ((m = ENTITY_DECL.exec(s)) !== null && guard++ < 256) {
      count++;
      if (first < 0) first = m.index;
      if (m[1]) {
        report.value('xxe.parameter_entity', v, 'lower', snippet(s, m.index, 80, 160));
        return true;
      }
      if (m[3]) {
        report.value('xxe.external_entity', v, 'lower', snippet(s, m.index, 120, 160));
        return true;
      }
      // an internal entity whose value references other entities: expansion
      const end = s.indexOf('>', ENTITY_DECL.lastIndex);
      const decl = s.slice(ENTITY_DECL.lastIndex, end < 0 ? s.length : end);
      ENTITY_REF.lastIndex = 0;
      let refs = 0;
      while (ENTITY_REF.exec(decl) !== null && refs < 16) refs++;
      // `&#x41;`-style character references were decoded already; `&lt;` etc. are not expansions
      if (refs >= 2 || (refs >= 1 && !/&(?:lt|gt|amp|quot|apos);/.test(decl))) nested++;
    }
    if (nested >= 2 || (nested >= 1 && count >= 3)) {
      report.value('xxe.entity_expansion', v, 'lower', snippet(s, first, 120, 160));
      return true;
    }
    if (count > 0) {
      report.value(
        inXmlBody ? 'xxe.internal_entity' : 'xxe.entity_in_input',
        v,
        'lower',
        snippet(s, first, 120, 160),
      );
      return !inXmlBody;
    }
    return false;
  }

  return { class: 'xxe', rules: RULES, kinds, inspectValue };
};

/**
 * `<![CDATA[<]]>script`: a CDATA section holding only an angle bracket (or nothing) glued to markup,
 * or CDATA sections chained to split a word. Returns the index, or -1.
 */
function cdataSplit(s: string): number {
  let i = s.indexOf('<![cdata[');
  let guard = 0;
  while (i >= 0 && guard++ < 64) {
    const end = s.indexOf(']]>', i + 9);
    if (end < 0) return -1;
    const content = s.slice(i + 9, end).trim();
    let k = end + 3;
    while (
      k < s.length &&
      (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9 || s.charCodeAt(k) === 10 || s.charCodeAt(k) === 13)
    )
      k++;
    const c = s.charCodeAt(k);
    const nextIsCdata = s.startsWith('<![cdata[', k);
    if (
      (content === '' || content === '<' || content === '>') &&
      ((c >= 97 && c <= 122) || c === 47 || nextIsCdata)
    )
      return i;
    if (content.length <= 40 && nextIsCdata) return i;
    i = s.indexOf('<![cdata[', end + 3);
  }
  return -1;
}

/** `<!doctype name system "uri">` / `public "id" "uri"`, parsed by hand from `at`. */
function externalDtd(s: string, at: number): { kind: string; first: string; second?: string } | null {
  const toks: string[] = [];
  let i = at + 9;
  const n = Math.min(s.length, at + 800);
  while (i < n && toks.length < 4) {
    while (i < n && /\s/.test(s[i]!)) i++;
    const c = s[i];
    if (c === undefined || c === '[' || c === '>') break;
    if (c === '"' || c === "'") {
      const e = s.indexOf(c, i + 1);
      if (e < 0) break;
      toks.push(s.slice(i, e + 1));
      i = e + 1;
    } else {
      const st = i;
      while (i < n && !/[\s[>"']/.test(s[i]!)) i++;
      toks.push(s.slice(st, i));
    }
  }
  const kind = toks[1];
  if (kind !== 'system' && kind !== 'public') return null;
  const q = (t: string | undefined) => (t && (t[0] === '"' || t[0] === "'") ? t.slice(1, -1) : undefined);
  const first = q(toks[2]);
  if (first === undefined) return null;
  return { kind, first, second: q(toks[3]) };
}

/** `<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/...">` and kin are benign. */
function isW3cDtd(kind: string, first: string, second: string | undefined): boolean {
  const uri = kind === 'public' ? (second ?? '') : first;
  if (kind === 'public' && second === undefined) return true; // public id only, nothing to fetch
  return (
    /^https?:\/\/(?:www\.)?w3\.org\//.test(uri) ||
    /^https?:\/\/(?:www\.)?(?:w3c|oasis-open|docbook)\.org\//.test(uri)
  );
}
