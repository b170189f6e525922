/**
 * A small case workflow used only by the human-task tests: review → approve / reject, or return
 * for rectification, wait for the resubmission and review again in the next round.
 */
import { CancellationScope, condition, defineSignal, isCancellation, setHandler } from '@temporalio/workflow';
import type { TaskOutcomeSpec } from '../contract';
import { humanTasks } from '../workflow-helper';

export const resubmitSignal = defineSignal('resubmit');
export const withdrawSignal = defineSignal('withdraw');

export interface SampleCaseInput {
  caseId: string;
  dueInWorkingDays: number;
  escalateAfterWorkingDays: number | null;
}

export const SAMPLE_OUTCOMES: TaskOutcomeSpec[] = [
  { code: 'approve', labelZh: '通过', labelEn: 'Approve' },
  { code: 'return', labelZh: '退回整改', labelEn: 'Return for rectification', opinionRequired: true },
  { code: 'reject', labelZh: '不通过', labelEn: 'Reject', opinionRequired: true, requiredData: ['reason'] },
];

export async function sampleCaseWorkflow(input: SampleCaseInput): Promise<{ outcomes: string[]; opinions: Array<string | null>; rounds: number; withdrawn: boolean }> {
  const tasks = humanTasks();
  let resubmissions = 0;
  let withdrawn = false;
  setHandler(resubmitSignal, () => void (resubmissions += 1));
  setHandler(withdrawSignal, () => void (withdrawn = true));
  const outcomes: string[] = [];
  const opinions: Array<string | null> = [];
  for (let round = 1; ; round++) {
    const scope = new CancellationScope();
    const review = scope.run(() =>
      tasks.run({
        key: `sample:${input.caseId}:review:${round}`,
        type: 'sample.review',
        stage: 'review',
        round,
        titleZh: '样例审核',
        titleEn: 'Sample review',
        case: { domain: 'certification', caseType: 'sample', caseId: input.caseId, businessNo: '20261124100001', applicantId: null, itemName: '样例', itemNameEn: 'Sample' },
        candidate: { role: 'staff' },
        outcomes: SAMPLE_OUTCOMES,
        dueInWorkingDays: input.dueInWorkingDays,
        escalation: input.escalateAfterWorkingDays === null ? null : { afterWorkingDays: input.escalateAfterWorkingDays, role: 'admin' },
      }),
    );
    void condition(() => withdrawn).then(() => scope.cancel());
    try {
      const decision = await review;
      outcomes.push(decision.outcome);
      opinions.push(decision.opinion);
    } catch (err) {
      if (isCancellation(err)) return { outcomes, opinions, rounds: round, withdrawn: true };
      throw err;
    }
    if (outcomes.at(-1) !== 'return') return { outcomes, opinions, rounds: round, withdrawn: false };
    await condition(() => resubmissions >= round);
  }
}
