// Test event factory shared by the store tests and the durability child process (not shipped:
// tsc compiles only .ts). makeEvent(i) is deterministic; pass overrides to change fields.

/** @param {number} i @param {Record<string, unknown>} [over] */
export function makeEvent(i, over = {}) {
  const ts = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  return {
    id: `evt-${String(i).padStart(8, '0')}`,
    ts,
    kind: 'http',
    source: { name: 'sensor:test', type: 'sensor' },
    client: {
      ip: `203.0.113.${i % 250}`,
      port: 40000 + (i % 1000),
      fingerprint: `fp${i % 17}`,
      geo: { country: 'NL', city: 'Amsterdam', lat: 52.37, lon: 4.89 },
      asn: { number: 64500, org: 'Example Net' },
      reputation: { lists: ['local'], score: 40 },
    },
    http: {
      method: 'GET',
      host: 'shop.example',
      path: `/search/${i}`,
      query: `q=1'+union+select+${i}--`,
      status: 403,
      user_agent: 'Mozilla/5.0 test',
      referer: 'https://shop.example/',
    },
    action: 'block',
    score: 5,
    severity: 'high',
    findings: [
      {
        rule: 'sqli.union',
        rule_version: 2,
        class: 'sqli',
        severity: 'high',
        confidence: 0.9,
        location: 'query:q',
        evidence: "' union select",
        decoded_by: ['url'],
      },
    ],
    ml_score: 0.75,
    labels: { detector: 'attack' },
    message: `request ${i}`,
    raw: `GET /search/${i}?q=1'+union+select+${i}-- HTTP/1.1\r\nHost: shop.example\r\n\r\n\u00ff\u0000bin`,
    ...over,
  };
}
