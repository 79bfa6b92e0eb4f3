// PAN-OS syslog, every log type (PAN-OS Administrator's Guide, "Syslog Field Descriptions"):
// FUTURE_USE, Receive Time, Serial Number, Type, Threat/Content Type, FUTURE_USE, Generated Time,
// then the type's own fields. FUTURE_USE is a small number ('1' on firewalls, a larger one from
// Strata Logging Service); the receive time is `YYYY/MM/DD HH:MM:SS` or ISO 8601.

/** How far into a frame a record may start: past any syslog header, short of scanning the payload. */
const SEARCH_LIMIT = 1024

const SHORT_TIME = /^(\d{1,2})\/(\d{1,2})\/(?:\d{2}|\d{4}) \d{1,2}:\d{2}(?::\d{2})?$/

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/** Index of the ',' ending a receive time that starts at i, or -1. */
function timeEnd(s: string, i: number): number {
  const c4 = s.charCodeAt(i + 4)
  if ((c4 === 47 || c4 === 45) && isDigit(s.charCodeAt(i)) && isDigit(s.charCodeAt(i + 1)) && isDigit(s.charCodeAt(i + 2)) && isDigit(s.charCodeAt(i + 3))) {
    // `YYYY/MM/DD HH:MM:SS` (19 characters) or ISO 8601 (`YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±hh:mm]`).
    if (c4 === 47) return s.charCodeAt(i + 19) === 44 && s.charCodeAt(i + 13) === 58 ? i + 19 : -1
    const c10 = s.charCodeAt(i + 10)
    if ((c10 !== 84 && c10 !== 32) || s.charCodeAt(i + 13) !== 58) return -1
    const e = s.indexOf(',', i + 19)
    return e !== -1 && e - i <= 35 ? e : -1
  }
  // `M/D/YY H:MM[:SS]`, as some exports and forwarders rewrite it.
  if (!isDigit(s.charCodeAt(i))) return -1
  const e = s.indexOf(',', i)
  if (e === -1 || e - i > 19 || e - i < 12) return -1
  const m = SHORT_TIME.exec(s.slice(i, e))
  return m !== null && +m[1]! >= 1 && +m[1]! <= 12 && +m[2]! >= 1 && +m[2]! <= 31 ? e : -1
}

/**
 * Whether a PAN-OS record starts at `s` in `text`: FUTURE_USE digits, a receive time, a serial
 * number (may be empty) and an upper-case log type. Cheap: a few character tests.
 */
export function recordAt(text: string, s: number): boolean {
  let i = s
  while (i - s < 13 && isDigit(text.charCodeAt(i))) i++
  if (i === s || i - s > 12 || text.charCodeAt(i) !== 44) return false
  const e = timeEnd(text, i + 1)
  if (e === -1) return false
  const c = text.indexOf(',', e + 1)
  if (c === -1 || c - e > 65) return false
  // The serial number: one word (a firewall's digits, a VM's, Panorama's, a redacted placeholder).
  for (let k = e + 1; k < c; k++) {
    const t = text.charCodeAt(k)
    if (t <= 32 || t === 34) return false
  }
  // The log type. Other products' CSV can have the same first shape (`42,2024-03-05 10:15:30,web01,WARN,…`),
  // and a claim here would take their lines from their parsers: a type PAN-OS writes is enough, an
  // unknown upper-case word (a newer PAN-OS type) also needs PAN-OS's next two fields, FUTURE_USE
  // digits and the Generated Time, or nothing after it.
  const k = c + 1
  const first = text.charCodeAt(k)
  if (!(first >= 65 && first <= 90)) return false
  let end = k + 1
  for (; end < text.length && end - k <= 24; end++) {
    const t = text.charCodeAt(end)
    if (t === 44) break
    if (!((t >= 65 && t <= 90) || t === 45 || t === 95 || isDigit(t))) return false
  }
  if (end < text.length && text.charCodeAt(end) !== 44) return false
  if (LOG_TYPES.has(text.slice(k, end))) return true
  if (end >= text.length - 1) return true
  const sub = text.indexOf(',', end + 1)
  if (sub === -1) return false
  let d = sub + 1
  while (isDigit(text.charCodeAt(d))) d++
  return d > sub + 1 && text.charCodeAt(d) === 44 && timeEnd(text, d + 1) !== -1
}

