import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, type Caller } from '@certhub/service-kit';
import { AuditService } from './audit.service';

@ApiTags('case history')
@ApiBearerAuth()
@Controller('api/v1/workbench/cases')
export class CaseHistoryController {
  constructor(private readonly audit: AuditService) {}

  @Get(':domain/:businessNo/history')
  @ApiOperation({
    summary:
      'History of a case (WB-2): who did what, when, with which outcome and opinion, old and new values. ' +
      'Staff, the applicant, an institution that had a task of the case and the people who held its tasks may read it; others get 404.',
  })
  history(@CurrentCaller() caller: Caller, @Param('domain') domain: string, @Param('businessNo') businessNo: string) {
    return this.audit.history(caller, domain, businessNo);
  }
}
