/**
 * The incidents the demo injects, each with the example rule
 * (examples/rules) that detects it. This table is the demo's ground truth:
 * the rules know nothing about it, they see only spans.
 */
export const INCIDENT_KINDS = ['auth-retry', 'pii-without-audit', 'slow-payment-query', 'payment-without-fraud-check', 'retry-storm'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export interface IncidentInfo {
  /** The example rule that detects it. */
  ruleId: string;
  /** What the shop does wrong, for the console. */
  description: string;
}

export const INCIDENTS: Readonly<Record<IncidentKind, IncidentInfo>> = {
  'auth-retry': { ruleId: 'auth-retry-storm', description: 'a login fails (expired token) and succeeds on retry' },
  'pii-without-audit': { ruleId: 'pii-access-without-audit', description: 'a customer record (PII) is read and no audit.log is written' },
  'slow-payment-query': { ruleId: 'slow-payment-db-query', description: 'a database query inside payment.authorize takes over 1 s' },
  'payment-without-fraud-check': { ruleId: 'payment-without-fraud-check', description: 'the card is charged without a fraud check' },
  'retry-storm': { ruleId: 'http-retry-storm', description: 'inventory answers 503 and the gateway resends the request 4 times' },
};

export function isIncidentKind(value: string): value is IncidentKind {
  return (INCIDENT_KINDS as readonly string[]).includes(value);
}
