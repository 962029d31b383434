/**
 * The rules in force: the API's (kept in the store) and the rule files'
 * (read-only here, reloaded when the files change). Every change is
 * validated and compiled before it is saved, then applied to the detector at
 * once (`setRules`), so an enabled rule applies to buffered and future traces
 * from the moment it is saved.
 *
 * Changes are serialized (one at a time) so that concurrent edits of one rule
 * cannot interleave between read and write; `version` in a PUT or PATCH body
 * is the version the client edited, and a mismatch is a 409.
 *
 * Several instances (a shared PostgreSQL store): another instance's changes
 * arrive through `refresh()` (the server calls it from the store's change
 * feed), and every edit starts from the rule as stored, not as cached, so
 * an edit made elsewhere a moment ago is neither lost nor a false 409.
 *
 * Ids: a file rule and an API rule cannot share an id; the API refuses to
 * create one over a file rule (409), and a file rule whose id an API rule has
 * is not loaded (reported as a file error).
 */
import { RuleError, checkRuleFields, compileRule, type CompiledRule, type RuleDefinition, type RuleErrorInfo } from '@fluohq/engine';
import { FluoError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RuleRecord, Store } from '../store/store.js';
import type { FileRule } from './loadRuleFiles.js';

export interface RuleView extends RuleRecord {
  /** Rule file it comes from, for file rules. */
  file?: string;
  /** Set when a stored rule no longer compiles (e.g. after an upgrade); such a rule is not applied. */
  compileError?: RuleErrorInfo;
}

interface Entry {
  view: RuleView;
  compiled: CompiledRule | null;
}

const EDITABLE = ['id', 'name', 'description', 'severity', 'dsl', 'enabled', 'mode', 'tags', 'version'] as const;
/** Fields a client may send back unchanged from a GET (ignored). */
const READ_ONLY = ['createdAt', 'updatedAt', 'source', 'file', 'compileError'];

/** The rule's id made from its name: lowercase letters, digits and dashes. */
export function slugOf(name: string): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100).replace(/-+$/g, '');
  return slug === '' ? 'rule' : slug;
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new FluoError('VALIDATION', 'the request body must be a JSON object describing a rule');
  }
  const obj = body as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !(EDITABLE as readonly string[]).includes(k) && !READ_ONLY.includes(k));
  if (unknown.length > 0) {
    throw new FluoError('VALIDATION', `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}: a rule has ${EDITABLE.join(', ')}`, {
      details: unknown.map((field) => ({ field, message: 'unknown field' })),
    });
  }
  return obj;
}

function compileError(err: unknown): FluoError {
  if (err instanceof RuleError) {
    return new FluoError('RULE_COMPILE', `dsl, line ${err.line}, column ${err.column}: ${err.message}`, { details: err.toJSON() });
  }
  throw err;
}

function definitionOf(record: RuleRecord): RuleDefinition {
  return {
    id: record.id, name: record.name, description: record.description, severity: record.severity, dsl: record.dsl,
    enabled: record.enabled, mode: record.mode, tags: record.tags, version: record.version,
  };
}

export class RuleSet {
  private readonly api = new Map<string, Entry>();
  private readonly files = new Map<string, Entry>();
  private lock: Promise<unknown> = Promise.resolve();
  private pendingRefresh: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly apply: (rules: CompiledRule[]) => void,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads the API's rules from the store and applies them. */
  async load(): Promise<void> {
    for (const record of await this.store.listRules()) this.api.set(record.id, this.storedEntry(record));
    this.applyAll();
  }

