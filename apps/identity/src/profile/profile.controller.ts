import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseEnumPipe, ParseUUIDPipe, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentCaller, RequestId, type Caller } from '@certhub/service-kit';
import { EducationDto } from '../accounts/account.dtos';
import { CaptchaService } from '../captcha/captcha.service';
import { IdentityErrors } from '../identity.errors';
import { PhotoService } from '../photo/photo.service';
import { VerificationService } from '../verification/verification.service';
import { RECORD_KINDS, type RecordKind } from './profile-record.entity';
import { ChangeEmailDto, ChangePasswordDto, ChangePhoneDto, RecoveryQuestionDto } from './profile.dtos';
import { ProfileService } from './profile.service';

const kindPipe = new ParseEnumPipe(Object.fromEntries(RECORD_KINDS.map((k) => [k, k])), {
  exceptionFactory: () => IdentityErrors.error('IDENTITY_NOT_FOUND', { field: 'kind' }),
});
const uuidPipe = new ParseUUIDPipe({ exceptionFactory: () => IdentityErrors.error('IDENTITY_NOT_FOUND', { field: 'id' }) });

@ApiTags('identity: my profile')
@ApiBearerAuth()
@Controller('api/v1/identity/me')
export class ProfileController {
  constructor(
    private readonly profile: ProfileService,
    private readonly photos: PhotoService,
    private readonly captchas: CaptchaService,
    private readonly verification: VerificationService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'My profile: identity (masked), derived gender and birth date, verification, photo' })
  me(@CurrentCaller() caller: Caller) {
    return this.profile.me(caller.sub);
  }

  @Put('password')
  @HttpCode(204)
  async changePassword(@CurrentCaller() caller: Caller, @Body() dto: ChangePasswordDto) {
    await this.profile.changePassword(caller.sub, dto.oldPassword, dto.newPassword);
  }

  @Put('recovery-question')
  @HttpCode(204)
  async recoveryQuestion(@CurrentCaller() caller: Caller, @Body() dto: RecoveryQuestionDto) {
    await this.profile.setRecoveryQuestion(caller.sub, dto);
  }

  @Put('phone')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change phone with a code sent to the new phone (purpose change-phone)' })
  async changePhone(@CurrentCaller() caller: Caller, @Body() dto: ChangePhoneDto) {
    await this.profile.changePhone(caller.sub, dto);
  }

  @Put('email')
  @HttpCode(204)
  async changeEmail(@CurrentCaller() caller: Caller, @Body() dto: ChangeEmailDto) {
    await this.profile.changeEmail(caller.sub, dto.email);
  }

  @Post('educations')
  addEducation(@CurrentCaller() caller: Caller, @Body() dto: EducationDto) {
    return this.profile.addEducation(caller.sub, dto);
  }

  @Put('educations/:id')
  updateEducation(@CurrentCaller() caller: Caller, @Param('id', uuidPipe) id: string, @Body() dto: EducationDto) {
    return this.profile.updateEducation(caller.sub, id, dto);
  }

  @Delete('educations/:id')
  @HttpCode(204)
  async removeEducation(@CurrentCaller() caller: Caller, @Param('id', uuidPipe) id: string) {
    await this.profile.removeEducation(caller.sub, id);
  }

  @Get('records')
  @ApiOperation({ summary: 'Basic info library (ID-11): all records' })
  records(@CurrentCaller() caller: Caller) {
    return this.profile.listRecords(caller.sub);
  }

  @Get('records/:kind')
  recordsOfKind(@CurrentCaller() caller: Caller, @Param('kind', kindPipe) kind: RecordKind) {
    return this.profile.listRecords(caller.sub, kind);
  }

  @Post('records/:kind')
  @ApiOperation({ summary: 'Add a work, professional-work, audit or continuing-education record' })
  @ApiBody({ schema: { type: 'object' } })
  addRecord(@CurrentCaller() caller: Caller, @Param('kind', kindPipe) kind: RecordKind, @Req() req: FastifyRequest) {
    return this.profile.addRecord(caller.sub, kind, req.body);
  }

  @Put('records/:kind/:id')
  @ApiBody({ schema: { type: 'object' } })
  updateRecord(@CurrentCaller() caller: Caller, @Param('kind', kindPipe) kind: RecordKind, @Param('id', uuidPipe) id: string, @Req() req: FastifyRequest) {
    return this.profile.updateRecord(caller.sub, kind, id, req.body);
  }

  @Delete('records/:kind/:id')
  @HttpCode(204)
  async removeRecord(@CurrentCaller() caller: Caller, @Param('kind', kindPipe) kind: RecordKind, @Param('id', uuidPipe) id: string) {
    await this.profile.removeRecord(caller.sub, kind, id);
  }

  @Put('photo')
  @ApiConsumes('image/jpeg')
  @ApiOperation({ summary: 'Upload the ID photo (raw JPEG body; captcha in X-Captcha-Id / X-Captcha-Text) — PH-1 … PH-3' })
  async uploadPhoto(
    @CurrentCaller() caller: Caller,
    @Headers('x-captcha-id') captchaId: string | undefined,
    @Headers('x-captcha-text') captchaText: string | undefined,
    @Req() req: FastifyRequest,
  ) {
    await this.captchas.consume(captchaId, captchaText, 'x-captcha-text');
    return this.photos.upload(caller.sub, req.body as Buffer | undefined);
  }

  @Get('photo')
  @ApiOperation({ summary: 'My processed photo (295×413 JPEG)' })
  async photo(@CurrentCaller() caller: Caller, @Res() reply: FastifyReply) {
    const jpeg = await this.photos.processed(caller.sub);
    await reply.header('content-type', 'image/jpeg').header('cache-control', 'private, no-store').send(jpeg);
  }

  @Get('verification')
  @ApiOperation({ summary: 'Identity and education verification progress (ID-12)' })
  verificationProgress(@CurrentCaller() caller: Caller) {
    return this.verification.progress(caller.sub);
  }

  @Post('verification/proof')
  @ApiConsumes('image/jpeg', 'image/png', 'application/pdf')
  @ApiOperation({ summary: 'Upload proof material when the provider could not verify automatically' })
  submitProof(@CurrentCaller() caller: Caller, @Req() req: FastifyRequest, @RequestId() requestId: string) {
    return this.verification.submitProof(caller.sub, req.headers['content-type'], req.body as Buffer | undefined, requestId);
  }
}
