import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiExtraModels, ApiHeader, ApiOperation, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CommonErrors } from '@certhub/errors';
import { CurrentCaller, Public, RequireAccountType, type Caller } from '@certhub/service-kit';
import { isReviewCaseKind, REVIEW_CASE_KINDS, type ReviewCaseKind } from '@certhub/workflows-certification';
import { CertificationErrors } from '../certification.errors';
import { checkedIdempotencyKey } from '../idempotency-key';
import { CertificateService } from './certificate.service';
import {
  AnnualConfirmationFormDto,
  AppealFormDto,
  CertificateCancellationFormDto,
  ComplaintFormDto,
  ExpertApplicationFormDto,
  InstitutionTransferFormDto,
  REVIEW_FORM_DTOS,
} from './review-forms';
import { ReviewCaseService } from './review.service';

const caseIdPipe = new ParseUUIDPipe({ exceptionFactory: () => CertificationErrors.error('CERT_CASE_NOT_FOUND', { field: 'id' }) });
const idempotencyHeader = { name: 'Idempotency-Key', required: false, description: 'a retried submit with the same key returns the same case' };

/**
 * Opening the review cases of CE-4 … CE-8: each kind has its form; the case is submitted at once
 * (→ 201 `{ id, businessNo, workflowId }`) and shows in my items. Refusals are 4xx with the field
 * at fault and nothing written.
 */
@ApiTags('certification: review cases')
@ApiBearerAuth()
@Controller('api/v1/certification')
export class ReviewCaseController {
  constructor(
    private readonly cases: ReviewCaseService,
    private readonly certificates: CertificateService,
  ) {}

  private async open(kind: ReviewCaseKind, caller: Caller, body: unknown, reply: FastifyReply, key: string | undefined, authorization: string | undefined) {
    const { id, businessNo, replayed, workflowId } = await this.cases.open(kind, caller, body, checkedIdempotencyKey(key), authorization);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return { id, businessNo, workflowId };
  }

  @RequireAccountType('personal')
  @Get('annual-confirmations/due')
  @ApiOperation({ summary: 'CE-4 条件自检: my certificates that need an annual confirmation (near expiry or expired); when none, `message` says so' })
  due(@CurrentCaller() caller: Caller) {
    return this.certificates.confirmationsDue(caller.sub);
  }

  @RequireAccountType('personal')
  @Post('annual-confirmations')
  @ApiOperation({ summary: 'CE-4 年度确认申请: institution review → association approval → the certificate stays valid a year longer' })
  @ApiBody({ type: AnnualConfirmationFormDto })
  @ApiHeader(idempotencyHeader)
  annual(@CurrentCaller() caller: Caller, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply, @Headers('idempotency-key') key?: string, @Headers('authorization') auth?: string) {
    return this.open('annual-confirmation', caller, body, reply, key, auth);
  }

  @RequireAccountType('personal')
  @Post('transfers')
  @ApiOperation({ summary: 'CE-5 人员转换执业机构 (certified persons): transfer-out review → transfer-in review → association review → decision → the institution changes' })
  @ApiBody({ type: InstitutionTransferFormDto })
  @ApiHeader(idempotencyHeader)
  transfer(@CurrentCaller() caller: Caller, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply, @Headers('idempotency-key') key?: string, @Headers('authorization') auth?: string) {
    return this.open('institution-transfer', caller, body, reply, key, auth);
  }

  @RequireAccountType('personal', 'institution')
  @Post('appeals')
  @ApiOperation({ summary: 'CE-6 申诉 (personal or institution users): an expert assigned by the admin evaluates → association opinion → feedback; 90 working days' })
  @ApiBody({ type: AppealFormDto })
  @ApiHeader(idempotencyHeader)
  appeal(@CurrentCaller() caller: Caller, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply, @Headers('idempotency-key') key?: string, @Headers('authorization') auth?: string) {
    return this.open('appeal', caller, body, reply, key, auth);
  }

  @RequireAccountType('personal', 'institution')
  @Post('complaints')
  @ApiOperation({ summary: 'CE-7 投诉 (personal or institution users): association acceptance → handling → feedback; 90 working days' })
  @ApiBody({ type: ComplaintFormDto })
  @ApiHeader(idempotencyHeader)
  complaint(@CurrentCaller() caller: Caller, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply, @Headers('idempotency-key') key?: string, @Headers('authorization') auth?: string) {
    return this.open('complaint', caller, body, reply, key, auth);
  }

