/**
 * The `fluo` command: dispatches to one module per sub-command. Sub-commands
 * are loaded on demand so that `fluo check` does not load the server.
 * Exit codes: 0 success, 1 signals found (check), 2 bad input or usage, 70 internal error.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<(argv: string[]) => Promise<number>> }> = {
  serve: { summary: 'run FLUO: OTLP receivers, API and UI', load: async () => (await import('./commands/serve.js')).serve },
  check: { summary: 'evaluate rules over OTLP trace files (for CI)', load: async () => (await import('./commands/check.js')).check },
  demo: { summary: 'FLUO in five minutes: a simulated shop with incidents', load: async () => (await import('./commands/demo.js')).demo },
  token: { summary: 'create, list and revoke API tokens (offline, on the data folder)', load: async () => (await import('./commands/token.js')).token },
};

export const USAGE = `Usage: fluo <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`).join('\n')}

Run 'fluo <command> --help' for a command's options.
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write('fluo 0.1.0\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`fluo: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  const run = await command.load();
  return run(rest);
}
