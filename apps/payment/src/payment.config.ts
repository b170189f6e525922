import { randomBytes } from 'node:crypto';
import { IsInt, IsOptional, IsString, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { PlatformConfig } from '@certhub/config';

export class PaymentConfig extends PlatformConfig {
  override PORT: number = 3103;

  /**
   * Shared secret of the sandbox provider's notification signatures (HMAC-SHA256). Generated for
   * the embedded default into the git-ignored data folder; never committed. Required in
   * production; elsewhere a missing one is replaced by a random secret of this process (enough
   * when the same process sends and receives, e.g. another service's tests starting this one).
   */
  @ValidateIf((c: PaymentConfig) => c.CERTHUB_PROFILE === 'production' || c.PAYMENT_SANDBOX_NOTIFY_SECRET !== undefined)
  @IsString()
  @MinLength(32)
  PAYMENT_SANDBOX_NOTIFY_SECRET?: string;

  /** Where the sandbox sends its notifications; default: this service's own notify endpoint. */
  @IsOptional()
  @IsString()
  PAYMENT_SANDBOX_NOTIFY_URL?: string;

  /** Prefix of the pay page URL handed to the browser (default: relative, through the gateway). */
  @IsString()
  PAYMENT_SANDBOX_PAY_BASE_URL: string = '';

  /** Accepted clock difference of a notification's timestamp (seconds). */
  @IsInt()
  @Min(30)
  @Max(3600)
  PAYMENT_NOTIFY_WINDOW_SECONDS: number = 300;

  /** How often the sandbox's notification sender looks for due notifications (ms). */
  @IsInt()
  @Min(20)
  PAYMENT_SANDBOX_SEND_INTERVAL_MS: number = 200;

  /** How often pending payments are reconciled with the provider (ms). */
  @IsInt()
  @Min(1000)
  PAYMENT_RECONCILE_INTERVAL_MS: number = 30_000;

  /** Payments open for longer than this are queried at the provider by reconciliation (seconds). */
  @IsInt()
  @Min(0)
  PAYMENT_RECONCILE_PENDING_AFTER_SECONDS: number = 60;

  /**
   * How often the deadline pass expires the due pending orders from the database (ms; ADR 0014).
   * The lateness of an expiry is at most about this long, whatever the Temporal server's backlog.
   * 0 turns the pass off (the workflows alone keep the deadlines; for measurements).
   */
  @IsInt()
  @Min(0)
  @Max(60_000)
  PAYMENT_DEADLINE_PASS_INTERVAL_MS: number = 500;

  /** Due orders expired per transaction of the deadline pass. */
  @IsInt()
  @Min(1)
  @Max(5000)
  PAYMENT_DEADLINE_PASS_BATCH: number = 500;

  /** Due orders with an open payment settled at the provider at a time by the deadline pass. */
  @IsInt()
  @Min(1)
  @Max(256)
  PAYMENT_DEADLINE_PASS_PROVIDER_CONCURRENCY: number = 8;

  /** Deadline workflows started at a time by the starter (each start is one call to Temporal). */
  @IsInt()
  @Min(1)
  @Max(256)
  PAYMENT_WORKFLOW_START_CONCURRENCY: number = 32;

  /** Largest accepted payment voucher (image or PDF) in bytes; also the request body limit of the service. */
  @IsInt()
  @Min(1024)
  @Max(8 * 1024 * 1024)
  PAYMENT_VOUCHER_MAX_BYTES: number = 5 * 1024 * 1024;

  /** The sandbox notification secret; outside production a missing one is generated once per process. */
  get notifySecret(): string {
    this.PAYMENT_SANDBOX_NOTIFY_SECRET ??= randomBytes(32).toString('base64url');
    return this.PAYMENT_SANDBOX_NOTIFY_SECRET;
  }
}
