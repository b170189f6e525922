/**
 * Contract of the payment domain's workflows: the only thing other code imports from here.
 * Task queue, workflow refs, signals, inputs and activity types.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { WorkflowRef } from '@certhub/contracts';
import type { orderPaymentWorkflow, refundWorkflow } from './workflows';

export const PAYMENT_TASK_QUEUE = 'payment';

export type OrderStatus = 'pending' | 'paid' | 'expired' | 'cancelled' | 'refunding' | 'refunded';

export interface OrderPaymentInput {
  orderId: string;
  /** Absolute deadline (ISO 8601): a workflow started late still expires on time. */
  expiresAt: string;
}

export interface OrderPaymentResult {
  orderId: string;
  /** What the order was when the workflow ended. */
  status: OrderStatus | 'unknown';
  /** `signal`: settled by the service (paid, cancelled); `deadline`: the deadline activity decided. */
  via: 'signal' | 'deadline';
}

export type RefundReason = 'requested' | 'late-payment';

export interface RefundInput {
  orderId: string;
  reason: RefundReason;
}

export interface PendingRefund {
  refundId: string;
  paymentId: string;
  amountFen: number;
}

export interface RefundResult {
  orderId: string;
  refunded: PendingRefund[];
}

export interface PaymentActivities {
  /**
   * At the deadline: asks the provider about every payment of the order; a paid one is applied
   * as a notification would be; otherwise closes the open payments and expires the order.
   */
  settleAtDeadline(input: { orderId: string }): Promise<{ status: OrderStatus | 'unknown' }>;
  /** Creates (idempotently) the refund rows this workflow is to carry out; the order moves to refunding. */
  beginRefund(input: RefundInput): Promise<PendingRefund[]>;
  /** Asks the provider to refund (idempotent on the refund id); throws until the provider confirms. */
  refundAtProvider(input: { refundId: string }): Promise<{ confirmedAt: string }>;
  /** Marks the refund confirmed; the order refunded, its invoice voided, the event written. */
  completeRefund(input: { refundId: string; reason: RefundReason; confirmedAt: string }): Promise<void>;
}

/** Sent by the service when the order left `pending` (paid, cancelled): the workflow ends. */
export const orderSettledSignal = defineSignal<[OrderStatus]>('orderSettled');
export const orderStatusQuery = defineQuery<OrderStatus | 'unknown'>('orderStatus');

export const orderPayment: WorkflowRef<typeof orderPaymentWorkflow, string> = {
  workflowType: 'orderPaymentWorkflow',
  taskQueue: PAYMENT_TASK_QUEUE,
  workflowId: (orderId: string) => `order-payment:${orderId}`,
};

export const orderRefund: WorkflowRef<typeof refundWorkflow, string> = {
  workflowType: 'refundWorkflow',
  taskQueue: PAYMENT_TASK_QUEUE,
  workflowId: (orderId: string) => `refund:${orderId}`,
};

/** Search-attribute values of the payment workflows (no personal data). */
export const PAYMENT_CASE_TYPE = 'exam-order-payment';
export const REFUND_CASE_TYPE = 'exam-order-refund';

// The fee payment (child workflow of other domains' processes): its own file, same contract.
export * from './fee-contract';
