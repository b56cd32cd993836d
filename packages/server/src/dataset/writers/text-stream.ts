/** A text file written through a stream with back-pressure and surfaced errors (CSV and JSONL writers). */
import { createWriteStream } from 'node:fs';

export interface TextStream {
  write(text: string): Promise<void>;
  end(): Promise<void>;
}

export function openTextStream(file: string): TextStream {
  const ws = createWriteStream(file, { encoding: 'utf8' });
  let failed: Error | undefined;
  ws.on('error', (e) => {
    failed = e;
  });
  return {
    async write(text) {
      if (failed) throw failed;
      if (!ws.write(text))
        await new Promise<void>((resolve) => {
          const done = () => {
            ws.off('drain', done);
            ws.off('error', done);
            resolve();
          };
          ws.on('drain', done);
          ws.on('error', done);
        });
      if (failed) throw failed;
    },
    async end() {
      if (failed) throw failed;
      await new Promise<void>((resolve) => {
        ws.once('close', resolve);
        ws.end();
      });
      if (failed) throw failed;
    },
  };
}
