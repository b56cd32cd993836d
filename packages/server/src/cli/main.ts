#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { PalisadeError } from '../errors.js';
import { runScan, buildEngine, formatTable } from './scan-command.js';
import { runEval } from './eval-command.js';
import { runBench } from './bench-command.js';
import { runDemo } from './demo-command.js';

const USAGE = `palisade — web application firewall and security-event platform

Usage:
  palisade scan PAYLOAD                      explain the verdict for one parameter value
  palisade scan --requests FILE [--out FILE] inspect request records (.jsonl or .jsonl.gz, - for stdin)
  palisade scan --payloads FILE [--out FILE] inspect payload records (each as GET /?q= and a form POST)
  palisade eval [DIR] [--verbose] [--json] [--set NAME]...
                                             evaluate on every labelled set of a corpus (default ../shared/corpus)
  palisade bench [DIR]                       measure inspection speed (corpus mix from DIR when present)
  palisade demo                              inspect a few sample requests and explain them
  palisade rules [--json]                    list every detection rule (id, version, class, severity)

Options for scan, eval, bench:
  --config FILE        engine configuration (JSON; see README "Engine configuration")
  --mode block|monitor
  --sensitivity low|balanced|high|paranoid
  -h, --help
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const engineOpts = { config: values.config, mode: values.mode, sensitivity: values.sensitivity };
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
      return runEval(buildEngine(engineOpts), resolve(positionals[0] ?? '../shared/corpus'), {
        verbose: values.verbose,
        json: values.json,
        only: values.set,
      });
    case 'bench':
      return runBench(buildEngine(engineOpts), resolve(positionals[0] ?? '../shared/corpus'));
    case 'demo':
      return runDemo(buildEngine(engineOpts));
    case 'rules': {
      const rules = buildEngine(engineOpts).rules;
      if (values.json) process.stdout.write(`${JSON.stringify(rules, null, 2)}\n`);
      else
        process.stdout.write(
          `${formatTable([['rule', 'version', 'class', 'severity', 'description'], ...rules.map((r) => [r.id, String(r.version), r.class, r.severity, r.description])])}\n`,
        );
      return 0;
    }
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
