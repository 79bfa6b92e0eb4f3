import type { LogEvent } from '@beer/core'

/**
 * Events cross thread and process boundaries as NDJSON text. Measured on this project's syslog
 * events, a JSON round trip costs about half of a structured-clone round trip, a string crosses
 * `postMessage` as one copy, and the text is what NDJSON sinks write anyway: a batch that comes
 * back from a worker untouched reaches them without being parsed and serialized again on the
 * main thread (bench/transport.bench.ts).
 *
 * The text of a batch is a list of chunks of whole lines, each under CHUNK characters: V8 puts
 * strings above 128 KiB in its large-object space, and passing those between threads was 20×
 * slower per byte here than passing 64 KiB ones.
 *
 * JSON.stringify escapes every newline inside strings, so '\n' separates events safely.
 */
export type Ndjson = string[]

const CHUNK = 64 * 1024

/**
 * Serializes a batch. An event JSON cannot hold (a BigInt, a cycle) is left out and reported to
 * `refused`, so one bad event never costs its neighbours.
 */
export function encodeEvents(events: readonly LogEvent[], refused?: (event: LogEvent, why: string) => void): Ndjson {
  const chunks: Ndjson = []
  let text = ''
  for (let i = 0; i < events.length; i++) {
    let json: string | undefined
    try {
      json = JSON.stringify(events[i])
    } catch (err) {
      refused?.(events[i]!, (err as Error).message)
      continue
    }
    if (json === undefined) {
      refused?.(events[i]!, 'JSON.stringify returned nothing')
      continue
    }
    const line = json + '\n'
    if (text.length > 0 && text.length + line.length > CHUNK) {
      chunks.push(text)
      text = ''
    }
    text += line
  }
  if (text.length > 0) chunks.push(text)
  return chunks
}

export function decodeEvents(chunks: Ndjson): LogEvent[] {
  if (chunks.length === 1) return decodeChunk(chunks[0]!)
  const out: LogEvent[] = []
  for (const c of chunks) for (const e of decodeChunk(c)) out.push(e)
  return out
}

function decodeChunk(text: string): LogEvent[] {
  if (text.length === 0) return []
  // One JSON.parse over the whole chunk is faster than one per line.
  return JSON.parse('[' + text.slice(0, -1).replaceAll('\n', ',') + ']') as LogEvent[]
}

/** The lines of a batch, each without its '\n'. */
export function splitEvents(chunks: Ndjson): string[] {
  const lines: string[] = []
  for (const c of chunks) if (c.length > 0) for (const l of c.slice(0, -1).split('\n')) lines.push(l)
  return lines
}

export function joinLines(lines: readonly string[]): Ndjson {
  const chunks: Ndjson = []
  let text = ''
  for (const l of lines) {
    if (text.length > 0 && text.length + l.length + 1 > CHUNK) {
      chunks.push(text)
      text = ''
    }
    text += l + '\n'
  }
  if (text.length > 0) chunks.push(text)
  return chunks
}

/**
 * Raw inputs cross to a worker or process column by column: V8's structured clone costs about
 * ten times more per small object than per string (900 ns against 90 ns for a 230-byte syslog
 * frame here), and inputs of one batch mostly share their keys and some values (the origin of a
 * connection). Inputs that are not plain objects with one shared set of keys go as they are.
 */
export interface PackedInputs {
  packed: 1
  count: number
  keys: string[]
  /** Per key: every input's value, or `{ same }` when all inputs hold the very same value. */
  columns: (unknown[] | { same: unknown })[]
}

export function packInputs(inputs: readonly unknown[]): PackedInputs | unknown[] {
  const first = inputs[0]
  if (inputs.length < 2 || !isPlain(first)) return inputs as unknown[]
  const keys = Object.keys(first)
  const columns: unknown[][] = keys.map(() => new Array<unknown>(inputs.length))
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i] as Record<string, unknown>
    if (!isPlain(x)) return inputs as unknown[]
    let n = 0
    for (const _ in x) n++
    if (n !== keys.length) return inputs as unknown[]
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!
      if (!(key in x)) return inputs as unknown[]
      columns[k]![i] = x[key]
    }
  }
  return {
    packed: 1,
    count: inputs.length,
    keys,
    columns: columns.map((col) => {
      const v = col[0]
      for (let i = 1; i < col.length; i++) if (col[i] !== v) return col
      return { same: v }
    }),
  }
}

export function unpackInputs(p: PackedInputs | unknown[]): unknown[] {
  if (Array.isArray(p)) return p
  const out = new Array<unknown>(p.count)
  for (let i = 0; i < p.count; i++) {
    const x: Record<string, unknown> = {}
    for (let k = 0; k < p.keys.length; k++) {
      const col = p.columns[k]!
      x[p.keys[k]!] = Array.isArray(col) ? col[i] : col.same
    }
    out[i] = x
  }
  return out
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype
}

