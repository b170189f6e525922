import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import type { NoticeAudience } from './message.entity';

export const NOTICE_AUDIENCES: readonly NoticeAudience[] = ['all', 'personal', 'institution', 'staff'];
export const MESSAGE_KINDS = ['all', 'message', 'notice'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export class MessageListQuery {
  @ApiPropertyOptional({ enum: MESSAGE_KINDS, default: 'all', description: 'message: personal messages (消息); notice: broadcast notices (通知).' })
  @IsOptional()
  @IsIn(MESSAGE_KINDS)
  kind?: MessageKind;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: unread only.' })
  @IsOptional()
  @IsIn(['true', 'false'])
  unread?: 'true' | 'false';

  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10000)
  page?: number;

  @ApiPropertyOptional({ default: 20, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  size?: number;
}

export class NoticeListQuery {
  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10000)
  page?: number;

  @ApiPropertyOptional({ default: 20, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  size?: number;
}

const NOT_BLANK = /\S/;

export class PublishNoticeBody {
  @ApiProperty({ enum: NOTICE_AUDIENCES, description: 'Who sees the notice: everyone, personal users, institution users or the association\'s staff.' })
  @IsIn(NOTICE_AUDIENCES)
  audience!: NoticeAudience;

  @ApiProperty({ maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(NOT_BLANK)
  titleZh!: string;

  @ApiProperty({ maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(NOT_BLANK)
  titleEn!: string;

  @ApiProperty({ maxLength: 20000 })
  @IsString()
  @Length(1, 20000)
  @Matches(NOT_BLANK)
  bodyZh!: string;

  @ApiProperty({ maxLength: 20000 })
  @IsString()
  @Length(1, 20000)
  @Matches(NOT_BLANK)
  bodyEn!: string;
}

/** A row of the combined message / notice list. */
export interface InboxRow {
  id: string;
  kind: 'message' | 'notice';
  category: string | null;
  title_zh: string;
  title_en: string;
  body_zh: string;
  body_en: string;
  link: string | null;
  link_type: string | null;
  created_at: Date;
  read: boolean;
}

export function inboxView(row: InboxRow) {
  return {
    id: row.id,
    kind: row.kind,
    ...(row.category ? { category: row.category } : {}),
    title: row.title_zh,
    titleEn: row.title_en,
    body: row.body_zh,
    bodyEn: row.body_en,
    ...(row.link ? { link: row.link, linkType: row.link_type } : {}),
    createdAt: row.created_at.toISOString(),
    read: row.read,
  };
}
