/**
 * The simulated shop: six services (gateway, auth, payment, inventory, db,
 * audit), each a real HTTP server on loopback with its own OpenTelemetry
 * resource, calling each other with W3C trace context.
 *
 * Request flows (the gateway is the edge; every trace starts there):
 * - GET  /api/v2/products  gateway → inventory GET /stock → db (retries on 503)
 * - POST /api/v2/login     gateway → auth POST /login (auth.login) → db
 * - GET  /api/v2/account   gateway → auth POST /authorize (authz.check),
 *                          gateway → db (customer record, PII), gateway → audit POST /log (audit.log)
 * - POST /api/v2/checkout  gateway: checkout.start (session.id, enduser.id),
 *                          gateway → inventory POST /reserve → db,
 *                          gateway → payment POST /authorize: payment.authorize
 *                          { fraud.check, db (payment method), psp.charge },
 *                          gateway: order.confirmed (session.id) when paid
 * - POST /api/v2/wallet/cards  gateway → payment POST /authorize (a zero-amount
 *                          card verification, same spans as a payment)
 *
 * Keys the correlated rules group by: auth.login and payment.authorize carry
 * `enduser.id`, payment.authorize `payment.card.fingerprint` (once the card
 * is resolved), checkout.start and order.confirmed `session.id`.
 *
 * Incidents (requested by the traffic generator through x-demo-incident)
 * change what the services do, never what they report: a skipped audit is a
 * missing span, a slow query is a query that really takes over a second.
 * Near misses that no rule may flag are part of clean traffic: a wrong
 * password (one failed login, no success), one retry after a 503, a declined
 * card (the user pays with another card in the same session).
 */
import type { Context } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Random } from './random.js';
import { ShopService, sleep, type CallResult } from './shopService.js';

export const NEAR_MISS_WRONG_PASSWORD = 'near-miss-wrong-password';
export const NEAR_MISS_ONE_RETRY = 'near-miss-one-retry';
export const NEAR_MISS_CARD_DECLINED = 'near-miss-card-declined';

/** Requests the payment service provider declines (the card's issuer says no). */
const DECLINED_BY_PSP = new Set(['card-testing', 'checkout-abandoned', NEAR_MISS_CARD_DECLINED]);

