import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes of case workflows, registered on the server at start. They carry no
 * personal data: business number, case type, stage and status only.
 */
export const BusinessNo = defineSearchAttributeKey('BusinessNo', SearchAttributeType.KEYWORD);
export const CaseType = defineSearchAttributeKey('CaseType', SearchAttributeType.KEYWORD);
export const CaseStage = defineSearchAttributeKey('CaseStage', SearchAttributeType.KEYWORD);
export const CaseStatus = defineSearchAttributeKey('CaseStatus', SearchAttributeType.KEYWORD);

export const PLATFORM_SEARCH_ATTRIBUTES = { BusinessNo: 'Keyword', CaseType: 'Keyword', CaseStage: 'Keyword', CaseStatus: 'Keyword' } as const;
