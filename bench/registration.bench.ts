/**
 * Registration opening (issue: exam registration under load), `npm run bench:registration`.
 *
 * The whole platform runs as the embedded default does (every service and the gateway as
 * processes, a database of its own: `certhub_bench_platform`). Thousands of candidates with
 * ready registrations (seeded straight into the exam schema: setting them up is not what is
 * measured) confirm their orders through the gateway, every one of them choosing the same hot
 * offering (QMS-1) in the same city (BJ) plus one other subject.
 *
 *   1. peak: a closed loop of BENCH_CLIENTS (64) clients → orders/s, latency;
 *   2. once the peak's backlog is done (its deadline workflows started), 80 % of peak offered as
 *      an open loop → p99 of the admitted requests (goal ≤ 100 ms);
 *   3. 10 × peak offered → goodput (goal ≥ 0.9 × peak) and how fast 429s answer (goal ≤ 5 ms);
 *   4. a sell-out: BENCH_SELLOUT_RACERS candidates race for BENCH_SELLOUT_QUOTA seats of one
 *      city → exactly the quota wins;
 *   5. reference: pgbench runs the same SQL as one order (registration lock, catalogue reads,
 *      order, lines, outbox entries, the seats) at the same concurrency on the same database;
 *   6. after the spike: every payment-deadline workflow started (drain time), every unpaid order
 *      expired on time (the bench period's payment timeout is BENCH_PAYMENT_TIMEOUT_MINUTES, 1);
 *   7. invariants: per pool held + paid ≤ quota, and held / paid equal the order lines holding a
 *      seat.
 *
 * Prints a table and one JSON line, and appends the run to docs/benchmarks.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool as PgPool } from 'pg';
import { Pool as HttpPool } from 'undici';
import { signAccessToken, type Caller } from '@certhub/service-kit';
import { closedLoop, openLoop, type LoadResult } from './lib/load';
import { runPgbench, type PgbenchResult } from './lib/pgbench';
import { appendBenchmarkRow, benchEnv, runDate } from './lib/report';

const env = process.env;
const need = benchEnv('registration');
const GATEWAY = need('CERTHUB_BENCH_GATEWAY_URL');
const DATABASE_URL = need('CERTHUB_BENCH_DATABASE_URL');
const JWT_SECRET = need('CERTHUB_BENCH_JWT_SECRET');
const REPO = need('CERTHUB_REPO_ROOT');
const CLIENTS = Number(env.BENCH_CLIENTS ?? 64);
const PEAK_ORDERS = Number(env.BENCH_PEAK_ORDERS ?? 3000);
const STEADY_SECONDS = Number(env.BENCH_STEADY_SECONDS ?? 10);
const OVERLOAD_SECONDS = Number(env.BENCH_OVERLOAD_SECONDS ?? 5);
const SELLOUT_QUOTA = Number(env.BENCH_SELLOUT_QUOTA ?? 200);
const SELLOUT_RACERS = Number(env.BENCH_SELLOUT_RACERS ?? 1000);
const PGBENCH_TX_PER_CLIENT = Number(env.BENCH_PGBENCH_TX_PER_CLIENT ?? 40);
const PAYMENT_TIMEOUT_MINUTES = Number(env.BENCH_PAYMENT_TIMEOUT_MINUTES ?? 1);

const log = (line: string) => process.stdout.write(`${line}\n`);

function token(sub: string, roles: string[], accountType: Caller['accountType']): string {
  return signAccessToken({ sub, username: `bench_${sub.slice(0, 8)}`, accountType, roles, institutionId: null, sid: randomUUID() }, JWT_SECRET, 3 * 3600);
}

interface Ready {
  registrationId: string;
  token: string;
  /** Distinct client address per candidate (the gateway's per-client rate limit is not under test). */
  address: string;
}

interface Period {
  id: string;
  hot: { offeringId: string; poolId: string };
  others: string[];
}

