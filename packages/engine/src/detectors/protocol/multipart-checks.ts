import type { Reporter } from '../detector.js';
import { snippet } from '../detector.js';
import type { ParsedRequest } from '../../request/parse-request.js';
import { parseMultipart } from '../../request/multipart.js';
import { charsetClass, isPlainFieldCharset, normCharset } from './charsets.js';
import { paramValues, parseHeaderParams } from './params.js';

// Identity transfer encodings; anything else (quoted-printable, base64) hides the content from a
// filter while some parsers (Go's mime/multipart, mail-based ones) decode it (CRS 922120).
const IDENTITY_CTE = new Set(['7bit', '8bit', 'binary']);
const WINDOWS_PATH = /^(?:[a-z]:\\|\\\\)/i;
const FORM_DATA_DISPOSITION = /content-disposition[ \t]*:[ \t]*form-data/i;

/**
 * Multipart/form-data smuggling (CRS 920120/920121, 922100-922120, ModSecurity's MULTIPART_STRICT
 * checks): field names and file names carrying the header's own syntax (`"`, `;`, `=`), folded or
 * duplicated part headers, duplicate `name`/`filename` parameters, parts hidden in the preamble or
 * epilogue, transfer encodings and charsets that a filter does not read like the back end.
 *
 * Decisions: an apostrophe in a file name (`John's CV.pdf`) is ordinary; a text field with a legacy
 * national charset (Shift_JIS from a Java client) is only `high`; UTF-7/UTF-16/32/EBCDIC are critical.
 */
export function checkMultipart(req: ParsedRequest, boundary: string, report: Reporter): void {
  const body = req.body;
  const delim = `--${boundary}`;
  const first = body.indexOf(delim);
  if (first < 0) return;
  if (first > 0 && FORM_DATA_DISPOSITION.test(body.slice(0, first)))
    report.request('protocol.multipart_smuggling', 'body', 'part headers before the first boundary');
  const close = body.indexOf(`${delim}--`, first);
  if (close >= 0 && FORM_DATA_DISPOSITION.test(body.slice(close + delim.length + 2)))
    report.request('protocol.multipart_smuggling', 'body', 'part after the closing boundary');

  const { parts } = parseMultipart(body, boundary, 256);
  let reported = 0;
  const once = (rule: string, loc: string, ev: string): void => {
    if (reported++ < 8) report.request(rule, loc, ev);
  };
  for (const p of parts) {
    const head = p.head;
    if (head === undefined) continue;
    const loc = `body.multipart:${(p.name ?? '').slice(0, 60)}`;
    if (head.indexOf('\u0000') >= 0) once('protocol.multipart_smuggling', loc, 'NUL in part headers');
    const lines = head.split(/\r?\n/);
    let dispositions = 0;
    let types = 0;
    let isFile = false;
    for (let k = 0; k < lines.length; k++) {
      const line = lines[k]!;
      if (line === '') continue;
      const c0 = line.charCodeAt(0);
      if (k > 0 && (c0 === 32 || c0 === 9)) {
        once('protocol.multipart_smuggling', loc, `folded part header: ${JSON.stringify(line.slice(0, 60))}`);
        continue;
      }
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const hn = line.slice(0, colon).trim().toLowerCase();
      const hv = line.slice(colon + 1).trim();
      if (hn === 'content-disposition') {
        dispositions++;
        const h = parseHeaderParams(hv);
        if (!h.clean)
          once('protocol.multipart_smuggling', loc, `text after a quoted parameter: ${hv.slice(0, 100)}`);
        const names = paramValues(h, 'name');
        const files = paramValues(h, 'filename');
        for (const prm of h.params) {
          // `name="cv.p\d\f"`, `filename="1.j\s\p"`: a back end that resolves the quoted-pair
          // reads `1.jsp`. Old IE sends full Windows paths (`C:\\dir\\a.txt`) as file names, so a
          // backslash in a file name only counts after its last dot (inside the extension).
          const bs = prm.raw.indexOf('\\');
          if (bs < 0) continue;
          if (
            (prm.name === 'name' && /\\[^"\\]/.test(prm.raw)) ||
            (prm.name === 'filename' &&
              prm.raw.lastIndexOf('\\') > prm.raw.lastIndexOf('.') &&
              prm.raw.indexOf('.') >= 0 &&
              !WINDOWS_PATH.test(prm.raw))
          )
            once('protocol.multipart_name', loc, `backslash escape in ${prm.name}: ${prm.raw.slice(0, 80)}`);
        }
        if (names.length > 1 || files.length > 1)
          once('protocol.multipart_smuggling', loc, `duplicate parameter: ${hv.slice(0, 100)}`);
        if (files.length > 0) isFile = true;
        for (const n of names)
          if (/["';=\r\n\u0000]/.test(stripEntities(n)))
            once('protocol.multipart_name', loc, `field name ${JSON.stringify(n.slice(0, 80))}`);
        for (const f of files)
          if (/[";=\r\n\u0000]/.test(stripEntities(f)))
            once('protocol.multipart_name', loc, `file name ${JSON.stringify(f.slice(0, 80))}`);
      } else if (hn === 'content-type') {
        types++;
        const h = parseHeaderParams(hv);
        const cs = paramValues(h, 'charset');
        if (cs.length > 1) once('protocol.content_type_confusion', loc, `part charsets: ${cs.join(', ')}`);
        for (const c of cs) {
          const cls = charsetClass(c, true);
          if (cls === 'evasive') once('protocol.multipart_charset', loc, `part charset ${normCharset(c)}`);
        }
        // Checked after the disposition: browsers send no Content-Type for text fields at all.
        if (cs.length > 0 && !/filename/i.test(head) && !cs.every(isPlainFieldCharset)) {
          const c = cs.find((x) => !isPlainFieldCharset(x))!;
          if (charsetClass(c, true) !== 'evasive')
            once('protocol.multipart_charset_unusual', loc, `text field charset ${normCharset(c)}`);
        }
      } else if (hn === 'content-transfer-encoding') {
        const te = hv.toLowerCase();
        if (!IDENTITY_CTE.has(te))
          once('protocol.multipart_cte', loc, `Content-Transfer-Encoding: ${hv.slice(0, 40)}`);
      }
    }
    if (dispositions > 1 || types > 1) once('protocol.multipart_smuggling', loc, 'repeated part header');
    if (!isFile && (p.name ?? '').toLowerCase() === '_charset_') {
      const c = p.content.trim();
      if (charsetClass(c, true) === 'evasive')
        once('protocol.multipart_charset', loc, `_charset_=${snippet(c, 0, 0, 40)}`);
    }
  }
}

/**
 * Browsers send characters outside the form's charset as HTML entities (`&auml;`, `&#1234;`): their
 * `;` is not syntax (CRS 920120 exempts them too).
 */
function stripEntities(s: string): string {
  return s.indexOf('&') < 0 ? s : s.replace(/&(?:[a-z]{2,8}|#\d{1,7}|#x[0-9a-f]{1,6});/gi, '');
}
