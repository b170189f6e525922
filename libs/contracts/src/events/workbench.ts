/** Events of the workbench: every change of a human task is on Kafka too. */
export const WorkbenchTopics = {
  TaskChanged: 'workbench.task.changed.v1',
} as const;

export type TaskAction =
  | 'created'
  | 'claimed'
  | 'unclaimed'
  | 'assigned'
  | 'delegated'
  | 'completed'
  | 'reminded'
  | 'escalated'
  | 'rescheduled'
  | 'cancelled';
export const TASK_ACTIONS: readonly TaskAction[] = ['created', 'claimed', 'unclaimed', 'assigned', 'delegated', 'completed', 'reminded', 'escalated', 'rescheduled', 'cancelled'];

export type TaskStatus = 'open' | 'completed' | 'cancelled';

export interface TaskChangedV1 {
  taskId: string;
  taskKey: string;
  taskType: string;
  domain: string;
  businessNo: string;
  workflowId: string;
  action: TaskAction;
  status: TaskStatus;
  assigneeId: string | null;
  candidateRole: string;
  institutionId: string | null;
  outcome: string | null;
  dueAt: string;
  at: string;
}

export const workbenchEventSchemas = {
  [WorkbenchTopics.TaskChanged]: {
    type: 'object',
    additionalProperties: false,
    required: ['taskId', 'taskKey', 'taskType', 'domain', 'businessNo', 'workflowId', 'action', 'status', 'assigneeId', 'candidateRole', 'institutionId', 'outcome', 'dueAt', 'at'],
    properties: {
      taskId: { type: 'string', format: 'uuid' },
      taskKey: { type: 'string', minLength: 1, maxLength: 300 },
      taskType: { type: 'string' },
      domain: { type: 'string' },
      businessNo: { type: 'string' },
      workflowId: { type: 'string' },
      action: { enum: TASK_ACTIONS },
      status: { enum: ['open', 'completed', 'cancelled'] },
      assigneeId: { type: ['string', 'null'] },
      candidateRole: { type: 'string' },
      institutionId: { type: ['string', 'null'] },
      outcome: { type: ['string', 'null'] },
      dueAt: { type: 'string', format: 'date-time' },
      at: { type: 'string', format: 'date-time' },
    },
  },
} as const;

export interface WorkbenchEventData {
  [WorkbenchTopics.TaskChanged]: TaskChangedV1;
}
