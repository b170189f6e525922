import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequestId, type Caller } from '@certhub/service-kit';
import { AssignTaskBody, CancelTaskBody, CompleteTaskBody, NextTaskBody, NextTaskQuery, TaskListQuery } from './task.views';
import { TaskService } from './task.service';

@ApiTags('tasks')
@ApiBearerAuth()
@Controller('api/v1/workbench/tasks')
export class TaskController {
  constructor(private readonly tasks: TaskService) {}

  @Get()
  @ApiOperation({ summary: 'Tasks I may work on: mine and my groups\' unassigned ones, by due date (WB-1).' })
  list(@CurrentCaller() caller: Caller, @Query() query: TaskListQuery) {
    return this.tasks.list(caller, query);
  }

  @Post('next')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'My next task: the earliest due of those I hold, else the earliest due unassigned task of my groups, claimed for me. Colleagues asking at once get different tasks; { task: null } when there is none. ?wait=N (≤ 25 s): wait that long for one (long poll).',
  })
  next(@CurrentCaller() caller: Caller, @Body() body: NextTaskBody, @Query() query: NextTaskQuery, @Res({ passthrough: true }) reply: FastifyReply) {
    // A caller that goes away stops waiting (and claims nothing after that).
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    return this.tasks.next(caller, body, query.wait ?? 0, gone.signal);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One task with its outcomes and context.' })
  get(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return this.tasks.get(caller, id);
  }

  @Post(':id/claim')
  @HttpCode(200)
  @ApiOperation({ summary: 'Claim a task of my group; exactly one of two simultaneous claims wins.' })
  claim(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return this.tasks.claim(caller, id);
  }

  @Post(':id/unclaim')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give a claimed task back to the group.' })
  unclaim(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return this.tasks.unclaim(caller, id);
  }

  @Post(':id/assign')
  @HttpCode(200)
  @ApiOperation({ summary: 'Supervisor (admin) assigns the task to a person.' })
  assign(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: AssignTaskBody) {
    return this.tasks.assign(caller, id, body.assigneeId);
  }

  @Post(':id/delegate')
  @HttpCode(200)
  @ApiOperation({ summary: 'The holder hands the task to someone else.' })
  delegate(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: AssignTaskBody) {
    return this.tasks.delegate(caller, id, body.assigneeId);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Supervisor (admin) closes a task whose process has already ended (409 TASK_PROCESS_RUNNING otherwise).' })
  cancel(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: CancelTaskBody) {
    return this.tasks.cancelOrphan(caller, id, body.reason);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Complete a claimed task; the case continues. Retrying with the same X-Request-Id acts once.',
  })
  complete(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: CompleteTaskBody, @RequestId() requestId: string) {
    return this.tasks.complete(caller, id, body, requestId);
  }
}
