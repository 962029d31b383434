import { describe, expect, test } from 'vitest';
import { parseRuleDocument, formatRuleFileError } from './parseRuleDocument.js';

describe('parseRuleDocument', () => {
  test('a YAML file with block-scalar DSL compiles every rule', () => {
    const text = `rules:
  - id: pii-without-audit
    name: PII without audit
    description: every PII read has an audit log
    severity: critical
    tags: [compliance]
    dsl: |
      trace.has(span => span.attributes['data.contains_pii'] === true)
        .and(trace.missing(span => span.name === 'audit.log'))
  - id: retries
    name: Retry storm
    severity: warning
    enabled: false
    mode: shadow
    dsl: "trace.count(s => s.name === 'http.retry') > 3"
`;
    const { rules, errors } = parseRuleDocument(text, 'rules.yaml');
    expect(errors).toEqual([]);
    expect(rules.map((r) => [r.id, r.severity, r.mode, r.definition.enabled])).toEqual([
      ['pii-without-audit', 'critical', 'alert', undefined],
      ['retries', 'warning', 'shadow', false],
    ]);
    expect(rules[0].definition.tags).toEqual(['compliance']);
  });

  test('JSON works and a bare list is accepted', () => {
    const json = JSON.stringify({ rules: [{ id: 'a', name: 'A', severity: 'info', dsl: "trace.has(s => s.name === 'a')" }] });
    expect(parseRuleDocument(json, 'r.json').rules).toHaveLength(1);
    expect(parseRuleDocument("- {id: b, name: B, severity: info, dsl: 'trace.has(s => true)'}\n", 'r.yaml').rules).toHaveLength(1);
    expect(parseRuleDocument('', 'empty.yaml')).toEqual({ rules: [], errors: [] });
  });

  test('a DSL error in a block scalar points at its line and column in the file', () => {
    const text = `rules:
  - id: bad
    name: Bad
    severity: warning
    dsl: |
      trace.has(span => span.name === 'a')
        .and(trace.has(span => span.nmae === 'b'))
`;
    const { rules, errors } = parseRuleDocument(text, 'rules/bad.yaml');
    expect(rules).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(formatRuleFileError(errors[0])).toMatch(/^rules\/bad\.yaml:7:37: rule 'bad': Span has no field 'nmae' \(did you mean 'name'\?\)/);
    expect(errors[0]).toMatchObject({ ruleId: 'bad', field: 'dsl', code: 'UNKNOWN_PROPERTY' });
  });

  test('a block scalar starting with a blank line keeps its indentation', () => {
    const text = "rules:\n  - id: blank\n    name: B\n    severity: info\n    dsl: |\n\n      trace.has(s => s.nmae === 'b')\n";
    const [e] = parseRuleDocument(text, 'b.yaml').errors;
    expect([e.line, e.column]).toEqual([7, 24]);
  });

  test('a DSL error in a quoted one-line scalar points into the line', () => {
    const text = `rules:\n  - {id: q, name: Q, severity: info, dsl: "trace.has(s => s.name = 'x')"}\n`;
    const [e] = parseRuleDocument(text, 'q.yaml').errors;
    expect([e.line, e.column]).toEqual([2, 59]);
    expect(e.message).toContain("Assignment ('=') is not allowed");
  });

  test('field problems name the field and its place', () => {
    const text = `rules:
  - id: ok
    name: ok
    severity: urgent
    dsl: "trace.has(s => true)"
    colour: red
  - id: ok
    name: ""
    severity: info
    dsl: "trace.has(s => true)"
`;
    const { errors } = parseRuleDocument(text, 'f.yaml');
    expect(errors.map(formatRuleFileError)).toEqual([
      "f.yaml:6:5: rule 'ok': unknown field 'colour'; fields are id, name, description, severity, dsl, enabled, mode, tags, version",
      "f.yaml:4:15: rule 'ok': severity must be one of info, warning, critical",
      "f.yaml:8:11: rule 'ok': name must be a non-empty string",
      "f.yaml:7:9: rule 'ok': duplicate id (also rules[0])",
    ]);
  });

  test('YAML syntax errors and wrong shapes are reported, not thrown', () => {
    const [syntax] = parseRuleDocument('rules:\n  - id: [unclosed\n', 'broken.yaml').errors;
    expect(syntax.message).toMatch(/^YAML syntax error: /);
    expect(syntax.line).toBeGreaterThanOrEqual(2);
    expect(parseRuleDocument('{"rules": 5}', 'x.json').errors[0].message).toBe("'rules' must be a list of rules");
    expect(parseRuleDocument('name: x', 'x.yaml').errors[0].message).toMatch(/top-level 'rules' list/);
    expect(parseRuleDocument('rules:\n  - 42\n', 'x.yaml').errors[0]).toMatchObject({ line: 2, column: 5, message: 'rules[0] must be a mapping with id, name, severity and dsl' });
    expect(parseRuleDocument('{"rules": [}', 'x.json').errors[0].message).toMatch(/^JSON syntax error/);
  });
});
