import { IsInt, IsString, IsUrl, Max, Min } from 'class-validator';
import { PlatformConfig } from '@certhub/config';

export class ExamConfig extends PlatformConfig {
  override PORT: number = 3102;

  /** The payment service (order cancel, ST-3); the candidate's token is forwarded. */
  @IsUrl({ require_tld: false, require_protocol: true })
  PAYMENT_SERVICE_URL: string = 'http://127.0.0.1:3103';

  /** The identity service (the caller's profile for the info step and the personal invoice title). */
  @IsUrl({ require_tld: false, require_protocol: true })
  IDENTITY_SERVICE_URL: string = 'http://127.0.0.1:3101';

  /** How long a call to the payment service may take (payment or identity) may take before the request answers 503. */
  @IsInt()
  @Min(100)
  @Max(30_000)
  CALL_TIMEOUT_MS: number = 5000;

  /** The availability snapshot of a period is refreshed at most this often (one query each time). */
  @IsInt()
  @Min(50)
  @Max(10_000)
  AVAILABILITY_REFRESH_MS: number = 500;

  /** How often the server-sent availability stream looks at the snapshot for changes. */
  @IsInt()
  @Min(100)
  @Max(60_000)
  AVAILABILITY_STREAM_INTERVAL_MS: number = 1000;

  /** Database connections of this process (the order hot path holds one per request in flight). */
  @IsInt()
  @Min(2)
  @Max(200)
  DATABASE_POOL_SIZE: number = 20;

  /** Shown on the candidate notice (考生须知) step; informative only. */
  @IsString()
  NOTICE_VERSION: string = '2021-2';
}
