import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ArgumentMetadata, ValidationError } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsDateString, IsInt, IsString, Length, Min, ValidateNested } from 'class-validator';
import { DomainException } from './error-catalog';
import { createValidationPipe, validationErrorsToException } from './validation';

/** Builds a class-validator error tree by hand. */
function verr(property: string, constraints?: Record<string, string>, children: ValidationError[] = []): ValidationError {
  return { property, constraints, children } as ValidationError;
}

describe('validationErrorsToException', () => {
  it('without any leaf error → COMMON_VALIDATION_FAILED without a field', () => {
    const err = validationErrorsToException([]);
    assert.equal(err.code, 'COMMON_VALIDATION_FAILED');
    assert.equal(err.status, 400);
    assert.equal(err.field, undefined);
    assert.equal(err.message, 'The request is invalid.');
  });

  it('names a top-level field and lists the constraint names in details', () => {
    const err = validationErrorsToException([verr('username', { isLength: 'username must be longer than or equal to 4 characters' })]);
    assert.deepEqual(err.toBody(), {
      code: 'COMMON_VALIDATION_FAILED',
      message: 'Invalid field username: username must be longer than or equal to 4 characters.',
      messageZh: '字段 username 不正确。',
      field: 'username',
      details: { constraints: ['isLength'] },
    });
  });

  it('names an array item field as educations[0].endDate', () => {
    const err = validationErrorsToException([
      verr('educations', undefined, [verr('0', undefined, [verr('endDate', { isDateString: 'endDate must be a valid ISO 8601 date string' })])]),
    ]);
    assert.equal(err.field, 'educations[0].endDate');
    assert.equal(err.message, 'Invalid field educations[0].endDate: endDate must be a valid ISO 8601 date string.');
    assert.equal(err.messageZh, '字段 educations[0].endDate 不正确。');
  });

  it('names a nested object field as confirm.realName', () => {
    const err = validationErrorsToException([verr('confirm', undefined, [verr('realName', { isString: 'realName must be a string' })])]);
    assert.equal(err.field, 'confirm.realName');
  });

  it('names nested arrays as matrix[0][1]', () => {
    const err = validationErrorsToException([verr('matrix', undefined, [verr('0', undefined, [verr('1', { isInt: 'must be an integer' })])])]);
    assert.equal(err.field, 'matrix[0][1]');
  });

  it('joins several reasons of one field with "; "', () => {
    const err = validationErrorsToException([verr('age', { isInt: 'age must be an integer number', min: 'age must not be less than 0' })]);
    assert.equal(err.message, 'Invalid field age: age must be an integer number; age must not be less than 0.');
    assert.deepEqual(err.details, { constraints: ['isInt', 'min'] });
  });

  it('reports the first leaf in order, skipping errors without constraints or children', () => {
    const err = validationErrorsToException([
      verr('empty', {}),
      verr('noChildren'),
      verr('confirm', undefined, [verr('agreed', { isBoolean: 'agreed must be a boolean value' })]),
      verr('username', { isString: 'username must be a string' }),
    ]);
    assert.equal(err.field, 'confirm.agreed');
  });

  it('maps a whitelist violation to COMMON_UNKNOWN_FIELD naming the field', () => {
    const err = validationErrorsToException([
      verr('confirm', undefined, [verr('nickname', { whitelistValidation: 'property nickname should not exist' })]),
    ]);
    assert.deepEqual(err.toBody(), {
      code: 'COMMON_UNKNOWN_FIELD',
      message: 'Unknown field: confirm.nickname.',
      messageZh: '未知字段：confirm.nickname。',
      field: 'confirm.nickname',
    });
    assert.equal(err.status, 400);
  });
});

class EducationDto {
  @IsString()
  school!: string;

  @IsDateString()
  endDate!: string;
}

class ConfirmDto {
  @IsString()
  @Length(2, 30)
  realName!: string;

  @IsBoolean()
  agreed!: boolean;
}

class RegisterDto {
  @IsString()
  @Length(4, 20)
  username!: string;

  @IsInt()
  @Min(0)
  age!: number;

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => EducationDto)
  educations!: EducationDto[];

  @ValidateNested()
  @Type(() => ConfirmDto)
  confirm!: ConfirmDto;
}

