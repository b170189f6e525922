import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { VERIFICATION_STATUSES, type VerificationStatus } from '@certhub/contracts';
import { CurrentCaller, Public, RequireRoles, type Caller } from '@certhub/service-kit';
import { GRANTABLE_ROLES, type Role } from '../accounts/account.entity';
import { PHONE_PATTERN, REAL_NAME_PATTERN, USERNAME_PATTERN } from '../accounts/account.dtos';
import { IdentityErrors } from '../identity.errors';
import { PhotoService } from '../photo/photo.service';
import { VerificationService } from '../verification/verification.service';
import { InstitutionService } from './institution.service';

const uuidPipe = new ParseUUIDPipe({ exceptionFactory: () => IdentityErrors.error('IDENTITY_NOT_FOUND', { field: 'id' }) });

class DirectoryQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50) q?: string;
  @ApiPropertyOptional({ enum: ['certification', 'training'] }) @IsOptional() @IsIn(['certification', 'training']) kind?: 'certification' | 'training';
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
}

class CreateInstitutionDto {
  @ApiProperty() @IsString() @Length(2, 100) name!: string;
  @ApiProperty({ description: 'unified social credit code' }) @IsString() @Matches(/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/i) creditCode!: string;
  @ApiProperty({ enum: ['certification', 'training'] }) @IsIn(['certification', 'training']) kind!: 'certification' | 'training';
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50) approvalNumber?: string;
}

class CreateInstitutionAccountDto {
  @ApiProperty() @IsString() @Matches(USERNAME_PATTERN) username!: string;
  @ApiProperty() @IsString() @Length(1, 128) password!: string;
  @ApiProperty() @IsString() @Matches(REAL_NAME_PATTERN) realName!: string;
  @ApiProperty() @IsString() @Matches(PHONE_PATTERN) phone!: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() email?: string;
}

class RoleDto {
  @ApiProperty({ enum: GRANTABLE_ROLES }) @IsIn(GRANTABLE_ROLES) role!: Role;
}

class StaffListQuery {
  @ApiPropertyOptional({ enum: VERIFICATION_STATUSES }) @IsOptional() @IsIn(VERIFICATION_STATUSES) status?: VerificationStatus;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
}

@ApiTags('identity: institutions')
@Controller('api/v1/identity/institutions')
export class InstitutionDirectoryController {
  constructor(private readonly institutions: InstitutionService) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'Search the directory of institutions (ID-13)' })
  search(@Query() query: DirectoryQuery) {
    return this.institutions.search(query.q?.trim(), query.kind, query.limit ?? 20, query.offset ?? 0);
  }

  @Public()
  @Get(':id')
  async get(@Param('id', uuidPipe) id: string) {
    const i = await this.institutions.get(id);
    return { id: i.id, name: i.name, creditCode: i.creditCode, kind: i.kind };
  }
}

@ApiTags('identity: administration')
@ApiBearerAuth()
@RequireRoles('admin')
@Controller('api/v1/identity/admin')
export class AdminController {
  constructor(private readonly institutions: InstitutionService) {}

  @Post('institutions')
  async createInstitution(@Body() dto: CreateInstitutionDto, @CurrentCaller() caller: Caller) {
    const i = await this.institutions.create(dto, caller.sub);
    return { id: i.id, name: i.name, creditCode: i.creditCode, kind: i.kind };
  }

  @Post('institutions/:id/accounts')
  @ApiOperation({ summary: 'Create an institution account acting for this institution' })
  createInstitutionAccount(@Param('id', uuidPipe) id: string, @Body() dto: CreateInstitutionAccountDto) {
    return this.institutions.createInstitutionAccount(id, dto);
  }

  @Post('accounts/:id/roles')
  @ApiOperation({ summary: 'Grant the expert, teacher or staff role' })
  grant(@Param('id', uuidPipe) id: string, @Body() dto: RoleDto, @CurrentCaller() caller: Caller) {
    return this.institutions.grantRole(id, dto.role, caller.sub);
  }

  @Delete('accounts/:id/roles/:role')
  revoke(@Param('id', uuidPipe) id: string, @Param('role') role: string, @CurrentCaller() caller: Caller) {
    return this.institutions.revokeRole(id, role as Role, caller.sub);
  }
}

@ApiTags('identity: staff')
@ApiBearerAuth()
@RequireRoles('staff', 'admin')
@Controller('api/v1/identity/staff')
export class StaffController {
  constructor(
    private readonly verification: VerificationService,
    private readonly photos: PhotoService,
  ) {}

  @Get('verifications')
  @ApiOperation({ summary: 'Verifications waiting for staff (proof review or on-site)' })
  list(@Query() query: StaffListQuery) {
    return this.verification.listForStaff(query.status, query.limit ?? 20, query.offset ?? 0);
  }

  @Get('verifications/:accountId')
  get(@Param('accountId', uuidPipe) accountId: string) {
    return this.verification.caseForStaff(accountId);
  }

  @Get('verifications/:accountId/proofs/:proofId')
  async proof(@Param('accountId', uuidPipe) accountId: string, @Param('proofId', uuidPipe) proofId: string, @Res() reply: FastifyReply) {
    const proof = await this.verification.proof(accountId, proofId);
    await reply.header('content-type', proof.contentType).header('cache-control', 'private, no-store').send(proof.content);
  }

  @Get('accounts/:accountId/photo')
  async photo(@Param('accountId', uuidPipe) accountId: string, @Res() reply: FastifyReply) {
    const jpeg = await this.photos.processed(accountId);
    await reply.header('content-type', 'image/jpeg').header('cache-control', 'private, no-store').send(jpeg);
  }
}
