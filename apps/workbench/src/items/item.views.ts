import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { CaseItemStatus } from '@certhub/contracts';

export const ITEM_TABS = ['all', 'draft', 'active', 'done'] as const;
export type ItemTab = (typeof ITEM_TABS)[number];

export class ItemListQuery {
  @ApiPropertyOptional({ enum: ITEM_TABS, default: 'all', description: 'all / 草稿箱 / 办理中 / 已完结' })
  @IsOptional()
  @IsIn(ITEM_TABS)
  tab?: ItemTab;

  @ApiPropertyOptional({ description: 'Fuzzy search on item name and stage (业务环节), case-insensitive substring.' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  q?: string;

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

/** A my_item row as read with raw SQL. */
export interface ItemRow {
  domain: string;
  case_id: string;
  business_no: string;
  item_name: string;
  item_name_en: string;
  case_type: string;
  stage: string;
  stage_name: string;
  stage_name_en: string;
  status: CaseItemStatus;
  result: string | null;
  changed_at: Date;
  submitted_at: Date | null;
  due_at: Date | null;
  clock_paused: boolean;
  link: string;
}

export const ITEM_VIEW_COLUMNS =
  'domain, case_id, business_no, item_name, item_name_en, case_type, stage, stage_name, stage_name_en, status, result, changed_at, submitted_at, due_at, clock_paused, link';

export function itemView(row: ItemRow) {
  return {
    domain: row.domain,
    caseId: row.case_id,
    businessNo: row.business_no,
    itemName: row.item_name,
    itemNameEn: row.item_name_en,
    caseType: row.case_type,
    stage: row.stage,
    stageName: row.stage_name,
    stageNameEn: row.stage_name_en,
    status: row.status,
    result: row.result,
    changedAt: row.changed_at.toISOString(),
    submittedAt: row.submitted_at?.toISOString() ?? null,
    dueAt: row.due_at?.toISOString() ?? null,
    clockPaused: row.clock_paused,
    link: row.link,
  };
}

export type ItemView = ReturnType<typeof itemView>;

/** `q` as an ILIKE pattern matching it anywhere, with LIKE's wildcards taken literally. */
export function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
