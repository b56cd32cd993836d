import { htmlEntityDecode } from '../decode/html-entity-decode.js';

/**
 * A small, bounded XML walker for inspection (not validation): it reports text nodes as
 * `body.xml:/a/b`, attributes as `body.xml:/a/@name`, and the DOCTYPE (with its ENTITY declarations)
 * as `body.xml:!DOCTYPE`, processing instructions as `body.xml:?pi`. Text and attribute values
 * have their character references decoded once, as an XML parser hands them to the application. The
 * result says whether the document was well-formed (`ok`), only ended early — elements or a tag left
 * open, as a document cut at the body limit does (`unclosed`) —, was not well-formed (`malformed`:
 * mismatched end tags, text outside the root), or nested deeper than `maxDepth` (`too_deep`, the walk
 * stops there).
 */
export function walkXml(
  xml: string,
  maxDepth: number,
  emit: (location: string, name: string, text: string) => void,
): XmlWalk {
  const stack: string[] = [];
  let i = 0;
  const n = xml.length;
  let ok = true;
  let cutInTag = false;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const text = xml.slice(i, textEnd);
      if (text.trim() !== '') {
        if (stack.length === 0) ok = false;
        emit(`body.xml:/${stack.join('/')}`, stack[stack.length - 1] ?? '', htmlEntityDecode(text));
      }
    }
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) {
      const e = xml.indexOf('-->', lt + 4);
      i = e < 0 ? n : e + 3;
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const e = xml.indexOf(']]>', lt + 9);
      emit(`body.xml:/${stack.join('/')}`, stack[stack.length - 1] ?? '', xml.slice(lt + 9, e < 0 ? n : e));
      i = e < 0 ? n : e + 3;
    } else if (xml.startsWith('<!', lt)) {
      // DOCTYPE with an optional internal subset in [...]
      let e = xml.indexOf('>', lt);
      const br = xml.indexOf('[', lt);
      if (br >= 0 && (e < 0 || br < e)) {
        const close = xml.indexOf(']', br);
        e = close < 0 ? -1 : xml.indexOf('>', close);
      }
      emit('body.xml:!DOCTYPE', '!DOCTYPE', xml.slice(lt, e < 0 ? n : e + 1));
      i = e < 0 ? n : e + 1;
    } else if (xml.startsWith('<?', lt)) {
      const e = xml.indexOf('?>', lt);
      const pi = xml.slice(lt, e < 0 ? n : e + 2);
      if (!/^<\?xml\s/i.test(pi)) emit('body.xml:?pi', '?pi', pi);
      i = e < 0 ? n : e + 2;
    } else {
      const e = xml.indexOf('>', lt);
      if (e < 0) {
        cutInTag = true;
        emit(`body.xml:/${stack.join('/')}`, '', xml.slice(lt));
        break;
      }
      const tag = xml.slice(lt + 1, e);
      if (tag.startsWith('/')) {
        const name = tag.slice(1).trim();
        if (stack[stack.length - 1] === name) stack.pop();
        else ok = false;
      } else {
        const selfClose = tag.endsWith('/');
        const m = /^([^\s/>]+)/.exec(tag);
        const name = m ? m[1]! : '';
        const base = `${stack.join('/')}${stack.length ? '/' : ''}${name}`;
        forEachAttribute(tag, name.length, (an, av) => {
          if (!an.startsWith('xmlns')) emit(`body.xml:/${base}/@${an}`, an, htmlEntityDecode(av));
        });
        if (!selfClose) {
          if (stack.length >= maxDepth) return 'too_deep';
          stack.push(name);
        }
      }
      i = e + 1;
    }
  }
  if (!ok) return 'malformed';
  return stack.length === 0 && !cutInTag ? 'ok' : 'unclosed';
}

export type XmlWalk = 'ok' | 'unclosed' | 'malformed' | 'too_deep';

/** Attributes `name="v"` / `name='v'` / `name=v` of a start tag, scanned in one linear pass. */
function forEachAttribute(tag: string, from: number, fn: (name: string, value: string) => void): void {
  const n = tag.length;
  let i = from;
  const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
  while (i < n) {
    while (i < n && (isSpace(tag.charCodeAt(i)) || tag.charCodeAt(i) === 47)) i++;
    const s = i;
    while (i < n && !isSpace(tag.charCodeAt(i)) && tag.charCodeAt(i) !== 61 && tag.charCodeAt(i) !== 47) i++;
    const name = tag.slice(s, i);
    while (i < n && isSpace(tag.charCodeAt(i))) i++;
    if (tag.charCodeAt(i) !== 61 /* = */) {
      if (i === s) i++;
      continue;
    }
    i++;
    while (i < n && isSpace(tag.charCodeAt(i))) i++;
    const q = tag.charCodeAt(i);
    let value: string;
    if (q === 34 || q === 39) {
      const e = tag.indexOf(String.fromCharCode(q), i + 1);
      value = tag.slice(i + 1, e < 0 ? n : e);
      i = e < 0 ? n : e + 1;
    } else {
      const vs = i;
      while (i < n && !isSpace(tag.charCodeAt(i))) i++;
      value = tag.slice(vs, i);
    }
    if (name) fn(name, value);
  }
}
