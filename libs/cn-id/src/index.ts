export { CHECK_WEIGHTS, computeCheckCharacter } from './check-character';
export { PROVINCE_CODES, isKnownProvinceCode } from './region';
export {
  isValidResidentId,
  parseResidentId,
  upgrade15To18,
  type Gender,
  type ResidentId,
  type ResidentIdFailureReason,
  type ResidentIdParseResult,
} from './resident-id';
export { maskResidentId } from './mask-resident-id';
export { generateResidentId, type GenerateResidentIdOptions } from './generate-resident-id';