/** The `Type` values of PAN-OS syslog, mapped or not (the unmapped ones keep their common fields). */
const LOG_TYPES: ReadonlySet<string> = new Set([
  'TRAFFIC', 'THREAT', 'SYSTEM', 'CONFIG', 'GLOBALPROTECT', 'USERID', 'HIPMATCH', 'HIP-MATCH', 'AUTHENTICATION', 'AUTH',
  'DECRYPTION', 'IPTAG', 'GTP', 'SCTP', 'TUNNEL', 'CORRELATION', 'AUDIT', 'URL', 'DATA', 'WILDFIRE',
])

/**
 * Where a record starts in a frame whose header parse did not leave it at the message start:
 * text before it the header parser could not read (an invalid date, a forwarder's prefix), or a
 * header with missing fields that took part of the record as HOSTNAME or APP-NAME. -1 when none.
 */
export function findRecord(raw: string): number {
  const limit = Math.min(raw.length, SEARCH_LIMIT)
  for (let c = raw.indexOf(','); c !== -1 && c < limit; c = raw.indexOf(',', c + 1)) {
    let s = c
    while (s > 0 && c - s < 13 && isDigit(raw.charCodeAt(s - 1))) s--
    if (s === c) continue
    if (s > 0) {
      // The FUTURE_USE field must stand alone, not be the tail of a word (`PA-VM1,`).
      const b = raw.charCodeAt(s - 1)
      if ((b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b === 46 || b === 95 || b === 45) continue
    }
    if (recordAt(raw, s)) return s
  }
  return -1
}

/** Trailing CR, LF and NUL are framing, not data (as the header parser treats them). */
export function trimEnd(text: string): string {
  let end = text.length
  for (let c = text.charCodeAt(end - 1); c === 10 || c === 13 || c === 0; c = text.charCodeAt(end - 1)) end--
  return end === text.length ? text : text.slice(0, end)
}

/**
 * The fields of one record, as positions in its text: a TRAFFIC line has over a hundred fields and
 * a mapping reads about half of them, so only those are cut out as strings. One instance per
 * parser, reused line after line.
 *
 * Written by hand rather than `splitCsv` for that reason, with the same reading: PAN-OS quotes a
 * field holding a comma or a quote (RFC 4180, `""` inside), a quote left open runs to the end of
 * the line (`open`), text after a closing quote belongs to the field. The one column PAN-OS does
 * not quote, TRAFFIC's Link Switches (`{name, tag, …},{…}`), is read whole up to its last closing
 * brace.
 */
export class Fields {
  text = ''
  count = 0
  /** A quote was left open: the last field runs to the end of the line. */
  open = false
  private starts: Int32Array = new Int32Array(256)
  private ends: Int32Array = new Int32Array(256)
  // Values of quoted fields (their text has quotes and `""`), by field index: few per line.
  private quotedAt: number[] = []
  private quotedValue: string[] = []

  read(text: string, start: number): void {
    this.text = text
    this.open = false
    if (this.quotedAt.length > 0) {
      this.quotedAt.length = 0
      this.quotedValue.length = 0
    }
    const len = text.length
    let starts = this.starts
    let ends = this.ends
    let n = 0
    let pos = start
    for (;;) {
      if (n === starts.length) {
        this.grow()
        starts = this.starts
        ends = this.ends
      }
      // The first character says it all: an empty field (runs of them are common), a quoted one,
      // a braced one; quotes and braces inside a field are plain characters.
      const first = text.charCodeAt(pos)
      let c: number
      if (first === 44) {
        starts[n] = pos
        ends[n] = pos
        n++
        pos++
        continue
      } else if (first === 34) {
        c = this.quoted(n, pos)
      } else {
        c = text.indexOf(',', pos)
        if (c === -1) c = len
        if (first === 123) {
          const close = closingBrace(text, pos)
          if (close > c) {
            c = text.indexOf(',', close)
            if (c === -1) c = len
          }
        }
      }
      starts[n] = pos
      ends[n] = c
      n++
      if (c >= len) break
      pos = c + 1
    }
    this.count = n
  }

  /** Whether field i is all digits (true when empty). */
  digits(i: number): boolean {
    if (i >= this.count) return true
    if (this.quotedAt.length > 0) {
      const d = this.decoded(i)
      if (d !== undefined) return /^\d*$/.test(d)
    }
    const t = this.text
    for (let k = this.starts[i]!, e = this.ends[i]!; k < e; k++) {
      const c = t.charCodeAt(k)
      if (c < 48 || c > 57) return false
    }
    return true
  }

  /** Whether field i is `0x…` hexadecimal flags or a signed decimal (true when empty). */
  flags(i: number): boolean {
    if (i >= this.count) return true
    if (this.quotedAt.length > 0) {
      const d = this.decoded(i)
      if (d !== undefined) return /^(?:0x[0-9a-f]+|-?\d+|)$/i.test(d)
    }
    const t = this.text
    let k = this.starts[i]!
    const e = this.ends[i]!
    if (k === e) return true
    if (e - k > 2 && t.charCodeAt(k) === 48 && (t.charCodeAt(k + 1) | 32) === 120) {
      for (k += 2; k < e; k++) {
        const c = t.charCodeAt(k) | 32
        if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
      }
      return true
    }
    if (t.charCodeAt(k) === 45) k++
    if (k === e) return false
    for (; k < e; k++) {
      const c = t.charCodeAt(k)
      if (c < 48 || c > 57) return false
    }
    return true
  }

  /** Whether field i is `0x…` hexadecimal (not empty, not decimal). */
  hexFlags(i: number): boolean {
    const v = this.str(i)
    if (v === undefined || v.length < 3 || v.charCodeAt(0) !== 48 || (v.charCodeAt(1) | 32) !== 120) return false
    for (let k = 2; k < v.length; k++) {
      const c = v.charCodeAt(k) | 32
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
    }
    return true
  }

  private grow(): void {
    const starts = new Int32Array(this.starts.length * 2)
    const ends = new Int32Array(this.ends.length * 2)
    starts.set(this.starts)
    ends.set(this.ends)
    this.starts = starts
    this.ends = ends
  }

  /** Reads the quoted field at `pos`; returns the end of the field (its ',' or the end of the text). */
  private quoted(n: number, pos: number): number {
    const text = this.text
    const len = text.length
    // Mostly a plain quoted value, `"…",`: one cut, no copying.
    const close = text.indexOf('"', pos + 1)
    if (close !== -1 && text.charCodeAt(close + 1) !== 34) {
      const after = text.charCodeAt(close + 1)
      if (after === 44 || close + 1 >= len) {
        this.setDecoded(n, text.slice(pos + 1, close))
        return close + 1
      }
    }
    let value = ''
    let j = pos + 1
    for (;;) {
      const q = text.indexOf('"', j)
      if (q === -1) {
        this.open = true
        this.setDecoded(n, value + text.slice(j))
        return len
      }
      value += text.slice(j, q)
      if (text.charCodeAt(q + 1) === 34) {
        value += '"'
        j = q + 2
        continue
      }
      j = q + 1
      break
    }
    let c = text.indexOf(',', j)
    if (c === -1) c = len
    this.setDecoded(n, c > j ? value + text.slice(j, c) : value)
    return c
  }

  private setDecoded(n: number, value: string): void {
    this.quotedAt.push(n)
    this.quotedValue.push(value)
  }

  /** The value of field i when it was quoted, else undefined. */
  private decoded(i: number): string | undefined {
    const at = this.quotedAt
    for (let k = 0; k < at.length; k++) if (at[k] === i) return this.quotedValue[k]
    return undefined
  }

  /** Field i, or undefined when it is absent or empty. */
  str(i: number): string | undefined {
    if (i >= this.count) return undefined
    if (this.quotedAt.length > 0) {
      const d = this.decoded(i)
      if (d !== undefined) return d === '' ? undefined : d
    }
    const s = this.starts[i]!
    const e = this.ends[i]!
    return s === e ? undefined : this.text.slice(s, e)
  }

  /** Where plain (unquoted) field i starts in `text`; -1 when it is absent or was quoted. */
  plainStart(i: number): number {
    if (i >= this.count || (this.quotedAt.length > 0 && this.quotedAt.includes(i))) return -1
    return this.starts[i]!
  }

  /** Where field i ends in `text` (its ',' or the end of the text). */
  endOf(i: number): number {
    return i < this.count ? this.ends[i]! : -1
  }

  /** Field i as text, '' when absent or empty. */
  at(i: number): string {
    return this.str(i) ?? ''
  }

  /**
   * Whether any of fields from..to-1 has text, from the positions alone (a quoted `""` counts as
   * text): lets a mapping skip a run of fields most lines leave empty.
   */
  anyText(from: number, to: number): boolean {
    const end = Math.min(to, this.count)
    for (let i = from; i < end; i++) if (this.ends[i] !== this.starts[i]) return true
    return false
  }

  empty(i: number): boolean {
    if (i >= this.count) return true
    if (this.quotedAt.length > 0) {
      const d = this.decoded(i)
      if (d !== undefined) return d === ''
    }
    return this.starts[i] === this.ends[i]
  }

  /** Whether field i is the single character `c` ('0' for "none" in many PAN-OS fields). */
  isChar(i: number, c: number): boolean {
    if (i >= this.count) return false
    const s = this.starts[i]!
    return this.ends[i] === s + 1 && this.text.charCodeAt(s) === c
  }

  /**
   * Field i as a whole number: -1 when absent or empty, -2 when it is not digits (or too long to
   * be exact). Read from the characters, without cutting a string.
   */
  int(i: number): number {
    if (i >= this.count) return -1
    if (this.quotedAt.length > 0) {
      const d = this.decoded(i)
      if (d !== undefined) return intOf(d)
    }
    const s = this.starts[i]!
    const e = this.ends[i]!
    if (s === e) return -1
    if (e - s > 15) return intOf(this.text.slice(s, e))
    const t = this.text
    let x = 0
    for (let k = s; k < e; k++) {
      const d = t.charCodeAt(k) - 48
      if (d < 0 || d > 9) return -2
      x = x * 10 + d
    }
    return x
  }

  /** Joins fields p to p+k into one (an unquoted comma split it), moving the later fields back. */
  join(p: number, k: number): void {
    const n = this.count
    if (p + k >= n) return
    let joined: string | undefined
    if (this.quotedAt.length > 0) {
      const parts: string[] = []
      for (let i = p; i <= p + k; i++) parts.push(this.at(i))
      joined = parts.join(',')
    }
    this.ends[p] = this.ends[p + k]!
    this.starts.copyWithin(p + 1, p + k + 1, n)
    this.ends.copyWithin(p + 1, p + k + 1, n)
    if (joined !== undefined) {
      // Quoted fields after the join move back k places; the ones joined become one value.
      const at = this.quotedAt
      for (let q = at.length - 1; q >= 0; q--) {
        if (at[q]! >= p && at[q]! <= p + k) {
          at.splice(q, 1)
          this.quotedValue.splice(q, 1)
        } else if (at[q]! > p + k) {
          at[q] = at[q]! - k
        }
      }
      this.setDecoded(p, joined)
    }
    this.count = n - k
  }

  /** Empties field i (its content cannot be trusted). */
  clear(i: number): void {
    if (i >= this.count) return
    this.ends[i] = this.starts[i]!
    const k = this.quotedAt.indexOf(i)
    if (k !== -1) this.quotedValue[k] = ''
  }

  /** Keeps only the first n fields. */
  cut(n: number): void {
    if (n < this.count) this.count = n
  }

  /** The record's text from field i on, or '' ('' also past the end). */
  from(i: number): string {
    return i >= this.count ? '' : this.text.slice(this.starts[i]!)
  }
}

function intOf(v: string): number {
  if (v === '') return -1
  if (!/^\d+$/.test(v)) return -2
  const x = Number(v)
  return Number.isSafeInteger(x) ? x : -2
}

/**
 * Index of the '}' that closes the '{' at i, or -1 when it does not close. Groups that follow
 * straight on (`{…},{…}`, one per link switch) belong to the same field.
 */
function closingBrace(text: string, i: number): number {
  let depth = 0
  let close = -1
  for (let k = i; k < text.length; k++) {
    const c = text.charCodeAt(k)
    if (c === 123) depth++
    else if (c === 125 && --depth === 0) {
      close = k
      if (text.charCodeAt(k + 1) !== 44 || text.charCodeAt(k + 2) !== 123) return close
      k++
    }
  }
  return close
}
