/**
 * The DSL's examples, one list driving many tests (dsl/*.test.ts) and the
 * docs: rules that compile, and rules that are rejected with the exact
 * error (code, line, column, message) a user sees.
 */
import type { RuleErrorCode } from './ruleError.js';

export interface ValidExample { name: string; dsl: string; monotone: boolean }
export interface RejectedExample { dsl: string; code: RuleErrorCode; line: number; column: number; message: string }

export const VALID_RULES: ValidExample[] = [
  { name: "seed: auth failure masked by retry", monotone: true, dsl: "trace.has(span => span.name === 'auth.login' && span.status === 'ERROR')\n  .and(trace.has(span => span.name === 'auth.login' && span.status === 'OK'))\n  .within('5 seconds')" },
  { name: "seed: PII without audit", monotone: false, dsl: "trace.has(span => span.attributes['data.contains_pii'] === true)\n  .and(trace.missing(span => span.name === 'audit.log'))" },
  { name: "seed: slow query in payment flow", monotone: true, dsl: "trace.where(span => span.name.startsWith('payment'))\n  .has(span => span.name.includes('db.query') && span.duration > 1000)" },
  { name: "count on the left", monotone: true, dsl: "trace.count(s => s.name === 'http.retry') > 3" },
  { name: "count on the right", monotone: true, dsl: "3 < trace.count(s => s.name === 'http.retry')" },
  { name: "count absence", monotone: false, dsl: "trace.count(s => s.kind === 'SERVER') === 0" },
  { name: "count within", monotone: true, dsl: "trace.count(s => s.status === 'ERROR') >= 5 .within('1 minute')" },
  { name: "parenthesised count within", monotone: true, dsl: "(trace.count(s => s.status === 'ERROR') >= 5).within('1m')" },
  { name: "or", monotone: true, dsl: "trace.has(s => s.status === 'ERROR').or(trace.has(s => s.duration > 5000))" },
  { name: "and with several", monotone: true, dsl: "trace.has(s => s.name === 'a').and(trace.has(s => s.name === 'b'), trace.has(s => s.name === 'c'))" },
  { name: "not", monotone: false, dsl: "trace.not(trace.has(s => s.name === 'audit.log'))" },
  { name: "logical operators", monotone: false, dsl: "trace.has(s => s.name === 'a') && !trace.has(s => s.name === 'b') || trace.has(s => s.name === 'c')" },
  { name: "followedBy within", monotone: true, dsl: "trace.has(s => s.name === 'cart.add').followedBy(trace.has(s => s.name === 'checkout')).within('10s')" },
  { name: "nested where", monotone: false, dsl: "trace.where(s => s.service === 'payment').where(s => s.kind === 'CLIENT').missing(s => s.attributes['url.scheme'] === 'https')" },
  { name: "regex and string methods", monotone: true, dsl: "trace.has(s => /^GET \\/api\\/v[12]\\//i.test(s.name) && s.name.toLowerCase().endsWith('/users'))" },
  { name: "optional chaining and events", monotone: true, dsl: "trace.has(s => s.events.some(e => e.name === 'exception' && e.attributes['exception.type']?.includes('Timeout')))" },
  { name: "parent and children (structural)", monotone: false, dsl: "trace.has(s => s.status === 'ERROR' && s.parent?.status === 'OK' && s.children.length === 0)" },
  { name: "in, ternary, Math, Number, arrays", monotone: true, dsl: "trace.has(s => ('http.route' in s.attributes ? Math.max(Number(s.attributes['http.response.status_code']), 0) >= 500 : false) && ['GET', 'POST'].includes(s.attributes['http.request.method']))" },
  { name: "template literal and arithmetic", monotone: true, dsl: "trace.has(s => `${s.service}:${s.name}` === 'auth:login' && (s.endTime - s.startTime) % 2 === 0)" },
  { name: "numeric durations", monotone: true, dsl: "trace.has(s => s.name === 'a').and(trace.has(s => s.name === 'b')).within(250)" },
  { name: "correlated: failed login then success for the same user", monotone: true, dsl: "traces.by(span => span.attributes['enduser.id'])\n  .has(span => span.name === 'auth.login' && span.status === 'ERROR')\n  .followedBy(traces.has(span => span.name === 'auth.login' && span.status === 'OK'))\n  .within('5 seconds')" },
  { name: "correlated: five payment errors per user per minute", monotone: true, dsl: "traces.by(span => span.attributes['enduser.id'])\n  .count(span => span.name.startsWith('payment') && span.status === 'ERROR') >= 5\n  .within('1 minute')" },
  { name: "correlated: key from resource and span attributes, with missing", monotone: false, dsl: "traces.by(s => `${s.resource['host.name']}/${s.attributes.user}`).has(s => s.status === 'ERROR').and(traces.missing(s => s.name === 'alert')).within('30s')" },
  { name: "correlated: concatenated key, where and not", monotone: false, dsl: "traces.by(s => s.attributes.tenant + ':' + s.attributes.user).where(s => s.name === 'checkout').has(s => s.name === 'charge').and(traces.not(traces.has(s => s.name === 'refund'))).within('10m')" },
  { name: "comments are fine", monotone: true, dsl: "// payment spans only\ntrace.where(s => s.service === 'payment') /* scope */ .has(s => s.status === 'ERROR')" },
];

