/**
 * @fluohq/server: FLUO's server (OTLP receivers, REST API and SSE, storage).
 * `startServer` is the entry point; the config helpers let the CLI parse
 * flags, environment and config file the same way the tests do.
 */
export { startServer, type RunningServer, type ServerPorts, type StartOptions } from './server.js';
export {
  CONFIG_OPTIONS, CONFIG_FILE_FLAG, CONFIG_FILE_ENV, DEFAULT_CONFIG, ConfigError, describeOptions, loadConfigFile, resolveConfig,
  type ConfigFile, type ConfigOption, type ConfigProblem, type ConfigSources, type LogLevel, type ServerConfig,
} from './config/config.js';
export { FluoError, type ErrorCode } from './errors.js';
export { ListenError } from './http/listen.js';
export { RuleFilesError } from './rules/ruleFileWatcher.js';
export { loadRuleFiles, type FileRule, type LoadedRuleFiles } from './rules/loadRuleFiles.js';
export { stores, openStore, parseStoreUrl, type StoreFactory, type StoreContext } from './store/stores.js';
export { SqliteStore, type SqliteStoreConfig } from './store/sqliteStore.js';
export { PostgresStore, parsePostgresUrl, redactUrl, type PostgresStoreConfig } from './store/postgresStore.js';
export type * from './store/store.js';
export { PermanentWriteError, SIGNAL_STATUSES } from './store/store.js';
export type { SerializedSpan } from './store/serializedSpan.js';
export { createLogger, type Logger } from './logger.js';
export { TOKEN_ROLES } from './store/store.js';
export { generateToken, checkTokenName, hashToken, TOKEN_PREFIX, type NewToken } from './auth/apiToken.js';
export { Authenticator, AUTH_MODES, type AuthMode, type Principal } from './auth/authenticator.js';
export { TlsError } from './http/tls.js';
export { tokenJson } from './api/tokensApi.js';
