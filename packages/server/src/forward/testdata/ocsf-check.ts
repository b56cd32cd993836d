/**
 * Test helper (not shipped behaviour): checks an object against the OCSF 1.x requirements this
 * project relies on — the base event's required attributes and their types, each class's required
 * attributes and `at_least_one` constraints — and returns the problems found (empty: valid).
 */
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const EVIDENCE_KEYS = [
  'actor',
  'api',
  'connection_info',
  'data',
  'database',
  'databucket',
  'device',
  'dst_endpoint',
  'email',
  'file',
  'process',
  'query',
  'resources',
  'src_endpoint',
  'url',
  'user',
  'job',
  'script',
];

function endpoint(e: unknown, name: string, out: string[]): void {
  if (e === undefined) return;
  if (!isObj(e)) return void out.push(`${name} is not an object`);
  if (e.ip !== undefined && !isStr(e.ip)) out.push(`${name}.ip is not a string`);
  if (e.port !== undefined && !isInt(e.port)) out.push(`${name}.port is not an integer`);
  const l = e.location;
  if (l !== undefined) {
    if (!isObj(l)) return void out.push(`${name}.location is not an object`);
    if (![l.city, l.country, l.postal_code, l.region].some(isStr))
      out.push(`${name}.location needs city, country, postal_code or region`);
    for (const k of ['lat', 'long'])
      if (l[k] !== undefined && typeof l[k] !== 'number') out.push(`${name}.location.${k} is not a number`);
  }
}

function noNulls(v: unknown, path: string, out: string[]): void {
  if (v === null) out.push(`${path} is null`);
  else if (Array.isArray(v)) v.forEach((x, i) => noNulls(x, `${path}[${i}]`, out));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) noNulls(x, `${path}.${k}`, out);
}

/** The problems of `o` as an OCSF event (empty when it is valid). */
export function ocsfProblems(o: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of ['class_uid', 'category_uid', 'activity_id', 'type_uid', 'severity_id', 'time'])
    if (!isInt(o[k])) out.push(`${k} is not an integer`);
  for (const k of ['class_name', 'category_name', 'activity_name', 'type_name', 'severity'])
    if (!isStr(o[k])) out.push(`${k} is not a string`);
  const cls = o.class_uid as number;
  if (o.category_uid !== Math.floor(cls / 1000)) out.push('category_uid does not match class_uid');
  if (o.type_uid !== cls * 100 + (o.activity_id as number)) out.push('type_uid is not class_uid*100+activity_id');
  if (![0, 1, 2, 3, 4, 5, 6, 99].includes(o.severity_id as number)) out.push('severity_id out of range');
  if (!((o.time as number) > 1e12)) out.push('time is not epoch milliseconds');
  const m = o.metadata;
  if (!isObj(m)) out.push('metadata missing');
  else {
    if (!isStr(m.version) || !/^1\.\d+\.\d+$/.test(m.version)) out.push('metadata.version is not 1.x.y');
    if (!isStr(m.uid)) out.push('metadata.uid missing');
    const p = m.product;
    if (!isObj(p) || p.name !== 'Palisade' || p.vendor_name !== 'Palisade' || !isStr(p.version))
      out.push('metadata.product incomplete');
  }
  endpoint(o.src_endpoint, 'src_endpoint', out);
  endpoint(o.dst_endpoint, 'dst_endpoint', out);
  switch (cls) {
    case 4002: {
      if (o.http_request === undefined && o.http_response === undefined)
        out.push('http_request or http_response required');
      const rq = o.http_request;
      if (rq !== undefined && (!isObj(rq) || !isStr(rq.http_method) || !isObj(rq.url) || !isStr(rq.url.path)))
        out.push('http_request incomplete');
      const rs = o.http_response;
      if (rs !== undefined && (!isObj(rs) || !isInt(rs.code))) out.push('http_response.code missing');
      break;
    }
    case 3002:
      if (!isObj(o.user)) out.push('user required');
      if (o.service === undefined && o.dst_endpoint === undefined) out.push('service or dst_endpoint required');
      if (![0, 1, 2, 99].includes(o.status_id as number)) out.push('status_id out of range');
      break;
    case 4001:
      break;
    case 2004: {
      const f = o.finding_info;
      if (!isObj(f) || !isStr(f.uid)) out.push('finding_info.uid required');
      else if (f.analytic !== undefined && (!isObj(f.analytic) || !isInt(f.analytic.type_id)))
        out.push('finding_info.analytic.type_id required');
      const ev = o.evidences;
      if (ev !== undefined)
        if (!Array.isArray(ev) || ev.some((e) => !isObj(e) || !EVIDENCE_KEYS.some((k) => k in e)))
          out.push('evidences: each needs one of the evidence attributes');
      if (![0, 1, 2].includes(o.action_id as number)) out.push('action_id out of range');
      if (!isInt(o.disposition_id)) out.push('disposition_id missing');
      break;
    }
    case 2005: {
      const l = o.finding_info_list;
      if (!Array.isArray(l) || l.length === 0 || l.some((f) => !isObj(f) || !isStr(f.uid)))
        out.push('finding_info_list required, each with uid');
      if (![1, 2, 3, 4, 5, 99].includes(o.status_id as number)) out.push('status_id out of range');
      if (o.assignee === undefined && o.assignee_group === undefined)
        out.push('assignee or assignee_group required');
      break;
    }
    default:
      out.push(`unexpected class_uid ${cls}`);
  }
  noNulls(o, '$', out);
  return out;
}
