/**
 * Rules: a named, versioned DSL expression with a severity. `compileRule`
 * turns a definition into a CompiledRule once; the detector evaluates the
 * compiled form on every trace.
 */
import { compileCondition, type CompiledCondition } from '../dsl/compileCondition.js';

export type Severity = 'info' | 'warning' | 'critical';
export type RuleMode = 'alert' | 'shadow';

export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
export const RULE_MODES: readonly RuleMode[] = ['alert', 'shadow'];

export interface RuleDefinition {
  id: string;
  name: string;
  description?: string;
  severity: Severity;
  dsl: string;
  /** default true */
  enabled?: boolean;
  /** default 'alert'; shadow rules record signals but never notify */
  mode?: RuleMode;
  tags?: string[];
  /** default 1; bumped by stores on every edit */
  version?: number;
}

export interface CompiledRule {
  readonly id: string;
  readonly name: string;
  readonly severity: Severity;
  readonly mode: RuleMode;
  readonly version: number;
  readonly definition: RuleDefinition;
  readonly condition: CompiledCondition;
}

/** A problem with a rule definition's fields (not its DSL), naming the field. */
export interface RuleFieldError {
  field: string;
  message: string;
}

const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Checks a definition's fields other than `dsl`. Returns every problem found. */
export function checkRuleFields(def: Partial<RuleDefinition> & Record<string, unknown>): RuleFieldError[] {
  const errors: RuleFieldError[] = [];
  if (typeof def.id !== 'string' || !RULE_ID.test(def.id)) {
    errors.push({ field: 'id', message: 'must be 1 to 128 characters: letters, digits and . _ : - (starting with a letter or digit)' });
  }
  if (typeof def.name !== 'string' || def.name.trim() === '') errors.push({ field: 'name', message: 'must be a non-empty string' });
  if (def.description !== undefined && typeof def.description !== 'string') errors.push({ field: 'description', message: 'must be a string' });
  if (!SEVERITIES.includes(def.severity as Severity)) errors.push({ field: 'severity', message: `must be one of ${SEVERITIES.join(', ')}` });
  if (typeof def.dsl !== 'string' || def.dsl.trim() === '') errors.push({ field: 'dsl', message: 'must be a non-empty string' });
  if (def.enabled !== undefined && typeof def.enabled !== 'boolean') errors.push({ field: 'enabled', message: 'must be true or false' });
  if (def.mode !== undefined && !RULE_MODES.includes(def.mode as RuleMode)) errors.push({ field: 'mode', message: `must be one of ${RULE_MODES.join(', ')}` });
  if (def.tags !== undefined && (!Array.isArray(def.tags) || def.tags.some((t) => typeof t !== 'string'))) {
    errors.push({ field: 'tags', message: 'must be a list of strings' });
  }
  if (def.version !== undefined && (!Number.isInteger(def.version) || (def.version as number) < 1)) {
    errors.push({ field: 'version', message: 'must be a positive integer' });
  }
  return errors;
}

/** Compiles a rule definition. Throws RuleError when the DSL does not compile. */
export function compileRule(def: RuleDefinition): CompiledRule {
  const condition = compileCondition(def.dsl);
  return {
    id: def.id,
    name: def.name,
    severity: def.severity,
    mode: def.mode ?? 'alert',
    version: def.version ?? 1,
    definition: def,
    condition,
  };
}
