import { isForbiddenKey } from '@beer/core'
import type { LogEvent } from '@beer/core'

/**
 * Sets a dotted ECS field (`source.nat.ip`) on an event, creating the objects on the way.
 * `undefined`, `null`, '' and NaN are not written, so parsers can pass optional fields through
 * without checks, and nor is a path with a key named `__proto__`, `constructor` or `prototype`
 * (paths built from input must not reach a prototype). Returns the event.
 */
export function setField(event: LogEvent, path: string, value: unknown): LogEvent {
  if (value === undefined || value === null || value === '' || (typeof value === 'number' && Number.isNaN(value))) return event
  const keys = keysOf(path)
  // Refused before anything is created, so that a refused field leaves no empty object behind.
  if (keys === null) return event
  let node = event as Record<string, unknown>
  const last = keys.length - 1
  for (let i = 0; i < last; i++) {
    const key = keys[i]!
    let next = node[key]
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      next = {}
      node[key] = next
    }
    node = next as Record<string, unknown>
  }
  node[keys[last]!] = value
  return event
}

// A parser sets the same few dozen paths line after line: each is split (and checked) once, and
// its keys reused, which also lets the runtime find them at once as property names. Paths built
// from input (key=value names) could be endless and long: only short ones are kept, and the table
// is emptied when full, so that junk seen early cannot keep the constant paths out for good.
const MAX_CACHED_PATHS = 4096
const MAX_CACHED_PATH_LENGTH = 128
const splitPaths = new Map<string, readonly string[] | null>()

/** The keys of a dotted path; null when one of them is forbidden. */
function keysOf(path: string): readonly string[] | null {
  let keys = splitPaths.get(path)
  if (keys !== undefined) return keys
  const split = path.split('.')
  keys = split.some(isForbiddenKey) ? null : split
  if (path.length <= MAX_CACHED_PATH_LENGTH) {
    if (splitPaths.size >= MAX_CACHED_PATHS) splitPaths.clear()
    splitPaths.set(path, keys)
  }
  return keys
}

/** Reads a dotted field. */
export function getField(event: LogEvent, path: string): unknown {
  let v: unknown = event
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

/**
 * Adds values to `related.ip`, `related.user`, `related.hosts` or `related.hash` (ECS), once
 * each, so correlation finds an entity whatever field it came in.
 */
export function addRelated(event: LogEvent, kind: 'ip' | 'user' | 'hosts' | 'hash', ...values: unknown[]): LogEvent {
  for (const v of values) {
    if (typeof v !== 'string' || v === '') continue
    const related = (event.related ??= {})
    const list = (related[kind] ??= [])
    if (!list.includes(v)) list.push(v)
  }
  return event
}
