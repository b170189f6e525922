import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseEnumPipe, ParseUUIDPipe, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiExtraModels, ApiHeader, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentCaller, Public, RequireAccountType, type Caller } from '@certhub/service-kit';
import { CertificationErrors } from '../certification.errors';
import { checkedIdempotencyKey } from '../idempotency-key';
import { catalogueView, RECORD_KIND_CODES, type RecordKind } from './application-catalogue';
import { ApplicationFormDto, ConditionQueryDto, LibraryCopyDto } from './application.dtos';
import { ApplicationService } from './application.service';
import { AuditRecordDto, ContinuingEducationRecordDto, EducationRecordDto, ProfessionalWorkRecordDto, WorkRecordDto } from './records';
import { ConditionService } from './condition.service';

const idPipe = new ParseUUIDPipe({ exceptionFactory: () => CertificationErrors.error('CERT_APPLICATION_NOT_FOUND', { field: 'id' }) });
const recordIdPipe = new ParseUUIDPipe({ exceptionFactory: () => CertificationErrors.error('CERT_RECORD_NOT_FOUND', { field: 'recordId' }) });
const kindPipe = new ParseEnumPipe(Object.fromEntries(RECORD_KIND_CODES.map((k) => [k, k])), {
  exceptionFactory: () => CertificationErrors.error('CERT_RECORD_NOT_FOUND', { field: 'kind' }),
});

@ApiTags('certification: catalogue')
@Controller('api/v1/certification/catalogue')
export class CatalogueController {
  @Public()
  @Get()
  @ApiOperation({ summary: 'CE-1: application types with their grades and fields, kinds, payment methods, record kinds, education levels, audit types' })
  catalogue() {
    return catalogueView();
  }
}

@ApiTags('certification: registration applications')
@ApiBearerAuth()
@RequireAccountType('personal')
@Controller('api/v1/certification/conditions')
export class ConditionController {
  constructor(private readonly conditions: ConditionService) {}

  @Get()
  @ApiOperation({ summary: 'CE-1 条件自检: which registration conditions my profile and basic info library meet, miss, or leave to the reviewers' })
  check(@Query() query: ConditionQueryDto, @Headers('authorization') authorization?: string) {
    return this.conditions.check(query, authorization);
  }
}

/** Personnel registration applications (人员注册申请) of the caller: personal accounts only [003 §2.2]. */
const RECORD_SCHEMAS = [EducationRecordDto, WorkRecordDto, ProfessionalWorkRecordDto, AuditRecordDto, ContinuingEducationRecordDto];
const recordBody = { schema: { oneOf: RECORD_SCHEMAS.map((m) => ({ $ref: getSchemaPath(m) })), description: 'the fields of the kind in the path; all optional in a draft' } };

@ApiTags('certification: registration applications')
@ApiBearerAuth()
@ApiExtraModels(...RECORD_SCHEMAS)
@RequireAccountType('personal')
@Controller('api/v1/certification/applications')
export class ApplicationController {
  constructor(private readonly applications: ApplicationService) {}

  @Get()
  @ApiOperation({ summary: 'My registration applications (newest first)' })
  list(@CurrentCaller() caller: Caller) {
    return this.applications.list(caller.sub);
  }

  @Post()
  @ApiOperation({ summary: 'CE-2: start a registration application as a draft → 201 { id, businessNo }; it shows in my items under drafts' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a retried create with the same key returns the same draft' })
  async create(
    @CurrentCaller() caller: Caller,
    @Body() dto: ApplicationFormDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('idempotency-key') idempotencyKey?: string,
    @Headers('authorization') authorization?: string,
  ) {
    const { id, businessNo, replayed } = await this.applications.create(caller.sub, dto, checkedIdempotencyKey(idempotencyKey), authorization);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return { id, businessNo };
  }

  @Get(':id')
  @ApiOperation({ summary: 'My application with its form, records, stage, status, submit readiness and history' })
  view(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string) {
    return this.applications.view(id, caller.sub);
  }

  @Post(':id/submit')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'CE-3 提交: submit a complete draft (→ institution review), or resubmit after a return (→ the review that returned it); 422 CERT_APPLICATION_INCOMPLETE lists what is missing; submitting again while submitted answers the same',
  })
  submit(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string, @Headers('authorization') authorization?: string) {
    return this.applications.submit(id, caller.sub, authorization);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'CE-3 撤回: withdraw a draft or an application returned for rectification (its process ends) → 200 { id, businessNo, status: withdrawn, stage, round, workflowId }; under review or decided → 409 CERT_APPLICATION_NOT_WITHDRAWABLE; withdrawing again answers the same',
  })
  withdraw(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string) {
    return this.applications.withdraw(id, caller.sub);
  }

  @Put(':id')
  @ApiOperation({ summary: 'CE-2 暂存草稿: save the form (replaces it; fields left out are cleared); draft or returned for rectification only' })
  update(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string, @Body() dto: ApplicationFormDto, @Headers('authorization') authorization?: string) {
    return this.applications.updateForm(id, caller.sub, dto, authorization);
  }

  @Post(':id/records/from-library')
  @ApiOperation({ summary: 'CE-1 从基本信息库添加: copy records of my basic info library into the application (all or none)' })
  copy(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string, @Body() dto: LibraryCopyDto, @Headers('authorization') authorization?: string) {
    return this.applications.copyFromLibrary(id, caller.sub, dto.items, authorization);
  }

  @Post(':id/records/:kind')
  @ApiOperation({ summary: 'CE-1 添加: add a record (education, work, professional-work, audit, continuing-education)' })
  @ApiBody(recordBody)
  addRecord(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string, @Param('kind', kindPipe) kind: RecordKind, @Body() body: unknown) {
    return this.applications.addRecord(id, caller.sub, kind, body);
  }

  @Put(':id/records/:kind/:recordId')
  @ApiBody(recordBody)
  @ApiOperation({ summary: 'Replace a record of the application' })
  updateRecord(
    @CurrentCaller() caller: Caller,
    @Param('id', idPipe) id: string,
    @Param('kind', kindPipe) kind: RecordKind,
    @Param('recordId', recordIdPipe) recordId: string,
    @Body() body: unknown,
  ) {
    return this.applications.updateRecord(id, caller.sub, kind, recordId, body);
  }

  @Delete(':id/records/:kind/:recordId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a record of the application' })
  async removeRecord(@CurrentCaller() caller: Caller, @Param('id', idPipe) id: string, @Param('kind', kindPipe) kind: RecordKind, @Param('recordId', recordIdPipe) recordId: string) {
    await this.applications.removeRecord(id, caller.sub, kind, recordId);
  }
}
