import { ApplicationFailure, condition, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { BusinessNo, CaseStage, CaseStatus, CaseType } from '@certhub/contracts';
import { humanTasks, type TaskDecision, type TaskOutcomeSpec } from '@certhub/human-tasks';
import {
  REVIEW_PLANS,
  reviewCaseStateQuery,
  reviewResubmitSignal,
  reviewTaskType,
  reviewWithdrawSignal,
  type RecordReviewStepInput,
  type ReviewCaseActivities,
  type ReviewCaseInput,
  type ReviewCaseKind,
  type ReviewCaseState,
  type ReviewCaseStatus,
  type ReviewResult,
  type ReviewStep,
} from './review-contract';

const act = proxyActivities<ReviewCaseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const DAY_MS = 24 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Annual confirmation (CE-4): institution review → association approval → the certificate's validity is extended. */
export async function annualConfirmationWorkflow(input: ReviewCaseInput): Promise<ReviewCaseState> {
  return runReviewCase('annual-confirmation', input);
}

/** Transfer of practising institution (CE-5): transfer-out → transfer-in → association review → decision → the institution changes. */
export async function institutionTransferWorkflow(input: ReviewCaseInput): Promise<ReviewCaseState> {
  return runReviewCase('institution-transfer', input);
}

/** Appeal (CE-6): the admin assigns an expert → expert evaluation → association opinion, fed back to the appellant. */
export async function appealWorkflow(input: ReviewCaseInput): Promise<ReviewCaseState> {
  return runReviewCase('appeal', input);
}

/** Complaint (CE-7): association acceptance → handling → feedback to the complainant. */
export async function complaintWorkflow(input: ReviewCaseInput): Promise<ReviewCaseState> {
  return runReviewCase('complaint', input);
}

/** Certificate cancellation (CE-8): association review → the certificate is cancelled. */
export async function certificateCancellationWorkflow(input: ReviewCaseInput): Promise<ReviewCaseState> {
  return runReviewCase('certificate-cancellation', input);
}

/** Expert application (CE-8): association review → the person becomes an expert. */
export async function expertApplicationWorkflow(input: ReviewCaseInput): Promise<ReviewCaseState> {
  return runReviewCase('expert-application', input);
}

function taskOutcomes(step: ReviewStep): TaskOutcomeSpec[] {
  return step.outcomes.map((o) => ({
    code: o.code,
    labelZh: o.labelZh,
    labelEn: o.labelEn,
    ...(o.opinionRequired ? { opinionRequired: true } : {}),
    ...(o.requiredData ? { requiredData: o.requiredData } : {}),
    ...(o.accountData ? { accountData: o.accountData } : {}),
  }));
}

/**
 * The chain of reviews of a case (the kind's plan, REVIEW_PLANS): each step is a workbench task;
 * its outcome moves the case to the next step, returns it to the applicant for rectification
 * (the case then waits for the resubmit and goes back to the step that returned it, next round;
 * or for a withdraw; or ends when the applicant lets the rectification time pass), or decides it.
 * After the last step forward the case is decided with that outcome's result; an approved case's
 * effect (certificate confirmed, institution changed …) is applied before the decision is recorded.
 * The service's database is the authority: every change is written by `recordReviewStep` first.
 */
async function runReviewCase(kind: ReviewCaseKind, input: ReviewCaseInput): Promise<ReviewCaseState> {
  if (input.kind !== kind) throw ApplicationFailure.nonRetryable(`input of kind ${input.kind} given to the ${kind} workflow`, 'WrongKind');
  const plan = REVIEW_PLANS[kind];
  const tasks = humanTasks();
  const workflowId = workflowInfo().workflowId;
  const state: ReviewCaseState = { stage: plan.steps[0]!.stage, status: 'submitted', result: null, round: 1, expertId: null, history: [] };
  let resubmittedRound = 1;
  let withdrawn = false;
  let step = 0;
  setHandler(reviewCaseStateQuery, () => state);
  setHandler(reviewResubmitSignal, ({ round }) => {
    if (Number.isSafeInteger(round) && round > resubmittedRound) resubmittedRound = round;
  });
  setHandler(reviewWithdrawSignal, () => {
    withdrawn = true;
  });

  const snapshot = await act.loadReviewCase({ caseId: input.caseId });
  const reviewDays = input.reviewWorkingDays ?? 5;
  const escalationDays = input.escalationWorkingDays ?? 3;
  const rectificationMs = (input.rectificationDays ?? 30) * DAY_MS;

  function searchAttributes(): void {
    // Ops find cases by business number, type, stage and status; no personal data goes here.
    upsertSearchAttributes([
      { key: BusinessNo, value: input.businessNo },
      { key: CaseType, value: kind },
      { key: CaseStage, value: state.stage },
      { key: CaseStatus, value: state.status },
    ]);
  }
  searchAttributes();

  async function record(change: Omit<RecordReviewStepInput, 'caseId' | 'step' | 'round'>): Promise<void> {
    step += 1;
    await act.recordReviewStep({ caseId: input.caseId, step, round: state.round, ...change });
    state.history.push({ stage: change.stage, round: state.round, action: change.action, outcome: (change.details?.outcome as string | undefined) ?? null, actorId: change.actorId, at: new Date().toISOString() });
    state.stage = change.nextStage;
    state.status = change.status;
    state.result = change.result;
    searchAttributes();
  }

  function candidate(s: ReviewStep): { role: string; institutionId?: string | null } {
    switch (s.candidate) {
      case 'institution':
        return { role: 'institution', institutionId: snapshot.institutionId };
      case 'target-institution':
        return { role: 'institution', institutionId: snapshot.targetInstitutionId };
      case 'assigned-expert':
        return { role: 'expert' };
      default:
        return { role: s.candidate };
    }
  }

  function decide(s: ReviewStep, attempt: number): Promise<TaskDecision> {
    return tasks.run({
      key: `${workflowId}:${s.stage}:${state.round}${attempt > 1 ? `:${attempt}` : ''}`,
      type: reviewTaskType(kind, s.stage),
      stage: s.stage,
      round: state.round,
      titleZh: s.titleZh,
      titleEn: s.titleEn,
      case: { domain: 'certification', caseType: kind, caseId: input.caseId, businessNo: input.businessNo, applicantId: input.applicantId, itemName: snapshot.itemName, itemNameEn: snapshot.itemNameEn },
      candidate: candidate(s),
      assigneeId: s.candidate === 'assigned-expert' ? state.expertId : null,
      outcomes: taskOutcomes(s),
      dueInWorkingDays: reviewDays,
      escalation: { afterWorkingDays: escalationDays, role: 'admin' },
      context: { caseId: input.caseId, kind, link: `/api/v1/certification/cases/${input.caseId}`, ...(attempt > 1 ? { again: 'expert-not-an-account' } : {}) },
    });
  }

  let index = 0;
  while (index < plan.steps.length) {
    const s = plan.steps[index]!;
    let decision: TaskDecision;
    for (let attempt = 1; ; attempt++) {
      decision = await decide(s, attempt);
      const expertId = decision.data?.expertId;
      if (!s.outcomes.find((o) => o.code === decision.outcome)?.requiredData?.includes('expertId') || (typeof expertId === 'string' && UUID.test(expertId))) break;
      // The expert given is not an account id: the admin is asked again, as a new task.
      state.history.push({ stage: s.stage, round: state.round, action: 'refused:expert-not-an-account', outcome: decision.outcome, actorId: decision.actorId, at: new Date().toISOString() });
    }
    const outcome = s.outcomes.find((o) => o.code === decision.outcome);
    if (!outcome) throw ApplicationFailure.nonRetryable(`unknown outcome ${decision.outcome} at ${s.stage}`);
    const details: Record<string, unknown> = { outcome: outcome.code };
    if (outcome.requiredData?.includes('expertId')) {
      state.expertId = decision.data!.expertId as string;
      details.expertId = state.expertId;
    }

    const last = index === plan.steps.length - 1;
    if (outcome.effect === 'return') {
      await record({ action: 'returned', stage: s.stage, nextStage: 'rectification', status: 'returned', result: null, actorId: decision.actorId, opinion: decision.opinion, details: { ...details, returnedFrom: s.stage }, milestone: 'returned' });
      const waitingFor = state.round + 1;
      const answer = () => resubmittedRound >= waitingFor || withdrawn;
      // No rectification time (0): the case waits for the applicant indefinitely.
      const answered = rectificationMs > 0 ? await condition(answer, rectificationMs) : (await condition(answer), true);
      if (withdrawn || !answered) {
        // A withdraw is stored by the service before the signal; the time running out is recorded here.
        await endWithdrawn(answered ? 'withdrawn' : 'rectification-expired', s.stage);
        return state;
      }
      state.round = waitingFor;
      state.status = 'submitted';
      state.stage = s.stage;
      state.history.push({ stage: s.stage, round: state.round, action: 'resubmitted', outcome: null, actorId: input.applicantId, at: new Date().toISOString() });
      searchAttributes();
      continue;
    }
    if (outcome.effect === 'forward' && !last) {
      index += 1;
      await record({ action: `${s.stage}:${outcome.code}`, stage: s.stage, nextStage: plan.steps[index]!.stage, status: 'submitted', result: null, actorId: decision.actorId, opinion: decision.opinion, details, milestone: null });
      continue;
    }
    // Decided: the last step's forward outcome, or an outcome that ends the case.
    const result: ReviewResult = outcome.result ?? 'approved';
    if (plan.effect !== null && plan.effectOn.includes(result)) {
      const applied = await act.applyReviewEffect({ caseId: input.caseId, actorId: decision.actorId });
      details.effect = applied.effect;
      Object.assign(details, applied.details);
    }
    await record({ action: 'decided', stage: s.stage, nextStage: 'finished', status: 'decided', result, actorId: decision.actorId, opinion: decision.opinion, details, milestone: 'decided' });
    return state;
  }
  throw ApplicationFailure.nonRetryable(`plan of ${kind} has no steps`);

  async function endWithdrawn(action: 'withdrawn' | 'rectification-expired', returnedFrom: string): Promise<void> {
    const status: ReviewCaseStatus = 'withdrawn';
    if (action === 'withdrawn') {
      // The service stored the withdraw (status, history, case event) before signalling: nothing to record.
      state.history.push({ stage: 'rectification', round: state.round, action, outcome: null, actorId: input.applicantId, at: new Date().toISOString() });
      state.stage = 'finished';
      state.status = status;
      state.result = 'withdrawn';
      searchAttributes();
      return;
    }
    await record({
      action,
      stage: 'rectification',
      nextStage: 'finished',
      status,
      result: 'withdrawn',
      actorId: null,
      opinion: '未在整改期限内重新提交，业务已终止',
      details: { returnedFrom },
      milestone: 'expired',
    });
  }
}
