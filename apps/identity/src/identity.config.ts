import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { PlatformConfig } from '@certhub/config';

export class IdentityConfig extends PlatformConfig {
  override PORT: number = 3101;

  /** Access-token lifetime in seconds. */
  @IsInt()
  @Min(60)
  @Max(3600)
  ACCESS_TOKEN_TTL_SECONDS: number = 900;

  @IsInt()
  @Min(3600)
  REFRESH_TOKEN_TTL_SECONDS: number = 7 * 24 * 3600;

  /** Failed logins before the account locks (ID-8). */
  @IsInt()
  @Min(3)
  @Max(20)
  LOGIN_MAX_FAILURES: number = 5;

  @IsInt()
  @Min(60)
  LOGIN_LOCK_SECONDS: number = 15 * 60;

  /** ID-4: a code lives 2 minutes and a phone gets one code per 2 minutes. */
  @IsInt()
  @Min(30)
  SMS_CODE_TTL_SECONDS: number = 120;

  @IsInt()
  @Min(30)
  SMS_RESEND_SECONDS: number = 120;

  @IsInt()
  @Min(1)
  SMS_MAX_ATTEMPTS: number = 5;

  @IsInt()
  @Min(30)
  CAPTCHA_TTL_SECONDS: number = 300;

  /** scrypt cost (N = 2^cost). 15 takes ~50–100 ms on this machine's cores. */
  @IsInt()
  @Min(10)
  @Max(20)
  PASSWORD_HASH_COST: number = 15;

  @IsInt()
  @Min(1)
  VERIFICATION_PROOF_WAIT_DAYS: number = 30;

  /** Working days the staff review task is due in (workbench inbox). */
  @IsInt()
  @Min(1)
  VERIFICATION_REVIEW_WORKING_DAYS: number = 3;

  /** Working days after the due date before the review escalates to the supervisors. */
  @IsInt()
  @Min(0)
  VERIFICATION_ESCALATION_WORKING_DAYS: number = 2;

  /** Service catalogue deadline of a verification case, in working days (applicant's time paused). */
  @IsInt()
  @Min(1)
  VERIFICATION_DEADLINE_WORKING_DAYS: number = 5;

  /** Extra official calendars (`<year>.json`) beyond the ones shipped. */
  @IsOptional()
  @IsString()
  WORKDAYS_CALENDAR_DIR?: string;
}
