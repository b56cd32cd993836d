/**
 * Closing a JSON document that was cut at the body limit, so that the part that was received is
 * still inspected value by value (`body.json:$.items[3].name`) instead of as one raw blob that most
 * detectors skip for its size.
 *
 * The cut is moved back to the last point where the text so far is a valid JSON prefix that ends on
 * a container boundary: just before a structural `,`, or just after a structural `{ [ } ]`. Appending
 * the closers of the containers still open there gives a complete document; the text after that point
 * (the member that the limit cut in half) is returned as `rest` for raw inspection. Two linear scans.
 */

/** Where the last safe cut point is, or -1 (a top-level scalar, or depth beyond `maxDepth`). */
function lastCutPoint(text: string, maxDepth: number): number {
  let cut = -1;
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inStr) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inStr = false;
    } else if (ch === 34) inStr = true;
    else if (ch === 123 || ch === 91 /* { [ */) {
      if (++depth > maxDepth) return -1;
      cut = i + 1;
    } else if (ch === 125 || ch === 93 /* } ] */) {
      depth--;
      if (depth > 0) cut = i + 1;
    } else if (ch === 44 /* , */ && depth > 0) cut = i;
  }
  return cut;
}

/**
 * `{"a":[1,2,{"b":"x"},{"c":"hal` → `{ json: '{"a":[1,2,{"b":"x"}]}', rest: ',{"c":"hal' }`.
 * Returns null when there is no container boundary to cut at. The result parses whenever the
 * received prefix was valid JSON; when it does not, the prefix itself was malformed.
 */
export function closeTruncatedJson(text: string, maxDepth: number): { json: string; rest: string } | null {
  const cut = lastCutPoint(text, maxDepth);
  if (cut <= 0) return null;
  const open: number[] = [];
  let inStr = false;
  for (let i = 0; i < cut; i++) {
    const ch = text.charCodeAt(i);
    if (inStr) {
      if (ch === 92) i++;
      else if (ch === 34) inStr = false;
    } else if (ch === 34) inStr = true;
    else if (ch === 123 || ch === 91) open.push(ch);
    else if (ch === 125 || ch === 93) open.pop();
  }
  let closers = '';
  for (let k = open.length - 1; k >= 0; k--) closers += open[k] === 123 ? '}' : ']';
  return { json: text.slice(0, cut) + closers, rest: text.slice(cut) };
}
