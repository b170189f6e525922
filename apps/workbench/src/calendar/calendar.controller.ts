import { Body, Controller, Get, Param, ParseIntPipe, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { CurrentCaller, Public, RequireRoles, type Caller } from '@certhub/service-kit';
import { WorkbenchErrors } from '../workbench.errors';
import { CalendarService } from './calendar.service';
import { TaskService } from '../tasks/task.service';

class WorkingDaysQuery {
  @ApiPropertyOptional({ example: '2026-09-30' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/)
  from!: string;

  @ApiPropertyOptional({ example: 5 })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1000)
  days!: number;
}

@ApiTags('calendar')
@Controller('api/v1/workbench/calendar')
export class CalendarController {
  constructor(
    private readonly calendar: CalendarService,
    private readonly tasks: TaskService,
  ) {}

  @Public()
  @Get('years')
  @ApiOperation({ summary: 'Years of the official calendar (X-2) the platform knows.' })
  async years() {
    return { years: await this.calendar.years() };
  }

  @Public()
  @Get('working-days')
  @ApiOperation({ summary: 'The date `days` working days after `from`; 422 WORKDAYS_YEAR_UNKNOWN for a year without data.' })
  async add(@Query() q: WorkingDaysQuery) {
    const date = await this.calendar.addWorkingDays(q.from, q.days);
    return { from: q.from, days: q.days, date };
  }

  @Public()
  @Get('days/:date')
  @ApiOperation({ summary: 'Is this date a working day?' })
  async day(@Param('date') date: string) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw WorkbenchErrors.error('WORKBENCH_QUERY_INVALID', { field: 'date' });
    return { date, workingDay: await this.calendar.isWorkingDay(date) };
  }

  @Put('years/:year')
  @ApiBearerAuth()
  @RequireRoles('admin')
  @ApiOperation({ summary: 'Load or replace a year of the official calendar (admin); provisional due dates are recomputed.' })
  async put(@CurrentCaller() caller: Caller, @Param('year', ParseIntPipe) year: number, @Body() body: Record<string, unknown>) {
    const parsed = await this.calendar.store(year, body, caller.sub);
    const rescheduled = await this.tasks.rescheduleProvisional();
    return { year: parsed.year, holidays: parsed.holidays.length, makeUpDays: parsed.workdays.length, rescheduledTasks: rescheduled };
  }
}
