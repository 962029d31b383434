/**
 * `fluo token`: API tokens, managed offline on the server's store (the same
 * data folder / store URL / config file as `fluo serve`), e.g. to create the
 * first admin token before starting, or to revoke one when the API is not
 * reachable. A running server sees new tokens at once and revocations within
 * its token cache time (5 s).
 *
 *   fluo token create --role editor --name ci   prints the token once, on stdout
 *   fluo token list                             id, name, role, created, revoked
 *   fluo token revoke <id>
 *   fluo token generate                         a random token for FLUO_ADMIN_TOKEN (touches no store)
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  CONFIG_FILE_ENV, CONFIG_FILE_FLAG, ConfigError, TOKEN_PREFIX, TOKEN_ROLES, checkTokenName, generateToken, loadConfigFile, openStore,
  resolveConfig, tokenJson, type Store, type TokenRole,
} from '@fluohq/server';

export const TOKEN_USAGE = `Usage: fluo token <create|list|revoke|generate> [options]

  fluo token create --role <${TOKEN_ROLES.join('|')}> --name <name>
      Creates a token and prints it on stdout (shown only this once; stored hashed).
  fluo token list [--json]
  fluo token revoke <token-id>
  fluo token generate
      Prints a random token to use as FLUO_ADMIN_TOKEN (stores nothing).

Roles: viewer reads; editor also changes rules and triages signals; admin also manages
tokens and reads the audit log (and may send OTLP); ingest only sends OTLP (--otlp-auth).

Store options (as for fluo serve): --data-dir <path>, --store <url>, --config <file>
(env FLUO_DATA_DIR, FLUO_STORE, FLUO_CONFIG).
`;

function fail(message: string, code = 2): number {
  process.stderr.write(`fluo token: ${message}\n`);
  return code;
}

async function withStore<T>(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv, work: (store: Store) => Promise<T>): Promise<T> {
  const configPath = (values[CONFIG_FILE_FLAG] as string | undefined) ?? (env[CONFIG_FILE_ENV] || undefined);
  const file = configPath ? await loadConfigFile(configPath) : null;
  // Only the options that locate the store matter here; the file may hold others.
  const config = resolveConfig({ flags: { 'data-dir': values['data-dir'] as string | undefined, store: values.store as string | undefined }, env, file });
  const store = await openStore(config.store, { dataDir: config.dataDir });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export async function token(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' },
        role: { type: 'string' }, name: { type: 'string' },
        'data-dir': { type: 'string' }, store: { type: 'string' }, [CONFIG_FILE_FLAG]: { type: 'string' },
      },
    }) as { values: Record<string, string | boolean | undefined>; positionals: string[] });
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${TOKEN_USAGE}`);
  }
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    process.stdout.write(TOKEN_USAGE);
    return values.help ? 0 : 2;
  }
  try {
    switch (action) {
      case 'generate':
        process.stdout.write(`${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}\n`);
        return 0;
      case 'create': {
        const role = values.role as string | undefined;
        const name = values.name as string | undefined;
        if (!TOKEN_ROLES.includes(role as TokenRole)) return fail(`--role must be one of ${TOKEN_ROLES.join(', ')}`);
        const nameProblem = checkTokenName(name);
        if (nameProblem !== null) return fail(`--name ${nameProblem}`);
        const created = await withStore(values, env, async (store) => {
          const made = generateToken({ name: name!, role: role as TokenRole, createdBy: 'cli', now: Date.now() });
          await store.createToken(made.record);
          await store.appendAudit({ at: Date.now(), actor: 'cli', action: 'token.create', target: `token:${made.record.id}`, before: null, after: tokenJson(made.record) });
          return made;
        });
        process.stderr.write(`fluo token: created ${created.record.id} (${created.record.role}, '${created.record.name}'). The token is shown only now:\n`);
        process.stdout.write(`${created.token}\n`);
        return 0;
      }
      case 'list': {
        const tokens = await withStore(values, env, (store) => store.listTokens());
        if (values.json) {
          process.stdout.write(`${JSON.stringify(tokens.map(tokenJson), null, 2)}\n`);
          return 0;
        }
        for (const t of tokens) {
          const state = t.revokedAt === null ? 'active' : `revoked ${new Date(t.revokedAt).toISOString()}`;
          process.stdout.write(`${t.id}\t${t.role}\t${t.name}\t${t.prefix}…\tcreated ${new Date(t.createdAt).toISOString()} by ${t.createdBy}\t${state}\n`);
        }
        return 0;
      }
      case 'revoke': {
        if (rest.length !== 1) return fail('give the id of the token to revoke (see fluo token list)');
        const id = rest[0];
        const result = await withStore(values, env, async (store) => {
          const before = (await store.listTokens()).find((t) => t.id === id);
          const after = await store.revokeToken(id, Date.now());
          if (after !== null && before?.revokedAt === null) {
            await store.appendAudit({ at: Date.now(), actor: 'cli', action: 'token.revoke', target: `token:${id}`, before: tokenJson(before), after: tokenJson(after) });
          }
          return after;
        });
        if (result === null) return fail(`no token with id '${id}'`, 1);
        process.stderr.write(`fluo token: revoked ${id} ('${result.name}')\n`);
        return 0;
      }
      default:
        return fail(`unknown action '${action}'\n\n${TOKEN_USAGE}`);
    }
  } catch (err) {
    if (err instanceof ConfigError) return fail(`invalid configuration:\n${err.problems.map((p) => `  ${p.source}: ${p.message}`).join('\n')}`);
    return fail(err instanceof Error ? err.message : String(err), 1);
  }
}
