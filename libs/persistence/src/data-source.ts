import { DataSource, type DataSourceOptions } from 'typeorm';
import { PLATFORM_ENTITIES } from './entities';
import { PreparingClient } from './preparing-client';
import { SnakeNamingStrategy } from './snake-naming.strategy';

export interface ServiceDataSourceOptions {
  url: string;
  /** The service's own Postgres schema; no service reads another's. */
  schema: string;
  entities: NonNullable<DataSourceOptions['entities']>;
  migrations: NonNullable<DataSourceOptions['migrations']>;
  poolSize?: number;
  applicationName?: string;
}

export function serviceDataSourceOptions(options: ServiceDataSourceOptions): DataSourceOptions {
  const entities = Array.isArray(options.entities) ? [...PLATFORM_ENTITIES, ...options.entities] : options.entities;
  return {
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities,
    migrations: options.migrations,
    migrationsTableName: 'migration',
    migrationsTransactionMode: 'each',
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    logging: false,
    extra: {
      // Parameterised statements are prepared once per connection (ADR 0020).
      Client: PreparingClient,
      max: options.poolSize ?? 20,
      application_name: options.applicationName ?? options.schema,
      options: `-c search_path=${options.schema}`,
    },
  };
}

/** Creates the schema when missing, then applies pending migrations. */
export async function migrate(dataSource: DataSource, schema: string): Promise<string[]> {
  await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}

/**
 * The SQL that would bring the database in line with the entities. Empty when entities and
 * migrations agree; the drift test and the migration generator both use it.
 */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<{ up: string[]; down: string[] }> {
  const log = await dataSource.driver.createSchemaBuilder().log();
  return {
    up: log.upQueries.map((q) => q.query),
    down: log.downQueries.map((q) => q.query).reverse(),
  };
}

export { DataSource };

/** What each service's `database.ts` exports for the migration tool and the embedded default. */
export interface ServiceDatabase {
  schema: string;
  create(url: string, poolSize?: number): DataSource;
}
