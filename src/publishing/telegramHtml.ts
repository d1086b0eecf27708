/** Telegram's HTML subset needs only these escaped in text. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/**
 * Splits text into parts of at most `limit` characters, at paragraph breaks where possible,
 * then at sentence or word boundaries; never inside a word unless a word is longer than a part.
 */
export function splitText(text: string, limit: number): string[] {
  const parts: string[] = []
  let rest = text.trim()
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1)
    const cut = [window.lastIndexOf('\n\n'), window.lastIndexOf('\n'), window.lastIndexOf('. ') + 1, window.lastIndexOf(' ')].find(
      (i) => i > limit * 0.5,
    )
    const at = cut && cut > 0 ? cut : limit
    parts.push(rest.slice(0, at).trim())
    rest = rest.slice(at).trim()
  }
  if (rest) parts.push(rest)
  return parts
}
