import { describeServiceSchema } from '@certhub/testing';
import { database } from './database';

describeServiceSchema('exam', database, ['seat_pool', 'outbox_message', 'processed_event']);
