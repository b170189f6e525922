import { CommonErrors } from '@certhub/errors';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,100}$/;

/** The client's Idempotency-Key header, checked (a retried create with the same key returns what the first one created). */
export function checkedIdempotencyKey(header: string | undefined): string | undefined {
  if (header !== undefined && !IDEMPOTENCY_KEY.test(header)) {
    throw CommonErrors.error('COMMON_VALIDATION_FAILED', {
      field: 'Idempotency-Key',
      en: 'The Idempotency-Key header must be 8 to 100 letters, digits or . _ : -.',
      zh: 'Idempotency-Key 请求头须为 8 至 100 位字母、数字或 . _ : -。',
    });
  }
  return header;
}
