import { ApplicationFailure, CancelledFailure, ChildWorkflowFailure, condition, executeChild, patched, proxyActivities, setHandler, TerminatedFailure, TimeoutFailure, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import { BusinessNo, CaseStage, CaseStatus, CaseType, type CaseMilestone } from '@certhub/contracts';
import { humanTasks, type TaskDecision, type TaskOutcomeSpec } from '@certhub/human-tasks';
import { feePayment, feePaymentChildOptions, type FeePaymentResult } from '@certhub/workflows-payment';
import {
  certApplicationStateQuery,
  CERT_REGISTRATION_CASE_TYPE,
  CERT_TASK_TYPES,
  resubmitSignal,
  withdrawSignal,
  type ApplicationSnapshot,
  type CertApplicationInput,
  type CertApplicationState,
  type CertApplicationStatus,
  type CertificationActivities,
  type CertReviewStage,
  type CertStage,
  type RecordVerdict,
} from './contract';

const act = proxyActivities<CertificationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const DAY_MS = 24 * 60 * 60 * 1000;

const RETURN: TaskOutcomeSpec = { code: 'return', labelZh: '退回整改', labelEn: 'Return for rectification', opinionRequired: true };
const REJECT: TaskOutcomeSpec = { code: 'reject', labelZh: '不通过', labelEn: 'Reject', opinionRequired: true };

interface StageSpec {
  titleZh: string;
  titleEn: string;
  outcomes: TaskOutcomeSpec[];
  /** The outcome that moves the case on. */
  forward: string;
}

const STAGES: Record<CertReviewStage, StageSpec> = {
  'institution-review': {
    titleZh: '人员注册申请机构初核',
    titleEn: 'Registration application: institution review',
    outcomes: [{ code: 'approve', labelZh: '初核通过', labelEn: 'Approve' }, RETURN, REJECT],
    forward: 'approve',
  },
  'expert-assignment': {
    titleZh: '人员注册申请分配专家',
    titleEn: 'Registration application: assign an expert',
    outcomes: [{ code: 'assign', labelZh: '分配专家', labelEn: 'Assign expert', requiredData: ['expertId'], accountData: { expertId: 'expert' } }, RETURN, REJECT],
    forward: 'assign',
  },
  'expert-evaluation': {
    titleZh: '人员注册申请专家评价',
    titleEn: 'Registration application: expert evaluation',
    outcomes: [
      { code: 'pass', labelZh: '评价通过', labelEn: 'Pass', requiredData: ['verdicts'] },
      { code: 'return', labelZh: '退回整改', labelEn: 'Return for rectification', opinionRequired: true, requiredData: ['verdicts'] },
      { code: 'reject', labelZh: '评价不通过', labelEn: 'Fail', opinionRequired: true, requiredData: ['verdicts'] },
    ],
    forward: 'pass',
  },
  'association-approval': {
    titleZh: '人员注册申请协会审批',
    titleEn: 'Registration application: association approval',
    outcomes: [{ code: 'approve', labelZh: '审批通过', labelEn: 'Approve' }, RETURN, REJECT],
    forward: 'approve',
  },
  'association-decision': {
    titleZh: '人员注册申请协会批准',
    titleEn: 'Registration application: association decision',
    outcomes: [{ code: 'approve', labelZh: '批准注册', labelEn: 'Approve registration' }, RETURN, REJECT],
    forward: 'approve',
  },
};

/**
 * Patch of the change that made an institution's payment a fee child too (before it, `paymentBy:
 * institution` skipped the payment stage): histories recorded without it keep skipping it.
 */
export const INSTITUTION_PAYS_FEE_PATCH = 'cert-institution-pays-fee';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why an expert's verdicts cannot be taken (one per record, pass or fail), or null; pure, exported for tests. */
export function verdictProblem(verdicts: unknown, records: ApplicationSnapshot['records'], outcome: string): string | null {
  if (!Array.isArray(verdicts)) return 'verdicts-not-a-list';
  const seen = new Set<string>();
  for (const v of verdicts as Array<Partial<RecordVerdict>>) {
    if (typeof v !== 'object' || v === null || typeof v.recordId !== 'string') return 'verdict-without-record';
    if (!records.some((r) => r.id === v.recordId)) return 'verdict-for-unknown-record';
    if (v.verdict !== 'pass' && v.verdict !== 'fail') return 'verdict-not-pass-or-fail';
    if (seen.has(v.recordId)) return 'verdict-twice';
    seen.add(v.recordId);
  }
  if (seen.size !== records.length) return 'record-without-verdict';
  if (outcome === 'pass' && (verdicts as RecordVerdict[]).some((v) => v.verdict === 'fail')) return 'pass-with-failed-record';
  return null;
}

/** The opinion with every failed record added as a non-conformity (不符合项). */
export function opinionWithNonConformities(opinion: string | null, verdicts: RecordVerdict[], records: ApplicationSnapshot['records']): { opinion: string | null; nonConformities: string[] } {
  const nonConformities = verdicts
    .filter((v) => v.verdict === 'fail')
    .map((v) => {
      const record = records.find((r) => r.id === v.recordId);
      const note = typeof v.note === 'string' && v.note.trim().length > 0 ? v.note.trim() : '不符合要求';
      return `${record?.labelZh ?? v.recordId}：${note}`;
    });
  if (nonConformities.length === 0) return { opinion, nonConformities };
  const lines = [opinion?.trim() ?? '', '不符合项：', ...nonConformities.map((n, i) => `${i + 1}. ${n}`)].filter((l) => l.length > 0);
  return { opinion: lines.join('\n'), nonConformities };
}

/**
 * CE-3 the process of a personnel registration application, started by its submit:
 *
 *   institution review ─▶ payment (person or institution) ─▶ expert assignment ─▶ expert evaluation
 *     ─▶ association approval ─▶ association decision ─▶ certificate issued (approved)
 *
 * The payment stage is a fee child for the applicant or, when the institution pays, for the
 * practising institution (runs from before `INSTITUTION_PAYS_FEE_PATCH` skip it then).
 * Every review may return the case (退回整改): it waits for the applicant's resubmit (Signal
 * `resubmit`, sent by the service after the edited application is stored) and goes back to the
 * review that returned it, in the next round; or for the applicant's withdrawal (Signal
 * `withdraw`), or for `rectificationDays` after which it is deemed withdrawn; both end it. A
 * rejection, a fee left unpaid, or a fee child that failed (its input refused, terminated by
 * ops) ends it rejected, with the reason in the history. The service's database is the
 * authority on the case: every change is written by `recordStep` (status, stage, history, case
 * event) before the workflow moves on.
 */
export async function certApplicationWorkflow(input: CertApplicationInput): Promise<CertApplicationState> {
  const tasks = humanTasks();
  const workflowId = workflowInfo().workflowId;
  const state: CertApplicationState = {
    stage: 'institution-review',
    status: 'submitted',
    round: 1,
    returnedFrom: null,
    expertId: null,
    feeId: null,
    certificateNo: null,
    history: [],
  };
  let resubmittedRound = 1;
  let withdrawnRound = 0;
  let step = 0;
  setHandler(certApplicationStateQuery, () => state);
  setHandler(resubmitSignal, ({ round }) => {
    if (Number.isSafeInteger(round) && round > resubmittedRound) resubmittedRound = round;
  });
  // The round is the application's at the withdrawal: the one a returned case waits for. The
  // service allows withdrawing only a returned case, so a withdrawal of an earlier round is stale.
  setHandler(withdrawSignal, ({ round }) => {
    if (Number.isSafeInteger(round) && round > withdrawnRound) withdrawnRound = round;
  });

  const app = await act.loadApplication({ applicationId: input.applicationId });
  const reviewDays = input.reviewWorkingDays ?? 5;
  const escalationDays = input.escalationWorkingDays ?? 3;

  function searchAttributes(): void {
    // Ops find cases by business number, type, stage and status; no personal data goes here.
    upsertSearchAttributes([
      { key: BusinessNo, value: input.businessNo },
      { key: CaseType, value: CERT_REGISTRATION_CASE_TYPE },
      { key: CaseStage, value: state.stage },
      { key: CaseStatus, value: state.status },
    ]);
  }
  searchAttributes();

  /** Records the change first (the database is the authority); the visible state moves after. */
  async function record(change: {
    action: string;
    stage: CertStage;
    nextStage: CertStage;
    status: CertApplicationStatus;
    outcome: string | null;
    actorId: string | null;
    opinion: string | null;
    details?: Record<string, unknown> | null;
    milestone: CaseMilestone | null;
  }): Promise<void> {
    step += 1;
    await act.recordStep({
      applicationId: input.applicationId,
      step,
      action: change.action,
      stage: change.stage,
      nextStage: change.nextStage,
      status: change.status,
      round: state.round,
      actorId: change.actorId,
      opinion: change.opinion,
      details: { outcome: change.outcome, ...change.details },
      milestone: change.milestone,
      institutionId: app.institutionId,
    });
    state.history.push({ stage: change.stage, round: state.round, action: change.action, outcome: change.outcome, actorId: change.actorId, opinion: change.opinion, at: new Date().toISOString() });
    state.stage = change.nextStage;
    state.status = change.status;
    searchAttributes();
  }

  function taskOf(stage: CertReviewStage, attempt: number) {
    const spec = STAGES[stage];
    const key = `${workflowId}:${stage}:${state.round}${attempt > 1 ? `:${attempt}` : ''}`;
    return tasks.run({
      key,
      type: CERT_TASK_TYPES[stage],
      stage,
      round: state.round,
      titleZh: spec.titleZh,
      titleEn: spec.titleEn,
      case: {
        domain: 'certification',
        caseType: CERT_REGISTRATION_CASE_TYPE,
        caseId: input.applicationId,
        businessNo: input.businessNo,
        applicantId: input.applicantId,
        itemName: app.itemName,
        itemNameEn: app.itemNameEn,
      },
      candidate: stage === 'institution-review' ? { role: 'institution', institutionId: app.institutionId } : { role: stage === 'expert-evaluation' ? 'expert' : stage === 'association-approval' ? 'staff' : 'admin' },
      assigneeId: stage === 'expert-evaluation' ? state.expertId : null,
      outcomes: spec.outcomes,
      dueInWorkingDays: reviewDays,
      escalation: { afterWorkingDays: escalationDays, role: 'admin' },
      context: {
        applicationId: input.applicationId,
        link: `/api/v1/certification/applications/${input.applicationId}`,
        records: app.records.map((r) => ({ id: r.id, kind: r.kind, position: r.position })),
        ...(attempt > 1 ? { again: 'verdicts-incomplete' } : {}),
      },
    });
  }

  // The institution pays through a fee child as the person does; runs recorded before that change skip the payment stage.
  const feeCharged = app.paymentBy === 'person' || (app.paymentBy === 'institution' && patched(INSTITUTION_PAYS_FEE_PATCH));
  const order: CertStage[] = ['institution-review', ...(feeCharged ? (['payment'] as const) : []), 'expert-assignment', 'expert-evaluation', 'association-approval', 'association-decision', 'finished'];
  const next = (stage: CertStage): CertStage => order[order.indexOf(stage) + 1] ?? 'finished';

  while (state.stage !== 'finished') {
    const stage = state.stage;
    if (stage === 'payment') {
      const paid = await pay(app);
      if (!paid) return state;
      continue;
    }
    if (stage === 'rectification') throw ApplicationFailure.nonRetryable(`unexpected stage ${stage}`);

    let decision: TaskDecision;
    let verdicts: RecordVerdict[] = [];
    for (let attempt = 1; ; attempt++) {
      decision = await taskOf(stage, attempt);
      let problem: string | null = null;
      if (stage === 'expert-evaluation') problem = verdictProblem(decision.data?.verdicts, app.records, decision.outcome);
      if (stage === 'expert-assignment' && decision.outcome === 'assign') {
        const expertId = decision.data?.expertId;
        problem = typeof expertId === 'string' && UUID.test(expertId) ? null : 'expert-not-an-account';
      }
      if (problem === null) {
        if (stage === 'expert-evaluation') verdicts = decision.data!.verdicts as RecordVerdict[];
        break;
      }
      // The form was not usable (a verdict per record; an account as the expert): asked again, as a new task.
      state.history.push({ stage, round: state.round, action: `refused:${problem}`, outcome: decision.outcome, actorId: decision.actorId, opinion: null, at: new Date().toISOString() });
    }

    let opinion = decision.opinion;
    const details: Record<string, unknown> = {};
    if (stage === 'expert-evaluation') {
      const withNc = opinionWithNonConformities(opinion, verdicts, app.records);
      opinion = withNc.opinion;
      details.verdicts = verdicts.map((v) => ({ recordId: v.recordId, verdict: v.verdict, note: v.note ?? null }));
      details.nonConformities = withNc.nonConformities;
    }

    const outcome = decision.outcome;
    if (outcome === STAGES[stage].forward) {
      if (stage === 'expert-assignment') {
        state.expertId = decision.data!.expertId as string;
        details.expertId = state.expertId;
      }
      if (stage === 'association-decision') {
        const certificate = await act.issueCertificate({ applicationId: input.applicationId, actorId: decision.actorId });
        state.certificateNo = certificate.certificateNo;
        details.certificateNo = certificate.certificateNo;
        details.validUntil = certificate.validUntil;
        await record({ action: 'approved', stage, nextStage: 'finished', status: 'approved', outcome, actorId: decision.actorId, opinion, details, milestone: 'decided' });
        break;
      }
      const to = next(stage);
      // The fee's id is chosen (deterministically) before the payer is asked: the case names it, so they can pay it.
      if (to === 'payment') {
        state.feeId ??= uuid4();
        // The institution's payer account is the institution user who approved the initial review (any user of the institution may pay).
        state.payer =
          app.paymentBy === 'institution'
            ? { kind: 'institution', accountId: decision.actorId, institutionId: app.institutionId }
            : { kind: 'person', accountId: input.applicantId, institutionId: null };
      }
      const amount = `${(app.feeFen / 100).toFixed(2)} 元`;
      const feeMessage = to === 'payment' ? (app.paymentBy === 'institution' ? `待执业机构缴纳注册费 ${amount}` : `请缴纳注册费 ${amount}`) : null;
      await record({
        action: `${stage}:${outcome}`,
        stage,
        nextStage: to,
        status: 'submitted',
        outcome,
        actorId: decision.actorId,
        opinion: feeMessage ?? opinion,
        details: to === 'payment' ? { ...details, reviewOpinion: opinion, feeId: state.feeId, amountFen: app.feeFen, payerKind: state.payer!.kind } : details,
        // The applicant is told to pay; an institution's payment is no action of theirs (the institution sees the fee in the payment service).
        milestone: to === 'payment' && state.payer!.kind === 'person' ? 'action-required' : null,
      });
      continue;
    }
    if (outcome === 'reject') {
      await record({ action: 'rejected', stage, nextStage: 'finished', status: 'rejected', outcome, actorId: decision.actorId, opinion, details, milestone: 'decided' });
      break;
    }
    if (outcome === 'return') {
      state.returnedFrom = stage;
      await record({ action: 'returned', stage, nextStage: 'rectification', status: 'returned', outcome, actorId: decision.actorId, opinion, details: { ...details, returnedFrom: stage }, milestone: 'returned' });
      const waitingFor = state.round + 1;
      const answered = () => resubmittedRound >= waitingFor || withdrawnRound >= waitingFor;
      // The input decides whether there is a deadline: runs started before it existed wait as they did.
      const rectificationDays = input.rectificationDays ?? 0;
      if (rectificationDays > 0 && !(await condition(answered, rectificationDays * DAY_MS))) {
        // Time is up: the database decides (the applicant may have resubmitted or withdrawn a moment ago).
        step += 1;
        const expiry = await act.expireRectification({ applicationId: input.applicationId, round: waitingFor, step, institutionId: app.institutionId, days: rectificationDays });
        if (expiry === 'expired') {
          state.history.push({ stage: 'rectification', round: state.round, action: 'rectification-expired', outcome: null, actorId: null, opinion: null, at: new Date().toISOString() });
          state.stage = 'finished';
          state.status = 'withdrawn';
          searchAttributes();
          return state;
        }
      }
      // The resubmit or the withdrawal is stored; its signal follows (from the service or its starter).
      await condition(answered);
      if (resubmittedRound < waitingFor) {
        // Withdrawn (撤回): the service stored it (status, history, case event); no task or fee is open while returned.
        state.history.push({ stage: 'rectification', round: state.round, action: 'withdrawn', outcome: null, actorId: input.applicantId, opinion: null, at: new Date().toISOString() });
        state.stage = 'finished';
        state.status = 'withdrawn';
        searchAttributes();
        return state;
      }
      // The service stored the resubmission (status, stage, history, case event) before signalling.
      state.round = waitingFor;
      state.stage = stage;
      state.status = 'submitted';
      state.history.push({ stage, round: state.round, action: 'resubmitted', outcome: null, actorId: input.applicantId, opinion: null, at: new Date().toISOString() });
      searchAttributes();
      continue;
    }
    throw ApplicationFailure.nonRetryable(`unknown outcome ${outcome} at ${stage}`);
  }
  return state;

  /**
   * The payer (the applicant, or the practising institution) pays the fee (child workflow on the
   * payment queue); false when it ended unpaid, or the child failed, and the case ended rejected.
   */
  async function pay(snapshot: ApplicationSnapshot): Promise<boolean> {
    state.feeId ??= uuid4();
    // Runs recorded before the payer was kept in the state only knew the applicant as payer.
    state.payer ??= { kind: 'person', accountId: input.applicantId, institutionId: null };
    const payer = state.payer;
    let result: FeePaymentResult;
    try {
      result = await executeChild(
      feePayment.workflowType,
      feePaymentChildOptions({
        feeId: state.feeId,
        case: {
          domain: 'certification',
          caseType: CERT_REGISTRATION_CASE_TYPE,
          caseId: input.applicationId,
          businessNo: input.businessNo,
          itemName: snapshot.itemName.slice(0, 100),
          itemNameEn: snapshot.itemNameEn.slice(0, 200),
        },
        payer: payer.kind === 'institution' ? { kind: 'institution', accountId: payer.accountId, institutionId: payer.institutionId } : { kind: 'person', accountId: payer.accountId },
        amountFen: snapshot.feeFen,
        purpose: CERT_REGISTRATION_CASE_TYPE,
        dueAt: new Date(Date.now() + (input.feeDueDays ?? 15) * DAY_MS).toISOString(),
      }),
      );
    } catch (err) {
      if (!(err instanceof ChildWorkflowFailure)) throw err;
      // The fee could not be run (its input refused, terminated or timed out by ops): the case must not
      // hang or fail unseen; it ends rejected with the reason in its history, and ops see why.
      const cause = err.cause;
      const failure =
        cause instanceof TerminatedFailure
          ? 'terminated'
          : cause instanceof TimeoutFailure
            ? 'timed-out'
            : cause instanceof CancelledFailure
              ? 'cancelled'
              : cause instanceof ApplicationFailure && cause.type === 'InvalidFee'
                ? 'invalid-fee'
                : 'failed';
      const reason = (cause?.message ?? err.message).slice(0, 500);
      await record({
        action: 'fee-failed',
        stage: 'payment',
        nextStage: 'finished',
        status: 'rejected',
        outcome: failure,
        actorId: null,
        opinion: '注册费缴纳环节因系统原因无法办理，申请已终止；如需注册请重新申请或联系协会。',
        details: { feeId: state.feeId, feeFailure: failure, reason },
        milestone: 'decided',
      });
      return false;
    }
    const details = { feeId: result.feeId, feeOutcome: result.outcome, amountFen: result.amountFen, paidAt: result.paidAt, voucherReviews: result.reviews.map((r) => ({ round: r.round, outcome: r.outcome, opinion: r.opinion, actorId: r.actorId })) };
    if (result.outcome === 'paid-online' || result.outcome === 'paid-offline') {
      await record({ action: 'paid', stage: 'payment', nextStage: next('payment'), status: 'submitted', outcome: result.outcome, actorId: payer.accountId, opinion: null, details: { ...details, payerKind: payer.kind }, milestone: null });
      return true;
    }
    await record({ action: 'fee-unpaid', stage: 'payment', nextStage: 'finished', status: 'rejected', outcome: result.outcome, actorId: null, opinion: '未在期限内缴纳注册费', details, milestone: 'expired' });
    return false;
  }
}

// The review cases (CE-4 … CE-8) run in the same bundle.
export * from './review-workflows';