/** What `valueInLine` answers when only a full `JSON.parse` can tell. */
export const UNREADABLE: unique symbol = Symbol('unreadable')

/**
 * The value at `path` (`['user', 'name']`) in one NDJSON line, found by scanning the text instead
 * of parsing the whole event: a batch that comes back from a parse worker is text, and a stage with
 * `partitionBy` needs one key per event to route it, not the event. The answer is what `fieldAt`
 * would read from the parsed event: a string, number, boolean or null, undefined when the path is
 * absent or leads through a value that is not an object, and `UNREADABLE` when the value is an
 * object or an array, a step is an array, or the scan cannot read the text. Made for what
 * JSON.stringify writes (the runtime's own batches): on other text (a key written twice, trailing
 * garbage) the answer may differ from JSON.parse's.
 */
export function valueInLine(line: string, path: readonly string[]): unknown {
  let i = skipSpace(line, 0)
  if (line.charCodeAt(i) !== 123) return UNREADABLE
  for (let depth = 0; ; ) {
    // At the '{' of the object where path[depth] is looked for.
    i = skipSpace(line, i + 1)
    if (line.charCodeAt(i) === 125) return undefined
    for (;;) {
      if (line.charCodeAt(i) !== 34) return UNREADABLE
      const keyEnd = stringEnd(line, i)
      if (keyEnd === -1) return UNREADABLE
      const key = stringText(line, i, keyEnd)
      if (key === undefined) return UNREADABLE
      i = skipSpace(line, keyEnd + 1)
      if (line.charCodeAt(i) !== 58) return UNREADABLE
      i = skipSpace(line, i + 1)
      if (key === path[depth]) {
        if (depth === path.length - 1) return scalarAt(line, i)
        const c = line.charCodeAt(i)
        if (c === 123) {
          depth++
          break
        }
        // A string, number, boolean or null has no fields; an array has numbered ones.
        return c === 34 || c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102 || c === 110 ? undefined : UNREADABLE
      }
      i = valueEnd(line, i)
      if (i === -1) return UNREADABLE
      i = skipSpace(line, i)
      const sep = line.charCodeAt(i)
      if (sep === 125) return undefined
      if (sep !== 44) return UNREADABLE
      i = skipSpace(line, i + 1)
    }
  }
}

function skipSpace(s: string, i: number): number {
  for (let c = s.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = s.charCodeAt(++i));
  return i
}

/** Index of the '"' closing the string that opens at i, or -1. */
function stringEnd(s: string, i: number): number {
  for (let q = s.indexOf('"', i + 1); q !== -1; q = s.indexOf('"', q + 1)) {
    let backslashes = 0
    while (s.charCodeAt(q - 1 - backslashes) === 92) backslashes++
    if (backslashes % 2 === 0) return q
  }
  return -1
}

/** The string whose token runs from i to end (its quotes), decoded when it holds escapes. */
function stringText(s: string, i: number, end: number): string | undefined {
  const raw = s.slice(i + 1, end)
  if (!raw.includes('\\')) return raw
  try {
    return JSON.parse(s.slice(i, end + 1)) as string
  } catch {
    return undefined
  }
}

/** The value starting at i when it is a string, number, boolean or null; UNREADABLE otherwise. */
function scalarAt(s: string, i: number): unknown {
  const c = s.charCodeAt(i)
  if (c === 34) {
    const end = stringEnd(s, i)
    return end === -1 ? UNREADABLE : (stringText(s, i, end) ?? UNREADABLE)
  }
  if (c === 123 || c === 91) return UNREADABLE
  const end = valueEnd(s, i)
  if (end === -1) return UNREADABLE
  const token = s.slice(i, end)
  if (token === 'true') return true
  if (token === 'false') return false
  if (token === 'null') return null
  const n = Number(token)
  return (c === 45 || (c >= 48 && c <= 57)) && Number.isFinite(n) ? n : UNREADABLE
}

/** Index just past the value that starts at i (a string, number, literal, object or array), or -1. */
function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i)
  if (c === 34) {
    const end = stringEnd(s, i)
    return end === -1 ? -1 : end + 1
  }
  if (c === 123 || c === 91) {
    let depth = 0
    for (let k = i; k < s.length; k++) {
      const d = s.charCodeAt(k)
      if (d === 34) {
        k = stringEnd(s, k)
        if (k === -1) return -1
      } else if (d === 123 || d === 91) depth++
      else if (d === 125 || d === 93) {
        if (--depth === 0) return k + 1
      }
    }
    return -1
  }
  let k = i
  for (let d = s.charCodeAt(k); k < s.length && d !== 44 && d !== 125 && d !== 93 && d !== 32 && d !== 9 && d !== 10 && d !== 13; d = s.charCodeAt(++k));
  return k === i ? -1 : k
}
