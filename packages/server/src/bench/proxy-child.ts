/**
 * Bench child: Palisade's reverse proxy alone in its process, as `palisade proxy` runs it but with
 * inspection switchable and an in-memory sink that accepts every event (so event building and
 * submission are measured, not the store). argv: UPSTREAM_URL inspect|no-inspect MAX_SOCKETS.
 * Prints its port; on SIGTERM closes and prints how many events it was handed.
 */
import { createEngine, type SecurityEvent } from '@palisade/engine';
import { createProxy } from '../proxy/index.js';

const [upstream, mode, maxSockets] = process.argv.slice(2);
if (!upstream || (mode !== 'inspect' && mode !== 'no-inspect')) {
  process.stderr.write('usage: proxy-child.js UPSTREAM_URL inspect|no-inspect [MAX_SOCKETS]\n');
  process.exit(2);
}
let events = 0;
const proxy = createProxy({
  upstream,
  engine: createEngine(),
  sink: {
    submit(_e: SecurityEvent): Promise<void> {
      events++;
      return Promise.resolve();
    },
  },
  inspect: mode === 'inspect',
  maxSockets: Number(maxSockets ?? 64),
});
const addr = await proxy.listen('127.0.0.1', 0);
process.stdout.write(`proxy port ${addr.port}\n`);
process.once('SIGTERM', () => {
  void proxy.close().then(() => {
    process.stdout.write(`events ${events}\n`);
    process.exit(0);
  });
});
