/**
 * Log lines on stderr, one per event: `fluo: LEVEL: message`. stdout is kept
 * for the machine-readable startup line.
 */
import type { LogLevel } from './config/config.js';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

export function createLogger(level: LogLevel, write: (line: string) => void = (line) => { process.stderr.write(line); }): Logger {
  const at = (l: Exclude<LogLevel, 'silent'>) => (message: string): void => {
    if (ORDER[l] >= ORDER[level]) write(`fluo: ${l}: ${message}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