export interface Shop {
  /** The gateway's base URL. */
  gatewayUrl: string;
  services: ShopService[];
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function startShop(options: { otlpUrl: string; random: Random }): Promise<Shop> {
  const { otlpUrl, random } = options;
  const gateway = new ShopService('gateway', otlpUrl);
  const auth = new ShopService('auth', otlpUrl);
  const payment = new ShopService('payment', otlpUrl);
  const inventory = new ShopService('inventory', otlpUrl);
  const db = new ShopService('db', otlpUrl);
  const audit = new ShopService('audit', otlpUrl);
  const services = [gateway, auth, payment, inventory, db, audit];
  const latency = (min: number, max: number): Promise<void> => sleep(random.int(min, max));

  // ---- db: a query engine behind HTTP --------------------------------------
  db.route('POST', '/query', async ({ body, incident, span }) => {
    if (incident === 'payment-errors-per-user' && body.table === 'payment_methods') {
      // The user's payment methods live on a shard that is down.
      await latency(2, 6);
      return { status: 503, body: { error: 'shard payment_methods-7 unavailable' } };
    }
    const slow = incident === 'slow-payment-query' && body.table === 'payment_methods';
    // A missing index on payment_methods: a sequential scan under lock contention.
    await latency(slow ? 1100 : 1, slow ? 1300 : 12);
    span.setAttribute('db.response.returned_rows', random.int(0, 20));
    return { status: 200, body: { rows: [] } };
  });

  // ---- inventory -----------------------------------------------------------
  // Per trace, how many more requests an overloaded inventory refuses (bounded: removed on success).
  const refusals = new Map<string, number>();
  inventory.route('GET', '/stock', async ({ ctx, span, incident }) => {
    const traceId = span.spanContext().traceId;
    if (!refusals.has(traceId) && (incident === 'retry-storm' || incident === NEAR_MISS_ONE_RETRY)) refusals.set(traceId, incident === 'retry-storm' ? 4 : 1);
    const left = refusals.get(traceId) ?? 0;
    if (left > 0) {
      refusals.set(traceId, left - 1);
      await latency(1, 5);
      return { status: 503, body: { error: 'inventory overloaded: connection pool exhausted' } };
    }
    refusals.delete(traceId);
    await inventory.query(ctx, db, { operation: 'SELECT', table: 'stock', text: 'SELECT sku, quantity FROM stock WHERE sku = ANY($1)' });
    return { status: 200, body: { items: random.int(3, 40) } };
  });
  inventory.route('POST', '/reserve', async ({ ctx }) => {
    await inventory.query(ctx, db, { operation: 'UPDATE', table: 'stock', text: 'UPDATE stock SET reserved = reserved + $2 WHERE sku = $1' });
    return { status: 200, body: { reserved: true } };
  });

  // ---- auth ----------------------------------------------------------------
  auth.route('POST', '/login', async ({ ctx, body }) => {
    return auth.work(ctx, 'auth.login', { 'enduser.id': String(body.user), 'auth.method': 'password' }, async (inner, span) => {
      await auth.query(inner, db, { operation: 'SELECT', table: 'users', text: 'SELECT id, password_hash FROM users WHERE email = $1' });
      await latency(5, 25);
      if (body.token === 'expired') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'session token expired' });
        return { status: 401, body: { error: 'token expired' } };
      }
      if (body.password === 'wrong') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'invalid credentials' });
        return { status: 401, body: { error: 'invalid credentials' } };
      }
      span.setStatus({ code: SpanStatusCode.OK });
      return { status: 200, body: { session: 's-1' } };
    });
  });
  auth.route('POST', '/authorize', async ({ ctx, body }) => {
    return auth.work(ctx, 'authz.check', { 'authz.resource': String(body.resource), 'authz.action': 'read', 'authz.decision': 'allow' }, async () => {
      await latency(1, 6);
      return { status: 200, body: { decision: 'allow' } };
    });
  });

  // ---- audit ---------------------------------------------------------------
  audit.route('POST', '/log', async ({ ctx, body }) => {
    return audit.work(ctx, 'audit.log', { 'audit.action': String(body.action), 'audit.subject': String(body.subject) }, async () => {
      await latency(1, 8);
      return { status: 201, body: { recorded: true } };
    });
  });

  // ---- payment -------------------------------------------------------------
  payment.route('POST', '/authorize', async ({ ctx, body, incident }) => {
    const amount = Number(body.amount);
    const attributes = { 'payment.amount': amount, 'payment.currency': 'EUR', 'payment.method': 'card', 'payment.authorization.type': amount === 0 ? 'verification' : 'purchase', 'enduser.id': String(body.user) };
    return payment.work(ctx, 'payment.authorize', attributes, async (inner, span) => {
      if (incident !== 'payment-without-fraud-check') {
        await payment.work(inner, 'fraud.check', { 'fraud.provider': 'in-house', 'fraud.score': Math.round(random.next() * 100) / 100 }, () => latency(3, 15));
      }
      const method = await payment.query(inner, db, { operation: 'SELECT', table: 'payment_methods', text: 'SELECT token, brand FROM payment_methods WHERE customer_id = $1', incident });
      if (method.status !== 200) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'payment methods unavailable' });
        return { status: 503, body: { error: 'payment methods unavailable' } };
      }
      span.setAttribute('payment.card.fingerprint', String(body.card));
      const declined = incident !== undefined && DECLINED_BY_PSP.has(incident);
      await payment.work(inner, 'psp.charge', { 'url.full': 'https://api.psp.example/v1/charges', 'url.scheme': 'https', 'server.address': 'api.psp.example', 'http.request.method': 'POST', 'http.response.status_code': declined ? 402 : 201, 'payment.amount': amount }, async (_, charge) => {
        await latency(15, 45);
        if (declined) {
          charge.setAttribute('payment.decline_code', 'do_not_honor');
          charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined: do_not_honor' });
        }
      });
      if (declined) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
        return { status: 402, body: { error: 'card declined' } };
      }
      return { status: 200, body: { authorized: true } };
    });
  });

  // ---- gateway -------------------------------------------------------------
  /** GET with retries on 503, each resend counted (http.request.resend_count). */
  const getWithRetries = async (ctx: Context, target: ShopService, route: string, incident: string | undefined): Promise<CallResult> => {
    let result = await gateway.call(ctx, target, 'GET', route, { incident });
    for (let resend = 1; resend <= 5 && result.status === 503; resend++) {
      await sleep(5 * resend);
      result = await gateway.call(ctx, target, 'GET', route, { incident, resendCount: resend });
    }
    return result;
  };
  gateway.route('GET', '/api/v2/products', async ({ ctx, incident }) => {
    const stock = await getWithRetries(ctx, inventory, '/stock', incident);
    return { status: stock.status === 200 ? 200 : 502, body: stock.body };
  });
  gateway.route('POST', '/api/v2/login', async ({ ctx, body, incident }) => {
    const user = String(body.user);
    const expired = incident === 'auth-retry' || incident === 'login-retry-new-trace';
    const first = await gateway.call(ctx, auth, 'POST', '/login', { body: { user, password: body.password, token: expired ? 'expired' : 'fresh' }, incident });
    if (first.status === 401 && incident === 'auth-retry') {
      // The client library refreshes the token and retries: the user never notices.
      const retry = await gateway.call(ctx, auth, 'POST', '/login', { body: { user, password: body.password, token: 'fresh' }, incident, resendCount: 1 });
      return { status: retry.status, body: retry.body };
    }
    return { status: first.status, body: first.body };
  });
  gateway.route('GET', '/api/v2/account', async ({ ctx, incident }) => {
    const customer = `c-${random.int(1000, 9999)}`;
    const decision = await gateway.call(ctx, auth, 'POST', '/authorize', { body: { resource: `customer/${customer}` }, incident });
    if (decision.status !== 200) return { status: 403, body: { error: 'forbidden' } };
    // Session and tenant lookup before the read.
    await latency(3, 8);
    await gateway.query(ctx, db, { operation: 'SELECT', table: 'customers', text: 'SELECT name, email, address, iban FROM customers WHERE id = $1', pii: true });
    if (incident !== 'pii-without-audit') {
      await gateway.call(ctx, audit, 'POST', '/log', { body: { action: 'customer.read', subject: customer }, incident });
    }
    return { status: 200, body: { customer } };
  });
  gateway.route('POST', '/api/v2/checkout', async ({ ctx, body, incident }) => {
    const session = { 'session.id': String(body.session), 'enduser.id': String(body.user) };
    await gateway.work(ctx, 'checkout.start', { ...session, 'checkout.item_count': 1 }, () => latency(1, 3));
    const reserved = await gateway.call(ctx, inventory, 'POST', '/reserve', { body: { sku: body.sku, quantity: 1 }, incident });
    if (reserved.status !== 200) return { status: 409, body: { error: 'out of stock' } };
    const paid = await gateway.call(ctx, payment, 'POST', '/authorize', { body: { amount: body.amount, user: body.user, card: body.card }, incident });
    if (paid.status === 402) return { status: 402, body: { error: 'card declined' } };
    if (paid.status !== 200) return { status: 502, body: { error: 'payment unavailable, try again' } };
    const order = `o-${random.int(100000, 999999)}`;
    await gateway.work(ctx, 'order.confirmed', { ...session, 'order.id': order, 'payment.amount': Number(body.amount) }, () => latency(1, 3));
    return { status: 201, body: { order } };
  });
  gateway.route('POST', '/api/v2/wallet/cards', async ({ ctx, body, incident }) => {
    // A new card is verified with a zero-amount authorization before it is saved.
    const verified = await gateway.call(ctx, payment, 'POST', '/authorize', { body: { amount: 0, user: body.user, card: body.card }, incident });
    if (verified.status === 402) return { status: 402, body: { error: 'card declined' } };
    return { status: verified.status === 200 ? 201 : 502, body: verified.status === 200 ? { saved: true } : { error: 'payment unavailable, try again' } };
  });

  const started: ShopService[] = [];
  try {
    for (const s of services) {
      await s.listen();
      started.push(s);
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    throw err;
  }

  let closed = false;
  return {
    gatewayUrl: gateway.url,
    services,
    flush: async () => { await Promise.all(services.map((s) => s.flush())); },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(services.map((s) => s.close()));
    },
  };
}
