import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  MethodNotAllowedException,
  NotFoundException,
  PayloadTooLargeException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
  type ArgumentsHost,
} from '@nestjs/common';
import { errorCodes } from 'fastify';
import { CommonErrors, defineErrors } from './error-catalog';
import { HttpErrorFilter, toErrorBody, type ErrorReporter } from './http-error.filter';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

class RecordingReporter implements ErrorReporter {
  readonly calls: Array<{ message: string; meta: Record<string, unknown> }> = [];
  error(message: string, meta: Record<string, unknown>): void {
    this.calls.push({ message, meta });
  }
}

const common = (code: Parameters<typeof CommonErrors.error>[0]) => CommonErrors.error(code).toBody();

describe('toErrorBody: domain exceptions', () => {
  const Errors = defineErrors({
    EXAM_SEAT_TAKEN: { status: 409, en: 'The seat is taken.', zh: '座位已被占用。' },
  });

  it('uses the status and body of a DomainException and reports nothing', () => {
    const reporter = new RecordingReporter();
    const result = toErrorBody(Errors.error('EXAM_SEAT_TAKEN', { field: 'seat', details: { seat: 'A-12' } }), reporter);
    assert.deepEqual(result, {
      status: 409,
      body: {
        code: 'EXAM_SEAT_TAKEN',
        message: 'The seat is taken.',
        messageZh: '座位已被占用。',
        field: 'seat',
        details: { seat: 'A-12' },
      },
    });
    assert.equal(reporter.calls.length, 0);
  });

  it('keeps the extra fields of a DomainException', () => {
    const { body } = toErrorBody(Errors.error('EXAM_SEAT_TAKEN', { extra: { alternatives: ['A-13'] } }));
    assert.deepEqual(body.alternatives, ['A-13']);
    assert.equal(body.code, 'EXAM_SEAT_TAKEN');
  });
});

describe('toErrorBody: Nest HttpExceptions', () => {
  const cases: Array<[string, HttpException, number, Parameters<typeof CommonErrors.error>[0]]> = [
    ['BadRequestException', new BadRequestException(['name must be a string']), 400, 'COMMON_VALIDATION_FAILED'],
    ['UnauthorizedException', new UnauthorizedException(), 401, 'COMMON_UNAUTHENTICATED'],
    ['ForbiddenException', new ForbiddenException(), 403, 'COMMON_FORBIDDEN'],
    ['NotFoundException', new NotFoundException('Cannot GET /api/v1/nope'), 404, 'COMMON_NOT_FOUND'],
    ['MethodNotAllowedException', new MethodNotAllowedException(), 405, 'COMMON_METHOD_NOT_ALLOWED'],
    ['ConflictException', new ConflictException(), 409, 'COMMON_CONFLICT'],
    ['PayloadTooLargeException', new PayloadTooLargeException(), 413, 'COMMON_PAYLOAD_TOO_LARGE'],
    ['UnsupportedMediaTypeException', new UnsupportedMediaTypeException(), 415, 'COMMON_UNSUPPORTED_MEDIA_TYPE'],
    ['HttpException(429)', new HttpException('Too Many Requests', HttpStatus.TOO_MANY_REQUESTS), 429, 'COMMON_RATE_LIMITED'],
  ];
  for (const [name, exception, status, code] of cases) {
    it(`${name} → ${status} ${code}`, () => {
      const reporter = new RecordingReporter();
      assert.deepEqual(toErrorBody(exception, reporter), { status, body: common(code) });
      assert.equal(reporter.calls.length, 0);
    });
  }

  it('NotFoundException body is the catalogue text, not Nest’s message', () => {
    const { body } = toErrorBody(new NotFoundException('Cannot GET /api/v1/nope'));
    assert.deepEqual(body, { code: 'COMMON_NOT_FOUND', message: 'Not found.', messageZh: '未找到。' });
  });

  it('passes an HttpException whose response already is an error body through unchanged', () => {
    const response = { code: 'IDENTITY_LOCKED', message: 'Locked.', messageZh: '已锁定。', details: { until: '2024-01-01T00:00:00Z' } };
    const result = toErrorBody(new HttpException(response, 423));
    assert.equal(result.status, 423);
    assert.deepEqual(result.body, response);
  });

  it('does not pass through a response object that lacks messageZh', () => {
    const result = toErrorBody(new HttpException({ code: 'X', message: 'only english' }, 403));
    assert.deepEqual(result, { status: 403, body: common('COMMON_FORBIDDEN') });
  });
});