  /**
   * Re-reads the API's rules from the store and applies what changed (rules
   * created, edited or deleted through another instance). A call made while
   * another waits to run shares it. Never rejects: a failure is logged, and
   * the next call (the change feed reconciles periodically) tries again.
   */
  refresh(): Promise<void> {
    if (this.pendingRefresh) return this.pendingRefresh;
    const run = this.serialized(async () => {
      this.pendingRefresh = null;
      const records = await this.store.listRules();
      const changed: string[] = [];
      const stored = new Set<string>();
      for (const record of records) {
        stored.add(record.id);
        const cached = this.api.get(record.id)?.view;
        if (cached && cached.version === record.version && cached.updatedAt === record.updatedAt) continue;
        this.api.set(record.id, this.storedEntry(record));
        changed.push(`${cached ? 'changed' : 'created'} '${record.id}'`);
        const file = this.files.get(record.id);
        if (file) {
          this.files.delete(record.id);
          this.log.warn(`rule file ${file.view.file}: rule '${record.id}' is not applied any more: an API rule with that id was created through another instance`);
        }
      }
      for (const id of [...this.api.keys()]) {
        if (!stored.has(id)) { this.api.delete(id); changed.push(`deleted '${id}'`); }
      }
      if (changed.length === 0) return;
      this.applyAll();
      this.log.info(`rules changed through another instance: ${changed.join(', ')}`);
    }).catch((err: unknown) => {
      this.log.error(`cannot reload the rules from the store: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.pendingRefresh = run;
    return run;
  }

  list(): RuleView[] {
    return [...this.api.values(), ...this.files.values()].map((e) => e.view).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string): RuleView | undefined {
    return (this.api.get(id) ?? this.files.get(id))?.view;
  }

  compiled(id: string): CompiledRule | undefined {
    return (this.api.get(id) ?? this.files.get(id))?.compiled ?? undefined;
  }

  /** Enabled, compiled rules (what the detector runs). */
  active(): CompiledRule[] {
    return [...this.api.values(), ...this.files.values()].filter((e) => e.view.enabled && e.compiled).map((e) => e.compiled!);
  }

  create(body: unknown): Promise<RuleView> {
    return this.serialized(async () => {
      const input = asObject(body);
      let id = input.id;
      if (id === undefined || id === null || id === '') {
        const base = slugOf(typeof input.name === 'string' ? input.name : '');
        id = base;
        for (let n = 2; this.api.has(id as string) || this.files.has(id as string) || (await this.store.getRule(id as string)); n++) id = `${base}-${n}`;
      }
      if (typeof id === 'string' && this.files.has(id)) {
        throw new FluoError('CONFLICT', `rule '${id}' exists already, from the rule file ${this.files.get(id)!.view.file}`, { details: { id } });
      }
      const at = this.now();
      const record = this.validated({ ...input, id, version: 1 }, { createdAt: at, updatedAt: at });
      const compiled = this.compile(record);
      await this.store.createRule(record);
      this.api.set(record.id, { view: record, compiled });
      this.applyAll();
      return record;
    });
  }

  /** PUT: the body is the whole rule. */
  replace(id: string, body: unknown): Promise<RuleView> {
    return this.serialized(async () => {
      const input = asObject(body);
      if (input.id !== undefined && input.id !== id) throw new FluoError('VALIDATION', `the body's id '${String(input.id)}' is not the id in the path '${id}'`, { details: [{ field: 'id', message: 'must match the path' }] });
      const current = await this.editable(id);
      return this.save(current, { ...input, id }, input.version);
    });
  }

  /** PATCH: the body holds the fields to change. */
  patch(id: string, body: unknown): Promise<RuleView> {
    return this.serialized(async () => {
      const input = asObject(body);
      if (input.id !== undefined && input.id !== id) throw new FluoError('VALIDATION', 'a rule\'s id cannot be changed: create a new rule instead', { details: [{ field: 'id', message: 'cannot be changed' }] });
      const current = await this.editable(id);
      const merged: Record<string, unknown> = { ...definitionOf(current) };
      for (const key of EDITABLE) if (Object.hasOwn(input, key)) merged[key] = input[key];
      return this.save(current, merged, input.version);
    });
  }

  remove(id: string): Promise<void> {
    return this.serialized(async () => {
      await this.editable(id);
      await this.store.deleteRule(id);
      this.api.delete(id);
      this.applyAll();
    });
  }

  /**
   * Replaces the file rules with a new set (a reload). Returns a problem per
   * rule not loaded because an API rule has its id, as "file: message".
   */
  setFileRules(rules: readonly FileRule[]): Promise<string[]> {
    return this.serialized(async () => {
      const problems: string[] = [];
      const next = new Map<string, Entry>();
      const at = this.now();
      for (const rule of rules) {
        const d = rule.definition;
        if (this.api.has(rule.id)) {
          problems.push(`${rule.file}: rule '${rule.id}' is not loaded: an API rule has that id (delete it through the API or rename the file rule)`);
          continue;
        }
        const previous = this.files.get(rule.id)?.view;
        const view: RuleView = {
          id: rule.id, name: rule.name, description: d.description ?? '', severity: rule.severity, dsl: d.dsl,
          enabled: d.enabled ?? true, mode: rule.mode, tags: d.tags ?? [], version: rule.version,
          createdAt: previous?.createdAt ?? at, updatedAt: previous && previous.dsl === d.dsl && previous.version === rule.version ? previous.updatedAt : at,
          source: 'file', file: rule.file,
        };
        next.set(rule.id, { view, compiled: rule });
      }
      this.files.clear();
      for (const [id, entry] of next) this.files.set(id, entry);
      this.applyAll();
      return problems;
    });
  }

  /** The API rule as stored now (refreshing the cache when another instance changed it). */
  private async editable(id: string): Promise<RuleRecord> {
    const file = this.files.get(id);
    if (file) throw new FluoError('READ_ONLY', `rule '${id}' comes from the rule file ${file.view.file}: edit the file instead`, { details: { id, file: file.view.file } });
    const stored = await this.store.getRule(id);
    const cached = this.api.get(id)?.view;
    if (!stored) {
      if (cached) { this.api.delete(id); this.applyAll(); }
      throw new FluoError('NOT_FOUND', `no rule with id '${id}'`);
    }
    if (!cached || cached.version !== stored.version || cached.updatedAt !== stored.updatedAt) {
      this.api.set(id, this.storedEntry(stored));
      this.applyAll();
    }
    return stored;
  }

  /** A stored rule, compiled; one that no longer compiles (e.g. after an upgrade) is kept with its error and not applied. */
  private storedEntry(record: RuleRecord): Entry {
    try {
      return { view: record, compiled: compileRule(definitionOf(record)) };
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      this.log.warn(`rule '${record.id}' no longer compiles and is not applied: line ${err.line}, column ${err.column}: ${err.message}`);
      return { view: { ...record, compileError: err.toJSON() }, compiled: null };
    }
  }

  private async save(current: RuleRecord, input: Record<string, unknown>, expectedVersion: unknown): Promise<RuleView> {
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new FluoError('CONFLICT', `rule '${current.id}' is at version ${current.version}, not ${String(expectedVersion)}: it was changed meanwhile`, { details: { id: current.id, version: current.version } });
    }
    const record = this.validated({ ...input, version: current.version + 1 }, { createdAt: current.createdAt, updatedAt: this.now() });
    const compiled = this.compile(record);
    await this.store.updateRule(record, current.version);
    this.api.set(record.id, { view: record, compiled });
    this.applyAll();
    return record;
  }

  private validated(input: Record<string, unknown>, times: { createdAt: number; updatedAt: number }): RuleRecord {
    const problems = checkRuleFields(input);
    if (problems.length > 0) {
      throw new FluoError('VALIDATION', `invalid rule: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { details: problems });
    }
    return {
      id: input.id as string,
      name: (input.name as string).trim(),
      description: (input.description as string | undefined) ?? '',
      severity: input.severity as RuleRecord['severity'],
      dsl: input.dsl as string,
      enabled: (input.enabled as boolean | undefined) ?? true,
      mode: (input.mode as RuleRecord['mode'] | undefined) ?? 'alert',
      tags: (input.tags as string[] | undefined) ?? [],
      version: input.version as number,
      createdAt: times.createdAt,
      updatedAt: times.updatedAt,
      source: 'api',
    };
  }

  private compile(record: RuleRecord): CompiledRule {
    try {
      return compileRule(definitionOf(record));
    } catch (err) {
      throw compileError(err);
    }
  }

  private applyAll(): void {
    this.apply(this.active());
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lock.then(task, task);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
