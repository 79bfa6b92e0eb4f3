import type { StructuredData } from './message.ts'

type Params = { [param: string]: string | string[] }

/** Index just past the last well-formed SD-ELEMENT that `readStructuredData` read. */
export const sdEnd: { at: number } = { at: 0 }

let elementId = ''
let elementParams: Params = {}

// SD-IDs and PARAM-NAMEs repeat from message to message. A property store with a freshly sliced
// key makes V8 look the key up in its string table through the runtime on every message; handing
// it the one interned copy of the name keeps the store on the fast path (measured: a third less
// per name, lookup included). Bounded, so that senders inventing names cannot grow it without end.
const interned = new Map<string, string>()
const INTERN_LIMIT = 4096

/**
 * The SD-IDs seen lately, each with the PARAM-NAMEs it had, in order. A sender repeats the same
 * elements, so the next message's names are compared with these in place (no substring, no
 * hashing) before falling back to scanning and interning.
 */
interface Known {
  id: string
  /** The id's UTF-16 code units: comparing against an array reads faster than a second string. */
  idCodes: Uint16Array
  names: string[]
  nameCodes: Uint16Array[]
}
const KNOWN_LIMIT = 8
const known: Known[] = []
let knownNext = 0

function codesOf(s: string): Uint16Array {
  const codes = new Uint16Array(s.length)
  for (let k = 0; k < s.length; k++) codes[k] = s.charCodeAt(k)
  return codes
}

/**
 * Whether the text with these code units occurs in `raw` at i, its first one already compared.
 * By hand: V8's `startsWith` with a position builds a substring first.
 */
function matchesAt(raw: string, i: number, codes: Uint16Array): boolean {
  const n = codes.length
  for (let k = 1; k < n; k++) if (raw.charCodeAt(i + k) !== codes[k]) return false
  return true
}

function intern(name: string): string {
  const hit = interned.get(name)
  if (hit !== undefined) return hit
  // A computed key defines an own property even for '__proto__'; Object.keys hands back the
  // engine's interned copy of the name.
  const key = Object.keys({ [name]: 0 })[0] ?? name
  if (interned.size >= INTERN_LIMIT) interned.clear()
  interned.set(key, key)
  return key
}

/**
 * Names that could reach an object's prototype (DESIGN.md: never taken from input). Checked by
 * length first: a Set lookup would hash every name on the hot path.
 */
function forbidden(name: string): boolean {
  const n = name.length
  return (n === 9 || n === 11) && (name === '__proto__' || name === 'prototype' || name === 'constructor')
}

/**
 * RFC 5424 §6.3 STRUCTURED-DATA starting at the '[' at `i`: one or more SD-ELEMENTs
 * `[SD-ID *(SP PARAM-NAME="PARAM-VALUE")]`. Reads elements until one is malformed or the next
 * character is not '['; `sdEnd.at` tells where the well-formed part ends, so that the caller
 * keeps the rest as MSG. Returns null when no element was well formed (or none kept).
 *
 * Lenient where senders are: spaces around '=' (seen from Windows event forwarders), and an
 * unescaped ']' inside a quoted value. A repeated PARAM-NAME gives an array (§6.3.3 allows it);
 * a repeated SD-ID adds to the first. `__proto__`, `constructor` and `prototype` are dropped.
 */
export function readStructuredData(raw: string, i: number, end: number): StructuredData | null {
  let sd: StructuredData | null = null
  let first = ''
  let more: string[] | null = null
  while (i < end && raw.charCodeAt(i) === 91) {
    const next = readElement(raw, i + 1, end)
    if (next < 0) break
    i = next
    const id = elementId
    if (forbidden(id)) continue
    if (sd === null) {
      sd = {}
      sd[id] = elementParams
      first = id
    } else if (id === first || (more !== null && more.includes(id))) {
      merge(sd[id]!, elementParams)
    } else {
      sd[id] = elementParams
      if (more === null) more = [id]
      else more.push(id)
    }
  }
  sdEnd.at = i
  return sd
}

/** Adds a value for a name the object has already (a repeated PARAM-NAME). */
function addRepeated(params: Params, name: string, value: string): void {
  const prev = params[name]
  if (typeof prev === 'string') params[name] = [prev, value]
  else if (Array.isArray(prev)) prev.push(value)
  else params[name] = value
}

