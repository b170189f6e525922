/**
 * Masks an ID number for logs and lists: keeps the first 3 and the last 2
 * characters, replaces the rest with `*`, keeps the length, upper-cases `x`.
 * `11010519491231002X` → `110*************2X`. Inputs of 5 characters or fewer
 * are masked completely so that nothing of a malformed value leaks.
 */
export function maskResidentId(n: string): string {
  const trimmed = typeof n === 'string' ? n.trim().toUpperCase() : '';
  if (trimmed.length <= 5) {
    return '*'.repeat(trimmed.length);
  }
  return trimmed.slice(0, 3) + '*'.repeat(trimmed.length - 5) + trimmed.slice(-2);
}
