#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runIngest, runParse } from './ingest-command.js';
import { resolve } from 'node:path';
import { PalisadeError } from '../errors.js';
import { runScan, buildEngine, formatTable } from './scan-command.js';
import { runEval } from './eval-command.js';
import { runBench, parseSections } from './bench-command.js';
import { runDemo } from './demo-command.js';
import { runServe } from './serve-command.js';
import { runProxyCommand } from './proxy-command.js';
import { loadConfig } from '../config/config.js';
import { runTrainAnomaly } from '../learn/index.js';
import { runTrainClassifier } from '../ml/train-classifier-command.js';
import { runDatasetCommand } from '../dataset/index.js';
import { runSimulate } from '../simulate/index.js';
import type { ModelChoice } from '../models/load-models.js';
import { runModelCommand } from '../models/model-command.js';
import { runErrorsCommand } from './errors-command.js';
import { runForensicsCommand } from './forensics-command.js';
import { runUserCommand } from '../auth/user-command.js';
import {
  runApiKeyCreate,
  runApiKeyList,
  runApiKeyRevoke,
  runBackup,
  runKeysList,
  runKeysRotate,
  runLabel,
  runPurge,
  runRestore,
} from '../store/index.js';

const USAGE = `palisade — web application firewall and security-event platform

Usage:
  palisade scan PAYLOAD                      explain the verdict for one parameter value
  palisade scan --requests FILE [--out FILE] inspect request records (.jsonl or .jsonl.gz, - for stdin)
  palisade scan --payloads FILE [--out FILE] inspect payload records (each as GET /?q= and a form POST)
  palisade eval [DIR] [--verbose] [--json] [--set NAME]...
                                             evaluate on every labelled set of a corpus (default ../shared/corpus)
  palisade bench [DIR] [--only engine,store,proxy,sensor,serve,ingest,ml,stats,bus] [--quick] [--json]
                                             speed and memory: engine (corpus mix from DIR when present;
                                             with the classifier unless --no-ml), store writer, proxy vs
                                             nginx+ModSecurity, sensor, serve RSS, log ingest lines/s vs
                                             fail2ban-regex, classifier cost, training time, learning mode,
                                             NATS workers into PostgreSQL (events/s, consumer lag)
  palisade demo                              inspect a few sample requests and explain them
  palisade rules [--json]                    list every detection rule (id, version, class, severity)
  palisade errors [--markdown]               every error code with its HTTP status and message

  palisade serve [--listen HOST:PORT] [--db PATH] [--upstream URL] [--demo]
                                             the collector, API, dashboard and metrics on SQLite (embedded
                                             default); --upstream URL adds the reverse proxy in the same
                                             process (listening on proxy.listen / PALISADE_PROXY_LISTEN);
                                             --demo adds a demo shop behind the proxy, with mixed traffic
  palisade proxy --upstream URL [--listen HOST:PORT] [--db PATH]
                                             reverse proxy that inspects, blocks and records every request;
                                             with PALISADE_BUS_URL and no --db it publishes to NATS JetStream
  palisade worker [--bus URL] [--prefix NAME] [--db PATH|postgres://…] [--no-correlate] [--json]
                                             consume events from NATS JetStream (PALISADE_BUS_URL) into the
                                             store; run several (one shared consumer, one correlation
                                             leader); palisade worker --help for every option
  palisade ingest FILE… [--format F] [--profile NAME] [--follow] [--json] [--db PATH]
                                             read logs (access, auth, auditd, jsonl; auto-detected;
                                             - for stdin; .gz ok): parse, inspect, correlate, store;
                                             --follow tails like tail -F with a saved checkpoint
  palisade parse FILE [--format F] [--json]  print each line parsed (or its rejection reason) as JSON
  palisade purge [--days N] [--db PATH]      delete events older than N days (default: retention_days, 30)
  palisade backup --out FILE.sql [--db PATH] complete SQL dump (schema + data), consistent while serving
  palisade restore FILE.sql [--db PATH] [--force]
                                             load a dump into a new database (--force replaces an existing one)
  palisade keys rotate [--retire] [--db PATH]
                                             add a new encryption key and re-encrypt stored payloads
  palisade keys list [--db PATH]             encryption keys and how many values each protects
  palisade apikey create --name NAME --scope S [--scope S]... [--db PATH]
                                             create an API key (scopes: admin ingest read raw label ban);
                                             the secret is printed once
  palisade apikey list | apikey revoke ID [--db PATH]
  palisade user create NAME --role viewer|analyst|admin | user list | user set-role NAME ROLE
  palisade user reset-password NAME [--db PATH]
                                             dashboard users; the password is read from PALISADE_PASSWORD
                                             or stdin; reset-password ends the user's sessions
  palisade train classifier [--corpus DIR] [--labels analyst[,detector]] [--out FILE] [--report DIR]
                                             the classifier recipe (corpus + synthetic + store labels):
                                             model, report with holdout figures; then palisade model activate
  palisade train anomaly --requests FILE | --from-db --since 7d [--out FILE] [--seed S] [--db PATH]
                                             learning mode: an Isolation Forest over the site's own benign
                                             traffic (activate it with palisade model activate)
  palisade dataset export --format parquet|csv|jsonl [--labels detector,analyst] [--split 80/20] --out DIR
                                             labelled, de-duplicated, stratified dataset with ECS field names
                                             and a data card (palisade dataset --help for every option)
  palisade dataset export --format ocsf --out DIR [--since TIME] [--until TIME] [--no-incidents]
                                             every event and incident as OCSF 1.x JSON lines (for a SIEM)
  palisade dataset synth --n N --seed S [--format F] --out DIR
                                             a synthetic OWASP Top-10 dataset written like the export
  palisade simulate --target URL [--rate N] [--duration S] [--mix normal:1,signature:1,obfuscated:1]
                    [--scenario bruteforce|stuffing|spraying|ddos|scan] [--seed S] [--allow-remote] [--json]
                                             seeded traffic: benign browsing, API calls and forms, signature
                                             and obfuscated attacks, multi-source scenarios (X-Forwarded-For);
                                             loopback targets only unless --allow-remote
  palisade model list | activate FILE|ID [--corpus DIR] [--force] | deactivate classifier|anomaly [--db PATH]
                                             the model registry: a candidate is compared with the model in
                                             service (corpus holdout, analyst labels) before it goes live
  palisade label EVENT_ID attack|benign|clear [--db PATH]
                                             mark an event a true or false positive (feeds palisade train)
  palisade forensics burst|distributed-bruteforce|top-talkers|sessions [--from T] [--to T] [--json]
                                             time-window analyses in SQL on the store (or --engine duckdb
                                             --parquet FILE); palisade forensics --help for every option
  palisade forensics export --out FILE.parquet [--from T] [--to T]
                                             the events as Parquet for DuckDB

Options for scan, eval, bench:
  --config FILE        engine configuration (JSON; see README "Engine configuration")
  --no-ml              without the trained classifier (to measure its effect)
  --model FILE         another classifier than the shipped default
  --anomaly FILE       an anomaly model (palisade train anomaly); --anomaly-action log|block
  --mode block|monitor
  --sensitivity low|balanced|high|paranoid
Options for ingest and parse:
  --format auto|access|auth|auditd|jsonl  (also nginx, apache, sshd, syslog, ecs)
  --profile default|seed-compat           correlation profile (seed-compat: the IT-Sec-Projekt detector)
  --time-zone ZONE     IANA zone of timestamps without an offset (default UTC)
  --year YYYY          year of the first year-less timestamp (default: this year)
Options for serve, proxy and the store commands:
  --config FILE        server configuration (palisade.config.json|yaml; see README "Configuration");
                       PALISADE_* environment variables override it, flags override both
  --db PATH            SQLite database (default ./data/palisade.db)
  --json               machine-readable output (store commands)
  -h, --help
`;

