import {
  createParamDecorator,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CommonErrors } from '@certhub/errors';
import { currentContext } from '@certhub/logging';
import { verifyAccessToken, type Caller } from './access-token';

export const PUBLIC_ROUTE = 'certhub:public';
export const REQUIRED_ROLES = 'certhub:roles';
export const ACCOUNT_TYPES = 'certhub:account-types';

/** The route needs no login (registration, login, public queries). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
/** The caller must hold at least one of the roles. */
export const RequireRoles = (...roles: string[]) => SetMetadata(REQUIRED_ROLES, roles);
/** The caller's account must be of one of these types (personal matters vs. institution matters). */
export const RequireAccountType = (...types: Caller['accountType'][]) => SetMetadata(ACCOUNT_TYPES, types);

export const JWT_SECRET = Symbol('JWT_SECRET');

interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  caller?: Caller;
}

/**
 * Every service authenticates every request itself: the access token is verified again here
 * even though the gateway already did, so a request that bypasses the gateway gains nothing.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly secret: string,
    /** Optional check that the token's session was not revoked (logout, password change). */
    private readonly sessionIsLive?: (caller: Caller) => Promise<boolean>,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthRequest>();
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets);
    const header = request.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (token) {
      const check = verifyAccessToken(token, this.secret);
      if (check.ok) {
        const { iat: _iat, exp: _exp, iss: _iss, ...caller } = check.claims;
        request.caller = caller;
      } else if (!isPublic) {
        throw CommonErrors.error('COMMON_TOKEN_INVALID');
      }
    }
    if (isPublic) return true;
    if (!request.caller) throw CommonErrors.error('COMMON_UNAUTHENTICATED');
    if (this.sessionIsLive && !(await this.sessionIsLive(request.caller))) throw CommonErrors.error('COMMON_TOKEN_INVALID');
    const types = this.reflector.getAllAndOverride<Caller['accountType'][] | undefined>(ACCOUNT_TYPES, targets);
    if (types && !types.includes(request.caller.accountType)) throw CommonErrors.error('COMMON_FORBIDDEN');
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, targets);
    if (roles && !roles.some((r) => request.caller?.roles.includes(r))) throw CommonErrors.error('COMMON_FORBIDDEN');
    return true;
  }
}

/** The authenticated caller of the request (set by AuthGuard). */
export const CurrentCaller = createParamDecorator((_data: unknown, ctx: ExecutionContext): Caller => {
  const request = ctx.switchToHttp().getRequest<AuthRequest>();
  if (!request.caller) throw CommonErrors.error('COMMON_UNAUTHENTICATED');
  return request.caller;
});

/** The request id (from the gateway, or generated at this service). */
export const RequestId = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const request = ctx.switchToHttp().getRequest<AuthRequest>();
  const id = request.headers['x-request-id'];
  return typeof id === 'string' ? id : (currentContext()?.requestId ?? '');
});
