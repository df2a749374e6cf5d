/** The last `maxChars` characters of `text`, trimmed, prefixed with "…" when cut (for error messages). */
export function textTail(text: string, maxChars = 1000): string {
  const trimmed = text.trim();
  if (trimmed.length <= maxChars) return trimmed;
  return `…${trimmed.slice(trimmed.length - maxChars).trimStart()}`;
}
