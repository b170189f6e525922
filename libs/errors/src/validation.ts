import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { CommonErrors, type DomainException } from './error-catalog';

function firstLeaf(errors: ValidationError[], parent = ''): { path: string; error: ValidationError } | undefined {
  for (const error of errors) {
    const path = parent ? (/^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`) : error.property;
    if (error.constraints && Object.keys(error.constraints).length > 0) return { path, error };
    const nested = firstLeaf(error.children ?? [], path);
    if (nested) return nested;
  }
  return undefined;
}

/** Turns class-validator errors into a domain exception naming the field at fault. */
export function validationErrorsToException(errors: ValidationError[]): DomainException {
  const leaf = firstLeaf(errors);
  if (!leaf) return CommonErrors.error('COMMON_VALIDATION_FAILED');
  const constraints = leaf.error.constraints ?? {};
  if ('whitelistValidation' in constraints) {
    return CommonErrors.error('COMMON_UNKNOWN_FIELD', {
      field: leaf.path,
      en: `Unknown field: ${leaf.path}.`,
      zh: `未知字段：${leaf.path}。`,
    });
  }
  const reasons = Object.values(constraints);
  return CommonErrors.error('COMMON_VALIDATION_FAILED', {
    field: leaf.path,
    en: `Invalid field ${leaf.path}: ${reasons.join('; ')}.`,
    zh: `字段 ${leaf.path} 不正确。`,
    details: { constraints: Object.keys(constraints) },
  });
}

/** The one validation pipe of every service: whitelist, unknown fields rejected, types converted. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: validationErrorsToException,
  });
}
