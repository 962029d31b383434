/**
 * The incidents the demo injects, each with the example rules
 * (examples/rules) that detect it. This table is the demo's ground truth:
 * the rules know nothing about it, they see only spans.
 *
 * Per-trace incidents happen inside one request (one trace). Correlated
 * incidents span several requests (several traces) that share a key (a
 * user, a card, a session) and are caught by the correlated rules of
 * examples/rules/correlation.yaml; the traffic generator records all their
 * traces and the key.
 */
export const INCIDENT_KINDS = [
  'auth-retry', 'pii-without-audit', 'slow-payment-query', 'payment-without-fraud-check', 'retry-storm',
  'login-retry-new-trace', 'payment-errors-per-user', 'card-testing', 'checkout-abandoned',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export interface IncidentInfo {
  /** The example rules that detect it, the first being the one written for it. */
  ruleIds: readonly string[];
  /** Correlated rules among `ruleIds`: their signals carry the incident's key. */
  correlatedRuleIds: readonly string[];
  /** What the shop or its users do, for the console. */
  description: string;
}

export const INCIDENTS: Readonly<Record<IncidentKind, IncidentInfo>> = {
  // The retry inside one trace is also a failed login followed by a successful one for the same user,
  // so the correlated login rule (which does not care whether the traces differ) sees it too.
  'auth-retry': { ruleIds: ['auth-retry-storm', 'login-retry-across-traces'], correlatedRuleIds: ['login-retry-across-traces'], description: 'a login fails (expired token) and the gateway retries it in the same request' },
  'pii-without-audit': { ruleIds: ['pii-access-without-audit'], correlatedRuleIds: [], description: 'a customer record (PII) is read and no audit.log is written' },
  'slow-payment-query': { ruleIds: ['slow-payment-db-query'], correlatedRuleIds: [], description: 'a database query inside payment.authorize takes over 1 s' },
  'payment-without-fraud-check': { ruleIds: ['payment-without-fraud-check'], correlatedRuleIds: [], description: 'the card is charged without a fraud check' },
  'retry-storm': { ruleIds: ['http-retry-storm'], correlatedRuleIds: [], description: 'inventory answers 503 and the gateway resends the request 4 times' },
  'login-retry-new-trace': { ruleIds: ['login-retry-across-traces'], correlatedRuleIds: ['login-retry-across-traces'], description: 'a login fails (expired token); the app retries it as a new request, which succeeds' },
  'payment-errors-per-user': { ruleIds: ['payment-errors-per-user'], correlatedRuleIds: ['payment-errors-per-user'], description: "a user's checkout fails 5 times in a row (payment methods unavailable), the 6th succeeds" },
  'card-testing': { ruleIds: ['card-testing-across-accounts'], correlatedRuleIds: ['card-testing-across-accounts'], description: 'one stolen card is added to 3 accounts and declined each time' },
  'checkout-abandoned': { ruleIds: ['checkout-abandoned-in-session'], correlatedRuleIds: ['checkout-abandoned-in-session'], description: 'a card is declined at checkout and the session never confirms an order (signal after 2 min + lateness)' },
};

export function isIncidentKind(value: string): value is IncidentKind {
  return (INCIDENT_KINDS as readonly string[]).includes(value);
}
