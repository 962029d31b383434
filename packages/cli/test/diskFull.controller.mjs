// Runs inside a private mount namespace (unshare --mount, see diskFull.test.ts):
// mounts a small tmpfs at DIR, starts `fluo serve` with its data folder there,
// and fills or frees the disk on command, so that the test sees a real ENOSPC.
// stdin commands: "fill" → "filled <bytes>", "free" → "freed". stdin closed → SIGTERM fluo, exit with its code.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

const [dir, size, bin, ...args] = process.argv.slice(2);
mkdirSync(dir, { recursive: true });
execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
const filler = path.join(dir, 'filler');
const fluo = spawn(process.execPath, [bin, 'serve', '--data-dir', path.join(dir, 'data'), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'fill') {
    const fd = openSync(filler, 'a');
    const chunk = Buffer.alloc(4096, 1);
    let bytes = 0;
    try { for (;;) bytes += writeSync(fd, chunk); } catch { /* ENOSPC: full */ }
    closeSync(fd);
    process.stdout.write(`filled ${bytes}\n`);
  } else if (line === 'free') {
    unlinkSync(filler);
    process.stdout.write('freed\n');
  }
}).on('close', () => {
  fluo.kill('SIGTERM');
});
fluo.on('exit', (code) => {
  try { execFileSync('umount', ['-l', dir]); } catch { /* the namespace goes away with us */ }
  process.exit(code ?? 1);
});
