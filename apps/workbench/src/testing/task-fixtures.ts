import { randomInt, randomUUID } from 'node:crypto';
import type { CreateTaskInput, TaskOutcomeSpec } from '@certhub/human-tasks';

export const REVIEW_OUTCOMES: TaskOutcomeSpec[] = [
  { code: 'approve', labelZh: '通过', labelEn: 'Approve' },
  { code: 'return', labelZh: '退回整改', labelEn: 'Return for rectification', opinionRequired: true },
  { code: 'reject', labelZh: '不通过', labelEn: 'Reject', opinionRequired: true, requiredData: ['reason'] },
];

/** A 14-digit business number unlikely to repeat between tests. */
export function testBusinessNo(): string {
  return `2099${String(randomInt(0, 1e10)).padStart(10, '0')}`;
}

/** The input a case workflow would give the createTask activity. */
export function taskInput(overrides: Partial<CreateTaskInput> & { role?: string; institutionId?: string | null } = {}): CreateTaskInput {
  const caseId = randomUUID();
  const { role, institutionId, ...rest } = overrides;
  return {
    key: `test-case:${caseId}:review:1`,
    type: 'test.review',
    stage: 'review',
    round: 1,
    titleZh: '测试审核',
    titleEn: 'Test review',
    case: { domain: 'certification', caseType: 'cert-registration', caseId, businessNo: testBusinessNo(), applicantId: randomUUID(), itemName: '人员注册申请', itemNameEn: 'Personnel registration' },
    candidate: { role: role ?? 'staff', institutionId: institutionId ?? null },
    outcomes: REVIEW_OUTCOMES,
    dueInWorkingDays: 3,
    escalation: { afterWorkingDays: 2, role: 'admin' },
    workflowId: `test-case:${caseId}`,
    ...rest,
  };
}
