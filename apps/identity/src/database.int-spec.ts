import { describeServiceSchema } from '@certhub/testing';
import { database } from './database';

describeServiceSchema('identity', database, ['account', 'outbox_message', 'processed_event']);
