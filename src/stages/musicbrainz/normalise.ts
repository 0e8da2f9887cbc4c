/**
 * Normalisation for matching Spotify artists to MusicBrainz ones. Both sides go through the same function, so the
 * rules only have to make equal what a person would call the same name: case, accents, a leading "The",
 * punctuation, `&` / `+` / "and", and spacing.
 */

// Letters NFKD does not split into a base letter and a mark.
const foldedLetters: Record<string, string> = {
  ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h', ŋ: 'n',
}

/** Lower-case, accent-free, "The"-free words separated by single spaces ("Beyoncé & The Band" → "beyonce and the band"). */
export function normaliseName (name: string): string {
  let text = name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
  text = text.replace(/[øæœßłđðþıħŋ]/g, (letter) => foldedLetters[letter] ?? letter)
  // Apostrophes and dots join what they sit in ("Guns N' Roses" = "Guns N Roses", "R.E.M." = "REM").
  text = text.replace(/['’‘`´ʼ.]/g, '')
  text = text.replace(/[&+]/g, ' and ')
  text = text.replace(/[^\p{L}\p{N}]+/gu, ' ').trim()
  // "The Beatles" = "Beatles"; a name that is only "The" stays.
  return text.replace(/^the (?=\S)/, '')
}

/**
 * The key two names are compared by: the normalised name without spaces ("AC/DC" = "ACDC", "Jay-Z" = "JAY Z"). A
 * name with no letters or digits at all ("!!!") keys on its trimmed lower-case self, so it can still match itself.
 */
export function nameKey (name: string): string {
  const key = normaliseName(name).replace(/ /g, '')
  return key.length > 0 ? key : name.trim().toLowerCase()
}

export function sameName (a: string, b: string): boolean {
  return nameKey(a) === nameKey(b)
}

/** Country (2 letters), registrant (3 letters or digits), year (2 digits), designation (5 digits). */
const isrcPattern = /^[A-Z]{2}[A-Z0-9]{3}\d{7}$/

/** "us-um7-17-03861" and " usum71703861" → "USUM71703861"; null when the result is not a valid ISRC. */
export function normaliseIsrc (raw: string | null | undefined): string | null {
  if (typeof raw !== 'string') return null
  const isrc = raw.toUpperCase().replace(/[\s\-–_.]/g, '')
  return isrcPattern.test(isrc) ? isrc : null
}

/** Valid ISRCs of a list, normalised, first occurrence order, without repeats. */
export function normaliseIsrcs (raw: Iterable<string | null | undefined>): string[] {
  const seen = new Set<string>()
  for (const value of raw) {
    const isrc = normaliseIsrc(value)
    if (isrc) seen.add(isrc)
  }
  return [...seen]
}
