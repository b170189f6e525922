import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds a config class from environment variables and validates it: a service with a
 * missing or malformed setting refuses to boot and says which variable is at fault.
 */
export function loadConfig<T extends object>(cls: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const plain: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') plain[k] = v;
  const instance = plainToInstance(cls, plain, { enableImplicitConversion: true, excludeExtraneousValues: false });
  const errors = validateSync(instance, { whitelist: false, skipMissingProperties: false });
  if (errors.length > 0) {
    throw new ConfigError(errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`));
  }
  // Drop the unrelated environment variables so the config object holds only declared settings.
  const declared = new cls();
  const out = declared as Record<string, unknown>;
  for (const key of Object.keys(instance)) {
    if (key in declared || Reflect.hasMetadata('design:type', cls.prototype, key)) out[key] = (instance as Record<string, unknown>)[key];
  }
  return declared;
}
