export interface KvOptions {
  /** Between pairs. Default ' '. */
  pairSeparator?: string
  /** Between key and value. Default '='. */
  kvSeparator?: string
}

/**
 * Reads `key=value key2="quoted value" key3=` into an object. Values in double quotes may hold
 * separators and `\"`; keys that could reach a prototype (`__proto__`) are skipped; a repeated
 * key keeps its first value. The result has a null prototype.
 */
export function parseKv(text: string, options: KvOptions = {}): Record<string, string> {
  const pairSep = options.pairSeparator ?? ' '
  const kvSep = options.kvSeparator ?? '='
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  const n = text.length
  let i = 0
  while (i < n) {
    while (i < n && text.startsWith(pairSep, i)) i += pairSep.length
    if (i >= n) break
    const eq = text.indexOf(kvSep, i)
    if (eq === -1) break
    const nextPair = text.indexOf(pairSep, i)
    if (nextPair !== -1 && nextPair < eq) {
      // A word without a separator: not a pair; skip it.
      i = nextPair + pairSep.length
      continue
    }
    const key = text.slice(i, eq).trim()
    let j = eq + kvSep.length
    let value: string
    if (text.charCodeAt(j) === 34) {
      let v = ''
      j++
      for (;;) {
        const q = text.indexOf('"', j)
        if (q === -1) {
          v += text.slice(j)
          j = n
          break
        }
        // A quote after an odd number of backslashes is escaped; `\\"` ends the value.
        let slashes = 0
        while (q - slashes - 1 >= j && text.charCodeAt(q - slashes - 1) === 92 /* \ */) slashes++
        if (slashes % 2 === 1) {
          v += text.slice(j, q - 1) + '"'
          j = q + 1
          continue
        }
        v += text.slice(j, q)
        j = q + 1
        break
      }
      value = v
      const end = text.indexOf(pairSep, j)
      i = end === -1 ? n : end + pairSep.length
    } else {
      const end = text.indexOf(pairSep, j)
      value = end === -1 ? text.slice(j) : text.slice(j, end)
      i = end === -1 ? n : end + pairSep.length
    }
    if (key === '' || key === '__proto__' || key === 'constructor' || key === 'prototype') continue
    if (!(key in out)) out[key] = value
  }
  return out
}
