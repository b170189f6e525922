import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { runWithContext } from '@certhub/logging';
import type { Caller } from './access-token';

/** Runs the handler inside the request's logging context (request, correlation and actor ids). */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; caller?: Caller }>();
    const requestId = request.headers['x-request-id'];
    const ctx = {
      requestId,
      correlationId: request.headers['x-correlation-id'] ?? requestId ?? 'none',
      actorId: request.caller?.sub,
    };
    return new Observable((subscriber) => runWithContext(ctx, () => next.handle().subscribe(subscriber)));
  }
}
