import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { Public } from '@certhub/service-kit';
import { ID_TYPES, type IdType } from '../accounts/account.entity';
import { PHONE_PATTERN, REAL_NAME_PATTERN } from '../accounts/account.dtos';
import { RecoveryService } from './recovery.service';

class ClaimDto {
  @ApiProperty() @IsString() @Matches(REAL_NAME_PATTERN) realName!: string;
  @ApiProperty({ enum: ID_TYPES }) @IsIn(ID_TYPES) idType!: IdType;
  @ApiProperty() @IsString() @Length(5, 20) idNumber!: string;
}

class AnswerResetDto extends ClaimDto {
  @ApiProperty() @IsString() @Length(1, 100) answer!: string;
  @ApiProperty() @IsString() @Length(1, 128) newPassword!: string;
}

class SmsResetDto extends ClaimDto {
  @ApiProperty() @IsString() @Matches(PHONE_PATTERN) phone!: string;
  @ApiProperty() @IsString() @Length(1, 10) smsCode!: string;
  @ApiProperty() @IsString() @Length(1, 128) newPassword!: string;
}

class AccountRecoveryDto {
  @ApiProperty({ enum: ID_TYPES }) @IsIn(ID_TYPES) idType!: IdType;
  @ApiProperty() @IsString() @Length(5, 20) idNumber!: string;
  @ApiProperty() @IsString() @Matches(PHONE_PATTERN) phone!: string;
  @ApiProperty() @IsString() @Length(1, 10) smsCode!: string;
}

@ApiTags('identity: recovery')
@Controller('api/v1/identity')
export class RecoveryController {
  constructor(private readonly recovery: RecoveryService) {}

  @Public()
  @Post('password-recovery/question')
  @HttpCode(200)
  @ApiOperation({ summary: 'Way (a) step 1: name + document number → security question' })
  question(@Body() dto: ClaimDto) {
    return this.recovery.question(dto);
  }

  @Public()
  @Post('password-recovery/answer')
  @HttpCode(204)
  @ApiOperation({ summary: 'Way (a) step 2: answer → new password' })
  async byAnswer(@Body() dto: AnswerResetDto) {
    await this.recovery.resetByAnswer(dto);
  }

  @Public()
  @Post('password-recovery/sms')
  @HttpCode(204)
  @ApiOperation({ summary: 'Way (b): name + document + registered phone + SMS code (purpose reset-password) → new password' })
  async bySms(@Body() dto: SmsResetDto) {
    await this.recovery.resetBySms(dto);
  }

  @Public()
  @Post('account-recovery')
  @HttpCode(200)
  @ApiOperation({ summary: '找回账户: document number + SMS code (purpose recover-account) → username' })
  recoverAccount(@Body() dto: AccountRecoveryDto) {
    return this.recovery.recoverAccount(dto);
  }
}
