import { describeServiceSchema } from '@certhub/testing';
import { database } from './database';

describeServiceSchema('workbench', database, ['task', 'my_item', 'outbox_message', 'processed_event']);
