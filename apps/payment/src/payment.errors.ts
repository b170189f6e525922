import { defineErrors } from '@certhub/errors';

/** Every refusal of the payment service, with its HTTP status and both messages. */
export const PaymentErrors = defineErrors({
  PAYMENT_NOT_FOUND: { status: 404, en: 'Not found.', zh: '未找到。' },
  PAYMENT_ORDER_NOT_FOUND: { status: 404, en: 'This order was not found.', zh: '未找到该订单。' },
  PAYMENT_ORDER_NOT_READY: { status: 409, en: 'The order is being prepared; retry in a moment.', zh: '订单正在生成，请稍后重试。' },
  PAYMENT_ORDER_NOT_PENDING: { status: 409, en: 'The order is no longer awaiting payment.', zh: '该订单已不在待支付状态。' },
  PAYMENT_ORDER_EXPIRED: { status: 409, en: 'The payment deadline of this order has passed.', zh: '该订单已超过支付期限。' },
  PAYMENT_ORDER_PAID: { status: 409, en: 'The order has already been paid.', zh: '该订单已支付。' },
  PAYMENT_AMOUNT_MISMATCH: { status: 409, en: 'The order amount does not match its items.', zh: '订单金额与明细不符。' },
  PAYMENT_PROVIDER_UNAVAILABLE: { status: 503, en: 'The payment provider is not reachable; try again.', zh: '支付渠道暂时不可用，请稍后重试。' },
  PAYMENT_NOTIFY_SIGNATURE: { status: 401, en: 'The notification signature is invalid.', zh: '通知签名无效。' },
  PAYMENT_NOTIFY_STALE: { status: 401, en: 'The notification timestamp is outside the accepted window.', zh: '通知时间戳超出允许范围。' },
  PAYMENT_NOTIFY_REPLAYED: { status: 409, en: 'This notification nonce has already been used.', zh: '该通知的随机串已被使用。' },
  PAYMENT_NOTIFY_INVALID: { status: 400, en: 'The notification is malformed.', zh: '通知内容格式不正确。' },
  PAYMENT_NOTIFY_UNKNOWN_PAYMENT: { status: 404, en: 'The notification names an unknown payment.', zh: '通知所指的支付不存在。' },
  PAYMENT_NOTIFY_AMOUNT_MISMATCH: { status: 400, en: 'The notified amount differs from the payment.', zh: '通知金额与支付金额不符。' },
  PAYMENT_SANDBOX_NOT_PAYABLE: { status: 409, en: 'This payment can no longer be paid.', zh: '该支付已无法付款。' },
  PAYMENT_DATE_INVALID: { status: 400, en: 'The date must be YYYY-MM-DD.', zh: '日期格式应为 YYYY-MM-DD。' },
});
