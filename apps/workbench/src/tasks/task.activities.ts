import type { HumanTaskActivities } from '@certhub/human-tasks';
import type { TaskService } from './task.service';

/** The workbench's side of the human-task contract, served on the workbench task queue. */
export function createTaskActivities(tasks: TaskService): HumanTaskActivities {
  return {
    createTask: (input) => tasks.create(input),
    remindTask: ({ taskKey }) => tasks.remind(taskKey),
    escalateTask: ({ taskKey }) => tasks.escalate(taskKey),
    closeTask: ({ taskKey, completion }) => tasks.close(taskKey, completion),
    cancelTask: ({ taskKey, reason }) => tasks.cancel(taskKey, reason),
  };
}
