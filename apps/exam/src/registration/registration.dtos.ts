import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';
import { INVOICE_TYPES, type InvoiceType } from '@certhub/contracts';

export class StartRegistrationDto {
  @ApiProperty({ description: 'the candidate ticked 我已了解并知悉上述内容并承诺 (EX-3)' })
  @IsBoolean()
  noticeAccepted!: boolean;
}

export class InvoiceDto {
  @ApiProperty({ enum: INVOICE_TYPES }) @IsIn(INVOICE_TYPES) type!: InvoiceType;
  @ApiPropertyOptional({ description: 'enterprise: the company name; personal: the candidate name (not editable)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  title?: string;
  @ApiPropertyOptional({ description: 'enterprise: the 18-character unified social credit code' })
  @IsOptional()
  @IsString()
  @MaxLength(18)
  taxId?: string;
}

/** EX-4 (信息维护). Document type and number, gender and birth date come from identity. */
export class RegistrationInfoDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(50) nationality!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(50) ethnicity!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(50) residenceCity!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(50) education!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) workUnit?: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(300) address!: string;
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty() @IsString() @Matches(/^1[3-9]\d{9}$/) phone!: string;
  @ApiProperty({ type: InvoiceDto }) @ValidateNested() @Type(() => InvoiceDto) invoice!: InvoiceDto;
}

export class SubjectsDto {
  @ApiProperty({ type: [String] }) @IsArray() @ArrayMaxSize(20) @IsUUID('all', { each: true }) offeringIds!: string[];
}

export class CityDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(40) cityCode!: string;
}

export class ConfirmOrderDto {
  @ApiProperty({ description: 'the candidate ticked 我确认以上报考信息无误 (EX-8)' }) @IsBoolean() confirmed!: boolean;
}
