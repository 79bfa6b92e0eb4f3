/**
 * A whole number from a decimal field (`42`, `-7`), or undefined when it is empty or anything else:
 * `Number()` alone would also read ' 7', '0x10', '1e3' and '-0'.
 */
export function toInt(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = text.length
  let i = n > 0 && text.charCodeAt(0) === 45 /* - */ ? 1 : 0
  if (i === n) return undefined
  for (; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  const v = Number(text)
  // + 0 turns -0 into 0, which JSON would write anyway.
  return Number.isSafeInteger(v) ? v + 0 : undefined
}

/** A number from a hexadecimal field (`0x8000000000000000` flags and the like), or undefined. */
export function toIntHex(text: string | undefined): number | undefined {
  if (text === undefined || !/^0x[0-9a-f]+$/i.test(text)) return undefined
  const n = Number.parseInt(text.slice(2), 16)
  return Number.isSafeInteger(n) ? n : undefined
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/** True for an IPv4 or IPv6 address in text form (no zone index, no port). */
export function isIp(text: string | undefined): boolean {
  // 45 characters is the longest IPv6 text form (with an IPv4 tail); longer input is refused
  // before any splitting, so that a 64 KiB run of colons costs nothing.
  if (text === undefined || text === '' || text.length > 45) return false
  if (IPV4.test(text)) return true
  if (!text.includes(':') || !/^[0-9a-fA-F:.]+$/.test(text)) return false
  const parts = text.split('::')
  if (parts.length > 2) return false
  const groups = parts.flatMap((p) => (p === '' ? [] : p.split(':')))
  const last = groups[groups.length - 1]
  const v4tail = last !== undefined && last.includes('.')
  if (v4tail && !IPV4.test(last)) return false
  const count = groups.length + (v4tail ? 1 : 0)
  if (groups.some((g, k) => !(v4tail && k === groups.length - 1) && !/^[0-9a-fA-F]{1,4}$/.test(g))) return false
  return parts.length === 2 ? count < 8 : count === 8
}

/** The address when it is a valid IP, else undefined: for optional address fields. */
export function ipOrUndefined(text: string | undefined): string | undefined {
  return isIp(text) ? text : undefined
}
