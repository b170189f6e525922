import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentCaller, RequestId, RequireRoles, type Caller } from '@certhub/service-kit';
import { PaymentErrors } from '../payment.errors';
import { FeeService } from './fee.service';

const feeIdParam = () => new ParseUUIDPipe({ exceptionFactory: () => PaymentErrors.error('PAYMENT_FEE_NOT_FOUND', { field: 'feeId' }) });
const voucherIdParam = () => new ParseUUIDPipe({ exceptionFactory: () => PaymentErrors.error('PAYMENT_VOUCHER_NOT_FOUND', { field: 'voucherId' }) });

/** The payer's side of a fee (ADR 0012): view, pay online, upload an offline payment voucher. */
@ApiTags('payment')
@ApiBearerAuth()
@Controller('api/v1/payment/fees')
export class FeeController {
  constructor(private readonly fees: FeeService) {}

  @Get(':feeId')
  @ApiOperation({ summary: 'The payer\'s fee with its payments, vouchers (without content), invoice and refunds' })
  async view(@Param('feeId', feeIdParam()) feeId: string, @CurrentCaller() caller: Caller) {
    return this.fees.view(feeId, caller);
  }

  @Post(':feeId/payments')
  @HttpCode(201)
  @ApiOperation({ summary: 'Pay the fee online: a payment at the provider and its pay page (an open one is returned again)' })
  async pay(@Param('feeId', feeIdParam()) feeId: string, @CurrentCaller() caller: Caller) {
    const { paymentId, payUrl } = await this.fees.pay(feeId, caller);
    return { paymentId, payUrl };
  }

  @Post(':feeId/voucher')
  @HttpCode(201)
  @ApiConsumes('image/jpeg', 'image/png', 'application/pdf')
  @ApiOperation({
    summary: 'Upload an offline payment voucher (raw JPEG, PNG or PDF body) for the staff check; a replay with the same X-Request-Id gets the same voucher',
  })
  async submitVoucher(@Param('feeId', feeIdParam()) feeId: string, @CurrentCaller() caller: Caller, @Req() req: FastifyRequest, @RequestId() requestId: string) {
    return this.fees.submitVoucher(feeId, caller, req.headers['content-type'], req.body, requestId);
  }
}

/** Staff: the fee and its voucher files, for the voucher check task in the workbench. */
@ApiTags('payment')
@ApiBearerAuth()
@RequireRoles('staff', 'admin')
@Controller('api/v1/payment/staff/fees')
export class FeeStaffController {
  constructor(private readonly fees: FeeService) {}

  @Get(':feeId')
  @ApiOperation({ summary: 'A fee with its vouchers (staff)' })
  async view(@Param('feeId', feeIdParam()) feeId: string) {
    return this.fees.viewForStaff(feeId);
  }

  @Get(':feeId/vouchers/:voucherId')
  @ApiOperation({ summary: 'The voucher file (staff)' })
  async voucher(@Param('feeId', feeIdParam()) feeId: string, @Param('voucherId', voucherIdParam()) voucherId: string, @Res() reply: FastifyReply) {
    const file = await this.fees.voucherFile(feeId, voucherId);
    await reply
      .header('content-type', file.contentType)
      .header('content-disposition', `inline; filename="voucher-${file.round}.${file.ext}"`)
      .header('cache-control', 'private, no-store')
      .header('x-content-type-options', 'nosniff')
      .send(file.content);
  }
}
