import { randomUUID } from 'node:crypto';
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { CommonErrors, DomainException, type ErrorBody } from './error-catalog';

export interface ErrorReporter {
  error(message: string, meta: Record<string, unknown>): void;
}

const STATUS_CODES: Record<number, Parameters<typeof CommonErrors.error>[0]> = {
  400: 'COMMON_VALIDATION_FAILED',
  401: 'COMMON_UNAUTHENTICATED',
  403: 'COMMON_FORBIDDEN',
  404: 'COMMON_NOT_FOUND',
  405: 'COMMON_METHOD_NOT_ALLOWED',
  409: 'COMMON_CONFLICT',
  413: 'COMMON_PAYLOAD_TOO_LARGE',
  415: 'COMMON_UNSUPPORTED_MEDIA_TYPE',
  422: 'COMMON_VALIDATION_FAILED',
  429: 'COMMON_RATE_LIMITED',
  502: 'COMMON_UPSTREAM_UNAVAILABLE',
  503: 'COMMON_UPSTREAM_UNAVAILABLE',
  504: 'COMMON_UPSTREAM_UNAVAILABLE',
};

/** Maps anything thrown by a handler to the stable error body; only unexpected errors are logged. */
export function toErrorBody(err: unknown, reporter?: ErrorReporter): { status: number; body: ErrorBody } {
  if (err instanceof DomainException) return { status: err.status, body: err.toBody() };
  // Nest wraps Fastify's own errors (body parsing, media type, size) in an HttpException.
  const cause = err instanceof HttpException ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string' && cause.code.startsWith('FST_')) return toErrorBody(cause, reporter);
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    if (typeof response === 'object' && response !== null && 'code' in response && 'messageZh' in response) {
      return { status, body: response as ErrorBody };
    }
    const code = STATUS_CODES[status];
    if (code) return { status, body: CommonErrors.error(code).toBody() };
  }
  const fastifyError = err as { statusCode?: number; code?: string } | undefined;
  if (fastifyError?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, body: CommonErrors.error('COMMON_UNSUPPORTED_MEDIA_TYPE').toBody() };
  }
  if (fastifyError?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, body: CommonErrors.error('COMMON_PAYLOAD_TOO_LARGE').toBody() };
  }
  if (fastifyError?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastifyError?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) {
    return { status: 400, body: CommonErrors.error('COMMON_MALFORMED_BODY').toBody() };
  }
  if (fastifyError?.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const code = STATUS_CODES[fastifyError.statusCode] ?? 'COMMON_VALIDATION_FAILED';
    return { status: fastifyError.statusCode, body: CommonErrors.error(code).toBody() };
  }
  const errorId = randomUUID();
  reporter?.error('unexpected error', { errorId, err });
  return { status: 500, body: { ...CommonErrors.error('COMMON_INTERNAL').toBody(), errorId } };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly reporter?: ErrorReporter) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<{
      status(code: number): { header(k: string, v: string): { send(body: unknown): void } };
      request?: { id?: string };
    }>();
    const request = host.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const { status, body } = toErrorBody(exception, this.reporter);
    const requestId = request?.headers?.['x-request-id'];
    if (typeof requestId === 'string') body.requestId = requestId;
    reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

/**
 * The raw HTTP response for a request Node's parser rejects before any route runs (e.g. raw
 * non-ASCII bytes in the URL): the same error body as every other refusal, then the connection
 * closes.
 */
export function clientErrorResponse(): string {
  const body = JSON.stringify(
    CommonErrors.error('COMMON_VALIDATION_FAILED', {
      en: 'The request is malformed (percent-encode non-ASCII characters in the URL).',
      zh: '请求格式不正确（URL 中的非 ASCII 字符须进行百分号编码）。',
    }).toBody(),
  );
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
