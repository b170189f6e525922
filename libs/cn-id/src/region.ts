/**
 * Province-level prefixes of the GB/T 2260 administrative division codes, the
 * first two digits of a resident ID number.
 *
 * Only the province prefix is checked: the 4 county digits must be numeric, but
 * no county table is shipped (counties are re-coded every year and old numbers
 * keep their old codes).
 */
export const PROVINCE_CODES: ReadonlySet<string> = new Set([
  // 华北 North: Beijing, Tianjin, Hebei, Shanxi, Inner Mongolia
  '11', '12', '13', '14', '15',
  // 东北 North-east: Liaoning, Jilin, Heilongjiang
  '21', '22', '23',
  // 华东 East: Shanghai, Jiangsu, Zhejiang, Anhui, Fujian, Jiangxi, Shandong
  '31', '32', '33', '34', '35', '36', '37',
  // 中南 Centre-south: Henan, Hubei, Hunan, Guangdong, Guangxi, Hainan
  '41', '42', '43', '44', '45', '46',
  // 西南 South-west: Chongqing, Sichuan, Guizhou, Yunnan, Tibet
  '50', '51', '52', '53', '54',
  // 西北 North-west: Shaanxi, Gansu, Qinghai, Ningxia, Xinjiang
  '61', '62', '63', '64', '65',
  // Taiwan, Hong Kong, Macao
  '71', '81', '82',
  // 83: not a GB/T 2260 province. Residence permits for Taiwan residents
  // (台湾居民居住证) are numbered like resident ID numbers with the region code
  // 830000, so such numbers are accepted here too (HK/Macao permits use 81/82).
  '83',
]);

export function isKnownProvinceCode(provinceCode: string): boolean {
  return PROVINCE_CODES.has(provinceCode);
}
