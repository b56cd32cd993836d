/**
 * A small client for route tests: injects a request into a Fastify app with an optional API key
 * and returns the status, headers, body and parsed JSON.
 */
import type { FastifyInstance } from 'fastify';

export type TestMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export function testClient(app: () => FastifyInstance) {
  return async function call(
    method: TestMethod,
    url: string,
    key?: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) {
    const res = await app().inject({
      method,
      url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.body,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted field by field
      json: () => JSON.parse(res.body) as any,
    };
  };
}
