import { randomBytes } from 'node:crypto';
import { chinaDate } from '../provider/payment-provider';

/** PY-5: a new invoice number, `FP` + the China date of payment + 10 random hex digits (unique index). */
export function newInvoiceNo(paidAt: string | Date): string {
  return `FP${chinaDate(new Date(paidAt)).replace(/-/g, '')}${randomBytes(5).toString('hex').toUpperCase()}`;
}
