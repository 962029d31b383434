/**
 * The guides in docs/ stay true to the code: the configuration reference
 * lists every server option (flag, environment variable, config key) and
 * every `fluo demo` flag, and every relative link between the guides points
 * to a file (and heading) that exists.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_OPTIONS } from '@fluohq/server';
import { describe, expect, it } from 'vitest';
import { DEMO_USAGE } from '../src/commands/demo.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DOCS = path.join(ROOT, 'docs');
const GUIDES = ['getting-started.md', 'writing-rules.md', 'sending-traces.md', 'investigating-signals.md', 'configuration.md', 'api.md', 'troubleshooting.md'];

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    out.add(m[1].trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  }
  return out;
}

describe('docs', () => {
  it('has every guide', () => {
    for (const g of GUIDES) expect(existsSync(path.join(DOCS, g)), g).toBe(true);
  });

  it('configuration.md lists every server option with its flag, variable and key on one row', () => {
    const text = readFileSync(path.join(DOCS, 'configuration.md'), 'utf8');
    const rows = text.split('\n').filter((l) => l.startsWith('| `--'));
    for (const o of CONFIG_OPTIONS) {
      const row = rows.find((r) => r.startsWith(`| \`--${o.flag}\` |`));
      expect(row, `--${o.flag}`).toBeDefined();
      expect(row).toContain(`\`${o.env}\``);
      expect(row).toContain(`\`${o.key}\``);
    }
  });

  it('configuration.md lists every fluo demo flag', () => {
    const text = readFileSync(path.join(DOCS, 'configuration.md'), 'utf8');
    const section = text.slice(text.indexOf('## `fluo demo`'), text.indexOf('## Client library'));
    for (const m of DEMO_USAGE.matchAll(/^ {2}(--[a-z-]+)/gm)) expect(section, m[1]).toContain(`\`${m[1]}\``);
  });

  it('relative links in the guides and the client README resolve', () => {
    const files = [...readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => path.join(DOCS, f)), path.join(ROOT, 'packages/client/README.md'), path.join(ROOT, 'examples/node-service/README.md'), path.join(ROOT, 'examples/collector/README.md')];
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1];
        if (/^[a-z]+:/i.test(link)) continue;
        const [target, hash] = link.split('#');
        const resolved = target === '' ? file : path.resolve(path.dirname(file), target);
        if (!existsSync(resolved)) { broken.push(`${path.relative(ROOT, file)}: ${link}`); continue; }
        if (hash && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(hash)) broken.push(`${path.relative(ROOT, file)}: ${link} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
