export { BusinessNo, CaseStage, CaseStatus, CaseType, PLATFORM_SEARCH_ATTRIBUTES } from '@certhub/contracts';
