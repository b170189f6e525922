import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import type { Task } from './task.entity';

export class CompleteTaskBody {
  @ApiProperty({ description: 'One of the task\'s outcome codes.' })
  @IsString()
  @MaxLength(64)
  outcome!: string;

  @ApiPropertyOptional({ description: 'Required with outcomes that say so (e.g. returning for rectification).' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  opinion?: string;

  @ApiPropertyOptional({ description: 'Form fields of the outcome.', type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;
}

export class CancelTaskBody {
  @ApiProperty({ description: 'Why the task is closed without a decision (kept in the audit trail).' })
  @IsString()
  @MaxLength(1000)
  reason!: string;
}

export class AssignTaskBody {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  assigneeId!: string;
}

export class NextTaskBody {
  @ApiPropertyOptional({ description: 'Only tasks of this type.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;
}

export class NextTaskQuery {
  @ApiPropertyOptional({ description: 'Seconds to wait for a task when there is none now (long poll); 0 answers at once.', minimum: 0, maximum: 25 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(25)
  wait?: number;
}

export class TaskListQuery {
  @ApiPropertyOptional({ enum: ['me'] })
  @IsOptional()
  @IsIn(['me'])
  assignee?: 'me';

  @ApiPropertyOptional({ enum: ['open', 'completed'], description: 'completed: tasks I completed.' })
  @IsOptional()
  @IsIn(['open', 'completed'])
  status?: 'open' | 'completed';

  @ApiPropertyOptional({ enum: ['work', 'all'], description: 'all: every open task (admin only).' })
  @IsOptional()
  @IsIn(['work', 'all'])
  scope?: 'work' | 'all';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  institutionId?: string;

  @ApiPropertyOptional({ description: 'Only tasks past their due date.' })
  @IsOptional()
  @IsIn(['true', 'false'])
  overdue?: 'true' | 'false';

  @ApiPropertyOptional({ description: 'Only tasks due before this time.' })
  @IsOptional()
  @IsString()
  dueBefore?: string;

  @ApiPropertyOptional({ enum: ['due', '-due', 'priority'] })
  @IsOptional()
  @IsIn(['due', '-due', 'priority'])
  sort?: 'due' | '-due' | 'priority';

  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10000)
  page?: number;

  @ApiPropertyOptional({ default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  size?: number;
}

export function taskView(t: Task, now = Date.now()) {
  return {
    id: t.id,
    taskKey: t.taskKey,
    type: t.taskType,
    title: t.titleZh,
    titleEn: t.titleEn,
    case: { domain: t.domain, caseType: t.caseType, caseId: t.caseId, businessNo: t.businessNo, itemName: t.itemName, workflowId: t.workflowId },
    stage: t.stage,
    round: t.round,
    candidateGroup: { role: t.candidateRole, institutionId: t.candidateInstitutionId },
    assigneeId: t.assigneeId,
    priority: t.priority,
    outcomes: t.outcomes,
    context: t.context,
    status: t.status,
    dueAt: t.dueAt.toISOString(),
    dueInWorkingDays: t.dueInWorkingDays,
    dueProvisional: t.dueProvisional,
    overdue: t.status === 'open' && t.dueAt.getTime() < now,
    remindedAt: t.remindedAt?.toISOString() ?? null,
    escalatedAt: t.escalatedAt?.toISOString() ?? null,
    claimedAt: t.claimedAt?.toISOString() ?? null,
    outcome: t.outcome,
    opinion: t.opinion,
    completedBy: t.completedBy,
    completedAt: t.completedAt?.toISOString() ?? null,
    createdAt: t.createdAt.toISOString(),
  };
}
