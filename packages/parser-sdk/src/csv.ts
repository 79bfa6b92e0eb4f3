/**
 * Splits one CSV record (RFC 4180 quoting: a field in double quotes may hold commas, newlines and
 * `""` for a quote). Lenient where devices are: a quote inside an unquoted field is kept as is,
 * and a quote left open runs to the end of the line (reported through `open`).
 *
 * Written by hand: a general CSV library costs several times more per line, and parsers call
 * this once per message on the hot path.
 */
export function splitCsv(line: string, separator = ','): string[] & { open?: boolean } {
  const out: string[] & { open?: boolean } = []
  const n = line.length
  let i = 0
  for (;;) {
    if (i < n && line.charCodeAt(i) === 34 /* " */) {
      let value = ''
      let j = i + 1
      let closed = false
      for (;;) {
        const q = line.indexOf('"', j)
        if (q === -1) {
          value += line.slice(j)
          j = n
          break
        }
        value += line.slice(j, q)
        if (line.charCodeAt(q + 1) === 34) {
          value += '"'
          j = q + 2
          continue
        }
        j = q + 1
        closed = true
        break
      }
      if (!closed) out.open = true
      // Anything between the closing quote and the next separator belongs to the field.
      const sep = line.indexOf(separator, j)
      if (sep === -1) {
        out.push(value + line.slice(j))
        return out
      }
      out.push(value + line.slice(j, sep))
      i = sep + separator.length
      continue
    }
    const sep = line.indexOf(separator, i)
    if (sep === -1) {
      out.push(line.slice(i))
      return out
    }
    out.push(line.slice(i, sep))
    i = sep + separator.length
  }
}
