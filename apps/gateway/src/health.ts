import { Connection } from '@temporalio/client';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Client as PgClient } from 'pg';
import { request } from 'undici';
import type { GatewayConfig } from './gateway.config';

export interface ComponentHealth {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<ComponentHealth> {
  const started = performance.now();
  try {
    await withTimeout(check(), timeoutMs);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err) };
  }
}

/** `/api/v1/health`: every service, Postgres, Kafka and Temporal, each answered for itself. */
export class HealthChecker {
  private admin?: Admin;
  private temporal?: Connection;

  constructor(private readonly config: GatewayConfig) {}

  private async kafkaAdmin(): Promise<Admin> {
    if (!this.admin) {
      const kafka = new Kafka({ clientId: 'gateway-health', brokers: this.config.KAFKA_BROKERS, logLevel: logLevel.NOTHING, connectionTimeout: 1500, retry: { retries: 0 } });
      const admin = kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  private async temporalConnection(): Promise<Connection> {
    this.temporal ??= await Connection.connect({ address: this.config.TEMPORAL_ADDRESS, connectTimeout: 1500 });
    return this.temporal;
  }

  async check(timeoutMs = 2500) {
    const services = Object.entries(this.config.SERVICE_URLS);
    const [postgres, kafka, temporal, ...serviceResults] = await Promise.all([
      probe(async () => {
        const client = new PgClient({ connectionString: this.config.DATABASE_URL, connectionTimeoutMillis: 1500 });
        try {
          await client.connect();
          await client.query('SELECT 1');
        } finally {
          await client.end().catch(() => undefined);
        }
      }, timeoutMs),
      probe(async () => {
        try {
          await (await this.kafkaAdmin()).describeCluster();
        } catch (err) {
          await this.admin?.disconnect().catch(() => undefined);
          this.admin = undefined;
          throw err;
        }
      }, timeoutMs),
      probe(async () => {
        const connection = await this.temporalConnection();
        await connection.workflowService.getSystemInfo({});
      }, timeoutMs),
      ...services.map(([, url]) =>
        probe(async () => {
          const res = await request(`${url}/internal/health`, { headersTimeout: timeoutMs });
          const text = await res.body.text();
          if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`);
        }, timeoutMs),
      ),
    ]);
    const serviceHealth = Object.fromEntries(services.map(([name], i) => [name, serviceResults[i]!]));
    const components = { postgres, kafka, temporal };
    const all = [...Object.values(components), ...Object.values(serviceHealth)];
    return {
      status: all.every((c) => c.status === 'up') ? ('up' as const) : ('down' as const),
      checkedAt: new Date().toISOString(),
      services: { gateway: { status: 'up' as const, latencyMs: 0 }, ...serviceHealth },
      ...components,
    };
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    await this.temporal?.close().catch(() => undefined);
  }
}