export const REJECTED_RULES: RejectedExample[] = [
  {
    dsl: "",
    code: 'SYNTAX', line: 1, column: 1,
    message: "The rule is empty: write an expression such as trace.has(span => span.status === 'ERROR')",
  },
  {
    dsl: "trace.has(span => span.name === )",
    code: 'SYNTAX', line: 1, column: 33,
    message: "Syntax error: Unexpected token",
  },
  {
    dsl: "trace.has(span => span.name = 'x')",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "Assignment ('=') is not allowed in rules: predicates only read spans; to compare use === instead of =",
  },
  {
    dsl: "trace.has(span => new RegExp('a').test(span.name))",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "'new' is not allowed in rules: use literals, e.g. a regex literal /abc/ instead of new RegExp(...)",
  },
  {
    dsl: "trace.has(span => this.name === 'x')",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "'this' is not available in rules: read the span through the predicate's parameter, e.g. span => span.name",
  },
  {
    dsl: "trace.has(span => span.constructor)",
    code: 'FORBIDDEN_PROPERTY', line: 1, column: 24,
    message: "'constructor' cannot be read in rules: it reaches JavaScript internals, not span data. Read span fields (span.name, span.attributes['key'], ...)",
  },
  {
    dsl: "trace.has(span => span['__proto__'])",
    code: 'FORBIDDEN_PROPERTY', line: 1, column: 24,
    message: "'__proto__' cannot be read in rules: it reaches JavaScript internals, not span data. Read span fields (span.name, span.attributes['key'], ...)",
  },
  {
    dsl: "trace.has(span => span.name.constructor.constructor('return process')())",
    code: 'FORBIDDEN_PROPERTY', line: 1, column: 41,
    message: "'constructor' cannot be used in rules: it reaches JavaScript internals, not span data",
  },
  {
    dsl: "trace.has(span => span.attributes.prototype === 1)",
    code: 'FORBIDDEN_PROPERTY', line: 1, column: 35,
    message: "'prototype' cannot be read in rules: it reaches JavaScript internals, not span data. Read span fields (span.name, span.attributes['key'], ...)",
  },
  {
    dsl: "trace.has(span => globalThis.process)",
    code: 'UNKNOWN_IDENTIFIER', line: 1, column: 19,
    message: "'globalThis' is not available in rules: rules cannot run code, load modules or reach the process. Read the span through the predicate's parameter, e.g. span => span.name",
  },
  {
    dsl: "trace.has(span => process.exit(1))",
    code: 'UNKNOWN_IDENTIFIER', line: 1, column: 19,
    message: "'process' is not available in rules: rules cannot run code, load modules or reach the process. Read the span through the predicate's parameter, e.g. span => span.name",
  },
  {
    dsl: "trace.has(span => require('fs'))",
    code: 'UNKNOWN_IDENTIFIER', line: 1, column: 19,
    message: "'require' is not available in rules: rules cannot run code, load modules or reach the process. Read the span through the predicate's parameter, e.g. span => span.name",
  },
  {
    dsl: "trace.has(span => import('fs'))",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "import() is not allowed in rules: rules cannot load code",
  },
  {
    dsl: "trace.has(span => { return span.name === 'x' })",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "Predicates are expressions: write span => span.name === 'x' instead of a { ... } block with return",
  },
  {
    dsl: "trace.has(function (span) { return true })",
    code: 'NOT_ALLOWED', line: 1, column: 11,
    message: "Use an arrow function for the predicate of has(), e.g. span => span.name === 'checkout'",
  },
  {
    dsl: "trace.has(span => span.name === 'a'); trace.has(span => true)",
    code: 'NOT_ALLOWED', line: 1, column: 39,
    message: "A rule is a single expression: combine conditions with .and(...) or .or(...) instead of writing several statements",
  },
  {
    dsl: "const x = 1",
    code: 'NOT_ALLOWED', line: 1, column: 1,
    message: "A rule is one expression, not a variable declaration (const/let/var): write it as trace.has(...), trace.missing(...) and so on",
  },
  {
    dsl: "for (;;) {}",
    code: 'NOT_ALLOWED', line: 1, column: 1,
    message: "A rule is one expression, not a loop: write it as trace.has(...), trace.missing(...) and so on",
  },
  {
    dsl: "trace.has(span => tag`x`)",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "Tagged templates are not allowed in rules: use a plain `template ${literal}` or string concatenation",
  },
  {
    dsl: "trace.has(span => span.name.replace('a', 'b') === 'b')",
    code: 'UNKNOWN_METHOD', line: 1, column: 29,
    message: ".replace() is not allowed in rules; allowed methods: startsWith, endsWith, includes, toLowerCase, toUpperCase, trim, match, test, some, every, filter, find (and .length)",
  },
  {
    dsl: "trace.has(span => Math.random() > 0.5)",
    code: 'UNKNOWN_METHOD', line: 1, column: 24,
    message: "Math.random is not allowed in rules: rules must give the same answer every time; allowed: Math.abs, Math.min, Math.max, Math.round, Math.floor, Math.ceil, Math.trunc, Math.sign, Math.sqrt, Math.cbrt, Math.pow, Math.log, Math.log2, Math.log10, Math.exp, Math.hypot",
  },
  {
    dsl: "trace.has(span => eval('1'))",
    code: 'UNKNOWN_IDENTIFIER', line: 1, column: 19,
    message: "'eval' is not available in rules: rules cannot run code, load modules or reach the process. Read the span through the predicate's parameter, e.g. span => span.name",
  },
  {
    dsl: "trace.has(span => Function('return 1')())",
    code: 'UNKNOWN_IDENTIFIER', line: 1, column: 19,
    message: "'Function' is not available in rules: rules cannot run code, load modules or reach the process. Read the span through the predicate's parameter, e.g. span => span.name",
  },
  {
    dsl: "trace.has(span => span.nmae === 'x')",
    code: 'UNKNOWN_PROPERTY', line: 1, column: 24,
    message: "Span has no field 'nmae' (did you mean 'name'?); fields: name, traceId, spanId, parentSpanId, traceState, kind, status, statusMessage, startTime, endTime, duration, startTimeUnixNano, endTimeUnixNano, attributes, resource, service, scope, events, links, isRoot, parent, children. Attributes are read with span.attributes['key']",
  },
  {
    // The bytes a span was decoded from are the server's, not the rules'.
    dsl: "trace.has(span => span.source !== null)",
    code: 'UNKNOWN_PROPERTY', line: 1, column: 24,
    message: "Span has no field 'source' (did you mean 'resource'?); fields: name, traceId, spanId, parentSpanId, traceState, kind, status, statusMessage, startTime, endTime, duration, startTimeUnixNano, endTimeUnixNano, attributes, resource, service, scope, events, links, isRoot, parent, children. Attributes are read with span.attributes['key']",
  },
  {
    dsl: "trace.has(span => span.name++ )",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "'++' changes a value and is not allowed in rules: predicates only read spans",
  },
  {
    dsl: "trace.has(span => delete span.name)",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "The operator 'delete' is not allowed in rules; allowed: comparisons (=== !== == != < <= > >=), && || ! ?:, arithmetic (+ - * / %), 'key' in obj, field and attribute reads, the string methods startsWith endsWith includes toLowerCase toUpperCase trim match and regex.test, .some/.every/.filter/.find on lists, Array.isArray, Number, String and Math functions",
  },
  {
    dsl: "trace.has(span => ({ a: 1 }))",
    code: 'NOT_ALLOWED', line: 1, column: 20,
    message: "Object literals are not allowed in rules: compare fields one by one, e.g. span.attributes.k === 1",
  },
  {
    dsl: "trace.has(span => (span.name, true))",
    code: 'NOT_ALLOWED', line: 1, column: 20,
    message: "The comma operator is not allowed in rules: combine conditions with && or ||",
  },
  {
    dsl: "trace.has(span => /(a+)+\\1/.test(span.name))",
    code: 'BAD_REGEX', line: 1, column: 19,
    message: "The regular expression /(a+)+\\1/ cannot be used: invalid escape sequence: `\\1`. Rules run regexes in linear time (RE2 syntax): lookaround and backreferences are not supported",
  },
  {
    dsl: "trace.has(span => /(?=a)b/.test(span.name))",
    code: 'BAD_REGEX', line: 1, column: 19,
    message: "The regular expression /(?=a)b/ cannot be used: invalid or unsupported Perl syntax: `(?=`. Rules run regexes in linear time (RE2 syntax): lookaround and backreferences are not supported",
  },
  {
    dsl: "trace.has(span => /a/g.test(span.name))",
    code: 'BAD_REGEX', line: 1, column: 19,
    message: "The regex flag 'g' is not allowed: only i, m, s and u (g and y make a regex stateful)",
  },
  {
    dsl: "trace.has(span => true).within('5 parsecs')",
    code: 'BAD_DURATION', line: 1, column: 32,
    message: "\"5 parsecs\" is not a duration: use a duration such as '500ms', '5s', '5 seconds', '1 minute', '2m', '1h', or a number of milliseconds",
  },
  {
    dsl: "trace.has(span => true).within()",
    code: 'BAD_DURATION', line: 1, column: 25,
    message: ".within() needs a duration such as '500ms', '5s', '5 seconds', '1 minute', '2m', '1h', or a number of milliseconds",
  },
  {
    dsl: "trace.has()",
    code: 'BAD_ARGUMENT', line: 1, column: 7,
    message: ".has() takes one argument, got 0: trace.has(span => span.name === 'audit.log')",
  },
  {
    dsl: "trace.has(span => true, 2)",
    code: 'BAD_ARGUMENT', line: 1, column: 7,
    message: ".has() takes one argument, got 2: trace.has(span => span.name === 'audit.log')",
  },
  {
    dsl: "trace.count(span => true)",
    code: 'BAD_RULE_SHAPE', line: 1, column: 7,
    message: "count(...) is a number: compare it to make a condition, e.g. trace.count(span => ...) > 3",
  },
  {
    dsl: "trace.count(span => true) > 'x'",
    code: 'BAD_ARGUMENT', line: 1, column: 29,
    message: "count(...) is compared with a non-negative number literal, e.g. trace.count(span => ...) > 3",
  },
  {
    dsl: "trace.where(span => true)",
    code: 'BAD_RULE_SHAPE', line: 1, column: 7,
    message: "where(...) selects spans but is not a condition: follow it with .has(...), .missing(...) or .count(...)",
  },
  {
    dsl: "trace.hass(span => true)",
    code: 'UNKNOWN_METHOD', line: 1, column: 7,
    message: "trace.hass() does not exist (did you mean 'has'?); trace offers has, missing, count, where and not",
  },
  {
    dsl: "trace.has(span => true).andd(trace.has(span => true))",
    code: 'UNKNOWN_METHOD', line: 1, column: 25,
    message: ".andd() does not exist on a condition (did you mean 'and'?); conditions offer and, or, within and followedBy",
  },
  {
    dsl: "span.name === 'x'",
    code: 'BAD_RULE_SHAPE', line: 1, column: 1,
    message: "Only trace.count(...) can be compared with a number at the top of a rule, e.g. trace.count(span => ...) > 3",
  },
  {
    dsl: "trace",
    code: 'BAD_RULE_SHAPE', line: 1, column: 1,
    message: "trace alone is not a condition: write trace.has(span => ...), trace.missing(...) or trace.count(...) > n",
  },
  {
    dsl: "foo.has(span => true)",
    code: 'UNKNOWN_IDENTIFIER', line: 1, column: 1,
    message: "'foo' is not defined in rules: a rule starts with trace, e.g. trace.has(span => ...)",
  },
  {
    dsl: "traces.by(span => span.attributes['enduser.id']).has(span => span.name === 'auth.login')",
    code: 'BAD_RULE_SHAPE', line: 1, column: 8,
    message: "A correlated rule must state its window: end it with .within(...), e.g. traces.by(span => ...).has(span => ...).within('5 seconds')",
  },
  {
    dsl: "traces.by(s => s.attributes.user).has(s => s.name === 'a').within('5s').and(traces.has(s => s.name === 'b'))",
    code: 'BAD_RULE_SHAPE', line: 1, column: 8,
    message: "A correlated rule must state its window: end it with .within(...), e.g. traces.by(span => ...).has(span => ...).within('5 seconds')",
  },
  {
    dsl: "traces.has(span => span.name === 'a').within('5s')",
    code: 'BAD_RULE_SHAPE', line: 1, column: 1,
    message: "traces.has(...) and the like belong to correlated rules, which start with traces.by(span => ...) and end with .within(...); for a pattern inside one trace write trace.has(...)",
  },
  {
    dsl: "traces.by(s => s.attributes.user).has(s => s.name === 'a')\n  .and(trace.has(s => s.name === 'b')).within('5s')",
    code: 'BAD_RULE_SHAPE', line: 2, column: 8,
    message: "A correlated rule looks at every trace of the key: write traces.has(...) (not trace.has(...)) after traces.by(...)",
  },
  {
    dsl: "traces.by(s => s.attributes.user).missing(s => s.name === 'a').within('5s')",
    code: 'BAD_RULE_SHAPE', line: 1, column: 8,
    message: "A correlated rule needs a clause that opens its window, has(...) or count(...): e.g. traces.by(span => ...).has(span => ...).and(traces.missing(span => ...)).within('5 seconds')",
  },
  {
    dsl: "traces.by(s => s.parent?.attributes.user).has(s => s.name === 'a').within('5s')",
    code: 'NOT_ALLOWED', line: 1, column: 8,
    message: "Correlated rules cannot read span.parent or span.children: spans are grouped by key across traces, and a trace's spans without the key take no part",
  },
  {
    dsl: "traces.by(s => s.attributes.user).by(s => s.attributes.session).has(s => true).within('5s')",
    code: 'BAD_RULE_SHAPE', line: 1, column: 35,
    message: "A correlated rule has one key: traces.by(span => ...) is written once, at the start of the rule",
  },
  {
    dsl: "traces.by(s => s.attributes.user).has(s => s.name === 'a').and(traces.by(s => s.attributes.session).has(s => s.name === 'b')).within('5s')",
    code: 'BAD_RULE_SHAPE', line: 1, column: 71,
    message: "A correlated rule has one key: write traces.by(...) once and traces.has(...) for the other clauses",
  },
  {
    dsl: "traces.by('enduser.id').has(s => true).within('5s')",
    code: 'BAD_ARGUMENT', line: 1, column: 11,
    message: "traces.by() takes a key function, e.g. traces.by(span => span.attributes['enduser.id'])",
  },
  {
    dsl: "traces.by(s => s.attributes.user, s => s.name).has(s => true).within('5s')",
    code: 'BAD_ARGUMENT', line: 1, column: 8,
    message: ".by() takes one argument, got 2: traces.by(span => span.attributes['enduser.id'])",
  },
  {
    dsl: "traces.by(s => s.attributes.user)",
    code: 'BAD_RULE_SHAPE', line: 1, column: 8,
    message: "traces.by(...) chooses the key but is not a condition: follow it with .has(...), .missing(...) or .count(...), e.g. traces.by(span => span.attributes['enduser.id']).has(span => ...)",
  },
  {
    dsl: "traces.hass(s => true)",
    code: 'UNKNOWN_METHOD', line: 1, column: 8,
    message: "traces.hass() does not exist (did you mean 'has'?); traces offers by, has, missing, count, where and not",
  },
  {
    dsl: "traces",
    code: 'BAD_RULE_SHAPE', line: 1, column: 1,
    message: "traces alone is not a condition: write traces.by(span => ...).has(span => ...) ... .within('5 seconds')",
  },
  {
    dsl: "traces.by(s => s.attributes.user.replace('a', 'b')).has(s => true).within('5s')",
    code: 'UNKNOWN_METHOD', line: 1, column: 34,
    message: ".replace() is not allowed in rules; allowed methods: startsWith, endsWith, includes, toLowerCase, toUpperCase, trim, match, test, some, every, filter, find (and .length)",
  },
  {
    dsl: "trace.has((a, b) => true)",
    code: 'BAD_ARGUMENT', line: 1, column: 11,
    message: "The predicate of has() takes exactly one parameter, e.g. span => ..., not 2",
  },
  {
    dsl: "trace.has(({ name }) => name === 'x')",
    code: 'NOT_ALLOWED', line: 1, column: 12,
    message: "Destructuring and default values are not allowed in predicate parameters: write span => span.name ...",
  },
  {
    dsl: "trace.has(span => Object.keys(span.attributes).length > 0)",
    code: 'UNKNOWN_METHOD', line: 1, column: 19,
    message: "Object.keys is not allowed in rules; allowed: comparisons (=== !== == != < <= > >=), && || ! ?:, arithmetic (+ - * / %), 'key' in obj, field and attribute reads, the string methods startsWith endsWith includes toLowerCase toUpperCase trim match and regex.test, .some/.every/.filter/.find on lists, Array.isArray, Number, String and Math functions",
  },
  {
    dsl: "trace.has(span => span.name.startsWith(/a/))",
    code: 'BAD_ARGUMENT', line: 1, column: 40,
    message: ".startsWith() takes text, not a regex: use /pattern/.test(text) instead",
  },
  {
    dsl: "trace.has(span => span.events.map(e => e.name))",
    code: 'UNKNOWN_METHOD', line: 1, column: 31,
    message: ".map() is not allowed in rules; allowed methods: startsWith, endsWith, includes, toLowerCase, toUpperCase, trim, match, test, some, every, filter, find (and .length)",
  },
  {
    dsl: "trace.has(span => span.startsWith('a'))",
    code: 'UNKNOWN_METHOD', line: 1, column: 24,
    message: ".startsWith() is a string method, but this is a span",
  },
  {
    dsl: "trace.has(span => [...span.children].length)",
    code: 'NOT_ALLOWED', line: 1, column: 20,
    message: "Spread (...) is not allowed in rules",
  },
  {
    dsl: "trace.has(span => 1n > 0)",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "BigInt literals are not allowed in rules: write plain numbers",
  },
  {
    dsl: "trace.has(span => async () => 1)",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "Functions are only allowed as the argument of trace.has/missing/count/where or of .some/.every/.filter/.find",
  },
  {
    dsl: "trace.has(span => span.duration > 1000).followedBy(span => true)",
    code: 'BAD_ARGUMENT', line: 1, column: 52,
    message: ".followedBy() takes a condition such as trace.has(span => ...), not a bare predicate",
  },
  {
    dsl: "trace.has(span => true).and(span => true)",
    code: 'BAD_ARGUMENT', line: 1, column: 29,
    message: ".and() takes a condition such as trace.has(span => ...), not a bare predicate",
  },
  {
    dsl: "trace.not(span => true)",
    code: 'BAD_RULE_SHAPE', line: 1, column: 11,
    message: "A rule is a condition on the trace, not a bare predicate: wrap it, e.g. trace.has(span => ...)",
  },
  {
    dsl: "trace.has(span => true).not()",
    code: 'BAD_RULE_SHAPE', line: 1, column: 25,
    message: "not is written trace.not(condition)",
  },
  {
    dsl: "trace.has(span => span.name ?? 'x') ?? trace.has(span => true)",
    code: 'NOT_ALLOWED', line: 1, column: 1,
    message: "'??' does not combine conditions: use .and(...) / && or .or(...) / ||",
  },
  {
    dsl: "trace.has(span => span.name instanceof String)",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "The operator 'instanceof' is not allowed in rules; allowed: comparisons (=== !== == != < <= > >=), && || ! ?:, arithmetic (+ - * / %), 'key' in obj, field and attribute reads, the string methods startsWith endsWith includes toLowerCase toUpperCase trim match and regex.test, .some/.every/.filter/.find on lists, Array.isArray, Number, String and Math functions",
  },
  {
    dsl: "trace.has(span => void 0)",
    code: 'NOT_ALLOWED', line: 1, column: 19,
    message: "The operator 'void' is not allowed in rules; allowed: comparisons (=== !== == != < <= > >=), && || ! ?:, arithmetic (+ - * / %), 'key' in obj, field and attribute reads, the string methods startsWith endsWith includes toLowerCase toUpperCase trim match and regex.test, .some/.every/.filter/.find on lists, Array.isArray, Number, String and Math functions",
  },
  {
    dsl: "trace.has(span => span.name.toString() === 'x')",
    code: 'FORBIDDEN_PROPERTY', line: 1, column: 29,
    message: "'toString' cannot be used in rules: it reaches JavaScript internals, not span data",
  },
  {
    dsl: "trace.has(span => span.attributes.__defineGetter__)",
    code: 'FORBIDDEN_PROPERTY', line: 1, column: 35,
    message: "'__defineGetter__' cannot be read in rules: it reaches JavaScript internals, not span data. Read span fields (span.name, span.attributes['key'], ...)",
  },
  {
    dsl: "trace.has(span => span.name.match('abc'))",
    code: 'BAD_ARGUMENT', line: 1, column: 35,
    message: ".match() takes a regex literal, e.g. span.name.match(/^GET /); use .includes() for plain text",
  },
  {
    dsl: "trace.has(span => span.name.length.foo)",
    code: 'UNKNOWN_PROPERTY', line: 1, column: 36,
    message: "A number has no field 'foo'",
  },
  {
    dsl: "trace.has(span => span.children.some((c, i) => c))",
    code: 'BAD_ARGUMENT', line: 1, column: 38,
    message: "The argument of .some() takes exactly one parameter, e.g. span => ..., not 2",
  },
  {
    dsl: "trace.has(span => span.name === 'x').within('-5s')",
    code: 'BAD_DURATION', line: 1, column: 45,
    message: "\"-5s\" is not a duration: use a duration such as '500ms', '5s', '5 seconds', '1 minute', '2m', '1h', or a number of milliseconds",
  },
];
