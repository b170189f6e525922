import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

export const PROFILES = ['embedded', 'dev', 'test', 'production'] as const;
export type Profile = (typeof PROFILES)[number];

const splitList = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;

/** Settings every service shares; each service extends it with its own. */
export class PlatformConfig {
  @IsIn(PROFILES)
  CERTHUB_PROFILE: Profile = 'production';

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';

  @IsString()
  @IsNotEmpty()
  DATABASE_URL!: string;

  @Transform(splitList)
  @IsString({ each: true })
  KAFKA_BROKERS: string[] = ['127.0.0.1:9092'];

  /** Appended to Kafka consumer group ids, so deployments sharing a broker keep apart (tests set `.test`). */
  @IsString()
  KAFKA_GROUP_SUFFIX: string = '';

  @IsString()
  TEMPORAL_ADDRESS: string = '127.0.0.1:7233';

  @IsString()
  TEMPORAL_NAMESPACE: string = 'default';

  /** Signs access tokens; the gateway and every service verify them. */
  @IsString()
  @MinLength(32)
  CERTHUB_JWT_SECRET!: string;

  @IsString()
  HOST: string = '127.0.0.1';

  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 0;

  /** Run the service's Temporal worker in the same process as its HTTP server. */
  @IsIn(['true', 'false'])
  RUN_WORKER: 'true' | 'false' = 'true';

  @IsOptional()
  @IsString()
  WORKFLOW_BUNDLE_DIR?: string;

  get sandboxEnabled(): boolean {
    return this.CERTHUB_PROFILE !== 'production';
  }
}
