import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeServiceSchema } from '@certhub/testing';
import { database } from './database';

describeServiceSchema('certification', database, ['application', 'application_record', 'certificate', 'review_case', 'review_case_history', 'attachment', 'review_case_attachment', 'outbox_message'], (ds) => {
  it('refuses a status outside the modelled ones', async () => {
    await assert.rejects(
      ds().query(
        `INSERT INTO application (id, applicant_id, business_no, status, stage) VALUES (gen_random_uuid(), gen_random_uuid(), '20000101000001', 'paused', 'draft')`,
      ),
      /ck_application_status/,
    );
  });
});
