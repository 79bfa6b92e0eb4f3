import { BeerError } from './errors.ts'

/**
 * Throws BEER_ERR_MODULE_OPTIONS_NOT_CLONEABLE naming the first option path that would not survive
 * `structuredClone` unchanged (functions, symbols, class instances, ...), so that a module's options
 * can travel to a worker thread or child process. `where` names the module for the message.
 */
export function assertCloneable(value: unknown, where: string, path = 'options'): void {
  const reason = whyNotCloneable(value, path, new Set())
  if (reason !== undefined) {
    throw new BeerError(
      'BEER_ERR_MODULE_OPTIONS_NOT_CLONEABLE',
      `${where}: option ${reason.path} is ${reason.what}; module options must be plain data (strings, numbers, booleans, null, arrays, plain objects) so the module can run in a worker or a child process`,
      { module: where, option: reason.path },
    )
  }
}

function whyNotCloneable(
  value: unknown,
  path: string,
  seen: Set<object>,
): { path: string; what: string } | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined
    case 'number':
      return undefined
    case 'undefined':
      return undefined
    case 'bigint':
      return { path, what: 'a bigint' }
    case 'function':
      return { path, what: 'a function' }
    case 'symbol':
      return { path, what: 'a symbol' }
  }
  if (value === null) return undefined
  const obj = value as object
  if (seen.has(obj)) return { path, what: 'a circular reference' }
  seen.add(obj)
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      const r = whyNotCloneable(obj[i], `${path}[${i}]`, seen)
      if (r) return r
    }
    seen.delete(obj)
    return undefined
  }
  const proto = Object.getPrototypeOf(obj)
  if (proto !== Object.prototype && proto !== null) {
    const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? 'unknown'
    return { path, what: `an instance of ${name}` }
  }
  for (const key of Object.keys(obj)) {
    const r = whyNotCloneable((obj as Record<string, unknown>)[key], `${path}.${key}`, seen)
    if (r) return r
  }
  seen.delete(obj)
  return undefined
}
