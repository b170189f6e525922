/**
 * Payment deadlines after a registration spike, `npm run bench:deadlines` (starts the engines,
 * database `certhub_bench`, Temporal namespace `certhub-test`; loopback only; stops by itself).
 *
 * The payment service runs in this process as it does in the tests (its Temporal worker, starter
 * loop, order consumer, outbox relay, sandbox provider). Two phases on the same Temporal server:
 *
 *   1. reference: BENCH_ORDERS bare workflows that only sleep until their deadline and complete
 *      (bench/lib/deadline-reference.workflows.ts), started BENCH_REFERENCE_CONCURRENCY at a time;
 *      lateness = when the worker saw the deadline − the deadline;
 *   2. payment: BENCH_ORDERS `exam.order.placed.v1` events published to Kafka at once, as exam's
 *      relay does after a spike, with deadlines spread evenly over BENCH_DEADLINE_FROM_SECONDS …
 *      BENCH_DEADLINE_TO_SECONDS (20 … 30) from now. The service projects them, starts their
 *      `order-payment:<orderId>` workflows (drain = until every one is started) and expires them
 *      at their deadlines; lateness = payment_order.closed_at − expires_at. Of the orders,
 *      BENCH_PAID_SHARE (1 %) are paid at the provider with the notification dropped (the deadline
 *      must find them paid, never expire them) and as many have an open unpaid payment (closed at
 *      the deadline).
 *
 * Prints a table and one JSON line, and appends a row to docs/benchmarks.md.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { ExamTopics, type EventEnvelope, type OrderPlacedV1 } from '@certhub/contracts';
import { createKafka, SerializedProducer } from '@certhub/messaging';
import { installWorkerRuntime } from '@certhub/temporal';
import { testEnvironment } from '@certhub/testing';
import { PaymentHarness } from '../apps/payment/src/testing/payment-harness';
import { latency, type Latency } from './lib/load';
import { cpuSeconds, pidListeningOn } from './lib/proc';
import { appendBenchmarkRow, runDate } from './lib/report';

const env = process.env;
const ORDERS = Number(env.BENCH_ORDERS ?? 3000);
const FROM_S = Number(env.BENCH_DEADLINE_FROM_SECONDS ?? 20);
const TO_S = Number(env.BENCH_DEADLINE_TO_SECONDS ?? 30);
const PAID_SHARE = Number(env.BENCH_PAID_SHARE ?? 0.01);
const REFERENCE_CONCURRENCY = Number(env.BENCH_REFERENCE_CONCURRENCY ?? 32);
/** How long after the last deadline the benchmark waits for stragglers before it reports. */
const MAX_WAIT_S = Number(env.BENCH_MAX_WAIT_SECONDS ?? 240);
const RUN_REFERENCE = env.BENCH_REFERENCE !== '0';
/** A note for the docs row (e.g. what was changed for this run). */
const NOTE = env.BENCH_NOTE ?? '';

