/**
 * Keeps the file rules in step with their files: loads them at start and
 * again whenever something under the path changes (debounced).
 *
 * A reload with errors changes nothing: the rules loaded before stay in force
 * (a typo must not switch rules off), and the errors are logged and kept in
 * `errors` (GET /api/v1/rules shows them). At start, errors are fatal
 * (RuleFilesError), so a bad deployment fails loudly.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { formatRuleFileError, type RuleFileError } from '@fluohq/engine';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { loadRuleFiles } from './loadRuleFiles.js';
import type { RuleSet } from './ruleSet.js';

export class RuleFilesError extends Error {
  readonly code = 'RULE_FILES';
  constructor(readonly errors: RuleFileError[]) {
    super(`${errors.length} problem${errors.length === 1 ? '' : 's'} in the rule files:\n${errors.map(formatRuleFileError).join('\n')}`);
    this.name = 'RuleFilesError';
  }
}

export class RuleFileWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reloading: Promise<void> = Promise.resolve();
  private closed = false;
  /** Problems of the last load (empty when it succeeded), formatted "file:line:column: message". */
  errors: string[] = [];
  /** Completed loads, successful or not. */
  loads = 0;

  private constructor(private readonly target: string, private readonly ruleSet: RuleSet, private readonly log: Logger, private readonly debounceMs: number) {}

  /** Loads the rules (throws RuleFilesError on problems) and starts watching. */
  static async start(target: string, ruleSet: RuleSet, log: Logger, debounceMs = 100): Promise<RuleFileWatcher> {
    const w = new RuleFileWatcher(path.resolve(target), ruleSet, log, debounceMs);
    const loaded = await loadRuleFiles(w.target);
    if (loaded.errors.length > 0) throw new RuleFilesError(loaded.errors);
    w.errors = await ruleSet.setFileRules(loaded.rules);
    for (const e of w.errors) log.warn(e);
    w.loads++;
    log.info(`loaded ${loaded.rules.length} rule${loaded.rules.length === 1 ? '' : 's'} from ${loaded.files.length} file${loaded.files.length === 1 ? '' : 's'} under ${w.target}`);
    await w.watch();
    return w;
  }

  private async watch(): Promise<void> {
    const isDir = (await stat(this.target)).isDirectory();
    // A file is watched through its folder: editors save by replacing the file, which ends a watch on the file itself.
    const dir = isDir ? this.target : path.dirname(this.target);
    const name = path.basename(this.target);
    try {
      this.watcher = watch(dir, { recursive: isDir, persistent: false }, (_event, file) => {
        if (!isDir && file !== null && file !== name) return;
        this.schedule();
      });
      this.watcher.on('error', (err) => this.log.warn(`watching rule files under ${dir} stopped: ${describeError(err)}`));
    } catch (err) {
      this.log.warn(`rule files under ${dir} will not be reloaded on change: ${describeError(err)}`);
    }
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.reloading = this.reloading.then(() => this.reload());
    }, this.debounceMs);
  }

  /** Loads the files again now. */
  async reload(): Promise<void> {
    if (this.closed) return;
    try {
      const loaded = await loadRuleFiles(this.target);
      if (loaded.errors.length > 0) {
        this.errors = loaded.errors.map(formatRuleFileError);
        this.log.error(`rule files not reloaded, the rules loaded before stay in force:\n${this.errors.join('\n')}`);
      } else {
        this.errors = await this.ruleSet.setFileRules(loaded.rules);
        for (const e of this.errors) this.log.warn(e);
        this.log.info(`reloaded ${loaded.rules.length} rule${loaded.rules.length === 1 ? '' : 's'} from ${this.target}`);
      }
    } catch (err) {
      this.errors = [describeError(err)];
      this.log.error(`rule files not reloaded: ${describeError(err)}`);
    }
    this.loads++;
  }

  /** Stops watching. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    await this.reloading;
  }
}
