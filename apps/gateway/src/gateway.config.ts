import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Min } from 'class-validator';
import { PlatformConfig } from '@certhub/config';

/** `name=http://127.0.0.1:3101,exam=http://…` → a map of service base URLs. */
const parseServices = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const out: Record<string, string> = {};
  for (const pair of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, url] = pair.split('=');
    if (name && url) out[name.trim()] = url.trim();
  }
  return out;
};

export class GatewayConfig extends PlatformConfig {
  override PORT: number = 3000;

  /** Base URL of every service, e.g. `identity=http://127.0.0.1:3101`. */
  @Transform(parseServices)
  SERVICE_URLS: Record<string, string> = {};

  /** Requests per client address per minute before `429` (token bucket). */
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_MINUTE: number = 600;

  @IsInt()
  @Min(1)
  RATE_LIMIT_BURST: number = 100;

  /** Addresses whose X-Forwarded-For is believed (comma-separated). */
  @IsString()
  TRUSTED_PROXIES: string = '127.0.0.1,::1,::ffff:127.0.0.1';

  @IsInt()
  @Min(100)
  UPSTREAM_TIMEOUT_MS: number = 30000;

  /** Registration requests in flight at once (ST-6, admission control); more wait in line. */
  @IsInt()
  @Min(1)
  ADMISSION_CONCURRENCY: number = 64;

  /** Registration requests waiting in line; beyond it `429` with Retry-After at once. */
  @IsInt()
  @Min(0)
  ADMISSION_QUEUE: number = 512;

  /** Longest expected wait in line: a request that would wait longer gets `429` with Retry-After at once. */
  @IsInt()
  @Min(1)
  ADMISSION_MAX_WAIT_MS: number = 1000;

  /** A request still in line after this long gets `429` after all (the services behind stalled). */
  @IsInt()
  @Min(1)
  ADMISSION_GIVE_UP_MS: number = 10_000;

  /** How long an access token lives (identity's ACCESS_TOKEN_TTL_SECONDS): how long a revoked session is remembered. */
  @IsInt()
  @Min(60)
  ACCESS_TOKEN_TTL_SECONDS: number = 900;

  /** Refuse the tokens of sessions identity revoked (`identity.session.revoked.v1`). */
  @IsIn(['true', 'false'])
  FOLLOW_SESSION_REVOCATIONS: 'true' | 'false' = 'true';

  @IsOptional()
  @IsString()
  CERTHUB_VERSION?: string;
}
