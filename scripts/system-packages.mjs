#!/usr/bin/env node
/**
 * The Debian packages FLUO's tests run for real: Chromium (UI end-to-end
 * tests), PostgreSQL (the PostgreSQL store), Prometheus Alertmanager (the
 * Alertmanager notifier) and OpenSSL (certificates for the TLS tests). Nothing is downloaded from anywhere but Debian's
 * package archive.
 *
 * As a command (`node scripts/system-packages.mjs`, run by `npm test` before
 * the suite): installs whatever is missing with apt-get when it can (root and
 * apt-get present), and otherwise exits 1 saying exactly what to install, so
 * the suite never passes by skipping a test.
 *
 * As a module: `locateBinary(name)` gives the absolute path of a binary the
 * tests start, or throws with the install command.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Each binary the tests need, where Debian puts it, and the package that ships it. */
const BINARIES = {
  chromium: { package: 'chromium', candidates: ['/usr/bin/chromium', '/usr/bin/chromium-browser'] },
  alertmanager: { package: 'prometheus-alertmanager', candidates: ['/usr/bin/prometheus-alertmanager', '/usr/bin/alertmanager'] },
  initdb: { package: 'postgresql', candidates: postgresBinaries('initdb') },
  postgres: { package: 'postgresql', candidates: postgresBinaries('postgres') },
  openssl: { package: 'openssl', candidates: ['/usr/bin/openssl', '/usr/local/bin/openssl'] },
};

function postgresBinaries(name) {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return [...versions.map((v) => `${root}/${v}/bin/${name}`), `/usr/local/bin/${name}`, `/usr/bin/${name}`];
}

function find(name) {
  return BINARIES[name].candidates.find((path) => existsSync(path)) ?? null;
}

/** Absolute path of a system binary the tests use; throws with the install command when it is missing. */
export function locateBinary(name) {
  const spec = BINARIES[name];
  if (!spec) throw new Error(`unknown system binary '${name}' (known: ${Object.keys(BINARIES).join(', ')})`);
  const path = find(name);
  if (path === null) {
    throw new Error(`${name} is not installed (looked in ${spec.candidates.join(', ')}). Install it with: sudo apt-get update && sudo apt-get install -y ${spec.package}  (or run: node scripts/system-packages.mjs)`);
  }
  return path;
}

function missingPackages() {
  return [...new Set(Object.keys(BINARIES).filter((name) => find(name) === null).map((name) => BINARIES[name].package))];
}

function canInstall() {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  return isRoot && hasApt;
}

function main() {
  const missing = missingPackages();
  if (missing.length === 0) return 0;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!canInstall()) {
    process.stderr.write(`FLUO's tests need these Debian packages, which are not installed: ${missing.join(', ')}.\nInstall them as root with:\n  ${command}\nthen run the tests again.\n`);
    return 1;
  }
  process.stderr.write(`installing Debian packages for the tests: ${missing.join(', ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  } catch (err) {
    process.stderr.write(`installing ${missing.join(', ')} failed (${err.message}). Install them by hand with:\n  ${command}\n`);
    return 1;
  }
  const still = missingPackages();
  if (still.length > 0) {
    process.stderr.write(`after apt-get install, still missing: ${still.join(', ')}\n`);
    return 1;
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main();
