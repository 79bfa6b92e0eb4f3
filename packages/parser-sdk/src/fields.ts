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
  // Refused before anything is created, so that a refused field leaves no empty object behind.
  if (
    (path.includes('__proto__') || path.includes('constructor') || path.includes('prototype')) &&
    path.split('.').some(isForbiddenKey)
  ) {
    return event
  }
  let node = event as Record<string, unknown>
  let start = 0
  for (;;) {
    const dot = path.indexOf('.', start)
    if (dot === -1) break
    const key = path.slice(start, dot)
    let next = node[key]
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      next = {}
      node[key] = next
    }
    node = next as Record<string, unknown>
    start = dot + 1
  }
  node[path.slice(start)] = value
  return event
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
