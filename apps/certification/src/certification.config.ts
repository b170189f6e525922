import { IsInt, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';
import { PlatformConfig } from '@certhub/config';

export class CertificationConfig extends PlatformConfig {
  override PORT: number = 3104;

  /**
   * The identity service: the caller's profile (conditions), the basic info library (records
   * copied into an application) and the institution directory. The caller's token is forwarded
   * (ADR 0013).
   */
  @IsUrl({ require_tld: false, require_protocol: true })
  IDENTITY_SERVICE_URL: string = 'http://127.0.0.1:3101';

  /** How long a call to the identity service may take before the request answers 503. */
  @IsInt()
  @Min(100)
  @Max(30_000)
  CALL_TIMEOUT_MS: number = 5000;

  /** Database connections of this process. */
  @IsInt()
  @Min(2)
  @Max(200)
  DATABASE_POOL_SIZE: number = 10;

  /** Largest request body in bytes (an application form or one record is a few KB). */
  @IsInt()
  @Min(4096)
  @Max(1024 * 1024)
  BODY_LIMIT_BYTES: number = 64 * 1024;

  /**
   * Largest file a person may upload as a case's attachment (e.g. the transfer's reason file), in
   * bytes. Raw uploads may be 1 MiB larger at the HTTP layer so that a file just over the limit
   * gets `CERT_ATTACHMENT_TOO_LARGE`; the gateway forwards at most 8 MiB.
   */
  @IsInt()
  @Min(1024)
  @Max(7 * 1024 * 1024)
  ATTACHMENT_MAX_BYTES: number = 5 * 1024 * 1024;

  /** Files one person may upload in 24 hours (storage is not a free-for-all). */
  @IsInt()
  @Min(1)
  @Max(10_000)
  ATTACHMENTS_PER_DAY: number = 50;

  /**
   * Days an upload that no case's form names is kept (a person uploads a file, then names it in a
   * form; one that was never named is deleted after this many days, as are its contents).
   */
  @IsInt()
  @Min(1)
  @Max(365)
  ATTACHMENT_UNUSED_DAYS: number = 7;

  /** Open (not yet decided) registration applications one person may have at once. */
  @IsInt()
  @Min(1)
  @Max(100)
  MAX_OPEN_APPLICATIONS: number = 10;

  /** Records of one kind (education, work …) one application may hold. */
  @IsInt()
  @Min(1)
  @Max(500)
  MAX_RECORDS_PER_KIND: number = 50;

  /** Service catalogue deadline of a registration application (CE-3), in working days; the applicant's rectification time does not count. */
  @IsInt()
  @Min(1)
  @Max(200)
  APPLICATION_DEADLINE_WORKING_DAYS: number = 15;

  /** Working days a review task of the application is due in, and more before it escalates to the admins. */
  @IsInt()
  @Min(1)
  @Max(60)
  APPLICATION_REVIEW_WORKING_DAYS: number = 5;

  @IsInt()
  @Min(1)
  @Max(60)
  APPLICATION_ESCALATION_WORKING_DAYS: number = 3;

  /** Days the applicant has to pay the registration fee. */
  @IsInt()
  @Min(1)
  @Max(90)
  APPLICATION_FEE_DUE_DAYS: number = 15;

  /** CE-4: a certificate may be confirmed once it expires within this many days (or has expired). */
  @IsInt()
  @Min(1)
  @Max(366)
  CONFIRMATION_WINDOW_DAYS: number = 90;

  /** Open review cases (CE-4 … CE-8) of one kind one person may have at once. */
  @IsInt()
  @Min(1)
  @Max(100)
  MAX_OPEN_REVIEW_CASES: number = 10;

  /**
   * Days a case (application or review case) returned for rectification waits for the applicant's resubmit; then it is deemed
   * withdrawn (逾期未整改视为撤回, milestone `expired`). 0: it waits indefinitely. Applies to
   * applications submitted after a change (it is part of the workflow's input).
   */
  @IsInt()
  @Min(0)
  @Max(365)
  RECTIFICATION_DAYS: number = 30;

  /** Extra official calendars (`<year>.json`) beyond the ones shipped. */
  @IsOptional()
  @IsString()
  WORKDAYS_CALENDAR_DIR?: string;
}