const BODY: ArgumentMetadata = { type: 'body', metatype: RegisterDto, data: '' };

function validBody(): Record<string, unknown> {
  return {
    username: 'zhangsan',
    age: 30,
    educations: [
      { school: 'Tsinghua University', endDate: '2010-07-01' },
      { school: 'Peking University', endDate: '2013-07-01' },
    ],
    confirm: { realName: '张三', agreed: true },
  };
}

async function rejection(value: unknown): Promise<DomainException> {
  try {
    await createValidationPipe().transform(value, BODY);
  } catch (err) {
    assert.ok(err instanceof DomainException, `expected a DomainException, got ${String(err)}`);
    return err;
  }
  assert.fail('the pipe accepted the body');
}

describe('createValidationPipe', () => {
  it('accepts a valid body and returns DTO instances, nested ones included', async () => {
    const out = (await createValidationPipe().transform(validBody(), BODY)) as RegisterDto;
    assert.ok(out instanceof RegisterDto);
    assert.ok(out.educations[0] instanceof EducationDto);
    assert.ok(out.confirm instanceof ConfirmDto);
    assert.equal(out.username, 'zhangsan');
    assert.equal(out.educations[1]!.endDate, '2013-07-01');
    assert.equal(out.confirm.realName, '张三');
  });

  it('rejects an unknown top-level field with COMMON_UNKNOWN_FIELD', async () => {
    const err = await rejection({ ...validBody(), isAdmin: true });
    assert.equal(err.code, 'COMMON_UNKNOWN_FIELD');
    assert.equal(err.status, 400);
    assert.equal(err.field, 'isAdmin');
    assert.equal(err.message, 'Unknown field: isAdmin.');
  });

  it('rejects an unknown field of a nested object, naming its path', async () => {
    const body = validBody();
    body.confirm = { realName: '张三', agreed: true, nickname: 'zs' };
    const err = await rejection(body);
    assert.equal(err.code, 'COMMON_UNKNOWN_FIELD');
    assert.equal(err.field, 'confirm.nickname');
  });

  it('rejects an unknown field of an array item, naming its index', async () => {
    const body = validBody();
    (body.educations as Array<Record<string, unknown>>)[1]!.degree = 'PhD';
    const err = await rejection(body);
    assert.equal(err.code, 'COMMON_UNKNOWN_FIELD');
    assert.equal(err.field, 'educations[1].degree');
  });

  it('names educations[0].endDate when the first education has a bad end date', async () => {
    const body = validBody();
    (body.educations as Array<Record<string, unknown>>)[0]!.endDate = 'yesterday';
    const err = await rejection(body);
    assert.equal(err.code, 'COMMON_VALIDATION_FAILED');
    assert.equal(err.field, 'educations[0].endDate');
    assert.deepEqual(err.details, { constraints: ['isDateString'] });
    assert.equal(err.message, 'Invalid field educations[0].endDate: endDate must be a valid ISO 8601 date string.');
  });

  it('names confirm.realName when the nested real name is too short', async () => {
    const body = validBody();
    body.confirm = { realName: '张', agreed: true };
    const err = await rejection(body);
    assert.equal(err.code, 'COMMON_VALIDATION_FAILED');
    assert.equal(err.field, 'confirm.realName');
    assert.deepEqual(err.details, { constraints: ['isLength'] });
  });

  it('names a missing top-level field', async () => {
    const body = validBody();
    delete body.age;
    const err = await rejection(body);
    assert.equal(err.code, 'COMMON_VALIDATION_FAILED');
    assert.equal(err.field, 'age');
    assert.equal((err.details as { constraints: string[] }).constraints.length, 1, 'stopAtFirstError: one constraint per field');
  });

  it('does not convert strings to numbers implicitly', async () => {
    const err = await rejection({ ...validBody(), age: '30' });
    assert.equal(err.field, 'age');
  });

  it('rejects a nested object given as a primitive', async () => {
    const err = await rejection({ ...validBody(), confirm: 'yes' });
    assert.equal(err.code, 'COMMON_VALIDATION_FAILED');
    assert.equal(err.field, 'confirm');
  });
});
