import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes of case workflows, registered on the server at start, so ops find any case
 * in the Temporal UI. They never carry personal data: business number, case type, stage and
 * status only.
 */
export const BusinessNo = defineSearchAttributeKey('BusinessNo', SearchAttributeType.KEYWORD);
export const CaseType = defineSearchAttributeKey('CaseType', SearchAttributeType.KEYWORD);
export const CaseStage = defineSearchAttributeKey('CaseStage', SearchAttributeType.KEYWORD);
export const CaseStatus = defineSearchAttributeKey('CaseStatus', SearchAttributeType.KEYWORD);

/** Name → type, as `temporal server start-dev --search-attribute` and the operator API take them. */
export const PLATFORM_SEARCH_ATTRIBUTES = { BusinessNo: 'Keyword', CaseType: 'Keyword', CaseStage: 'Keyword', CaseStatus: 'Keyword' } as const;
