import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { signAccessToken } from '@certhub/service-kit';
import { startWorkflowOnce, workflowHandle } from '@certhub/temporal';
import { eventually, startServiceProcess, type ServiceProcess } from '@certhub/testing';
import { cancelFeeSignal, feePayment, type FeePaymentInput, type FeePaymentResult } from '@certhub/workflows-payment';
import { PaymentHarness } from '../testing/payment-harness';

type Body = Record<string, unknown> & { code?: string; field?: string; message?: string; messageZh?: string };
type Voucher = { voucherId: string; round: number; status: string; contentType: string; bytes: number; opinion: string | null };
type FeeView = {
  feeId: string;
  status: string;
  stage: string;
  amountFen: number;
  paidVia: string | null;
  invoice: { invoiceNo: string; title: string; type: string } | null;
  payments: Array<{ paymentId: string; status: string }>;
  vouchers: Voucher[];
  refunds: Array<{ reason: string; status: string }>;
};
type Task = { id: string; type: string; stage: string; round: number; case: { businessNo: string; caseId: string }; context: Record<string, unknown> };

const MAX_VOUCHER = 64 * 1024;
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3000, 0x20), Buffer.from('\n%%EOF\n')]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 7)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 3), Buffer.from([0xff, 0xd9])]);

describe('fees (CE-3 payment of a certification fee): payer API, vouchers checked by staff in the workbench, real engines', () => {
  let h: PaymentHarness;
  let workbench: ServiceProcess;
  let staff: { id: string; token: string };
  let temporal: Client;

  before(async () => {
    h = await PaymentHarness.start({ PAYMENT_RECONCILE_PENDING_AFTER_SECONDS: '0', PAYMENT_VOUCHER_MAX_BYTES: String(MAX_VOUCHER) });
    // The voucher check is a task in the workbench inbox: the workbench runs as its own process.
    workbench = await startServiceProcess('workbench');
    const staffId = randomUUID();
    staff = { id: staffId, token: h.token(staffId, ['staff'], 'staff') };
    temporal = h.app.get(Client);
  });
  after(async () => {
    await workbench?.stop();
    await h?.stop();
  });

  /** Starts the fee as the certification workflow would (here from the test, on the payment queue). */
  async function openFee(overrides: Partial<FeePaymentInput> = {}) {
    const payerId = randomUUID();
    const input: FeePaymentInput = {
      feeId: randomUUID(),
      case: {
        domain: 'certification',
        caseType: 'cert-registration',
        caseId: randomUUID(),
        businessNo: `2026112410${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`,
        itemName: '人员注册申请',
        itemNameEn: 'Personnel registration application',
      },
      payer: { kind: 'person', accountId: payerId },
      amountFen: 80000,
      purpose: 'cert-registration',
      invoice: { type: 'enterprise', title: '华认质量认证中心', taxId: '91110105MA01ABCD2X' },
      dueAt: new Date(Date.now() + 3600_000).toISOString(),
      ...overrides,
    };
    await startWorkflowOnce(temporal, feePayment, input.feeId, { args: [input] });
    const token = h.token(input.payer.accountId);
    await eventually(async () => (await view(input.feeId, token)).status === 200, { what: `fee ${input.feeId} opened`, timeoutMs: 30_000 });
    return { input, token, feeId: input.feeId };
  }

  const view = (feeId: string, token: string) => h.request<FeeView & Body>('GET', `/api/v1/payment/fees/${feeId}`, { token });
  const pay = (feeId: string, token: string) => h.request<{ paymentId: string; payUrl: string } & Body>('POST', `/api/v1/payment/fees/${feeId}/payments`, { token });
  const sandboxPay = (paymentId: string, body: Record<string, unknown> = {}) => h.request('POST', `/api/v1/sandbox/payments/${paymentId}/pay`, { body });
  const result = (feeId: string) => workflowHandle(temporal, feePayment, feeId).result() as Promise<FeePaymentResult>;

  async function upload(feeId: string, token: string, body: Buffer, contentType: string, requestId?: string) {
    const res = await h.app.getHttpAdapter().getInstance().inject({
      method: 'POST',
      url: `/api/v1/payment/fees/${feeId}/voucher`,
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType, ...(requestId ? { 'x-request-id': requestId } : {}) },
      payload: body,
    });
    return { status: res.statusCode, body: JSON.parse(res.body) as Voucher & Body };
  }

  async function voucherRows(feeId: string): Promise<Array<{ round: number; status: string }>> {
    return h.dataSource.query(`SELECT round, status FROM payment_fee_voucher WHERE fee_id = $1 ORDER BY round`, [feeId]);
  }

  async function wb<T = Body>(method: 'GET' | 'POST', path: string, options: { body?: unknown; requestId?: string } = {}) {
    const res = await fetch(`${workbench.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${staff.token}`,
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function checkTask(caseId: string, round: number): Promise<Task> {
    return eventually(
      async () => {
        const list = await wb<{ items: Task[] }>('GET', '/api/v1/workbench/tasks?type=payment.voucher-check&size=100');
        return list.body.items.find((t) => t.case.caseId === caseId && t.round === round);
      },
      { what: `voucher check task round ${round}`, timeoutMs: 30_000 },
    );
  }

  async function decide(task: Task, outcome: 'accept' | 'reject', opinion: string | null) {
    assert.equal((await wb('POST', `/api/v1/workbench/tasks/${task.id}/claim`)).status, 200);
    const done = await wb('POST', `/api/v1/workbench/tasks/${task.id}/complete`, { body: { outcome, opinion }, requestId: randomUUID() });
    assert.equal(done.status, 200, JSON.stringify(done.body));
  }

  describe('the payer sees and pays only their own fee', () => {
    it('another person\'s, an unknown and a malformed fee id are the same 404; no token is 401', async () => {
      const { feeId, token } = await openFee();
      const own = await view(feeId, token);
      assert.equal(own.body.status, 'pending');
      assert.equal(own.body.stage, 'awaiting-payment');
      assert.equal(own.body.amountFen, 80000);
      for (const [id, t] of [
        [feeId, h.token()],
        [randomUUID(), token],
        ['not-a-uuid', token],
      ] as const) {
        const res = await view(id, t);
        assert.equal(res.status, 404);
        assert.equal(res.body.code, 'PAYMENT_FEE_NOT_FOUND');
        assert.equal(res.body.field, 'feeId');
        assert.ok(res.body.messageZh && res.body.message);
      }
      assert.equal((await pay(feeId, h.token())).body.code, 'PAYMENT_FEE_NOT_FOUND');
      assert.equal((await upload(feeId, h.token(), PDF, 'application/pdf')).body.code, 'PAYMENT_FEE_NOT_FOUND');
      assert.equal((await h.request('GET', `/api/v1/payment/fees/${feeId}`)).status, 401);
      assert.deepEqual(await voucherRows(feeId), [], 'nothing was stored');
    });

    it('an institution\'s fee: any user of that institution may pay; another institution\'s user may not', async () => {
      const institutionId = randomUUID();
      const { feeId } = await openFee({ payer: { kind: 'institution', accountId: randomUUID(), institutionId } });
      const withoutInstitution = h.token(randomUUID(), [], 'institution');
      const asInstitution = (inst: string) =>
        signAccessToken({ sub: randomUUID(), username: 'inst', accountType: 'institution', roles: [], institutionId: inst, sid: randomUUID() }, h.config.CERTHUB_JWT_SECRET, 900);
      assert.equal((await view(feeId, asInstitution(institutionId))).status, 200);
      assert.equal((await view(feeId, asInstitution(randomUUID()))).status, 404);
      assert.equal((await view(feeId, withoutInstitution)).status, 404, 'an institution user without that institution');
    });

    it('lists the fees I may pay: my own, and for an institution user every fee of the institution; a bad status filter is 400', async () => {
      const institutionId = randomUUID();
      const own = await openFee();
      const ofInstitution = await openFee({ payer: { kind: 'institution', accountId: randomUUID(), institutionId } });
      const asInstitution = (inst: string) =>
        signAccessToken({ sub: randomUUID(), username: 'inst', accountType: 'institution', roles: [], institutionId: inst, sid: randomUUID() }, h.config.CERTHUB_JWT_SECRET, 900);
      type List = { items: Array<{ feeId: string; status: string; payerKind: string; amountFen: number; link: string }> };
      const list = async (token: string, query = '') => h.request<List & Body>('GET', `/api/v1/payment/fees${query}`, { token });
      const ids = async (token: string, query = '') => (await list(token, query)).body.items.map((f) => f.feeId);
      // The fee rows are written by the child workflow: wait until both are open.
      await eventually(async () => ((await ids(own.token)).includes(own.feeId) ? true : undefined), { what: 'own fee listed', timeoutMs: 30_000 });
      const mine = await list(own.token, '?status=pending');
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.body.items.map((f) => [f.feeId, f.status, f.payerKind, f.link]), [[own.feeId, 'pending', 'person', `/api/v1/payment/fees/${own.feeId}`]]);
      const institutionUser = asInstitution(institutionId);
      await eventually(async () => ((await ids(institutionUser)).includes(ofInstitution.feeId) ? true : undefined), { what: 'institution fee listed', timeoutMs: 30_000 });
      assert.deepEqual(await ids(institutionUser), [ofInstitution.feeId]);
      assert.deepEqual(await ids(asInstitution(randomUUID())), [], 'another institution sees none of it');
      assert.deepEqual(await ids(institutionUser, '?status=paid'), []);
      const bad = await list(own.token, '?status=unknown');
      assert.deepEqual([bad.status, bad.body.code, bad.body.field], [400, 'COMMON_VALIDATION_FAILED', 'status']);
      assert.equal((await h.request('GET', '/api/v1/payment/fees')).status, 401);
    });
  });

  describe('online payment through the sandbox provider', () => {
    it('pay page, signed notification → paid with the invoice; the workflow returns paid-online; further pay or voucher → 409', async () => {
      const { feeId, token } = await openFee();
      // A double submit gets the same payment.
      const [a, b] = await Promise.all([pay(feeId, token), pay(feeId, token)]);
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.equal(a.body.paymentId, b.body.paymentId);
      assert.equal(a.body.payUrl, `/api/v1/sandbox/payments/${a.body.paymentId}`);
      assert.equal((await sandboxPay(a.body.paymentId)).status, 200);
      const r = await result(feeId);
      assert.equal(r.outcome, 'paid-online');
      assert.equal(r.paymentId, a.body.paymentId);
      assert.match(r.invoiceNo ?? '', /^FP\d{8}[0-9A-F]{10}$/);
      const after = await view(feeId, token);
      assert.equal(after.body.status, 'paid');
      assert.equal(after.body.paidVia, 'online');
      assert.deepEqual(after.body.invoice && [after.body.invoice.type, after.body.invoice.title], ['enterprise', '华认质量认证中心']);
      assert.equal(after.body.payments.length, 1);
      assert.equal((await pay(feeId, token)).body.code, 'PAYMENT_FEE_PAID');
      assert.equal((await upload(feeId, token, PDF, 'application/pdf')).body.code, 'PAYMENT_FEE_PAID');
      assert.deepEqual(await voucherRows(feeId), []);
    });

    it('colleagues paying the same fees at once, more of them than the pool has connections: one payment per fee, the others closed at the provider', async () => {
      // Each request used to hold the fee's row lock and a pooled connection while the provider
      // (the sandbox's insert) waited for another: with 48 at once on a pool of 20 nobody got one.
      const institutionId = randomUUID();
      // Business numbers of their own (the provider's payments are found by them below).
      const base = Math.floor(Math.random() * 9000);
      const fees = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          openFee({
            payer: { kind: 'institution', accountId: randomUUID(), institutionId },
            case: { domain: 'certification', caseType: 'cert-registration', caseId: randomUUID(), businessNo: `2026112499${String(base + i).padStart(4, '0')}`, itemName: '人员注册申请', itemNameEn: 'Personnel registration application' },
          }),
        ),
      );
      const colleagues = Array.from({ length: 8 }, () =>
        signAccessToken({ sub: randomUUID(), username: 'inst', accountType: 'institution', roles: [], institutionId, sid: randomUUID() }, h.config.CERTHUB_JWT_SECRET, 900),
      );
      const answers = await Promise.all(fees.flatMap((f) => colleagues.map(async (token) => ({ feeId: f.feeId, res: await pay(f.feeId, token) }))));
      for (const f of fees) {
        const mine = answers.filter((a) => a.feeId === f.feeId);
        assert.deepEqual(mine.map((a) => a.res.status), Array(8).fill(201), `every colleague gets the payment of ${f.feeId}`);
        assert.equal(new Set(mine.map((a) => a.res.body.paymentId)).size, 1, `one payment of ${f.feeId}`);
        const open: Array<{ n: number }> = await h.dataSource.query(`SELECT count(*)::int AS n FROM payment WHERE fee_id = $1 AND status = 'open'`, [f.feeId]);
        assert.equal(open[0]!.n, 1);
        const atProvider: Array<{ status: string; n: number }> = await h.dataSource.query(
          `SELECT status, count(*)::int AS n FROM sandbox_payment WHERE description = $1 GROUP BY status ORDER BY status`,
          [`certhub fee ${f.input.case.businessNo}`],
        );
        assert.equal(atProvider.find((r) => r.status === 'open')?.n, 1, 'only the recorded payment is open at the provider');
      }
    });

    it('a payment arriving after the due time (the provider could not close it) is refunded automatically; the fee stays expired', async () => {
      const { feeId, token } = await openFee({ dueAt: new Date(Date.now() + 4000).toISOString() });
      const { body: p } = await pay(feeId, token);
      await h.request('PUT', '/api/v1/sandbox/payments/switches', { body: { name: 'fail-closes', remaining: 2 } });
      assert.equal((await result(feeId)).outcome, 'expired');
      assert.equal((await pay(feeId, token)).body.code, 'PAYMENT_FEE_EXPIRED');
      assert.equal((await upload(feeId, token, PDF, 'application/pdf')).body.code, 'PAYMENT_FEE_EXPIRED');
      assert.equal((await sandboxPay(p.paymentId)).status, 200);
      const refunded = await eventually(
        async () => {
          const v = await view(feeId, token);
          return v.body.refunds.length === 1 && v.body.refunds[0]!.status === 'confirmed' ? v.body : undefined;
        },
        { what: 'late payment refunded', timeoutMs: 30_000 },
      );
      assert.equal(refunded.status, 'expired');
      assert.deepEqual(refunded.refunds.map((r) => r.reason), ['late-payment']);
      assert.equal(refunded.invoice, null, 'no invoice for an unpaid fee');
    });
  });

  describe('offline payment: a voucher checked by staff in the workbench', () => {
    it('refuses bad uploads with stable codes and stores nothing', async () => {
      const { feeId, token } = await openFee();
      const cases: Array<[Buffer, string, number, string]> = [
        [Buffer.from('hello, this is not a voucher'), 'text/plain', 415, 'PAYMENT_VOUCHER_TYPE'],
        [PNG, 'image/jpeg', 415, 'PAYMENT_VOUCHER_TYPE'],
        [Buffer.from('%PDF'), 'application/pdf', 415, 'PAYMENT_VOUCHER_TYPE'],
        [Buffer.alloc(3000, 1), 'application/octet-stream', 415, 'PAYMENT_VOUCHER_TYPE'],
        [Buffer.concat([PDF, Buffer.alloc(MAX_VOUCHER)]), 'application/pdf', 413, 'PAYMENT_VOUCHER_TOO_LARGE'],
        [Buffer.concat([JPEG, Buffer.alloc(MAX_VOUCHER + 1024 * 1024)]), 'image/jpeg', 413, 'COMMON_PAYLOAD_TOO_LARGE'],
        [PDF, 'image/gif', 415, 'COMMON_UNSUPPORTED_MEDIA_TYPE'],
      ];
      for (const [body, type, status, code] of cases) {
        const res = await upload(feeId, token, body, type);
        assert.equal(res.status, status, `${type} ${body.length}`);
        assert.equal(res.body.code, code);
        assert.ok(res.body.message && res.body.messageZh);
      }
      assert.deepEqual(await voucherRows(feeId), []);
      assert.equal((await view(feeId, token)).body.stage, 'awaiting-payment');
    });

    it('rejected with an opinion, uploaded again, accepted → paid offline with the invoice; replays and double submits are harmless', async () => {
      const { input, feeId, token } = await openFee();
      // An online payment opened first is closed when the payer switches to a voucher.
      const { body: online } = await pay(feeId, token);
      const first = await upload(feeId, token, PDF, 'application/pdf', 'req-voucher-1');
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.deepEqual([first.body.round, first.body.status, first.body.contentType, first.body.bytes], [1, 'submitted', 'application/pdf', PDF.length]);
      const replay = await upload(feeId, token, PDF, 'application/pdf', 'req-voucher-1');
      assert.equal(replay.status, 201);
      assert.equal(replay.body.voucherId, first.body.voucherId, 'a replayed upload is the same voucher');
      const second = await upload(feeId, token, JPEG, 'image/jpeg', 'req-voucher-other');
      assert.equal(second.status, 409);
      assert.equal(second.body.code, 'PAYMENT_FEE_VOUCHER_UNDER_REVIEW');
      assert.equal((await pay(feeId, token)).body.code, 'PAYMENT_FEE_VOUCHER_UNDER_REVIEW', 'no online payment while staff check a voucher');
      const afterUpload = await view(feeId, token);
      assert.equal(afterUpload.body.stage, 'voucher-review');
      assert.deepEqual(afterUpload.body.payments.map((p) => [p.paymentId, p.status]), [[online.paymentId, 'closed']]);
      assert.equal((await sandboxPay(online.paymentId)).status, 409, 'the closed online payment can no longer be paid');

      // Staff see the task of the parent's case, and the file through the payment service.
      const task1 = await checkTask(input.case.caseId, 1);
      assert.equal(task1.case.businessNo, input.case.businessNo);
      const file = await h.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: String(task1.context.voucher), headers: { authorization: `Bearer ${staff.token}` } });
      assert.equal(file.statusCode, 200);
      assert.equal(file.headers['content-type'], 'application/pdf');
      assert.equal(file.headers['cache-control'], 'private, no-store');
      assert.ok(file.rawPayload.equals(PDF));
      const payerTriesStaffPath = await h.request('GET', String(task1.context.voucher), { token });
      assert.equal(payerTriesStaffPath.status, 403);
      assert.equal((await h.request('GET', `/api/v1/payment/staff/fees/${feeId}/vouchers/${randomUUID()}`, { token: staff.token })).status, 404);

      await decide(task1, 'reject', '凭证金额与应缴金额不符');
      const rejected = await eventually(async () => ((await view(feeId, token)).body.stage === 'awaiting-payment' ? (await view(feeId, token)).body : undefined), {
        what: 'voucher rejected',
        timeoutMs: 30_000,
      });
      assert.equal(rejected.status, 'pending');
      assert.deepEqual(rejected.vouchers.map((v) => [v.round, v.status, v.opinion]), [[1, 'rejected', '凭证金额与应缴金额不符']]);

      // Two uploads at once: one is the second round, the other is refused.
      const racing = await Promise.all([upload(feeId, token, PNG, 'image/png', 'req-r2-a'), upload(feeId, token, JPEG, 'image/jpeg', 'req-r2-b')]);
      assert.deepEqual(racing.map((r) => r.status).sort(), [201, 409]);
      const winner = racing.find((r) => r.status === 201)!.body;
      assert.equal(winner.round, 2);
      const task2 = await checkTask(input.case.caseId, 2);
      await decide(task2, 'accept', '已到账');
      const r = await result(feeId);
      assert.equal(r.outcome, 'paid-offline');
      assert.equal(r.voucherId, winner.voucherId);
      assert.deepEqual(r.reviews.map((x) => [x.round, x.outcome]), [
        [1, 'rejected'],
        [2, 'accepted'],
      ]);
      assert.equal(r.reviews[1]!.actorId, staff.id);
      const paid = await view(feeId, token);
      assert.equal(paid.body.status, 'paid');
      assert.equal(paid.body.paidVia, 'voucher');
      assert.equal(paid.body.invoice?.invoiceNo, r.invoiceNo);
      assert.deepEqual(await voucherRows(feeId), [
        { round: 1, status: 'rejected' },
        { round: 2, status: 'accepted' },
      ]);
      assert.equal((await upload(feeId, token, PDF, 'application/pdf')).body.code, 'PAYMENT_FEE_PAID');
    });
  });

  describe('the parent cancels', () => {
    it('cancelFee: the fee is cancelled, the voucher under check withdrawn with its task; pay and upload → 409 PAYMENT_FEE_CANCELLED', async () => {
      const { input, feeId, token } = await openFee();
      assert.equal((await upload(feeId, token, JPEG, 'image/jpeg')).status, 201);
      const task = await checkTask(input.case.caseId, 1);
      await workflowHandle(temporal, feePayment, feeId).signal(cancelFeeSignal, { reason: 'application-withdrawn', actorId: input.payer.accountId });
      assert.equal((await result(feeId)).outcome, 'cancelled');
      const v = await view(feeId, token);
      assert.equal(v.body.status, 'cancelled');
      assert.deepEqual(v.body.vouchers.map((x) => x.status), ['withdrawn']);
      assert.equal((await pay(feeId, token)).body.code, 'PAYMENT_FEE_CANCELLED');
      assert.equal((await upload(feeId, token, PDF, 'application/pdf')).body.code, 'PAYMENT_FEE_CANCELLED');
      // The task left the inbox.
      await eventually(async () => (await wb<{ status: string }>('GET', `/api/v1/workbench/tasks/${task.id}`)).body.status === 'cancelled', { what: 'task cancelled', timeoutMs: 30_000 });
    });
  });
});
