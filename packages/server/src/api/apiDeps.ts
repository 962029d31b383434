import type { Authenticator } from '../auth/authenticator.js';
import type { ServerConfig } from '../config/config.js';
import type { RateMonitor } from '../learn/rateMonitor.js';
import type { Logger } from '../logger.js';
import type { NotificationRouter } from '../notify/notificationRouter.js';
import type { FluoMetrics } from '../metrics/fluoMetrics.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { SignalHub } from '../pipeline/signalHub.js';
import type { RuleSet } from '../rules/ruleSet.js';
import type { Store } from '../store/store.js';
import type { SignalStreams } from './signalStreams.js';

/** What the REST API reads and changes. */
export interface ApiDeps {
  config: ServerConfig;
  store: Store;
  ruleSet: RuleSet;
  pipeline: Pipeline;
  hub: SignalHub;
  streams: SignalStreams;
  metrics: () => FluoMetrics;
  /** Rate baselines of the rules (GET /api/v1/insights/rates). */
  rateMonitor: RateMonitor;
  log: Logger;
  auth: Authenticator;
  /** Problems of the last rule file load, formatted (empty when none). */
  ruleFileErrors: () => string[];
  notifications: NotificationRouter;
  /** The bound OTLP ports (differ from the config when it asks for 0, a free port). */
  otlpPorts: () => { http: number; grpc: number };
}
