import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@certhub/service-kit';
import { NOTIFY_HEADERS } from '../provider/signature';
import { NotificationService } from './notification.service';

@ApiTags('payment')
@Public()
@Controller('api/v1/payment/notifications')
export class NotificationController {
  constructor(private readonly notifications: NotificationService) {}

  @Post('sandbox')
  @HttpCode(200)
  @ApiOperation({ summary: 'Signed payment notification of the sandbox provider (HMAC-SHA256 over timestamp, nonce and body)' })
  async sandbox(
    @Body() body: unknown,
    @Headers(NOTIFY_HEADERS.timestamp) timestamp?: string,
    @Headers(NOTIFY_HEADERS.nonce) nonce?: string,
    @Headers(NOTIFY_HEADERS.signature) signature?: string,
  ) {
    return this.notifications.sandbox(body, { timestamp, nonce, signature });
  }
}
