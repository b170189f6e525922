/**
 * Inbox and my-items benchmark (issue: workbench performance).
 *
 *   npm run bench:inbox        (starts the engines, uses its own database `certhub_bench`)
 *
 * Environment: BENCH_TASKS (default 100000 open tasks), BENCH_ITEMS (default 1000000 my-items
 * rows), BENCH_REQUESTS (default 1000 per scenario).
 *
 * Seeds the workbench schema with BENCH_TASKS open tasks (30 % staff group, 50 % spread over 500
 * institutions, 10 % assigned to 2,000 experts, 10 % assigned to 200 staff members) plus half as
 * many completed ones, and BENCH_ITEMS my-items rows over 100,000 applicants; then measures, in
 * one process through the service's full HTTP pipeline (Fastify injection: auth, validation,
 * SQL, serialisation), the first page of the inbox of a staff member, an institution user and an
 * expert, and of an applicant's items (all, a tab, a Chinese search). Reference in the same run:
 * a public endpoint without database work, and a bare `SELECT 1` over the same pool.
 * Prints a table and one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { WorkbenchHarness, type TestCaller } from '../apps/workbench/src/testing/workbench-harness';
import { signAccessToken, type Caller } from '@certhub/service-kit';
import { testEnvironment } from '@certhub/testing';
import { projectionBench } from './case-projection-phase';

const TASKS = Number(process.env.BENCH_TASKS ?? 100_000);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const APPLICANTS = 100_000;

function caller(kind: 'staff' | 'institution' | 'expert' | 'personal', sub: string, institutionId: string | null = null): TestCaller {
  const roles = { staff: ['staff'], institution: ['institution'], expert: ['personal', 'expert'], personal: ['personal'] }[kind];
  const accountType = kind === 'staff' ? 'staff' : kind === 'institution' ? 'institution' : 'personal';
  const c: Caller = { sub, username: `bench_${kind}`, accountType, roles, institutionId, sid: sub };
  return { ...c, token: signAccessToken(c, testEnvironment().jwtSecret, 3600) };
}

async function seed(h: WorkbenchHarness): Promise<void> {
  const ds = h.dataSource;
  const have: Array<{ n: string }> = await ds.query(`SELECT count(*) AS n FROM task WHERE task_key LIKE 'bench:%' AND status = 'open'`);
  const items: Array<{ n: string }> = await ds.query(`SELECT count(*) AS n FROM my_item WHERE domain = 'certification' AND business_no LIKE '2098%'`);
  // Seed layout version 2: every applicant has items of several kinds and stages.
  const kinds: Array<{ n: string }> = await ds.query(`SELECT count(DISTINCT item_name) AS n FROM my_item WHERE applicant_id = md5('app0')::uuid`);
  if (Number(have[0]!.n) === TASKS && Number(items[0]!.n) === ITEMS && Number(kinds[0]!.n) > 1 && process.env.BENCH_RESEED !== '1') {
    process.stdout.write(`seed: reusing ${TASKS} tasks and ${ITEMS} items\n`);
    return;
  }
  const t0 = performance.now();
  await ds.query(`DELETE FROM task WHERE task_key LIKE 'bench:%'`);
  await ds.query(`DELETE FROM my_item WHERE business_no LIKE '2098%'`);
  const total = TASKS + Math.floor(TASKS / 2);
  await ds.query(
    `INSERT INTO task (id, task_key, task_type, title_zh, title_en, domain, case_type, case_id, business_no, applicant_id, item_name, workflow_id,
       stage, round, candidate_role, candidate_institution_id, assignee_id, priority, outcomes, context, status, due_at, due_provisional,
       due_in_working_days, escalate_at, escalation_role, escalation_working_days, created_at, updated_at, version,
       outcome, completed_by, completed_at)
     SELECT md5('task' || i)::uuid, 'bench:' || i, (ARRAY['cert.institution-review','cert.expert-evaluation','cert.approval','identity-verification.review'])[1 + i % 4],
       '审核任务', 'Review task', 'certification', 'cert-registration', 'case-' || i, '2098' || lpad(i::text, 10, '0'), md5('app' || (i % ${APPLICANTS}))::uuid,
       '人员注册申请', 'cert-application:' || i, 'review', 1,
       CASE WHEN i % 10 < 3 THEN 'staff' WHEN i % 10 < 8 THEN 'institution' WHEN i % 10 = 8 THEN 'expert' ELSE 'staff' END,
       CASE WHEN i % 10 BETWEEN 3 AND 7 THEN md5('inst' || (i % 500))::uuid END,
       CASE WHEN i % 10 = 8 THEN md5('expert' || (i % 2000))::uuid WHEN i % 10 = 9 THEN md5('staff' || (i % 200))::uuid END,
       'normal', '[{"code":"approve","labelZh":"通过","labelEn":"Approve"}]'::jsonb, '{}'::jsonb,
       CASE WHEN i > ${TASKS} THEN 'completed' ELSE 'open' END,
       now() + make_interval(hours => ((i::bigint * 7919) % (30 * 24))::int), false, 5, NULL, NULL, NULL, now(), now(), 1,
       CASE WHEN i > ${TASKS} THEN 'approve' END, CASE WHEN i > ${TASKS} THEN md5('staff' || (i % 200))::uuid END, CASE WHEN i > ${TASKS} THEN now() END
     FROM generate_series(1, ${total}) AS i`,
  );
  const t1 = performance.now();
  const batch = 250_000;
  for (let from = 1; from <= ITEMS; from += batch) {
    const to = Math.min(ITEMS, from + batch - 1);
    await ds.query(
      `INSERT INTO my_item (domain, case_id, business_no, case_type, item_name, item_name_en, applicant_id, institution_id, stage, stage_name,
         stage_name_en, status, result, version, changed_at, submitted_at, due_at, clock_paused, workflow_id, link)
       SELECT 'certification', 'bench-' || i, '2098' || lpad(i::text, 10, '0'),
         (ARRAY['cert-registration','annual-confirmation','institution-transfer','appeal'])[1 + (i / ${APPLICANTS}) % 4],
         (ARRAY['人员注册申请','年度确认申请','人员转换执业机构','申诉'])[1 + (i / ${APPLICANTS}) % 4],
         (ARRAY['Personnel registration','Annual confirmation','Institution transfer','Appeal'])[1 + (i / ${APPLICANTS}) % 4],
         md5('app' || (i % ${APPLICANTS}))::uuid, NULL,
         (ARRAY['draft','institution-review','expert-evaluation','approval','done'])[1 + (i + i / ${APPLICANTS}) % 5],
         (ARRAY['草稿','机构初核','专家评价','协会审批','已办结'])[1 + (i + i / ${APPLICANTS}) % 5],
         (ARRAY['Draft','Institution review','Expert evaluation','Approval','Done'])[1 + (i + i / ${APPLICANTS}) % 5],
         (ARRAY['draft','active','active','active','done'])[1 + (i + i / ${APPLICANTS}) % 5], NULL, 1,
         now() - make_interval(mins => ((i::bigint * 104729) % (365 * 24 * 60))::int), now() - interval '400 days', NULL, false, NULL,
         '/api/v1/certification/applications/' || i
       FROM generate_series(${from}, ${to}) AS i`,
    );
  }
  // Vacuumed and analysed now, so autovacuum does not run through the measurements.
  await ds.query('VACUUM (ANALYZE) task');
  await ds.query('VACUUM (ANALYZE) my_item');
  process.stdout.write(`seed: ${total} tasks in ${((t1 - t0) / 1000).toFixed(1)} s, ${ITEMS} items in ${((performance.now() - t1) / 1000).toFixed(1)} s\n`);
}

interface Stats {
  name: string;
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  rows: number;
}

function stats(name: string, samples: number[], rows: number): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { name, n: samples.length, p50: r(q(50)), p95: r(q(95)), p99: r(q(99)), max: r(sorted[sorted.length - 1]!), rows };
}

async function measure(name: string, call: (i: number) => Promise<{ status: number; rows: number }>): Promise<Stats> {
  for (let i = 0; i < 50; i++) await call(i);
  const samples: number[] = [];
  let rows = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const res = await call(i);
    samples.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`${name}: status ${res.status}`);
    rows = res.rows;
  }
  return stats(name, samples, rows);
}

async function main(): Promise<void> {
  const h = await WorkbenchHarness.start({ RUN_WORKER: 'false', RUN_PROJECTION: 'false', LOG_LEVEL: 'error' });
  try {
    await seed(h);
    const md5uuid = async (s: string) => ((await h.dataSource.query(`SELECT md5($1)::uuid AS id`, [s])) as Array<{ id: string }>)[0]!.id;
    const staff = await Promise.all(Array.from({ length: 20 }, (_, i) => md5uuid(`staff${i * 10 + 9}`).then((id) => caller('staff', id))));
    const insts = await Promise.all(Array.from({ length: 20 }, (_, i) => Promise.all([md5uuid(`inst${i * 10 + 3 + (i % 5)}`), md5uuid(`instuser${i}`)]).then(([inst, id]) => caller('institution', id, inst))));
    const experts = await Promise.all(Array.from({ length: 20 }, (_, i) => md5uuid(`expert${i * 10 + 8}`).then((id) => caller('expert', id))));
    const applicants = await Promise.all(Array.from({ length: 20 }, (_, i) => md5uuid(`app${i * 997}`).then((id) => caller('personal', id))));
    const page = async (who: TestCaller, url: string) => {
      const res = await h.request<{ items?: unknown[] }>('GET', url, { caller: who });
      return { status: res.status, rows: Array.isArray(res.body.items) ? res.body.items.length : 0 };
    };
    const results: Stats[] = [];
    results.push(await measure('reference: public endpoint, no database', async () => {
      const res = await h.request('GET', '/api/v1/workbench/catalogue');
      return { status: res.status, rows: 0 };
    }));
    results.push(await measure('reference: SELECT 1 on the same pool', async () => {
      await h.dataSource.query('SELECT 1');
      return { status: 200, rows: 1 };
    }));
    results.push(await measure('inbox first page: staff member', (i) => page(staff[i % staff.length]!, '/api/v1/workbench/tasks?size=20')));
    results.push(await measure('inbox first page: institution user', (i) => page(insts[i % insts.length]!, '/api/v1/workbench/tasks?size=20')));
    results.push(await measure('inbox first page: expert', (i) => page(experts[i % experts.length]!, '/api/v1/workbench/tasks?size=20')));
    results.push(await measure('inbox: staff, overdue filter', (i) => page(staff[i % staff.length]!, '/api/v1/workbench/tasks?size=20&overdue=false&type=cert.approval')));
    results.push(await measure('my items first page: all', (i) => page(applicants[i % applicants.length]!, '/api/v1/workbench/items?size=20')));
    results.push(await measure('my items: tab in progress', (i) => page(applicants[i % applicants.length]!, '/api/v1/workbench/items?tab=active&size=20')));
    results.push(await measure('my items: search 注册', (i) => page(applicants[i % applicants.length]!, `/api/v1/workbench/items?q=${encodeURIComponent('注册')}&size=20`)));

    const line = (s: Stats) => `${s.name.padEnd(44)} ${String(s.n).padStart(6)} ${s.p50.toFixed(2).padStart(8)} ${s.p95.toFixed(2).padStart(8)} ${s.p99.toFixed(2).padStart(8)} ${s.max.toFixed(2).padStart(8)} ${String(s.rows).padStart(5)}`;
    process.stdout.write(`\n${TASKS} open tasks, ${ITEMS} my-items rows, ${REQUESTS} requests per scenario (ms)\n`);
    process.stdout.write(`${'scenario'.padEnd(44)} ${'n'.padStart(6)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)} ${'rows'.padStart(5)}\n`);
    for (const s of results) process.stdout.write(`${line(s)}\n`);
    const worst = Math.max(...results.filter((s) => !s.name.startsWith('reference')).map((s) => s.p99));
    process.stdout.write(`\nworst first-page p99: ${worst.toFixed(2)} ms (goal ≤ 50 ms)\n`);

    const projection = await projectionBench(h.dataSource);
    process.stdout.write(`\nprojection of ${projection.backlog} case events (all case topics, same run):\n`);
    process.stdout.write(`  bare KafkaJS consumer   ${String(projection.bare.perSecond).padStart(8)} events/s (${projection.bare.seconds} s)\n`);
    process.stdout.write(`  my-items projection     ${String(projection.projection.perSecond).padStart(8)} events/s (${projection.projection.seconds} s, ${projection.projection.applied} applied)\n`);
    process.stdout.write(`  ratio                   ${projection.ratio} (goal ≥ 0.5)\n`);
    process.stdout.write(`  event → visible lag     p50 ${projection.lag.p50} ms, p95 ${projection.lag.p95} ms, p99 ${projection.lag.p99} ms, max ${projection.lag.max} ms over ${projection.lag.events} events (goal p99 ≤ 2000 ms)\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'inbox', tasks: TASKS, items: ITEMS, results, worstP99Ms: worst, goalP99Ms: 50, projection })}\n`);
  } finally {
    await h.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
