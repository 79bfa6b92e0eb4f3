import type { LogEvent, SyslogMessage } from '@beer/parser-sdk'

/** One message being read: the event so far, and what could not be read. */
export interface Out {
  ev: LogEvent
  problems: string[] | null
}

// Field paths are this parser's own constants, never taken from input: they are split once and
// walked without the checks `setField` makes for paths built from input.
const PATHS = new Map<string, string[]>()

/** Sets a dotted field, skipping undefined, null, '' and NaN as `setField` does. */
export function set(out: Out, path: string, value: unknown): void {
  if (value === undefined || value === null || value === '' || (typeof value === 'number' && value !== value)) return
  let keys = PATHS.get(path)
  if (keys === undefined) {
    keys = path.split('.')
    PATHS.set(path, keys)
  }
  let node = out.ev as Record<string, unknown>
  const last = keys.length - 1
  for (let i = 0; i < last; i++) {
    const key = keys[i]!
    let next = node[key]
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
      next = {}
      node[key] = next
    }
    node = next as Record<string, unknown>
  }
  node[keys[last]!] = value
}

export function problem(out: Out, text: string): void {
  ;(out.problems ??= []).push(text)
}

/** A whole non-negative number, or undefined. */
export function count(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 15) return undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  return Number(text)
}

/** Marks the event partial when something could not be read, as every beer parser does. */
export function finish(out: Out, msg: SyslogMessage): LogEvent {
  const ev = out.ev
  if (msg.truncated) problem(out, 'the frame was cut at the maximum message size')
  if (out.problems !== null) {
    ev.beer = { partial: true }
    ev.error = { message: out.problems.join('; ') }
    ev.event!.original = msg.raw
  }
  return ev
}
