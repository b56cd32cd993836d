/**
 * Scale-out over NATS JetStream: names and subjects, the streams and the workers' consumer, the
 * publisher (sources → stream) and the worker (stream → store).
 */
export * from './bus-config.js';
export * from './streams.js';
export * from './connect.js';
export * from './publisher.js';
export * from './worker.js';
