import { Injectable } from '@nestjs/common';
import { ExamConfig } from '../exam.config';

export type CancelOutcome = 'cancelled' | 'paid' | 'unknown-order';

/**
 * The payment service as exam calls it (ST-3): cancel an unpaid order with the candidate's token
 * forwarded. 200 → cancelled; 409 `PAYMENT_ORDER_PAID` → paid; 404 → the payment service does not
 * know the order (yet). Anything else is thrown.
 */
@Injectable()
export class PaymentClient {
  constructor(private readonly config: ExamConfig) {}

  async cancel(orderId: string, authorization: string | undefined, requestId: string): Promise<CancelOutcome> {
    const res = await fetch(`${this.config.PAYMENT_SERVICE_URL}/api/v1/payment/orders/${orderId}/cancel`, {
      method: 'POST',
      headers: { authorization: authorization ?? '', 'content-type': 'application/json', 'x-request-id': requestId },
      body: '{}',
      signal: AbortSignal.timeout(this.config.CALL_TIMEOUT_MS),
    });
    const text = await res.text();
    let body: { status?: string; code?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      /* not JSON */
    }
    if (res.status === 200 && body.status === 'cancelled') return 'cancelled';
    if (res.status === 409 && body.code === 'PAYMENT_ORDER_PAID') return 'paid';
    if (res.status === 404) return 'unknown-order';
    throw new Error(`payment cancel answered ${res.status} ${body.code ?? ''}`);
  }
}