async function importPeriod(http: HttpPool): Promise<Period> {
  const period = JSON.parse(readFileSync(join(REPO, 'apps', 'exam', 'seed', 'exam-period-2021-2.json'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const now = Date.now();
  const at = (hours: number) => new Date(now + hours * 3600_000).toISOString();
  period.code = `BENCH-${randomBytes(4).toString('hex')}`;
  period.name = `压测批次 ${period.code}`;
  period.registrationOpensAt = at(-1);
  period.registrationClosesAt = at(24);
  period.refundWindow = { opensAt: at(-1), closesAt: at(24) };
  period.ticketPrintWindow = { opensAt: at(24 * 30), closesAt: at(24 * 31) };
  period.paymentTimeoutMinutes = PAYMENT_TIMEOUT_MINUTES;
  for (const [i, s] of (period.sessions as Array<Record<string, unknown>>).entries()) {
    s.startsAt = at(24 * 32 + i * 3);
    s.endsAt = at(24 * 32 + i * 3 + 1.5);
  }
  // Seats enough for every phase in BJ; the sell-out city SH has SELLOUT_QUOTA of the hot offering.
  for (const c of period.cities as Array<Record<string, unknown>>) {
    if (c.code === 'BJ') c.seatsPerOffering = 1_000_000;
    if (c.code === 'SH') c.seats = { ...(c.seats as object), 'QMS-1': SELLOUT_QUOTA };
  }
  const admin = token(randomUUID(), ['admin'], 'staff');
  const res = await http.request({
    method: 'POST',
    path: '/api/v1/exam/admin/periods',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(period),
  });
  const body = (await res.body.json()) as { id: string };
  if (res.statusCode !== 201) throw new Error(`period import answered ${res.statusCode}: ${JSON.stringify(body)}`);
  return { id: body.id, hot: { offeringId: '', poolId: '' }, others: [] };
}

/** Registrations with every step done, straight into the exam schema. */
async function seedReady(db: PgPool, period: Period, count: number, cityCode: string): Promise<Ready[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const candidates = Array.from({ length: count }, () => randomUUID());
  const numbers = Array.from({ length: count }, () => `9${String(Math.floor(Math.random() * 1e13)).padStart(13, '0')}`);
  const others = Array.from({ length: count }, (_, i) => period.others[i % period.others.length]!);
  const info = JSON.stringify({ nationality: '中国', ethnicity: '汉族', residenceCity: '北京', education: '本科', workUnit: '压测单位', address: '北京市', email: 'bench@example.com', phone: '13900000000' });
  await db.query(
    `INSERT INTO exam.accepted_photo (account_id, accepted_at) SELECT unnest($1::uuid[]), now() ON CONFLICT DO NOTHING`,
    [candidates],
  );
  await db.query(
    `INSERT INTO exam.registration (id, period_id, candidate_id, business_no, status, active, notice_accepted_at, info, invoice_type, offering_ids, city_code)
     SELECT u.id, $2, u.candidate, u.no, 'draft', true, now(), $3::jsonb, 'none', ARRAY[$4::uuid, u.other], $5
       FROM unnest($1::uuid[], $6::uuid[], $7::text[], $8::uuid[]) AS u(id, candidate, no, other)`,
    [ids, period.id, info, period.hot.offeringId, cityCode, candidates, numbers, others],
  );
  return ids.map((registrationId, i) => ({
    registrationId,
    token: token(candidates[i]!, ['personal'], 'personal'),
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  }));
}

function orderRequest(http: HttpPool, r: Ready): Promise<number> {
  return http
    .request({
      method: 'POST',
      path: `/api/v1/exam/registrations/${r.registrationId}/order`,
      headers: { authorization: `Bearer ${r.token}`, 'content-type': 'application/json', 'x-forwarded-for': r.address },
      body: '{"confirmed":true}',
    })
    .then(async (res) => {
      await res.body.dump();
      return res.statusCode;
    });
}

/**
 * The SQL of one order as the exam service runs it, for pgbench: the registration locked with its
 * period's windows; order, lines and registration in one statement; both events in one; the seats
 * (the service sends that statement together with COMMIT; pgbench sends them one after the
 * other). The offerings and pools the service keeps in memory are looked up here.
 */
function orderScript(): string {
  return `\\set unused 0
SELECT nextval('exam.bench_pgbench_seq') AS n \\gset
SELECT b.id AS rid, b.p1, b.p2, gen_random_uuid() AS oid FROM exam.bench_pgbench_reg b WHERE b.n = :n \\gset
BEGIN;
SELECT r.*, p.code AS period_code, p.name AS period_name, p.registration_opens_at, p.registration_closes_at, p.payment_timeout_minutes
  FROM exam.registration r JOIN exam.exam_period p ON p.id = r.period_id WHERE r.id = :rid::uuid FOR UPDATE OF r;
WITH placed AS (
  INSERT INTO exam.exam_order (id, registration_id, period_id, candidate_id, city_code, amount_fen, status, placed_at, expires_at)
  SELECT :oid::uuid, r.id, r.period_id, r.candidate_id, r.city_code, 16000, 'pending', now(), now() + interval '1 minute' FROM exam.registration r WHERE r.id = :rid::uuid
  RETURNING id),
_lines AS (
  INSERT INTO exam.order_line (id, order_id, offering_id, seat_pool_id, code, subject, session_code, fee_fen, seat_state)
  SELECT gen_random_uuid(), (SELECT id FROM placed), u.offering_id, u.seat_pool_id, u.code, u.subject, u.session_code, u.fee_fen, 'held'
    FROM unnest(ARRAY[gen_random_uuid(), gen_random_uuid()], (SELECT offering_ids FROM exam.registration WHERE id = :rid::uuid), ARRAY[:p1::uuid, :p2::uuid]::uuid[],
                ARRAY['QMS-1', 'X'], ARRAY['质量管理体系基础', '其他科目'], ARRAY['S1', 'S2'], ARRAY[8000, 8000])
      AS u(id, offering_id, seat_pool_id, code, subject, session_code, fee_fen))
UPDATE exam.registration SET status = 'ordered', case_version = case_version + 1, updated_at = now() WHERE id = :rid::uuid;
WITH written AS (
  INSERT INTO exam.bench_outbox (event_id, topic, message_key, payload)
  SELECT u.event_id, u.topic, u.message_key, u.payload
    FROM unnest(ARRAY[gen_random_uuid(), gen_random_uuid()], ARRAY['exam.order.placed.v1', 'exam.case.changed.v1'], ARRAY[:oid::text, :rid::text],
                ARRAY[jsonb_build_object('orderId', :oid::text, 'registrationId', :rid::text, 'amountFen', 16000, 'lines', jsonb_build_array(:p1::text, :p2::text), 'invoice', jsonb_build_object('type', 'none')),
                      jsonb_build_object('caseId', :rid::text, 'stage', 'payment', 'version', 5)]) WITH ORDINALITY AS u(event_id, topic, message_key, payload, n)
   ORDER BY u.n
  RETURNING 1)
SELECT pg_notify('bench_outbox', '') FROM (SELECT count(*) FROM written) w;
WITH locked AS (SELECT id FROM exam.seat_pool WHERE id IN (:p1::uuid, :p2::uuid) ORDER BY id FOR UPDATE)
  UPDATE exam.seat_pool s SET held = s.held + 1 FROM locked WHERE s.id = locked.id;
COMMIT;
`;
}

async function main(): Promise<void> {
  const db = new PgPool({ connectionString: DATABASE_URL, max: 4 });
  // Enough connections that no request waits inside the load generator for a free one: at 10 ×
  // the peak the gateway holds its concurrency + line (about a second of orders) and answers the
  // rest at once.
  const http = new HttpPool(GATEWAY, { connections: 512, pipelining: 1, keepAliveTimeout: 30_000 });
  const started = performance.now();
  const period = await importPeriod(http);
  const [hot] = (
    await db.query(
      `SELECT o.id AS offering_id, p.id AS pool_id FROM exam.offering o JOIN exam.seat_pool p ON p.offering_id = o.id AND p.city_code = 'BJ' WHERE o.period_id = $1 AND o.code = 'QMS-1'`,
      [period.id],
    )
  ).rows as Array<{ offering_id: string; pool_id: string }>;
  period.hot = { offeringId: hot!.offering_id, poolId: hot!.pool_id };
  const otherRows = (
    await db.query(
      `SELECT o.id FROM exam.offering o JOIN exam.exam_session s ON s.id = o.session_id WHERE o.period_id = $1 AND s.code <> 'S1' ORDER BY o.code`,
      [period.id],
    )
  ).rows as Array<{ id: string }>;
  period.others = otherRows.map((r) => r.id);
  log(`period ${period.id}: hot offering QMS-1 in BJ, ${period.others.length} other offerings; payment timeout ${PAYMENT_TIMEOUT_MINUTES} min`);

  // Warm-up (connections, JIT, caches): 200 orders, not counted.
  const warm = await seedReady(db, period, 200, 'BJ');
  await closedLoop(16, warm.length, (i) => orderRequest(http, warm[i]!));

  // 1. Peak.
  const peakSet = await seedReady(db, period, PEAK_ORDERS, 'BJ');
  const peak = await closedLoop(CLIENTS, peakSet.length, (i) => orderRequest(http, peakSet[i]!));
  const peakRate = peak.goodputPerSecond;
  log(`peak: ${peakRate} orders/s with ${CLIENTS} clients; p50 ${peak.admitted.p50} ms p99 ${peak.admitted.p99} ms; statuses ${JSON.stringify(peak.byStatus)}`);

  // The peak leaves work behind it (deadline workflows to start, events to project): the 80 %
  // phase measures a settled platform carrying 80 % of the peak, so it starts once that backlog
  // is done — otherwise it measures the catch-up of the burst before it.
  const settleStart = performance.now();
  const backlog = await waitForWorkflowStarts(db, period.id, 300_000);
  log(`settled after the peak in ${((performance.now() - settleStart) / 1000).toFixed(1)} s (${backlog} deadline workflows not started)`);

  // 2. 80 % of peak, open loop.
  const steadyRate = Math.max(1, Math.floor(peakRate * 0.8));
  const steadySet = await seedReady(db, period, steadyRate * STEADY_SECONDS, 'BJ');
  const steady = await openLoop(steadyRate, steadySet.length, (i) => orderRequest(http, steadySet[i]!));
  log(`80 %: offered ${steadyRate}/s → ${steady.goodputPerSecond} orders/s; admitted p50 ${steady.admitted.p50} ms p99 ${steady.admitted.p99} ms; statuses ${JSON.stringify(steady.byStatus)}`);

  // 3. 10 × peak, open loop: the excess must be refused fast while the orders keep flowing.
  const overloadRate = Math.max(10, Math.floor(peakRate * 10));
  const overloadTotal = overloadRate * OVERLOAD_SECONDS;
  // Every request its own candidate: an admitted one always places a new order.
  const overloadSet = await seedReady(db, period, overloadTotal, 'BJ');
  const overload = await openLoop(overloadRate, overloadTotal, (i) => orderRequest(http, overloadSet[i]!));
  const refusedShare = (overload.byStatus['429'] ?? 0) / overload.sent;
  // The same refusals timed inside the gateway (arrival in its handler → answer sent): what the
  // client sees beyond that is the load generator and the kernel on the same saturated cores.
  const admissionFigures = (await (await http.request({ method: 'GET', path: '/api/v1/gateway/admission' })).body.json()) as { refusalMs: { n: number; p50: number; p99: number; max: number } };
  const gatewayRefusal = admissionFigures.refusalMs;
  log(`10 ×: offered ${overloadRate}/s → ${overload.goodputPerSecond} orders/s (${Math.round((overload.goodputPerSecond / peakRate) * 100)} % of peak); 429 share ${(refusedShare * 100).toFixed(1)} %, 429 p50 ${overload.refused.p50} ms p99 ${overload.refused.p99} ms (inside the gateway p50 ${gatewayRefusal.p50} ms p99 ${gatewayRefusal.p99} ms); statuses ${JSON.stringify(overload.byStatus)}`);

  // 4. Sell-out: more racers than seats in SH.
  const racers = await seedReady(db, period, SELLOUT_RACERS, 'SH');
  const sellout = await closedLoop(CLIENTS, racers.length, (i) => orderRequest(http, racers[i]!));
  const [shPool] = (
    await db.query(`SELECT quota, held, paid FROM exam.seat_pool WHERE offering_id = $1 AND city_code = 'SH'`, [period.hot.offeringId])
  ).rows as Array<{ quota: number; held: number; paid: number }>;
  log(`sell-out: ${SELLOUT_RACERS} racers for ${SELLOUT_QUOTA} seats → ${sellout.byStatus['201'] ?? 0} orders, ${sellout.byStatus['409'] ?? 0} told full; pool held ${shPool!.held} + paid ${shPool!.paid} of ${shPool!.quota}`);

  // 5. pgbench, the same SQL at the same concurrency.
  const pgbenchCount = CLIENTS * PGBENCH_TX_PER_CLIENT;
  const pgSet = await seedReady(db, period, pgbenchCount, 'BJ');
  await db.query(`DROP TABLE IF EXISTS exam.bench_pgbench_reg, exam.bench_outbox; DROP SEQUENCE IF EXISTS exam.bench_pgbench_seq`);
  // The reference's events go to a copy of the outbox (same columns, indexes, sequence): the same
  // work for the database, but the relay does not publish them.
  await db.query(`CREATE TABLE exam.bench_outbox (LIKE exam.outbox_message INCLUDING ALL)`);
  await db.query(`CREATE TABLE exam.bench_pgbench_reg (n bigint PRIMARY KEY, id uuid NOT NULL, p1 uuid NOT NULL, p2 uuid NOT NULL); CREATE SEQUENCE exam.bench_pgbench_seq`);
  await db.query(
    `INSERT INTO exam.bench_pgbench_reg
     SELECT u.ord, u.id, p1.id, p2.id FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)
       JOIN exam.registration r ON r.id = u.id
       JOIN exam.seat_pool p1 ON p1.offering_id = r.offering_ids[1] AND p1.city_code = r.city_code
       JOIN exam.seat_pool p2 ON p2.offering_id = r.offering_ids[2] AND p2.city_code = r.city_code`,
    [pgSet.map((r) => r.registrationId)],
  );
  let reference: PgbenchResult;
  try {
    reference = await runPgbench({
      bin: need('CERTHUB_BENCH_PGBENCH'),
      env: JSON.parse(env.CERTHUB_BENCH_PGBENCH_ENV ?? '{}') as Record<string, string>,
      url: DATABASE_URL,
      script: orderScript(),
      clients: CLIENTS,
      transactionsPerClient: PGBENCH_TX_PER_CLIENT,
    });
  } finally {
    await db.query(`DROP TABLE IF EXISTS exam.bench_pgbench_reg, exam.bench_outbox; DROP SEQUENCE IF EXISTS exam.bench_pgbench_seq`);
  }
  // The reference's orders are not the platform's: take them and their seats out again.
  await db.query(
    `WITH gone AS (DELETE FROM exam.exam_order o USING exam.registration r WHERE r.id = o.registration_id AND r.id = ANY($1::uuid[]) RETURNING o.id),
          lines AS (DELETE FROM exam.order_line l USING gone WHERE l.order_id = gone.id RETURNING l.seat_pool_id)
     UPDATE exam.seat_pool p SET held = p.held - c.n FROM (SELECT seat_pool_id, count(*)::int AS n FROM lines GROUP BY 1) c WHERE p.id = c.seat_pool_id`,
    [pgSet.map((r) => r.registrationId)],
  );
  await db.query(`UPDATE exam.registration SET status = 'draft' WHERE id = ANY($1::uuid[])`, [pgSet.map((r) => r.registrationId)]);
  log(`pgbench reference: ${reference.tps} orders/s with ${CLIENTS} clients; p50 ${reference.latency.p50} ms p99 ${reference.latency.p99} ms; failed ${reference.failed}`);

  // 6. Drain: every order's deadline workflow started; every unpaid order expired on time.
  const spikeOrders = (await db.query(`SELECT count(*)::int AS n FROM exam.exam_order WHERE period_id = $1`, [period.id])).rows[0].n as number;
  const drainStart = performance.now();
  const unstarted = await waitForWorkflowStarts(db, period.id, 600_000);
  const drainSeconds = (performance.now() - drainStart) / 1000;
  log(`drain: ${spikeOrders} payment-deadline workflows started ${drainSeconds.toFixed(1)} s after the spike (${unstarted} not started)`);
  // Wait until the last deadline has passed, plus a margin for the workflow's provider query.
  const { rows: lastRows } = await db.query(`SELECT max(expires_at) AS last FROM exam.exam_order WHERE period_id = $1`, [period.id]);
  const waitMs = Date.parse(String(lastRows[0].last)) - Date.now() + 15_000;
  if (waitMs > 0) {
    log(`waiting ${(waitMs / 1000).toFixed(0)} s for the last payment deadline…`);
    await new Promise((r) => setTimeout(r, waitMs));
  }
  const { rows: lateRows } = await db.query(
    `SELECT extract(epoch FROM (p.closed_at - p.expires_at)) * 1000 AS late_ms FROM payment.payment_order p JOIN exam.exam_order o ON o.id = p.id
      WHERE o.period_id = $1 AND p.status = 'expired' ORDER BY 1`,
    [period.id],
  );
  const late = lateRows.map((r: { late_ms: string }) => Number(r.late_ms));
  const { rows: stillPending } = await db.query(`SELECT count(*)::int AS n FROM exam.exam_order WHERE period_id = $1 AND status = 'pending'`, [period.id]);
  const q = (p: number) => (late.length ? Math.round(late[Math.min(late.length - 1, Math.ceil((p / 100) * late.length) - 1)]!) : 0);
  log(`expiry: ${late.length} orders expired, lateness p50 ${q(50)} ms p99 ${q(99)} ms max ${q(100)} ms; ${stillPending[0].n} exam orders still pending`);

  // 7. Invariants.
  const { rows: pools } = await db.query(
    `SELECT p.id, p.quota, p.held, p.paid,
            count(l.id) FILTER (WHERE l.seat_state = 'held')::int AS lines_held,
            count(l.id) FILTER (WHERE l.seat_state = 'paid')::int AS lines_paid
       FROM exam.seat_pool p LEFT JOIN exam.order_line l ON l.seat_pool_id = p.id
      WHERE p.period_id = $1 GROUP BY p.id`,
    [period.id],
  );
  const oversold = pools.reduce((n: number, p: { quota: number; held: number; paid: number }) => n + Math.max(0, p.held + p.paid - p.quota), 0);
  const mismatched = pools.filter((p: { held: number; paid: number; lines_held: number; lines_paid: number }) => p.held !== p.lines_held || p.paid !== p.lines_paid).length;
  log(`invariants: ${pools.length} pools, oversold seats ${oversold}, pools whose counts differ from their order lines ${mismatched}`);

  const figures = {
    bench: 'registration',
    clients: CLIENTS,
    peak: summary(peak),
    steady: { offeredPerSecond: steadyRate, ...summary(steady) },
    overload: { offeredPerSecond: overloadRate, ...summary(overload), refusedShare: Math.round(refusedShare * 1000) / 1000, gatewayRefusalMs: gatewayRefusal, goodputOfPeak: Math.round((overload.goodputPerSecond / peakRate) * 100) / 100 },
    sellout: { racers: SELLOUT_RACERS, quota: SELLOUT_QUOTA, orders: sellout.byStatus['201'] ?? 0, full: sellout.byStatus['409'] ?? 0, held: shPool!.held, paid: shPool!.paid },
    reference: { tps: reference.tps, p50: reference.latency.p50, p99: reference.latency.p99, failed: reference.failed },
    ratio: Math.round((peakRate / reference.tps) * 100) / 100,
    drain: { orders: spikeOrders, seconds: Math.round(drainSeconds * 10) / 10, unstarted },
    expiry: { expired: late.length, lateP50Ms: q(50), lateP99Ms: q(99), lateMaxMs: q(100), stillPending: stillPending[0].n as number },
    invariants: { pools: pools.length, oversold, mismatched },
    seconds: Math.round((performance.now() - started) / 1000),
  };
  log('');
  log(`orders/s at peak ${peakRate} vs pgbench ${reference.tps} → ratio ${figures.ratio} (goal ≥ 0.5)`);
  log(`p99 at 80 % of peak ${steady.admitted.p99} ms (goal ≤ 100 ms)`);
  log(`goodput at 10 × ${overload.goodputPerSecond}/s = ${figures.overload.goodputOfPeak} × peak (goal ≥ 0.9); 429 p99 ${overload.refused.p99} ms at the client, ${gatewayRefusal.p99} ms inside the gateway (goal ≤ 5 ms)`);
  log(`oversold ${oversold} (goal 0); counts ≠ lines in ${mismatched} pools (goal 0); expiry lateness p99 ${q(99)} ms`);
  log(JSON.stringify(figures));
  record(figures);
  await http.close();
  await db.end();
}

/** Waits until every order of the period has its payment order and deadline workflow; returns how many still lack one. */
async function waitForWorkflowStarts(db: PgPool, periodId: string, maxMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE p.id IS NULL OR p.workflow_started_at IS NULL)::int AS n
         FROM exam.exam_order o LEFT JOIN payment.payment_order p ON p.id = o.id WHERE o.period_id = $1`,
      [periodId],
    );
    const unstarted = rows[0].n as number;
    if (unstarted === 0 || performance.now() - started > maxMs) return unstarted;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function summary(r: LoadResult) {
  return { sent: r.sent, seconds: r.seconds, ordersPerSecond: r.goodputPerSecond, byStatus: r.byStatus, admitted: r.admitted, refused: r.refused, errors: r.errors };
}

/** Adds the run as a row of the table in docs/benchmarks.md (the section is created on the first run). */
function record(f: Record<string, any>): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const heading = '## Registration opening (`npm run bench:registration`)';
  const head =
    `Rows are written by the benchmark itself, one per run (bench/registration.bench.ts says what each phase does).\n\n| date | clients | peak orders/s | pgbench orders/s | ratio (≥ 0.5) | p99 at 80 % ms (≤ 100) | goodput at 10 × / peak (≥ 0.9) | 429 p99 ms (≤ 5) client / gateway | 429 share | sell-out | oversold | drain s | expiry late p99 ms |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n`;
  const row = `| ${runDate()} | ${f.clients} | ${f.peak.ordersPerSecond} | ${f.reference.tps} | ${f.ratio} | ${f.steady.admitted.p99} | ${f.overload.goodputOfPeak} | ${f.overload.refused.p99} / ${f.overload.gatewayRefusalMs.p99} | ${f.overload.refusedShare} | ${f.sellout.orders}/${f.sellout.quota} | ${f.invariants.oversold} | ${f.drain.seconds} | ${f.expiry.lateP99Ms} |`;
  appendBenchmarkRow(REPO, heading, head, row);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
