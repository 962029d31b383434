/**
 * `fluo serve`: runs the server until SIGTERM or SIGINT.
 * Options come from flags, FLUO_* environment variables and an optional
 * config file, in that precedence (see @fluohq/server's config).
 * Exit status: 0 after a clean shutdown, 1 when the server cannot start
 * (e.g. a port in use) or fails, 2 for bad usage, configuration or rule files.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  CONFIG_FILE_ENV, CONFIG_FILE_FLAG, CONFIG_OPTIONS, ConfigError, ListenError, RuleFilesError,
  describeOptions, loadConfigFile, resolveConfig, startServer, type ConfigFile, type RunningServer,
} from '@fluohq/server';

export const SERVE_USAGE = `Usage: fluo serve [options]

Runs FLUO: OTLP receivers (HTTP 4318, gRPC 4317), the REST API and web UI (3000),
with embedded storage in the data folder. Stops cleanly on SIGTERM or SIGINT.

Options (each also settable by its environment variable or a config file key;
precedence: flag > environment > config file > default):
${describeOptions()}
  -h, --help                               show this help
`;

function fail(message: string, code: number): number {
  process.stderr.write(`fluo serve: ${message}\n`);
  return code;
}

export async function serve(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const options: NonNullable<ParseArgsConfig['options']> = {
    help: { type: 'boolean', short: 'h' },
    [CONFIG_FILE_FLAG]: { type: 'string' },
  };
  for (const o of CONFIG_OPTIONS) options[o.flag] = { type: 'string' };
  // A switch such as --otlp-auth may stand alone (meaning true) or take true/false.
  const switches = new Set(CONFIG_OPTIONS.filter((o) => o.type === 'boolean').map((o) => `--${o.flag}`));
  const args = argv.flatMap((a, i) => (switches.has(a) && (argv[i + 1] === undefined || argv[i + 1].startsWith('-')) ? [a, 'true'] : [a]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
  } catch (err) {
    return fail(`${(err as Error).message}\nRun 'fluo serve --help' for the options.`, 2);
  }
  if (values.help) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }

  let server: RunningServer;
  try {
    const configPath = (values[CONFIG_FILE_FLAG] as string | undefined) ?? (env[CONFIG_FILE_ENV] || undefined);
    const file: ConfigFile | null = configPath ? await loadConfigFile(configPath) : null;
    const flags: Record<string, string | undefined> = {};
    for (const o of CONFIG_OPTIONS) flags[o.flag] = values[o.flag] as string | undefined;
    const config = resolveConfig({ flags, env, file });
    server = await startServer(config);
  } catch (err) {
    if (err instanceof ConfigError) return fail(`invalid configuration:\n${err.problems.map((p) => `  ${p.source}: ${p.message}`).join('\n')}`, 2);
    if (err instanceof RuleFilesError) return fail(err.message, 2);
    if (err instanceof ListenError) return fail(err.message, 1);
    return fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`, 1);
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (s: NodeJS.Signals): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(s);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // Announce readiness only once a SIGTERM would be handled: a supervisor (or test) may stop us right after the line.
    process.stdout.write(`${server.listeningLine}\n`);
  });
  process.stderr.write(`fluo: ${signal}: stopping (evaluating buffered traces, storing signals)\n`);
  // A second signal while stopping means "now": give up on a clean shutdown.
  const force = (): void => {
    process.stderr.write('fluo: stopped before the shutdown finished\n');
    process.exit(1);
  };
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  try {
    await server.close();
  } catch (err) {
    return fail(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`, 1);
  } finally {
    process.off('SIGTERM', force);
    process.off('SIGINT', force);
  }
  process.stderr.write('fluo: stopped\n');
  return 0;
}