function timeOpts(
  timeZone: string | undefined,
  year: string | undefined,
): { timeZone?: string; year?: number } {
  const o: { timeZone?: string; year?: number } = {};
  if (timeZone !== undefined) o.timeZone = timeZone;
  if (year !== undefined) {
    if (!/^\d{4}$/.test(year))
      throw new PalisadeError('PAL_ERR_CLI_USAGE', '--year must be a four-digit year');
    o.year = Number(year);
  }
  return o;
}

/** `--no-ml`, `--model FILE`, `--anomaly FILE`, `--anomaly-action log|block`. */
function modelChoice(v: {
  'no-ml'?: boolean;
  model?: string;
  anomaly?: string;
  'anomaly-action'?: string;
}): ModelChoice {
  if (v['no-ml'] && v.model !== undefined)
    throw new PalisadeError('PAL_ERR_CLI_USAGE', '--no-ml and --model exclude each other');
  const action = v['anomaly-action'];
  if (action !== undefined && action !== 'log' && action !== 'block')
    throw new PalisadeError('PAL_ERR_CLI_USAGE', '--anomaly-action must be log or block');
  return {
    classifier: v['no-ml'] ? 'off' : v.model !== undefined ? { file: v.model } : 'default',
    anomaly: v.anomaly !== undefined ? { file: v.anomaly } : 'default',
    ...(action ? { anomalyAction: action } : {}),
  };
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  // Commands with their own flags parse their arguments themselves.
  switch (command) {
    case 'train':
      if (rest[0] === 'anomaly') return runTrainAnomaly(rest);
      if (rest[0] === 'classifier') return runTrainClassifier(rest.slice(1));
      throw new PalisadeError('PAL_ERR_CLI_USAGE', 'train takes anomaly or classifier; see palisade --help');
    case 'dataset':
      return runDatasetCommand(rest);
    case 'simulate':
      return runSimulate(rest);
    case 'model':
      return runModelCommand(rest);
    case 'errors':
      return runErrorsCommand(rest);
    case 'forensics':
      return runForensicsCommand(rest);
    case 'worker':
      // Its own flags; reads the server configuration itself. Loaded only here (NATS client).
      return (await import('./worker-command.js')).runWorkerCommand(rest);
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      requests: { type: 'string' },
      payloads: { type: 'string' },
      out: { type: 'string', short: 'o' },
      config: { type: 'string', short: 'c' },
      mode: { type: 'string' },
      sensitivity: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      json: { type: 'boolean' },
      set: { type: 'string', multiple: true },
      only: { type: 'string' },
      quick: { type: 'boolean' },
      db: { type: 'string' },
      listen: { type: 'string' },
      upstream: { type: 'string' },
      demo: { type: 'boolean' },
      days: { type: 'string' },
      force: { type: 'boolean' },
      retire: { type: 'boolean' },
      name: { type: 'string' },
      scope: { type: 'string', multiple: true },
      role: { type: 'string' },
      format: { type: 'string' },
      profile: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      'time-zone': { type: 'string' },
      year: { type: 'string' },
      'no-ml': { type: 'boolean' },
      model: { type: 'string' },
      anomaly: { type: 'string' },
      'anomaly-action': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const engineOpts = {
    config: values.config,
    mode: values.mode,
    sensitivity: values.sensitivity,
    models: modelChoice(values),
  };
  // serve, proxy and the store commands read the server configuration (file + env + flags).
  const serverConfig = () =>
    loadConfig({
      file: values.config,
      flags: {
        db: values.db,
        listen: values.listen,
        'proxy.upstream': values.upstream,
        'engine.mode': values.mode,
        'engine.sensitivity': values.sensitivity,
      },
    });
  const store = () => ({ db: serverConfig().db, json: values.json });
  const sub = positionals[0];
  switch (command) {
    case 'scan':
      if (positionals.length > 1)
        throw new PalisadeError('PAL_ERR_CLI_USAGE', 'scan takes one payload; quote it');
      return runScan({
        ...engineOpts,
        payload: positionals[0],
        requests: values.requests,
        payloads: values.payloads,
        out: values.out,
      });
    case 'eval':
      return runEval(await buildEngine(engineOpts), resolve(positionals[0] ?? '../shared/corpus'), {
        verbose: values.verbose,
        json: values.json,
        only: values.set,
      });
    case 'bench':
      return runBench(await buildEngine(engineOpts), resolve(positionals[0] ?? '../shared/corpus'), {
        only: values.only === undefined ? undefined : parseSections(values.only),
        quick: values.quick,
        json: values.json,
      });
    case 'demo':
      return runDemo(await buildEngine(engineOpts));
    case 'rules': {
      const rules = (await buildEngine(engineOpts)).rules;
      if (values.json) process.stdout.write(`${JSON.stringify(rules, null, 2)}\n`);
      else
        process.stdout.write(
          `${formatTable([['rule', 'version', 'class', 'severity', 'description'], ...rules.map((r) => [r.id, String(r.version), r.class, r.severity, r.description])])}\n`,
        );
      return 0;
    }
    case 'serve':
      return runServe({ config: serverConfig(), demo: values.demo });
    case 'proxy': {
      const config = serverConfig();
      if (values.listen) config.proxy.listen = values.listen;
      if (!config.proxy.upstream)
        throw new PalisadeError(
          'PAL_ERR_CLI_USAGE',
          'proxy needs --upstream URL (or proxy.upstream in the config)',
        );
      return runProxyCommand(config, { localDb: values.db !== undefined });
    }
    case 'ingest':
      return runIngest({
        config: serverConfig(),
        files: positionals,
        format: values.format ?? 'auto',
        profile: values.profile,
        json: values.json,
        follow: values.follow,
        ...timeOpts(values['time-zone'], values.year),
      });
    case 'parse':
      if (positionals.length !== 1)
        throw new PalisadeError('PAL_ERR_CLI_USAGE', 'parse takes one FILE (or -)');
      return runParse({
        file: positionals[0]!,
        format: values.format ?? 'auto',
        ...timeOpts(values['time-zone'], values.year),
      });
    case 'purge': {
      const days = values.days === undefined ? serverConfig().retention_days : Number(values.days);
      if (!Number.isInteger(days) || days < 0)
        throw new PalisadeError('PAL_ERR_CLI_USAGE', '--days must be a whole number of days');
      return runPurge({ ...store(), days });
    }
    case 'backup':
      if (!values.out) throw new PalisadeError('PAL_ERR_CLI_USAGE', 'backup needs --out FILE.sql');
      return runBackup({ ...store(), out: values.out });
    case 'restore':
      if (!sub)
        throw new PalisadeError(
          'PAL_ERR_CLI_USAGE',
          'restore needs the dump file: palisade restore FILE.sql',
        );
      return runRestore({ ...store(), file: sub, force: values.force });
    case 'keys':
      if (sub === 'rotate') return runKeysRotate({ ...store(), retire: values.retire });
      if (sub === 'list') return runKeysList(store());
      throw new PalisadeError('PAL_ERR_CLI_USAGE', 'keys takes rotate or list');
    case 'apikey':
      if (sub === 'create') {
        if (!values.name || !values.scope?.length)
          throw new PalisadeError(
            'PAL_ERR_CLI_USAGE',
            'apikey create needs --name NAME and at least one --scope',
          );
        return runApiKeyCreate({ ...store(), name: values.name, scopes: values.scope });
      }
      if (sub === 'list') return runApiKeyList(store());
      if (sub === 'revoke' && positionals[1] && /^\d+$/.test(positionals[1]))
        return runApiKeyRevoke({ ...store(), id: Number(positionals[1]) });
      throw new PalisadeError('PAL_ERR_CLI_USAGE', 'apikey takes create, list or revoke ID');
    case 'user':
      return runUserCommand({ ...store(), args: positionals, role: values.role });
    case 'label':
      if (!sub || !positionals[1])
        throw new PalisadeError('PAL_ERR_CLI_USAGE', 'label takes EVENT_ID and attack, benign or clear');
      return runLabel({ ...store(), id: sub, label: positionals[1] });
    default:
      throw new PalisadeError('PAL_ERR_CLI_USAGE', `unknown command "${command}"; see palisade --help`);
  }
}

// `palisade scan … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof PalisadeError) process.stderr.write(`palisade: ${e.message} (${e.code})\n`);
    else if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      process.stderr.write(`palisade: ${e.message} (PAL_ERR_CLI_USAGE)\n`);
    else process.stderr.write(`palisade: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = e instanceof PalisadeError ? 2 : 1;
  },
);