function merge(into: Params, from: Params): void {
  for (const name of Object.keys(from)) {
    const v = from[name]!
    const values = typeof v === 'string' ? [v] : v
    for (const one of values) {
      if (Object.hasOwn(into, name)) addRepeated(into, name, one)
      else into[name] = one
    }
  }
}

/** Reads one SD-ELEMENT after its '[' into `elementId`/`elementParams`; returns the index after its ']' or -1. */
function readElement(raw: string, i: number, end: number): number {
  let element: Known | null = null
  const first = raw.charCodeAt(i)
  for (let k = 0; k < known.length; k++) {
    const codes = known[k]!.idCodes
    if (codes[0] === first && matchesAt(raw, i, codes)) {
      const after = raw.charCodeAt(i + codes.length)
      if (after === 32 || after === 93) {
        element = known[k]!
        i += codes.length
        break
      }
    }
  }
  if (element === null) {
    // SD-NAME: PRINTUSASCII except '=', SP, ']', '"' (§6.3.2)
    const idStart = i
    for (; i < end; i++) {
      const c = raw.charCodeAt(i)
      if (c === 32 || c === 93) break
      if (c === 61 || c === 34 || c < 33 || c > 126) return -1
    }
    if (i === idStart || i >= end) return -1
    const id = intern(raw.slice(idStart, i))
    element = { id, idCodes: codesOf(id), names: [], nameCodes: [] }
    if (known.length < KNOWN_LIMIT) known.push(element)
    else known[knownNext++ % KNOWN_LIMIT] = element
  }
  const expected = element.names
  const expectedCodes = element.nameCodes
  const params: Params = {}
  for (let n = 0; ; n++) {
    if (i >= end) return -1
    let c = raw.charCodeAt(i)
    if (c === 93) break
    if (c !== 32) return -1
    while (c === 32) c = raw.charCodeAt(++i)
    if (c === 93) break
    let name = ''
    const codes = n < expected.length ? expectedCodes[n]! : null
    if (codes !== null && codes[0] === c && matchesAt(raw, i, codes) && ((c = raw.charCodeAt(i + codes.length)) === 61 || c === 32)) {
      name = expected[n]!
      i += codes.length
    } else {
      const nameStart = i
      for (; i < end; i++) {
        c = raw.charCodeAt(i)
        if (c === 61 || c === 32) break
        if (c === 93 || c === 34 || c < 33 || c > 126) return -1
      }
      if (i === nameStart || i >= end) return -1
      name = intern(raw.slice(nameStart, i))
      if (n < expected.length) {
        expected[n] = name
        expectedCodes[n] = codesOf(name)
      } else if (n < 64) {
        expected.push(name)
        expectedCodes.push(codesOf(name))
      }
    }
    while (c === 32) c = raw.charCodeAt(++i)
    if (c !== 61) return -1
    c = raw.charCodeAt(++i)
    while (c === 32) c = raw.charCodeAt(++i)
    if (c !== 34) return -1
    // RFC 5424 §6.3.3: PARAM-VALUE escapes '"', '\' and ']' with '\'; a backslash before any
    // other character stays as it is.
    const valueStart = ++i
    // The closing '"' by native search; only a value holding a '\\' needs reading char by char.
    const quote = raw.indexOf('"', i)
    if (quote < 0 || quote >= end) return -1
    let value = raw.slice(valueStart, quote)
    i = quote + 1
    if (value.indexOf('\\') >= 0) {
      i = valueStart
      value = ''
      let chunk = valueStart
      for (;;) {
        if (i >= end) return -1
        c = raw.charCodeAt(i)
        if (c === 34) break
        if (c === 92) {
          const e = raw.charCodeAt(i + 1)
          if (e === 34 || e === 92 || e === 93) {
            value += raw.slice(chunk, i)
            chunk = i + 1
            i += 2
            continue
          }
        }
        i++
      }
      value += raw.slice(chunk, i)
      i++
    }
    if (forbidden(name)) continue
    // The names before this one are expected[0..n): a repeat is found by comparing interned strings.
    let repeated = false
    if (n < 64) {
      for (let k = 0; k < n; k++) {
        if (expected[k] === name) {
          repeated = true
          break
        }
      }
    } else {
      repeated = Object.hasOwn(params, name)
    }
    if (repeated) addRepeated(params, name, value)
    else params[name] = value
  }
  elementId = element.id
  elementParams = params
  return i + 1
}
