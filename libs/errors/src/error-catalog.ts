/** One entry of a service's error catalogue: the HTTP status and both messages. */
export interface ErrorSpec {
  readonly status: number;
  readonly en: string;
  readonly zh: string;
}

export type ErrorCatalog = Readonly<Record<string, ErrorSpec>>;

/** The body every rejected request gets (see docs/architecture.md, "Errors"). */
export interface ErrorBody {
  code: string;
  message: string;
  messageZh: string;
  field?: string;
  details?: Record<string, unknown>;
  errorId?: string;
  requestId?: string;
  [extra: string]: unknown;
}

export interface RaiseOptions {
  field?: string;
  details?: Record<string, unknown>;
  /** Overrides the catalogue message when the situation needs a more precise text. */
  en?: string;
  zh?: string;
  /** Extra top-level fields of the error body (e.g. the photo audit's `checks`). */
  extra?: Record<string, unknown>;
}

/**
 * A refusal that belongs to the domain: carries a stable code from a service's catalogue.
 * Thrown by use cases; turned into the error body by the global filter.
 */
export class DomainException extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly messageZh: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainException';
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message, messageZh: this.messageZh };
    if (this.field !== undefined) body.field = this.field;
    if (this.details !== undefined) body.details = this.details;
    return this.extra ? { ...this.extra, ...body } : body;
  }
}

export type ErrorFactory<C extends ErrorCatalog> = {
  readonly catalog: C;
  error(code: keyof C & string, options?: RaiseOptions): DomainException;
  is(err: unknown, code: keyof C & string): boolean;
};

/** Declares a service's error codes once; `errors.error('CODE', { field })` builds the exception. */
export function defineErrors<const C extends ErrorCatalog>(catalog: C): ErrorFactory<C> {
  return {
    catalog,
    error(code, options = {}) {
      const spec = catalog[code];
      if (!spec) throw new Error(`unknown error code ${code}`);
      return new DomainException(
        code,
        spec.status,
        options.en ?? spec.en,
        options.zh ?? spec.zh,
        options.field,
        options.details,
        options.extra,
      );
    },
    is(err, code) {
      return err instanceof DomainException && err.code === code;
    },
  };
}

/** Codes shared by every service (transport-level refusals). */
export const CommonErrors = defineErrors({
  COMMON_VALIDATION_FAILED: { status: 400, en: 'The request is invalid.', zh: '请求参数不正确。' },
  COMMON_UNKNOWN_FIELD: { status: 400, en: 'The request contains an unknown field.', zh: '请求包含未知字段。' },
  COMMON_MALFORMED_BODY: { status: 400, en: 'The request body is not valid JSON.', zh: '请求体不是有效的 JSON。' },
  COMMON_UNAUTHENTICATED: { status: 401, en: 'Please log in first.', zh: '请先登录。' },
  COMMON_TOKEN_INVALID: { status: 401, en: 'The access token is invalid or expired.', zh: '访问令牌无效或已过期。' },
  COMMON_FORBIDDEN: { status: 403, en: 'You are not allowed to do this.', zh: '无权执行此操作。' },
  COMMON_NOT_FOUND: { status: 404, en: 'Not found.', zh: '未找到。' },
  COMMON_METHOD_NOT_ALLOWED: { status: 405, en: 'Method not allowed.', zh: '不支持该请求方法。' },
  COMMON_CONFLICT: { status: 409, en: 'The request conflicts with the current state.', zh: '请求与当前状态冲突。' },
  COMMON_PAYLOAD_TOO_LARGE: { status: 413, en: 'The request body is too large.', zh: '请求体过大。' },
  COMMON_UNSUPPORTED_MEDIA_TYPE: { status: 415, en: 'Unsupported content type.', zh: '不支持的内容类型。' },
  COMMON_RATE_LIMITED: { status: 429, en: 'Too many requests, please retry later.', zh: '请求过于频繁，请稍后再试。' },
  COMMON_BUSY: { status: 429, en: 'Many people are doing this right now; please retry after the time given in Retry-After.', zh: '当前办理人数较多，请按提示的时间后重试。' },
  COMMON_INTERNAL: { status: 500, en: 'An unexpected error occurred.', zh: '系统发生未预期的错误。' },
  COMMON_UPSTREAM_UNAVAILABLE: { status: 503, en: 'The service is temporarily unavailable.', zh: '服务暂时不可用。' },
});
