import { Controller, Get, HttpCode, Param, ParseEnumPipe, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors } from '@certhub/errors';
import { CurrentCaller, RequestId, RequireRoles, sendUpload, type Caller } from '@certhub/service-kit';
import { PaymentErrors } from '../payment.errors';
import { FeeService } from './fee.service';

const feeIdParam = () => new ParseUUIDPipe({ exceptionFactory: () => PaymentErrors.error('PAYMENT_FEE_NOT_FOUND', { field: 'feeId' }) });
const FEE_STATUSES = { pending: 'pending', paid: 'paid', expired: 'expired', cancelled: 'cancelled' } as const;
const feeStatusQuery = () =>
  new ParseEnumPipe(FEE_STATUSES, {
    optional: true,
    exceptionFactory: () =>
      CommonErrors.error('COMMON_VALIDATION_FAILED', { field: 'status', en: 'status must be pending, paid, expired or cancelled.', zh: 'status 须为 pending、paid、expired 或 cancelled。' }),
  });
const voucherIdParam = () => new ParseUUIDPipe({ exceptionFactory: () => PaymentErrors.error('PAYMENT_VOUCHER_NOT_FOUND', { field: 'voucherId' }) });

/** The payer's side of a fee (ADR 0012): view, pay online, upload an offline payment voucher. */
@ApiTags('payment')
@ApiBearerAuth()
@Controller('api/v1/payment/fees')
export class FeeController {
  constructor(private readonly fees: FeeService) {}

  @Get()
  @ApiOperation({ summary: 'The fees I may pay, newest first: my own, and as an institution user every fee of my institution' })
  @ApiQuery({ name: 'status', required: false, enum: Object.keys(FEE_STATUSES) })
  async list(@CurrentCaller() caller: Caller, @Query('status', feeStatusQuery()) status?: keyof typeof FEE_STATUSES) {
    return this.fees.list(caller, status);
  }

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
    await sendUpload(reply, { contentType: file.contentType, filename: `voucher-${file.round}.${file.ext}`, content: file.content });
  }
}
