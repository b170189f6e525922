import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, IsUUID, Length } from 'class-validator';
import { CurrentCaller, Public, type Caller } from '@certhub/service-kit';
import { SessionService } from './session.service';

class LoginDto {
  @ApiProperty() @IsString() @Length(1, 64) username!: string;
  @ApiProperty() @IsString() @Length(1, 128) password!: string;
  @ApiProperty() @IsUUID() captchaId!: string;
  @ApiProperty() @IsString() @Length(1, 10) captchaText!: string;
}

class RefreshDto {
  @ApiProperty() @IsString() @Length(20, 200) refreshToken!: string;
}

@ApiTags('identity: sessions')
@Controller('api/v1/identity/sessions')
export class SessionController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @Post()
  @ApiOperation({ summary: 'Log in with username, password and captcha (ID-8)' })
  login(@Body() dto: LoginDto) {
    return this.sessions.login(dto);
  }

  @Public()
  @Post('refresh')
  @ApiOperation({ summary: 'Rotate the refresh token: a new pair; the old refresh token is spent' })
  refresh(@Body() dto: RefreshDto) {
    return this.sessions.refresh(dto.refreshToken);
  }

  @Delete('current')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Log out: revokes this session' })
  async logout(@CurrentCaller() caller: Caller) {
    await this.sessions.revokeSession(caller.sub, caller.sid);
  }
}
