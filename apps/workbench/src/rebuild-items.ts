// Ops script: rebuilds my items from the case topics (`node dist/apps/workbench/src/rebuild-items.js`).
// Uses the workbench's environment (DATABASE_URL, KAFKA_BROKERS …); safe while the service runs.
import { loadConfig } from '@certhub/config';
import { Logger } from '@certhub/logging';
import { createKafka, ensureTopics, SerializedProducer } from '@certhub/messaging';
import { workbenchDataSource } from './database';
import { rebuildMyItems, type RebuildResult } from './items/case-projection';
import { WorkbenchConfig } from './workbench.config';

export async function rebuildItemsFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<RebuildResult> {
  const config = loadConfig(WorkbenchConfig, env);
  const logger = new Logger('workbench-rebuild', config.LOG_LEVEL);
  const dataSource = await workbenchDataSource(config.DATABASE_URL, 5).initialize();
  const kafka = createKafka({ clientId: 'workbench-rebuild', brokers: config.KAFKA_BROKERS, logger: logger.child('kafka') });
  const producer = new SerializedProducer(kafka);
  try {
    await ensureTopics(kafka);
    await producer.connect();
    return await rebuildMyItems({ kafka, dataSource, producer, logger, batchSize: config.PROJECTION_BATCH_SIZE });
  } finally {
    await producer.disconnect().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
  }
}

if (require.main === module) {
  rebuildItemsFromEnv()
    .then((result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    })
    .catch((err: unknown) => {
      process.stderr.write(`rebuild of my items failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
