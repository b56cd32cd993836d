/**
 * The nginx + ModSecurity + OWASP CRS (PL1, blocking) baseline, run through scripts/proxy-baseline
 * (start.sh / check.sh / stop.sh) so the bench and a person reproducing it by hand use one config.
 * Installed = nginx, the ModSecurity connector, the CRS and the scripts are all present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { runToEnd, treeRssOf } from './processes.js';

/** scripts/proxy-baseline of this checkout (packages/server/{src,dist}/bench → repo root). */
export const BASELINE_DIR = fileURLToPath(new URL('../../../../scripts/proxy-baseline/', import.meta.url));

const REQUIRED = [
  '/usr/sbin/nginx',
  '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so',
  '/usr/share/nginx/docs/modsecurity/modsecurity.conf',
  '/etc/modsecurity/crs/crs-setup.conf',
  '/usr/share/modsecurity-crs/rules',
];

/** Null when the baseline can run here, else what is missing. */
export function baselineMissing(): string | null {
  if (process.platform !== 'linux') return 'Linux only';
  if (!existsSync(join(BASELINE_DIR, 'start.sh'))) return `${BASELINE_DIR}start.sh (not a source checkout)`;
  const missing = REQUIRED.filter((p) => !existsSync(p));
  return missing.length > 0 ? missing.join(', ') : null;
}

export interface RunningBaseline {
  /** ModSecurity + CRS. */
  modsecPort: number;
  /** The same nginx proxy without ModSecurity. */
  plainPort: number;
  /** What check.sh printed, and whether every check passed. */
  sanity: { ok: boolean; output: string };
  versions: string;
  workers: number;
  /** nginx master + workers, bytes. */
  rss(): number | null;
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Two consecutive free loopback ports (start.sh uses PORT and PORT+1). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = 20000 + Math.floor(Math.random() * 40000);
    if ((await portFree(p)) && (await portFree(p + 1))) return p;
  }
  throw new Error('no two consecutive free ports found');
}

function packageVersions(): string {
  const pick = (name: string) => {
    try {
      const status = readFileSync('/var/lib/dpkg/status', 'utf8');
      const i = status.indexOf(`Package: ${name}\n`);
      if (i < 0) return '?';
      return /^Version: (.+)$/m.exec(status.slice(i, i + 4000))?.[1] ?? '?';
    } catch {
      return '?';
    }
  };
  return `nginx ${pick('nginx')}, libmodsecurity3 ${pick('libmodsecurity3')}, connector ${pick('libnginx-mod-http-modsecurity')}, CRS ${pick('modsecurity-crs')}`;
}

/** Starts the baseline in `rundir` forwarding to `upstream` (HOST:PORT) with `workers` worker processes. */
export async function startBaseline(
  upstream: string,
  rundir: string,
  workers: number,
): Promise<RunningBaseline> {
  const port = await freePortPair();
  await runToEnd('sh', [join(BASELINE_DIR, 'start.sh'), upstream, rundir, String(port)], 30_000, {
    ...process.env,
    NGINX_WORKERS: String(workers),
  });
  const pid = Number(readFileSync(join(rundir, 'nginx.pid'), 'utf8').trim());
  let sanity: RunningBaseline['sanity'];
  try {
    sanity = {
      ok: true,
      output: await runToEnd('sh', [join(BASELINE_DIR, 'check.sh'), String(port)], 30_000),
    };
  } catch (e) {
    sanity = { ok: false, output: (e as Error).message };
  }
  return {
    modsecPort: port,
    plainPort: port + 1,
    sanity,
    versions: packageVersions(),
    workers,
    rss: () => treeRssOf(pid),
    stop: async () => {
      await runToEnd('sh', [join(BASELINE_DIR, 'stop.sh'), rundir], 30_000);
    },
  };
}
