// Child process of durability.test.ts: opens the store in the given directory and submits events
// as fast as it can, printing each id on stdout only after its submit promise resolved (the ack).
// The parent kills it with SIGKILL mid-ingest. Run with `node --import tsx`.
import process from 'node:process';
import { setImmediate } from 'node:timers';
import { openStore, createWriter } from '../index.js';
import { makeEvent } from './events.mjs';

const [dir, startText] = process.argv.slice(2);
const start = Number(startText ?? 0);
const store = await openStore({ path: `${dir}/palisade.db`, env: undefined });
const writer = createWriter(store, { maxQueue: 5000, batchSize: 200, flushMs: 5 });
let i = start;
for (;;) {
  if (!writer.writable()) await writer.drained();
  const e = makeEvent(i++);
  writer.submit(e).then(
    () => process.stdout.write(`${e.id}\n`),
    (err) => process.stderr.write(`drop ${e.id}: ${err.message}\n`),
  );
  if (i % 100 === 0) await new Promise((r) => setImmediate(r));
}
