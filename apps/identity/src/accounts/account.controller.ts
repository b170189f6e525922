import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsIn, IsString, Matches } from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';
import { Public } from '@certhub/service-kit';
import { CaptchaService } from '../captcha/captcha.service';
import { IdentityErrors } from '../identity.errors';
import { SMS_PURPOSES, type SmsPurpose } from '../sms/sms-code.entity';
import { SmsCodeService } from '../sms/sms-code.service';
import { AvailabilityDto, PHONE_PATTERN, RegisterAccountDto, RegisteredAccountDto } from './account.dtos';
import { RegistrationService } from './registration.service';
import { DataSource } from 'typeorm';
import { Account } from './account.entity';

class SmsCodeRequestDto {
  @ApiProperty({ example: '13800138000' }) @IsString() @Matches(PHONE_PATTERN) phone!: string;
  @ApiProperty({ enum: SMS_PURPOSES }) @IsIn(SMS_PURPOSES) purpose!: SmsPurpose;
}

@ApiTags('identity: registration')
@Controller('api/v1/identity')
export class AccountController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly sms: SmsCodeService,
    private readonly captchas: CaptchaService,
    private readonly dataSource: DataSource,
  ) {}

  @Public()
  @Post('captchas')
  @ApiOperation({ summary: 'A new graphic captcha (SVG data URL)' })
  createCaptcha() {
    return this.captchas.create();
  }

  @Public()
  @Post('sms-codes')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send an SMS code (ID-4): valid 2 minutes, one per phone per 2 minutes' })
  async sendSmsCode(@Body() dto: SmsCodeRequestDto) {
    const bound = await this.dataSource.getRepository(Account).exists({ where: { phone: dto.phone } });
    // Registration and a new phone need a free number; recovery needs a registered one.
    if ((dto.purpose === 'register' || dto.purpose === 'change-phone') && bound) throw IdentityErrors.error('IDENTITY_PHONE_TAKEN', { field: 'phone' });
    if ((dto.purpose === 'reset-password' || dto.purpose === 'recover-account') && !bound) {
      throw IdentityErrors.error('IDENTITY_PHONE_NOT_REGISTERED', { field: 'phone' });
    }
    const { expiresAt } = await this.sms.issue(dto.phone, dto.purpose);
    return { sent: true, expiresAt: expiresAt.toISOString() };
  }

  @Public()
  @Post('accounts/availability')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check username, document, phone and e-mail before the SMS step (ID-3)' })
  async availability(@Body() dto: AvailabilityDto) {
    await this.registration.assertAvailable(dto);
    return { available: true };
  }

  @Public()
  @Post('accounts')
  @ApiOperation({ summary: 'Register a personal account (ID-1 … ID-5)' })
  @ApiCreatedResponse({ type: RegisteredAccountDto })
  register(@Body() dto: RegisterAccountDto) {
    return this.registration.register(dto);
  }
}
