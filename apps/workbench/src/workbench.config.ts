import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { PlatformConfig } from '@certhub/config';

export class WorkbenchConfig extends PlatformConfig {
  override PORT: number = 3106;

  /** Working days after the due date before an open task escalates (when the task says nothing). */
  @IsInt()
  @Min(0)
  @Max(60)
  TASK_ESCALATION_WORKING_DAYS: number = 2;

  /** Supervisor group an overdue task escalates to (when the task says nothing). */
  @IsString()
  TASK_ESCALATION_ROLE: string = 'admin';

  /** Extra official calendars (`<year>.json`), e.g. next year's before a release ships it. */
  @IsOptional()
  @IsString()
  WORKDAYS_CALENDAR_DIR?: string;

  /** Run the my-items / audit / message projection in this process. */
  @IsIn(['true', 'false'])
  RUN_PROJECTION: 'true' | 'false' = 'true';

  /** Most case events handled in one projection transaction. */
  @IsInt()
  @Min(1)
  @Max(10000)
  PROJECTION_BATCH_SIZE: number = 5000;
}
