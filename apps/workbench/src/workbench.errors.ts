import { defineErrors } from '@certhub/errors';

/** Every refusal of the workbench service, with its HTTP status and both messages. */
export const WorkbenchErrors = defineErrors({
  WORKBENCH_NOT_FOUND: { status: 404, en: 'Not found.', zh: '未找到。' },
  WORKBENCH_FORBIDDEN: { status: 403, en: 'This action needs another role.', zh: '当前角色无权执行此操作。' },
  TASK_ALREADY_CLAIMED: { status: 409, en: 'Someone else has claimed this task.', zh: '该任务已被他人签收。' },
  TASK_NOT_CLAIMED: { status: 409, en: 'Claim the task before completing or handing it on.', zh: '请先签收该任务。' },
  TASK_NOT_OPEN: { status: 409, en: 'The task is no longer open.', zh: '该任务已办结或已取消。' },
  TASK_ALREADY_COMPLETED: { status: 409, en: 'The task has already been completed.', zh: '该任务已办结。' },
  TASK_STALE_STAGE: { status: 409, en: 'The case has moved on to another stage.', zh: '业务已进入其他环节。' },
  TASK_STALE_ROUND: { status: 409, en: 'The case is in another rectification round.', zh: '业务已进入新的整改轮次。' },
  TASK_ALREADY_DECIDED: { status: 409, en: 'A decision for this task has already been made.', zh: '该任务已有处理结果。' },
  TASK_BAD_OUTCOME: { status: 422, en: 'This outcome is not offered by the task.', zh: '该任务不支持此处理结果。' },
  TASK_OPINION_REQUIRED: { status: 422, en: 'An opinion is required with this outcome.', zh: '选择此处理结果须填写意见。' },
  TASK_DATA_REQUIRED: { status: 422, en: 'A required form field is missing.', zh: '缺少必填的表单内容。' },
  TASK_CASE_CLOSED: { status: 409, en: 'The case has already finished.', zh: '该业务已办结。' },
  TASK_PROCESS_RUNNING: { status: 409, en: 'The process of this task is still running; it cancels its own tasks.', zh: '该任务所属业务流程仍在运行，不能直接取消任务。' },
  TASK_PROCESS_UNAVAILABLE: { status: 503, en: 'The process is not reachable right now; try again.', zh: '业务流程暂时不可用，请稍后重试。' },
  TASK_ASSIGNEE_INVALID: { status: 422, en: 'The task cannot be handed to this person.', zh: '不能将任务转交给此人。' },
  TASK_ACCOUNT_INVALID: { status: 422, en: 'The person named does not hold the role this decision needs.', zh: '所指定的人员不具备该处理所需的角色。' },
  TASK_DATA_TOO_LARGE: { status: 413, en: 'The form data is too large.', zh: '表单内容过大。' },
  WORKDAYS_YEAR_UNKNOWN: { status: 422, en: 'The official calendar of this year is not loaded.', zh: '尚未载入该年度的法定节假日安排。' },
  WORKDAYS_CALENDAR_INVALID: { status: 400, en: 'The calendar is invalid.', zh: '节假日安排数据不正确。' },
  WORKBENCH_QUERY_INVALID: { status: 400, en: 'A query parameter is invalid.', zh: '查询参数不正确。' },
  WORKBENCH_ITEM_NOT_FOUND: { status: 404, en: 'This item is not among your items.', zh: '未找到该事项。' },
  WORKBENCH_CASE_NOT_FOUND: { status: 404, en: 'No history of this case is available to you.', zh: '未找到该业务的办理记录。' },
  WORKBENCH_MESSAGE_NOT_FOUND: { status: 404, en: 'This message was not found.', zh: '未找到该消息。' },
});
