import { Body, Controller, Get, Param, ParseUUIDPipe, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { Public } from '@certhub/service-kit';
import { PHONE_PATTERN } from '../accounts/account.dtos';
import { CaptchaService } from '../captcha/captcha.service';
import { IdentityErrors } from '../identity.errors';
import { SandboxSmsProvider, SmsProvider } from '../sms/sms-provider';
import { SandboxVerificationOutcome } from '../verification/verification.entities';

class SmsQuery {
  @ApiProperty() @IsString() @Matches(PHONE_PATTERN) phone!: string;
}

class OutcomeDto {
  @ApiPropertyOptional({ description: "username, or omit for the default of everyone without their own" })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z][A-Za-z0-9_]{3,31}$/)
  username?: string;

  @ApiProperty({ enum: ['verified', 'not-verifiable', 'onsite-required'] })
  @IsIn(['verified', 'not-verifiable', 'onsite-required'])
  outcome!: 'verified' | 'not-verifiable' | 'onsite-required';

  @ApiPropertyOptional({ description: 'answer "unavailable" this many times first' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  unavailableTimes?: number;
}

/** Sandbox endpoints: only mounted in the embedded/dev/test profiles (404 in production). */
@ApiTags('sandbox')
@Public()
@Controller('api/v1/sandbox')
export class SandboxController {
  constructor(
    private readonly sms: SmsProvider,
    private readonly captchas: CaptchaService,
    private readonly dataSource: DataSource,
  ) {}

  @Get('sms')
  @ApiOperation({ summary: 'Messages the sandbox SMS provider "sent" to a phone, newest first' })
  async messages(@Query() query: SmsQuery) {
    if (!(this.sms instanceof SandboxSmsProvider)) throw IdentityErrors.error('IDENTITY_SANDBOX_ONLY');
    return { phone: query.phone, messages: await this.sms.sentTo(query.phone) };
  }

  @Get('captchas/:captchaId')
  @ApiOperation({ summary: 'The answer of a captcha' })
  async captcha(@Param('captchaId', new ParseUUIDPipe({ exceptionFactory: () => IdentityErrors.error('IDENTITY_NOT_FOUND') })) captchaId: string) {
    const answer = await this.captchas.answerOf(captchaId);
    if (!answer) throw IdentityErrors.error('IDENTITY_NOT_FOUND');
    return { captchaId, answer };
  }

  @Put('verification-outcomes')
  @ApiOperation({ summary: 'Set what the sandbox verification provider answers' })
  async setOutcome(@Body() dto: OutcomeDto) {
    const usernameKey = dto.username?.toLowerCase() ?? '*';
    await this.dataSource
      .getRepository(SandboxVerificationOutcome)
      .upsert({ usernameKey, outcome: dto.outcome, unavailableTimes: dto.unavailableTimes ?? 0 }, { conflictPaths: ['usernameKey'] });
    return { username: dto.username ?? '*', outcome: dto.outcome, unavailableTimes: dto.unavailableTimes ?? 0 };
  }
}
