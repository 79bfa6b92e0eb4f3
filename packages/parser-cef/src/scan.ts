// The CEF line (ArcSight "Common Event Format", Implementing ArcSight CEF, v25 and v26):
//
//   CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension
//
// Header fields escape '|' and '\' with a backslash. The extension is `key=value` pairs separated
// by spaces, where a value may hold spaces and escapes '=', '\', newline (`\n`) and carriage
// return (`\r`); a new pair starts at the last space before the next unescaped `key=`. Both are
// scanned on char codes, once, left to right: a regular expression over the extension would
// backtrack on hostile input (many '=' or '\'), and this runs once per message.

/** How far into the frame a CEF header may start: a syslog header and a device's own prefix. */
const MAX_PREFIX = 1024

/** The header's seven fields, unescaped, and where the extension starts. */
export interface Header {
  version: string
  vendor: string
  product: string
  deviceVersion: string
  classId: string
  name: string
  severity: string
  /** Index in the text where the extension starts. */
  extension: number
}

/** Where the last `findHeader` put the pipes (reused: no allocation on refusal). */
const pipes = new Int32Array(7)

/**
 * Whether a CEF header starts at `at` (the index of 'CEF:'): a version number, seven unescaped
 * pipes, and a vendor and a product. Fills `pipes`.
 */
function headerAt(text: string, at: number): boolean {
  let i = at + 4
  const v0 = i
  while (i < text.length && i - v0 < 3) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) break
    i++
  }
  if (i === v0 || text.charCodeAt(i) !== 124 /* | */) return false
  let n = 0
  const end = text.length
  for (; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c === 92 /* \ */) {
      i++
      continue
    }
    if (c === 124) {
      pipes[n++] = i
      if (n === 7) break
    } else if (c === 10 || c === 13 || c === 0) {
      // A header does not span lines.
      return false
    }
  }
  // Vendor and product must be named; the other fields may be empty.
  const ok = n === 7 && pipes[1]! - pipes[0]! > 1 && pipes[2]! - pipes[1]! > 1
  pipesText = ok ? text : undefined
  pipesAt = at
  return ok
}

/** Whose header `pipes` holds. */
let pipesText: string | undefined
let pipesAt = -1

// The frame `findHeader` last looked at, and what it found there: the dispatcher asks isMine,
// then parse, about the same frame, and readHeader then needs the pipes of that very header.
let lastText: string | undefined
let lastAt = -1

/** Index of the 'CEF:' that starts a valid header, or -1. Looks only near the start of the frame. */
export function findHeader(text: string): number {
  if (text === lastText) return lastAt
  lastText = text
  lastAt = search(text)
  return lastAt
}

function search(text: string): number {
  const limit = Math.min(text.length, MAX_PREFIX)
  // Search the start of the frame only: a long line without CEF costs no more than a short one.
  const head = text.length > MAX_PREFIX + 4 ? text.slice(0, MAX_PREFIX + 4) : text
  for (let at = head.indexOf('CEF:'); at !== -1 && at < limit; at = head.indexOf('CEF:', at + 4)) {
    if (headerAt(text, at)) return at
  }
  return -1
}

/** Removes header escapes: `\|` and `\\` (a backslash before anything else stays). */
function unescapeHeader(s: string): string {
  if (!s.includes('\\')) return s
  let out = ''
  let from = 0
  for (let i = s.indexOf('\\'); i !== -1 && i < s.length - 1; i = s.indexOf('\\', i)) {
    const next = s.charCodeAt(i + 1)
    if (next === 124 || next === 92) {
      out += s.slice(from, i)
      from = i + 1
      i += 2
    } else {
      i++
    }
  }
  return out + s.slice(from)
}

/** Reads the header found at `at` (after `findHeader` returned it). */
export function readHeader(text: string, at: number): Header {
  if ((pipesText !== text || pipesAt !== at) && !headerAt(text, at)) throw new Error('no CEF header at this index')
  const field = (k: number) => unescapeHeader(text.slice(pipes[k - 1]! + 1, pipes[k]!)).trim()
  return {
    version: text.slice(at + 4, pipes[0]!),
    vendor: field(1),
    product: field(2),
    deviceVersion: field(3),
    classId: field(4),
    name: field(5),
    severity: field(6),
    extension: pipes[6]! + 1,
  }
}

