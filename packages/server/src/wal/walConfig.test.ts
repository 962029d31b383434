import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, describeOptions, resolveConfig } from '../config/config.js';

describe('span log and overload options', () => {
  it('default to a durable log with a byte bound, and parse on/off, sizes and durations', () => {
    expect(DEFAULT_CONFIG).toMatchObject({ wal: true, walMaxBytes: 256 * 1024 * 1024, walFsyncInterval: 1, maxConcurrentRequests: 256 });
    const config = resolveConfig({ flags: { wal: 'off', 'wal-max-bytes': '64MiB', 'wal-fsync-interval': '5ms', 'max-concurrent-requests': '32' }, env: {} });
    expect(config).toMatchObject({ wal: false, walMaxBytes: 64 * 1024 * 1024, walFsyncInterval: 5, maxConcurrentRequests: 32 });
    expect(resolveConfig({ env: { FLUO_WAL: 'on' } }).wal).toBe(true);
    expect(describeOptions()).toMatch(/--wal on\|off .*default on/);
  });

  it('names the option and the source of a bad value', () => {
    expect(() => resolveConfig({ flags: { wal: 'maybe' } })).toThrow(ConfigError);
    expect(() => resolveConfig({ flags: { wal: 'maybe' } })).toThrow("--wal: wal must be 'on' or 'off', got \"maybe\"");
  });
});
