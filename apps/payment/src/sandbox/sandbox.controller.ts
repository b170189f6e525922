import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { Public } from '@certhub/service-kit';
import { PaymentErrors } from '../payment.errors';
import { PaymentProvider } from '../provider/payment-provider';
import { SANDBOX_SWITCHES, SandboxPaymentProvider, type NotifyMode, type SandboxSwitchName } from './sandbox-provider';

class PayDto {
  @ApiPropertyOptional({ enum: ['normal', 'delay', 'drop', 'duplicate'], description: 'how the notification is sent' })
  @IsOptional()
  @IsIn(['normal', 'delay', 'drop', 'duplicate'])
  notify?: NotifyMode;

  @ApiPropertyOptional({ description: 'with notify=delay: milliseconds before the first attempt' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(24 * 3600_000)
  delayMs?: number;
}

class SwitchDto {
  @ApiProperty({ enum: SANDBOX_SWITCHES })
  @IsIn([...SANDBOX_SWITCHES])
  name!: SandboxSwitchName;

  @ApiProperty({ description: 'how many of the next calls fail' })
  @IsInt()
  @Min(0)
  @Max(1000)
  remaining!: number;
}

const paymentIdPipe = new ParseUUIDPipe({ exceptionFactory: () => PaymentErrors.error('PAYMENT_NOT_FOUND', { field: 'paymentId' }) });

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The sandbox provider's own pages and switches: only mounted outside production (404 there).
 * Public: the payer's browser is at the provider here, without the platform's token.
 */
@ApiTags('sandbox')
@Public()
@Controller('api/v1/sandbox/payments')
export class SandboxPaymentController {
  private readonly sandbox: SandboxPaymentProvider;

  constructor(provider: PaymentProvider) {
    if (!(provider instanceof SandboxPaymentProvider)) throw new Error('the sandbox endpoints need the sandbox provider');
    this.sandbox = provider;
  }

  @Get('switches')
  @ApiOperation({ summary: 'The fault switches and how many calls each will still fail' })
  async switches() {
    return this.sandbox.switches();
  }

  @Put('switches')
  @ApiOperation({ summary: 'Set a fault switch: fail the next N refunds, closes or status queries' })
  async setSwitch(@Body() dto: SwitchDto) {
    await this.sandbox.setSwitch(dto.name, dto.remaining);
    return this.sandbox.switches();
  }

  @Get(':paymentId')
  @ApiOperation({ summary: 'The pay page (HTML)' })
  async page(@Param('paymentId', paymentIdPipe) paymentId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const p = await this.sandbox.payment(paymentId);
    if (!p) throw PaymentErrors.error('PAYMENT_NOT_FOUND', { field: 'paymentId' });
    const yuan = `${Math.floor(p.amount_fen / 100)}.${String(p.amount_fen % 100).padStart(2, '0')}`;
    void reply.type('text/html; charset=utf-8');
    return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>沙箱支付 Sandbox payment</title></head><body>
<h1>沙箱支付 Sandbox payment</h1>
<p>${escapeHtml(p.description)}</p><p>金额 Amount: ¥${yuan}</p><p>状态 Status: <b id="status">${escapeHtml(p.status)}</b></p>
${p.status === 'open' ? `<button id="pay">确认支付 Pay</button>
<script>document.getElementById('pay').onclick=async()=>{const r=await fetch(location.pathname+'/pay',{method:'POST',headers:{'content-type':'application/json'},body:'{}'});document.getElementById('status').textContent=r.ok?'paid':'failed ('+r.status+')';};</script>` : ''}
</body></html>`;
  }

  @Post(':paymentId/pay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pay at the provider; the notification is sent as asked (normal, delay, drop, duplicate)' })
  async pay(@Param('paymentId', paymentIdPipe) paymentId: string, @Body() dto: PayDto) {
    const paid = await this.sandbox.pay(paymentId, dto.notify ?? 'normal', dto.delayMs ?? 0);
    if (!paid) throw PaymentErrors.error('PAYMENT_NOT_FOUND', { field: 'paymentId' });
    if (paid === 'not-payable') throw PaymentErrors.error('PAYMENT_SANDBOX_NOT_PAYABLE', { field: 'paymentId' });
    return { paymentId, tradeNo: paid.trade_no, status: paid.status, amountFen: paid.amount_fen, paidAt: paid.paid_at?.toISOString() ?? null };
  }

  @Get(':paymentId/notifications')
  @ApiOperation({ summary: 'The notifications the sandbox owes or sent for a payment' })
  async notifications(@Param('paymentId', paymentIdPipe) paymentId: string) {
    return { paymentId, notifications: await this.sandbox.notificationsOf(paymentId) };
  }
}