const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deadlines spread evenly over the window, soonest first (a spike's orders in placing order). */
function deadlines(t0: number): number[] {
  return Array.from({ length: ORDERS }, (_, i) => t0 + FROM_S * 1000 + Math.round(((TO_S - FROM_S) * 1000 * i) / Math.max(1, ORDERS - 1)));
}

/** CPU seconds this process and the Temporal server used during `fn`. */
async function measured<T>(fn: () => Promise<T>): Promise<T & { cpu: { bench: number; temporal: number } }> {
  const temporalPid = pidListeningOn(Number(testEnvironment().temporalAddress.split(':').pop()));
  const self0 = process.cpuUsage();
  const temporal0 = cpuSeconds(temporalPid);
  const result = await fn();
  const self = process.cpuUsage(self0);
  return {
    ...result,
    cpu: { bench: Math.round((self.user + self.system) / 1e5) / 10, temporal: Math.round((cpuSeconds(temporalPid) - temporal0) * 10) / 10 },
  };
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

interface Phase {
  drainSeconds: number;
  /** CPU seconds of the benchmark's process (worker, service) and of the Temporal server during the phase. */
  cpu?: { bench: number; temporal: number };
  late: Latency;
  /** Deadlines not acted on when the benchmark stopped waiting. */
  missing: number;
}

/** Phase 1: bare workflows sleeping until the same kind of deadlines. */
async function reference(): Promise<Phase> {
  const t = testEnvironment();
  const connection = await NativeConnection.connect({ address: t.temporalAddress });
  const client = new Client({ connection: await Connection.connect({ address: t.temporalAddress }), namespace: t.temporalNamespace });
  const taskQueue = `bench-deadline-reference-${randomUUID().slice(0, 8)}`;
  const woke = new Map<string, number>();
  const worker = await Worker.create({
    connection,
    namespace: t.temporalNamespace,
    taskQueue,
    workflowsPath: require.resolve('./lib/deadline-reference.workflows'),
    sinks: {
      reference: {
        woke: {
          fn: (info: WorkflowInfo, expiresAt: string) => {
            if (!woke.has(info.workflowId)) woke.set(info.workflowId, Date.now() - Date.parse(expiresAt));
          },
          callDuringReplay: false,
        },
      },
    },
  });
  const running = worker.run();
  try {
    const t0 = Date.now();
    const due = deadlines(t0).map((d) => new Date(d).toISOString());
    const started = performance.now();
    await pool(due, REFERENCE_CONCURRENCY, async (expiresAt) => {
      await client.workflow.start('deadlineReferenceWorkflow', { taskQueue, workflowId: `bench-reference:${randomUUID()}`, args: [expiresAt] });
    });
    const drainSeconds = (performance.now() - started) / 1000;
    log(`reference: ${due.length} workflows started in ${drainSeconds.toFixed(1)} s`);
    const last = Date.parse(due.at(-1)!);
    while (woke.size < due.length && Date.now() < last + MAX_WAIT_S * 1000) await sleep(250);
    const late = latency([...woke.values()]);
    log(`reference: ${woke.size} of ${due.length} woke; lateness p50 ${late.p50} ms p99 ${late.p99} ms max ${late.max} ms`);
    return { drainSeconds, late, missing: due.length - woke.size };
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await client.connection.close();
  }
}

interface PaymentPhase extends Phase {
  settledSeconds: number;
  /** Until Temporal closed every workflow of the phase (null: not within the wait). */
  workflowsClosedSeconds: number | null;
  expired: number;
  paidAtDeadline: number;
  paidAtProvider: number;
  expiredAlthoughPaid: number;
  expiredEarly: number;
}

/** Phase 2: the payment service with a spike of placed orders. */
async function payment(h: PaymentHarness): Promise<PaymentPhase> {
  const t = testEnvironment();
  const producer = new SerializedProducer(createKafka({ clientId: 'bench-deadlines-exam', brokers: t.kafkaBrokers }));
  await producer.connect();
  const periodId = randomUUID();
  try {
    const t0 = Date.now();
    const orders = deadlines(t0).map((d) => h.newOrder({ periodId, placedAt: new Date(t0).toISOString(), expiresAt: new Date(d).toISOString() }));
    const started = performance.now();
    for (let i = 0; i < orders.length; i += 500) {
      const batch = orders.slice(i, i + 500).map((data) => {
        const envelope: EventEnvelope<OrderPlacedV1> = {
          eventId: randomUUID(),
          type: ExamTopics.OrderPlaced,
          occurredAt: new Date().toISOString(),
          producer: 'exam',
          subjectId: data.orderId,
          actorId: null,
          correlationId: null,
          data,
        };
        return { key: data.orderId, value: JSON.stringify(envelope) };
      });
      await producer.send(ExamTopics.OrderPlaced, batch);
    }
    log(`payment: ${orders.length} orders published in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // Some candidates pay (the provider's notification lost: the deadline must find it), some leave a payment open.
    const every = PAID_SHARE > 0 ? Math.max(2, Math.round(1 / PAID_SHARE)) : 0;
    const paid = every ? orders.filter((_, i) => i % every === 1) : [];
    const open = every ? orders.filter((_, i) => i % every === 2) : [];
    const paidAtProvider = new Set<string>();
    const payers = pool([...paid.map((o) => ({ o, pay: true })), ...open.map((o) => ({ o, pay: false }))], 8, async ({ o, pay }) => {
      const token = h.token(o.candidateId);
      for (;;) {
        const res = await h.request<{ paymentId: string }>('POST', `/api/v1/payment/orders/${o.orderId}/payments`, { token });
        if (res.status === 201) {
          if (pay) {
            const done = await h.request('POST', `/api/v1/sandbox/payments/${res.body.paymentId}/pay`, { body: { notify: 'drop' } });
            if (done.status === 200) paidAtProvider.add(o.orderId);
          }
          return;
        }
        if (res.status !== 409 || Date.now() > Date.parse(o.expiresAt)) return;
        await sleep(200);
      }
    });

    let drainSeconds = NaN;
    let settledSeconds = NaN;
    const last = Date.parse(orders.at(-1)!.expiresAt);
    for (;;) {
      const [row] = (await h.dataSource.query(
        `SELECT count(*) FILTER (WHERE workflow_started_at IS NOT NULL)::int AS started, count(*) FILTER (WHERE status <> 'pending')::int AS settled
           FROM payment_order WHERE period_id = $1`,
        [periodId],
      )) as Array<{ started: number; settled: number }>;
      const elapsed = (performance.now() - started) / 1000;
      if (Number.isNaN(drainSeconds) && row!.started === orders.length) {
        drainSeconds = elapsed;
        log(`payment: every deadline workflow started after ${drainSeconds.toFixed(1)} s`);
      }
      if (row!.settled === orders.length) {
        settledSeconds = elapsed;
        break;
      }
      if (Date.now() > last + MAX_WAIT_S * 1000) break;
      await sleep(250);
    }
    await payers;
    // The workflows themselves: how long Temporal takes to close them all (their orders are settled by now).
    let workflowsClosedSeconds: number | null = null;
    const client = h.app.get(Client);
    const query = `WorkflowType = 'orderPaymentWorkflow' AND ExecutionStatus = 'Running' AND StartTime >= '${new Date(t0).toISOString()}'`;
    try {
      while (Date.now() < last + MAX_WAIT_S * 1000) {
        if ((await client.workflow.count(query)).count === 0) {
          workflowsClosedSeconds = Math.round((performance.now() - started) / 100) / 10;
          break;
        }
        await sleep(1000);
      }
    } catch (err) {
      log(`payment: could not count the running workflows (${err instanceof Error ? err.message : String(err)})`);
    }
    log(`payment: every deadline workflow closed after ${workflowsClosedSeconds ?? '–'} s`);
    if (workflowsClosedSeconds === null) {
      // Leave nothing behind for the tests that share this namespace and task queue.
      await pool(orders, 16, async (o) => {
        await client.workflow.getHandle(`order-payment:${o.orderId}`).terminate('bench:deadlines is done').catch(() => undefined);
      });
    }
    const rows = (await h.dataSource.query(
      `SELECT id, status, extract(epoch FROM (closed_at - expires_at)) * 1000 AS late_ms FROM payment_order WHERE period_id = $1`,
      [periodId],
    )) as Array<{ id: string; status: string; late_ms: string | null }>;
    const expired = rows.filter((r) => r.status === 'expired');
    const late = latency(expired.map((r) => Math.round(Number(r.late_ms))));
    const result: PaymentPhase = {
      drainSeconds: Math.round(drainSeconds * 10) / 10,
      settledSeconds: Math.round(settledSeconds * 10) / 10,
      workflowsClosedSeconds,
      late,
      missing: rows.filter((r) => r.status === 'pending').length,
      expired: expired.length,
      paidAtDeadline: rows.filter((r) => r.status === 'paid').length,
      paidAtProvider: paidAtProvider.size,
      expiredAlthoughPaid: expired.filter((r) => paidAtProvider.has(r.id)).length,
      expiredEarly: expired.filter((r) => Number(r.late_ms) < 0).length,
    };
    log(
      `payment: ${result.expired} expired, lateness p50 ${late.p50} ms p99 ${late.p99} ms max ${late.max} ms; ${result.paidAtDeadline} paid ` +
        `(${paidAtProvider.size} paid at the provider, ${result.expiredAlthoughPaid} of them expired); ${result.expiredEarly} expired early; ${result.missing} still pending`,
    );
    return result;
  } finally {
    await producer.disconnect();
  }
}

async function main(): Promise<void> {
  installWorkerRuntime('ERROR');
  // PAYMENT_* settings of this environment reach the service (e.g. PAYMENT_DEADLINE_PASS_INTERVAL_MS=0).
  const settings = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('PAYMENT_') && e[1] !== undefined));
  const h = await PaymentHarness.start({ LOG_LEVEL: env.BENCH_LOG_LEVEL ?? 'error', ...settings });
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let ref: Phase | undefined;
  let pay: PaymentPhase;
  try {
    log(`${ORDERS} deadlines spread over ${FROM_S}–${TO_S} s from the start of each phase`);
    if (RUN_REFERENCE) {
      ref = await measured(reference);
      await sleep(3000);
    }
    pay = await measured(() => payment(h));
  } finally {
    await h.stop();
  }
  const cpu = process.cpuUsage(cpu0);
  const figures = {
    bench: 'payment-deadlines',
    orders: ORDERS,
    window: [FROM_S, TO_S],
    reference: ref ?? null,
    payment: pay,
    settings,
    benchProcessCpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    seconds: Math.round((performance.now() - started) / 1000),
  };
  log('');
  log(`| | drain s | lateness p50 ms | p99 ms | max ms | not done | CPU s bench / Temporal |`);
  log(`|---|---|---|---|---|---|---|`);
  if (ref) log(`| reference (bare sleep) | ${ref.drainSeconds.toFixed(1)} | ${ref.late.p50} | ${ref.late.p99} | ${ref.late.max} | ${ref.missing} | ${ref.cpu?.bench} / ${ref.cpu?.temporal} |`);
  log(`| payment deadlines | ${pay.drainSeconds} | ${pay.late.p50} | ${pay.late.p99} | ${pay.late.max} | ${pay.missing} | ${pay.cpu?.bench} / ${pay.cpu?.temporal} |`);
  log(`goal: every expiry on time (p99 ≤ 2000 ms late); expired although paid ${pay.expiredAlthoughPaid} (goal 0); expired early ${pay.expiredEarly} (goal 0)`);
  log(JSON.stringify(figures));
  record(figures);
}

/** Adds the run as a row of its table in docs/benchmarks.md (the section is created on the first run). */
function record(f: { orders: number; window: number[]; reference: Phase | null; payment: PaymentPhase }): void {
  const heading = '## Payment deadlines after a spike (`npm run bench:deadlines`)';
  const head =
    `Rows are written by the benchmark itself, one per run (bench/payment-deadlines.bench.ts says what it does). ` +
      `Lateness = when the deadline was acted on − the deadline; the reference is bare workflows sleeping until the same deadlines on the same Temporal server in the same run.\n\n` +
      `| date | orders | window s | reference drain s | reference late p50 / p99 / max ms | drain s | late p50 / p99 / max ms (goal p99 ≤ 2000) | not settled | expired although paid | workflows closed s | CPU s service / Temporal | note |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n`;
  const r = f.reference;
  const p = f.payment;
  const row =
    `| ${runDate()} | ${f.orders} | ${f.window.join('–')} | ${r ? r.drainSeconds.toFixed(1) : '–'} | ` +
    `${r ? `${r.late.p50} / ${r.late.p99} / ${r.late.max}` : '–'} | ${p.drainSeconds} | ${p.late.p50} / ${p.late.p99} / ${p.late.max} | ${p.missing} | ${p.expiredAlthoughPaid} | ${p.workflowsClosedSeconds ?? '–'} | ${p.cpu ? `${p.cpu.bench} / ${p.cpu.temporal}` : '–'} | ${NOTE} |`;
  appendBenchmarkRow(testEnvironment().repoRoot, heading, head, row);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
