/**
 * Rules as code: reads a rule file, or every rule file (.yaml, .yml, .json)
 * under a folder (recursively, in path order, skipping names starting with
 * a dot), and parses them with the engine's parseRuleDocument.
 *
 * Exported on its own as `@fluohq/server/rule-files`, so that `fluo check`
 * reads rules exactly as the server does without loading the server.
 *
 * Every problem is a RuleFileError (file, line, column, message): unreadable
 * paths, syntax and field errors, DSL errors, and an id used in two files.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseRuleDocument, type CompiledRule, type RuleFileError } from '@fluohq/engine';

export const RULE_FILE_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** A compiled rule and the file it came from. */
export type FileRule = CompiledRule & { readonly file: string };

export interface LoadedRuleFiles {
  /** Valid rules, in file order then path order. Rules in error are left out. */
  rules: FileRule[];
  errors: RuleFileError[];
  /** Files read, absolute. */
  files: string[];
}

async function listRuleFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await listRuleFiles(full));
    else if (entry.isFile() && RULE_FILE_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) out.push(full);
  }
  return out;
}

export async function loadRuleFiles(target: string, cwd: string = process.cwd()): Promise<LoadedRuleFiles> {
  const absolute = path.resolve(cwd, target);
  const result: LoadedRuleFiles = { rules: [], errors: [], files: [] };
  let files: string[];
  try {
    files = (await stat(absolute)).isDirectory() ? await listRuleFiles(absolute) : [absolute];
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    result.errors.push({ file: absolute, line: 1, column: 1, message: code === 'ENOENT' ? 'no such rule file or folder' : `cannot read: ${(err as Error).message}` });
    return result;
  }
  const firstFileOf = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      result.errors.push({ file, line: 1, column: 1, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    result.files.push(file);
    const parsed = parseRuleDocument(text, file);
    result.errors.push(...parsed.errors);
    for (const rule of parsed.rules) {
      const other = firstFileOf.get(rule.id);
      if (other !== undefined) {
        result.errors.push({ file, ...positionOf(text, rule.id), ruleId: rule.id, field: 'id', message: `rule '${rule.id}': duplicate id (also in ${other})` });
        continue;
      }
      firstFileOf.set(rule.id, file);
      result.rules.push({ ...rule, file });
    }
  }
  return result;
}

/** Where an id first appears in a file's text (1-based), for errors found across files. */
function positionOf(text: string, id: string): { line: number; column: number } {
  const offset = Math.max(0, text.indexOf(id));
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) { line++; start = i + 1; }
  return { line, column: offset - start + 1 };
}