/** Whether a char code may be part of an extension key: letters, digits, '_', '.', '-', '[', ']'. */
function keyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45 || c === 91 || c === 93
}

/** The extension's pairs, in order: keys and their values, still escaped. */
export interface Pairs {
  keys: string[]
  values: string[]
  /** Text before the first pair ('' when none). */
  lead: string
  /** True when the extension had more than MAX_PAIRS pairs and the rest was not read. */
  capped: boolean
}

/**
 * The most pairs read from one extension. Real devices send a few hundred at most (PAN-OS's
 * longest CEF formats about 200); a cap keeps a hostile line of `a=a=…` from building tens of
 * thousands of objects.
 */
export const MAX_PAIRS = 1024

/**
 * Splits the extension into pairs. A pair starts at a key (key characters only, after a space or
 * at the start) followed by an unescaped '='; an '=' that does not follow such a key belongs to
 * the value. Text before the first key comes back as `lead`.
 */
export function readPairs(text: string, start: number): Pairs {
  const keys: string[] = []
  const values: string[] = []
  let end = text.length
  while (end > start) {
    const c = text.charCodeAt(end - 1)
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9 && c !== 0) break
    end--
  }
  let lead = ''
  let key = ''
  let valueStart = -1
  // Jump from '=' to '=' (native indexOf), and look back from each only as far as the previous
  // one: every character is read a bounded number of times, whatever the line holds.
  let prev = start - 1
  for (let eq = text.indexOf('=', start); eq !== -1 && eq < end; prev = eq, eq = text.indexOf('=', eq + 1)) {
    // Escaped when an odd number of backslashes stands right before it.
    let slashes = 0
    while (eq - slashes - 1 > prev && text.charCodeAt(eq - slashes - 1) === 92) slashes++
    if (slashes % 2 === 1) continue
    // The key: key characters back to a space that is not escaped, or to the extension's start.
    let ks = eq
    while (ks - 1 > prev && keyChar(text.charCodeAt(ks - 1))) ks--
    if (ks === eq) continue
    if (ks > start) {
      if (text.charCodeAt(ks - 1) !== 32) continue
      let before = 0
      while (ks - 2 - before >= start && text.charCodeAt(ks - 2 - before) === 92) before++
      if (before % 2 === 1) continue
    }
    if (valueStart === -1) {
      if (ks > start) lead = text.slice(start, ks - 1).trim()
    } else {
      keys.push(key)
      values.push(text.slice(valueStart, trimRight(text, valueStart, ks - 1)))
      if (keys.length >= MAX_PAIRS) return { keys, values, lead, capped: true }
    }
    key = text.slice(ks, eq)
    valueStart = eq + 1
  }
  if (valueStart !== -1) {
    keys.push(key)
    values.push(text.slice(valueStart, trimRight(text, valueStart, end)))
  } else if (end > start) lead = text.slice(start, end).trim()
  return { keys, values, lead, capped: false }
}

function trimRight(text: string, from: number, to: number): number {
  while (to > from && text.charCodeAt(to - 1) === 32) to--
  return to
}

/** Removes extension escapes: `\=`, `\\`, `\|`, and `\n`, `\r` as newline and carriage return. */
export function unescapeValue(s: string): string {
  let i = s.indexOf('\\')
  if (i === -1) return s
  let out = ''
  let from = 0
  while (i !== -1 && i < s.length - 1) {
    const next = s.charCodeAt(i + 1)
    let rep: string | undefined
    if (next === 61 || next === 92 || next === 124) rep = s[i + 1]
    else if (next === 110) rep = '\n'
    else if (next === 114) rep = '\r'
    if (rep !== undefined) {
      out += s.slice(from, i) + rep
      from = i + 2
      i = s.indexOf('\\', i + 2)
    } else {
      i = s.indexOf('\\', i + 1)
    }
  }
  return out + s.slice(from)
}