  @RequireAccountType('personal')
  @Post('cancellations')
  @ApiOperation({ summary: 'CE-8 证书注销申请: association review → the certificate is cancelled' })
  @ApiBody({ type: CertificateCancellationFormDto })
  @ApiHeader(idempotencyHeader)
  cancellation(@CurrentCaller() caller: Caller, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply, @Headers('idempotency-key') key?: string, @Headers('authorization') auth?: string) {
    return this.open('certificate-cancellation', caller, body, reply, key, auth);
  }

  @RequireAccountType('personal')
  @Post('expert-applications')
  @ApiOperation({ summary: 'CE-8 专家申请: association review → the person becomes an expert' })
  @ApiBody({ type: ExpertApplicationFormDto })
  @ApiHeader(idempotencyHeader)
  expert(@CurrentCaller() caller: Caller, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply, @Headers('idempotency-key') key?: string, @Headers('authorization') auth?: string) {
    return this.open('expert-application', caller, body, reply, key, auth);
  }
}

const formBodies = { schema: { oneOf: Object.values(REVIEW_FORM_DTOS).map((m) => ({ $ref: getSchemaPath(m) })), description: 'the form of the case kind' } };

/** The review cases once opened: mine, one with its history, resubmit and withdraw while returned. */
@ApiTags('certification: review cases')
@ApiBearerAuth()
@ApiExtraModels(...Object.values(REVIEW_FORM_DTOS))
@Controller('api/v1/certification/cases')
export class ReviewCaseItemController {
  constructor(private readonly cases: ReviewCaseService) {}

  @RequireAccountType('personal', 'institution')
  @Get()
  @ApiOperation({ summary: 'My review cases (newest first), optionally of one kind' })
  @ApiQuery({ name: 'kind', required: false, enum: REVIEW_CASE_KINDS })
  list(@CurrentCaller() caller: Caller, @Query('kind') kind?: string) {
    if (kind !== undefined && !isReviewCaseKind(kind)) throw CommonErrors.error('COMMON_VALIDATION_FAILED', { field: 'kind', en: 'Unknown case kind.', zh: '未知的业务类型。' });
    return this.cases.list(caller, kind);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A review case with its form, stage, status, result and history (every step: actor, round, opinion, outcome); applicant, association, the institutions it is routed to, its expert' })
  view(@CurrentCaller() caller: Caller, @Param('id', caseIdPipe) id: string) {
    return this.cases.view(id, caller);
  }

  @Put(':id')
  @RequireAccountType('personal', 'institution')
  @ApiOperation({ summary: '整改后重新提交: replace the form of a case returned for rectification and resubmit it (→ the step that returned it); 409 CERT_CASE_NOT_RETURNED otherwise' })
  @ApiBody(formBodies)
  resubmit(@CurrentCaller() caller: Caller, @Param('id', caseIdPipe) id: string, @Body() body: unknown, @Headers('authorization') auth?: string) {
    return this.cases.resubmit(id, caller, body, auth);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @RequireAccountType('personal', 'institution')
  @ApiOperation({ summary: '撤回: withdraw a case returned for rectification; withdrawing again answers the same' })
  withdraw(@CurrentCaller() caller: Caller, @Param('id', caseIdPipe) id: string) {
    return this.cases.withdraw(id, caller);
  }
}

export class CertificateQueryDto {
  @ApiProperty({ maxLength: 60, description: '证书编号' })
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  certificateNo!: string;

  @ApiProperty({ maxLength: 60, description: '持证人姓名' })
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name!: string;
}

@ApiTags('certification: certificates')
@Controller('api/v1/certification/certificates')
export class CertificateController {
  constructor(private readonly certificates: CertificateService) {}

  @ApiBearerAuth()
  @RequireAccountType('personal')
  @Get()
  @ApiOperation({ summary: '我的证书: my registration certificates with their state (valid, expired, cancelled) and whether one needs an annual confirmation' })
  mine(@CurrentCaller() caller: Caller) {
    return this.certificates.mine(caller.sub);
  }

  @Public()
  @Post('query')
  @HttpCode(200)
  @ApiOperation({ summary: 'CE-9 证书查询 (public): a certificate\'s validity by its number and the holder\'s name, both in the body (never in the URL); 404 when they do not match' })
  query(@Body() dto: CertificateQueryDto) {
    return this.certificates.query(dto.certificateNo, dto.name);
  }
}
