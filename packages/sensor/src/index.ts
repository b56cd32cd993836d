/**
 * @palisade/sensor — Palisade inside a Node app: middleware for node:http, Express, Fastify and Koa
 * that inspects each request with @palisade/engine before the app sees it, refuses attacks and banned
 * clients (or only reports them in monitor mode), and ships security events to a Palisade collector.
 *
 * @example
 * import express from 'express';
 * import { createSensor } from '@palisade/sensor';
 *
 * const sensor = createSensor({
 *   mode: 'block',                                   // or 'monitor': never refuse, only report
 *   collector: { url: 'http://127.0.0.1:8080', apiKey: process.env.PALISADE_KEY! },
 *   bans: { url: 'http://127.0.0.1:8080' },          // pull the collector's active bans every 10 s
 *   trustProxy: ['10.0.0.0/8'],                      // believe X-Forwarded-For from these only
 *   exclusions: [
 *     { path: '/healthz', skip: true },              // not inspected at all
 *     { path: '/api/posts', location: 'body.json:$.markdown', class: 'xss', reason: 'markdown' },
 *   ],
 * });
 * const app = express();
 * app.use(sensor.express());                         // first: before express.json()
 * app.use(express.json());
 * app.post('/login', (req, res) => {
 *   const ok = checkPassword(req.body.user, req.body.password);
 *   sensor.reportAuth(req, { user: req.body.user, success: ok });   // brute force shows without logs
 *   res.sendStatus(ok ? 200 : 401);
 * });
 * process.on('SIGTERM', () => void sensor.close());
 *
 * // node:http: http.createServer(sensor.http(handler))
 * // Fastify:   await app.register(sensor.fastify())
 * // Koa:       app.use(sensor.koa()); app.use(bodyParser())
 */
export { createSensor, type Sensor, type SensorCheck } from './sensor.js';
export {
  SensorConfigError,
  DEFAULT_REDACT_HEADERS,
  type SensorOptions,
  type CollectorOptions,
  type BusOptions,
  type ShipperOptions,
  type SinkFunction,
  type BanOptions,
  type BanInput,
  type RouteExclusion,
  type BlockResponseOptions,
  type BlockInfo,
  type BlockCode,
} from './options.js';
export type { SensorStats, BlockResponse, RequestLike } from './core.js';
export { BanList } from './ban-list.js';
export { BanPuller, type BanPullStats } from './ban-puller.js';
export type { NodeHandler } from './http-adapter.js';
export type { ExpressMiddleware } from './express-adapter.js';
export type { KoaMiddleware, KoaContextLike } from './koa-adapter.js';
export type {
  FastifyPlugin,
  FastifyInstanceLike,
  FastifyRequestLike,
  FastifyReplyLike,
} from './fastify-adapter.js';
export { benchSensorOverhead, type SensorBenchResult } from './bench.js';