describe('toErrorBody: fastify errors', () => {
  it('FST_ERR_CTP_INVALID_MEDIA_TYPE → 415 COMMON_UNSUPPORTED_MEDIA_TYPE', () => {
    const err = new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('text/plain');
    assert.equal(err.code, 'FST_ERR_CTP_INVALID_MEDIA_TYPE');
    assert.deepEqual(toErrorBody(err), { status: 415, body: common('COMMON_UNSUPPORTED_MEDIA_TYPE') });
  });

  it('FST_ERR_CTP_BODY_TOO_LARGE → 413 COMMON_PAYLOAD_TOO_LARGE', () => {
    const err = new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    assert.deepEqual(toErrorBody(err), { status: 413, body: common('COMMON_PAYLOAD_TOO_LARGE') });
  });

  it('FST_ERR_CTP_INVALID_JSON_BODY → 400 COMMON_MALFORMED_BODY', () => {
    const err = new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
    assert.deepEqual(toErrorBody(err), {
      status: 400,
      body: { code: 'COMMON_MALFORMED_BODY', message: 'The request body is not valid JSON.', messageZh: '请求体不是有效的 JSON。' },
    });
  });

  it('a JSON SyntaxError → 400 COMMON_MALFORMED_BODY', () => {
    let syntaxError: unknown;
    try {
      JSON.parse('{"a":');
    } catch (err) {
      syntaxError = err;
    }
    assert.ok(syntaxError instanceof SyntaxError);
    assert.deepEqual(toErrorBody(syntaxError), { status: 400, body: common('COMMON_MALFORMED_BODY') });
  });

  it('matches fastify errors by code, not by class', () => {
    const lookalike = Object.assign(new Error('Unsupported Media Type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 });
    assert.equal(toErrorBody(lookalike).status, 415);
  });

  it('another fastify 4xx keeps its status: 404 → COMMON_NOT_FOUND, unmapped 4xx → COMMON_VALIDATION_FAILED', () => {
    assert.deepEqual(toErrorBody(Object.assign(new Error('Route not found'), { statusCode: 404 })), { status: 404, body: common('COMMON_NOT_FOUND') });
    // An empty body announced as JSON is a malformed body, like invalid JSON.
    assert.deepEqual(toErrorBody(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY()), { status: 400, body: common('COMMON_MALFORMED_BODY') });
    assert.deepEqual(toErrorBody(Object.assign(new Error('x'), { statusCode: 422 })), { status: 422, body: common('COMMON_VALIDATION_FAILED') });
  });
});

describe('toErrorBody: Fastify errors wrapped by Nest', () => {
  it('unwraps an HttpException whose cause is a Fastify error', () => {
    const wrapped = new HttpException('Body is not valid JSON', 400, { cause: new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY() });
    assert.deepEqual(toErrorBody(wrapped), { status: 400, body: common('COMMON_MALFORMED_BODY') });
  });
});

describe('toErrorBody: unexpected errors', () => {
  it('→ 500 COMMON_INTERNAL with an errorId, reported once with the same errorId and the error', () => {
    const reporter = new RecordingReporter();
    const err = new TypeError("Cannot read properties of undefined (reading 'id')");
    const { status, body } = toErrorBody(err, reporter);
    assert.equal(status, 500);
    assert.equal(body.code, 'COMMON_INTERNAL');
    assert.equal(body.message, 'An unexpected error occurred.');
    assert.equal(body.messageZh, '系统发生未预期的错误。');
    assert.match(body.errorId!, UUID);
    assert.deepEqual(Object.keys(body).sort(), ['code', 'errorId', 'message', 'messageZh']);
    assert.equal(reporter.calls.length, 1);
    assert.equal(reporter.calls[0]!.message, 'unexpected error');
    assert.equal(reporter.calls[0]!.meta.errorId, body.errorId);
    assert.equal(reporter.calls[0]!.meta.err, err);
  });

  it('never exposes the internal message in the body', () => {
    const { body } = toErrorBody(new Error('password column missing in SELECT'));
    assert.ok(!JSON.stringify(body).includes('password column'));
  });

  it('gives every unexpected error its own errorId', () => {
    const a = toErrorBody(new Error('a')).body.errorId;
    const b = toErrorBody(new Error('a')).body.errorId;
    assert.notEqual(a, b);
  });

  it('handles thrown non-errors (string, undefined, null) and 5xx status codes as 500', () => {
    for (const thrown of ['boom', undefined, null, 42, Object.assign(new Error('bad gateway'), { statusCode: 502 })]) {
      const reporter = new RecordingReporter();
      const { status, body } = toErrorBody(thrown, reporter);
      assert.equal(status, 500, String(thrown));
      assert.equal(body.code, 'COMMON_INTERNAL');
      assert.equal(reporter.calls.length, 1);
      assert.equal(reporter.calls[0]!.meta.err, thrown);
    }
  });

  it('works without a reporter', () => {
    assert.equal(toErrorBody(new Error('x')).status, 500);
  });
});

describe('HttpErrorFilter', () => {
  function fakeHost(headers: Record<string, string | string[] | undefined>) {
    const sent: { status?: number; headers: Array<[string, string]>; body?: unknown } = { headers: [] };
    const reply = {
      status(code: number) {
        sent.status = code;
        return {
          header(k: string, v: string) {
            sent.headers.push([k, v]);
            return {
              send(body: unknown) {
                sent.body = body;
              },
            };
          },
        };
      },
    };
    const host = {
      switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ headers }) }),
    } as unknown as ArgumentsHost;
    return { host, sent };
  }

  it('sends the status, a JSON content type and the body with the request id', () => {
    const { host, sent } = fakeHost({ 'x-request-id': 'req-42' });
    new HttpErrorFilter().catch(new NotFoundException(), host);
    assert.equal(sent.status, 404);
    assert.deepEqual(sent.headers, [['content-type', 'application/json; charset=utf-8']]);
    assert.deepEqual(sent.body, { ...common('COMMON_NOT_FOUND'), requestId: 'req-42' });
  });

  it('omits requestId when the header is missing or repeated', () => {
    for (const headers of [{}, { 'x-request-id': ['a', 'b'] }]) {
      const { host, sent } = fakeHost(headers);
      new HttpErrorFilter().catch(new ForbiddenException(), host);
      assert.deepEqual(sent.body, common('COMMON_FORBIDDEN'));
    }
  });

  it('reports unexpected errors through its reporter and sends the errorId', () => {
    const reporter = new RecordingReporter();
    const { host, sent } = fakeHost({ 'x-request-id': 'req-7' });
    new HttpErrorFilter(reporter).catch(new Error('db down'), host);
    assert.equal(sent.status, 500);
    const body = sent.body as { errorId: string; requestId: string; code: string };
    assert.equal(body.code, 'COMMON_INTERNAL');
    assert.equal(body.requestId, 'req-7');
    assert.equal(reporter.calls.length, 1);
    assert.equal(reporter.calls[0]!.meta.errorId, body.errorId);
  });
});
