import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentCaller, type Caller } from '@certhub/service-kit';
import { PaymentErrors } from '../payment.errors';
import { OrderService } from './order.service';

export const uuidParam = (field: string) => new ParseUUIDPipe({ exceptionFactory: () => PaymentErrors.error('PAYMENT_ORDER_NOT_FOUND', { field }) });

@ApiTags('payment')
@ApiBearerAuth()
@Controller('api/v1/payment/orders')
export class OrderController {
  constructor(private readonly orders: OrderService) {}

  @Get(':orderId')
  @ApiOperation({ summary: 'The payer\'s payment order with its payments, refunds and invoice' })
  async view(@Param('orderId', uuidParam('orderId')) orderId: string, @CurrentCaller() caller: Caller) {
    return this.orders.view(orderId, caller);
  }

  @Post(':orderId/payments')
  @HttpCode(201)
  @ApiOperation({ summary: 'Pay the order: a payment at the provider and its pay page (an open one is returned again)' })
  async pay(@Param('orderId', uuidParam('orderId')) orderId: string, @CurrentCaller() caller: Caller, @Res({ passthrough: true }) reply: FastifyReply) {
    try {
      const { paymentId, payUrl } = await this.orders.pay(orderId, caller);
      return { paymentId, payUrl };
    } catch (err) {
      if (PaymentErrors.is(err, 'PAYMENT_ORDER_NOT_READY')) void reply.header('retry-after', '1');
      throw err;
    }
  }

  @Post(':orderId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel an unpaid order (the provider is asked first); repeated → same answer' })
  async cancel(@Param('orderId', uuidParam('orderId')) orderId: string, @CurrentCaller() caller: Caller) {
    return this.orders.cancel(orderId, caller);
  }
}
