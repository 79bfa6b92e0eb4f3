/** Where a parse result breaks the event contract, and how. */
export interface NotPlain {
  /** Field path ('' for the result itself). */
  path: string
  what: string
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Checks a parse result against the event contract (docs/architecture.md): an event, an array of
 * events, null or undefined, where every event is plain JSON data that `structuredClone` and
 * `JSON.stringify` carry unchanged. Events cross thread and process boundaries as clones and reach
 * sinks as JSON, so anything else (an `undefined` field, a Date, a Map, a null-prototype object
 * from `parseKv`, NaN) would arrive different from what the parser returned.
 */
export function whyNotPlain(result: unknown): NotPlain | undefined {
  if (result === null || result === undefined) return undefined
  const events = Array.isArray(result) ? result : [result]
  for (let i = 0; i < events.length; i++) {
    const path = Array.isArray(result) ? `[${i}]` : ''
    const e: unknown = events[i]
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      return { path, what: `${describe(e)}; parse returns an event (an object), an array of events, or null` }
    }
  }
  return check(result, '', new Set())
}

function check(value: unknown, path: string, seen: Set<object>): NotPlain | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined
    case 'number':
      if (!Number.isFinite(value)) return { path, what: `${value}, which JSON writes as null` }
      if (Object.is(value, -0)) return { path, what: '-0, which JSON writes as 0' }
      return undefined
    case 'object':
      break
    default:
      return { path, what: describe(value) }
  }
  if (value === null) return undefined
  if (seen.has(value)) return { path, what: 'a circular reference' }
  seen.add(value)
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return { path, what: 'an array of a subclass' }
    for (let i = 0; i < value.length; i++) {
      const sub = `${path}[${i}]`
      if (!(i in value)) return { path: sub, what: 'a hole in an array' }
      const r = check(value[i], sub, seen)
      if (r) return r
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto === null) {
      return { path, what: 'an object with a null prototype (parseKv returns one: copy the fields you want into a plain object)' }
    }
    if (proto !== Object.prototype) return { path, what: describe(value) }
    if (Object.getOwnPropertySymbols(value).length > 0) return { path, what: 'an object with symbol keys' }
    for (const key of Object.keys(value)) {
      const sub = path === '' ? key : `${path}.${key}`
      if (FORBIDDEN.has(key)) return { path: sub, what: `a key named '${key}'` }
      const desc = Object.getOwnPropertyDescriptor(value, key)!
      if (!('value' in desc)) return { path: sub, what: 'a getter' }
      const r = check(desc.value, sub, seen)
      if (r) return r
    }
  }
  seen.delete(value)
  return undefined
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined (leave the field out instead: setField skips undefined)'
  if (v === null) return 'null'
  if (typeof v === 'function') return 'a function'
  if (typeof v === 'bigint') return 'a bigint'
  if (typeof v === 'symbol') return 'a symbol'
  if (typeof v !== 'object') return `a ${typeof v}`
  if (Array.isArray(v)) return 'an array'
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name
  if (name === 'Date') return 'a Date (write an ISO 8601 string: date.toISOString())'
  return `an instance of ${name ?? 'an unknown class'}`
}
