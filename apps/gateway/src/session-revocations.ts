import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { IdentityTopics, validateEvent, type EventEnvelope, type SessionRevokedV1 } from '@certhub/contracts';
import type { Logger } from '@certhub/logging';

/**
 * Sessions that ended before their access tokens expire (`identity.session.revoked.v1`: logout,
 * a reused refresh token, a password change or recovery). Access tokens are verified by their
 * signature alone everywhere but in identity; the gateway, which every client request passes,
 * refuses the tokens of these sessions too. A revocation is remembered as long as a token of
 * the session can still be valid (the access-token lifetime), then forgotten.
 */
export class SessionRevocations {
  /** Session id → when its last token expires at the latest (ms). */
  private readonly revoked = new Map<string, number>();
  private lastPrune = 0;

  constructor(private readonly rememberMs: number) {}

  get size(): number {
    return this.revoked.size;
  }

  apply(event: SessionRevokedV1, now = Date.now()): void {
    const until = Date.parse(event.revokedAt) + this.rememberMs;
    if (!(until > now)) return;
    for (const sid of event.sessionIds) {
      if ((this.revoked.get(sid) ?? 0) < until) this.revoked.set(sid, until);
    }
  }

  isRevoked(sessionId: string | undefined, now = Date.now()): boolean {
    if (now - this.lastPrune > 60_000) this.prune(now);
    if (!sessionId) return false;
    const until = this.revoked.get(sessionId);
    return until !== undefined && until > now;
  }

  private prune(now: number): void {
    this.lastPrune = now;
    for (const [sid, until] of this.revoked) if (until <= now) this.revoked.delete(sid);
  }
}

/**
 * Reads `identity.session.revoked.v1` from the beginning into `revocations` with a consumer group
 * of its own (every gateway instance needs every revocation), and keeps following it. Resolves
 * once it has caught up with what was on the topic at start, or after `catchUpMs` (logged).
 */
export async function followSessionRevocations(
  kafka: Kafka,
  revocations: SessionRevocations,
  logger: Logger,
  catchUpMs = 10_000,
): Promise<{ stop: () => Promise<void> }> {
  const topic = IdentityTopics.SessionRevoked;
  const admin = kafka.admin();
  await admin.connect();
  let targets: Map<number, bigint>;
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }).catch(() => false);
    targets = new Map((await admin.fetchTopicOffsets(topic)).filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const consumer: Consumer = kafka.consumer({ groupId: `gateway.session-revocations.${randomUUID()}`, sessionTimeout: 30_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const reached = new Map<number, bigint>();
  let caughtUp!: () => void;
  const done = new Promise<void>((resolve) => (caughtUp = resolve));
  const check = () => {
    if ([...targets].every(([p, high]) => (reached.get(p) ?? 0n) >= high)) caughtUp();
  };
  check();
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        let value: unknown;
        try {
          value = JSON.parse(message.value?.toString('utf8') ?? 'null');
        } catch {
          continue;
        }
        const valid = validateEvent(topic, value);
        if (!valid.ok) {
          logger.warn('ignoring an invalid session revocation', { offset: message.offset, error: valid.error });
          continue;
        }
        revocations.apply((value as EventEnvelope<SessionRevokedV1>).data);
      }
      reached.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
      check();
    },
  });
  const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), catchUpMs).unref());
  if ((await Promise.race([done.then(() => 'ok' as const), timer])) === 'late') {
    logger.warn('session revocations not caught up yet; following on', { known: revocations.size });
  }
  return { stop: () => consumer.disconnect() };
}
