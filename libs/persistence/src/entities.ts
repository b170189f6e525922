import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An event waiting to be published. Written in the same transaction as the state change it
 * describes; the relay publishes rows in id order and stamps `sentAt` after Kafka acknowledged.
 */
@Entity({ name: 'outbox_message' })
@Index('ix_outbox_message_unsent', ['id'], { where: '"sent_at" IS NULL' })
export class OutboxMessage {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column({ type: 'uuid', name: 'event_id', unique: true })
  eventId!: string;

  @Column({ type: 'text' })
  topic!: string;

  /** Kafka key: the aggregate id (never personal data). */
  @Column({ type: 'text', name: 'message_key' })
  messageKey!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'sent_at', nullable: true })
  sentAt!: Date | null;
}

/** Inbox of an idempotent consumer: one row per (consumer group, event) already handled. */
@Entity({ name: 'processed_event' })
export class ProcessedEvent {
  @PrimaryColumn({ type: 'text', name: 'consumer_group' })
  consumerGroup!: string;

  @PrimaryColumn({ type: 'uuid', name: 'event_id' })
  eventId!: string;

  @Column({ type: 'text' })
  topic!: string;

  @CreateDateColumn({ type: 'timestamptz', name: 'processed_at' })
  processedAt!: Date;
}

/** Business numbers: one counter row per hour (`yyyyMMddHH`), incremented atomically. */
@Entity({ name: 'business_number_counter' })
export class BusinessNumberCounter {
  @PrimaryColumn({ type: 'char', length: 10 })
  hour!: string;

  @Column({ type: 'int' })
  seq!: number;
}

export const PLATFORM_ENTITIES = [OutboxMessage, ProcessedEvent, BusinessNumberCounter];
