// Latin letters that Unicode does not decompose into a base letter plus a mark (ł is not l + ◌̸).
const unDecomposed = new Map([
  ['ł', 'l'], ['Ł', 'l'], ['ø', 'o'], ['Ø', 'o'], ['æ', 'ae'], ['Æ', 'ae'], ['œ', 'oe'], ['Œ', 'oe'], ['ß', 'ss'],
  ['ẞ', 'ss'], ['đ', 'd'], ['Đ', 'd'], ['ð', 'd'], ['Ð', 'd'], ['þ', 'th'], ['Þ', 'th'], ['ı', 'i'], ['ħ', 'h'], ['Ħ', 'h'],
])
const unDecomposedPattern = new RegExp(`[${[...unDecomposed.keys()].join('')}]`, 'g')
const asciiOnly = /^[\u0020-\u007e]*$/

/**
 * The form two place names are compared in: accents and case dropped, punctuation and spacing reduced to single
 * spaces. "Saint-Étienne" and "saint etienne" are equal; "Łódź" is "lodz"; "Frankfurt (Oder)" is "frankfurt oder".
 */
export function normalisePlaceName (name: string): string {
  if (asciiOnly.test(name)) return name.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim()
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(unDecomposedPattern, (ch) => unDecomposed.get(ch) ?? ch)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
}

// Latin, Latin-1, Latin Extended A/B, Latin Extended Additional, general punctuation (’ ‐ –).
const latinScript = /^[\u0020-\u024f\u1e00-\u1eff\u2000-\u206f]*$/

/** True when every letter of `name` is written in the Latin script (GeoNames lists names in every script). */
export function isLatinScript (name: string): boolean {
  return latinScript.test(name)
}
