/**
 * Rule templates: the example rule files of the repository (the seed's three
 * first), read and compiled at build time by the same engine the server uses.
 */
import { parseRuleDocument, type RuleDefinition } from '@fluohq/engine';

const files = import.meta.glob('../../../../examples/rules/*.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export interface RuleTemplate extends RuleDefinition {
  /** The example file it comes from, e.g. seed.yaml. */
  file: string;
}

export const RULE_TEMPLATES: readonly RuleTemplate[] = Object.entries(files)
  .map(([path, text]) => ({ file: path.split('/').pop()!, text }))
  .sort((a, b) => (a.file === 'seed.yaml' ? -1 : b.file === 'seed.yaml' ? 1 : a.file < b.file ? -1 : 1))
  .flatMap(({ file, text }) => parseRuleDocument(text, file).rules.map((r) => ({ ...r.definition, file })));
