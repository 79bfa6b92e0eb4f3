import { BeerError, isForbiddenKey } from '@beer/core'
import type { LogEvent } from '@beer/core'
import { cidrMatcher } from './cidr.ts'

/**
 * What a field must hold. A plain value means equality, an array means "one of"; an object names
 * operators, all of which must hold. When the event's field is an array (`related.ip`,
 * `event.category`), the test holds when it holds for one element.
 */
export type FieldTest = string | number | boolean | null | readonly (string | number)[] | FieldOperators

export interface FieldOperators {
  eq?: string | number | boolean | null
  in?: readonly (string | number)[]
  prefix?: string | readonly string[]
  suffix?: string | readonly string[]
  contains?: string | readonly string[]
  /** IPv4 or IPv6 networks (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a /32 or /128. */
  cidr?: string | readonly string[]
  gt?: number
  gte?: number
  lt?: number
  lte?: number
  /** A regular expression (JavaScript syntax), compiled once. Nested quantifiers and backreferences are refused. */
  regex?: string
  /** Flags for `regex`: any of `i`, `m`, `s`, `u`. */
  flags?: string
  exists?: boolean
  /** Compare `eq`, `in`, `prefix`, `suffix` and `contains` without regard to case. */
  ignoreCase?: boolean
}

/**
 * A condition on one event: field paths (`'event.action'`) to tests, all of which must hold, and
 * the combinators `all` (every condition), `any` (at least one) and `not`.
 */
export interface Condition {
  all?: readonly Condition[]
  any?: readonly Condition[]
  not?: Condition
  [field: string]: FieldTest | Condition | readonly Condition[] | undefined
}

export type Predicate = (event: LogEvent) => boolean

/** Counters a compiled condition updates as it runs. */
export interface ConditionStats {
  /** Values longer than `regexMaxLength` that a regular expression was not run on. */
  regexInputTooLong: number
}

export interface CompileContext {
  /** Names the rule for error messages. */
  rule: string
  regexMaxLength: number
  stats: ConditionStats
}

const OPERATORS = new Set(['eq', 'in', 'prefix', 'suffix', 'contains', 'cidr', 'gt', 'gte', 'lt', 'lte', 'regex', 'flags', 'exists', 'ignoreCase'])

function fail(ctx: CompileContext, where: string, what: string): never {
  throw new BeerError('BEER_ERR_SEQUENCES_RULE', `rule '${ctx.rule}': ${where}: ${what}`, { rule: ctx.rule, field: where })
}

/** A reader for a dotted field path, split once. */
export function fieldReader(path: string): (event: LogEvent) => unknown {
  const parts = path.split('.')
  if (parts.length === 1) {
    const a = parts[0]!
    return (e) => (e as Record<string, unknown>)[a]
  }
  if (parts.length === 2) {
    const [a, b] = parts as [string, string]
    return (e) => {
      const v = (e as Record<string, unknown>)[a]
      return v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[b] : undefined
    }
  }
  return (e) => {
    let v: unknown = e
    for (let i = 0; i < parts.length; i++) {
      if (v === null || typeof v !== 'object') return undefined
      v = (v as Record<string, unknown>)[parts[i]!]
    }
    return v
  }
}

export function checkFieldPath(path: unknown, ctx: CompileContext, where: string): string {
  if (typeof path !== 'string' || !/^[^.\s]+(\.[^.\s]+)*$/.test(path)) fail(ctx, where, `expected a field path such as 'user.name', got ${JSON.stringify(path)}`)
  for (const p of path.split('.')) if (isForbiddenKey(p)) fail(ctx, where, `'${p}' cannot be part of a field path`)
  return path
}

/** Compiles a condition once into a predicate; every mistake is reported naming the rule and the field. */
export function compileCondition(c: unknown, ctx: CompileContext, where: string): Predicate {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) fail(ctx, where, `expected a condition object such as { "event.action": "logged-in" }, got ${show(c)}`)
  const parts: Predicate[] = []
  for (const [key, value] of Object.entries(c as Record<string, unknown>)) {
    if (key === 'all' || key === 'any') {
      if (!Array.isArray(value) || value.length === 0) fail(ctx, `${where}.${key}`, 'expected a non-empty list of conditions')
      const inner = value.map((v, i) => compileCondition(v, ctx, `${where}.${key}[${i}]`))
      parts.push(key === 'all' ? allOf(inner) : anyOf(inner))
    } else if (key === 'not') {
      const inner = compileCondition(value, ctx, `${where}.not`)
      parts.push((e) => !inner(e))
    } else {
      const path = checkFieldPath(key, ctx, `${where}`)
      parts.push(compileField(path, value, ctx, `${where}['${key}']`))
    }
  }
  if (parts.length === 0) fail(ctx, where, 'is empty; give at least one field test')
  return allOf(parts)
}

function allOf(ps: Predicate[]): Predicate {
  if (ps.length === 1) return ps[0]!
  if (ps.length === 2) {
    const [a, b] = ps as [Predicate, Predicate]
    return (e) => a(e) && b(e)
  }
  return (e) => {
    for (let i = 0; i < ps.length; i++) if (!ps[i]!(e)) return false
    return true
  }
}

function anyOf(ps: Predicate[]): Predicate {
  if (ps.length === 1) return ps[0]!
  return (e) => {
    for (let i = 0; i < ps.length; i++) if (ps[i]!(e)) return true
    return false
  }
}

type ValueTest = (v: unknown) => boolean

function compileField(path: string, test: unknown, ctx: CompileContext, where: string): Predicate {
  const read = fieldReader(path)
  let ops: FieldOperators
  if (test === null || typeof test === 'string' || typeof test === 'number' || typeof test === 'boolean') ops = { eq: test }
  else if (Array.isArray(test)) ops = { in: test as (string | number)[] }
  else if (typeof test === 'object') ops = test as FieldOperators
  else fail(ctx, where, `expected a value, a list of values or an object of operators, got ${show(test)}`)
  for (const k of Object.keys(ops)) {
    if (!OPERATORS.has(k)) fail(ctx, where, `unknown operator '${k}'; the operators are ${[...OPERATORS].join(', ')}`)
  }
  const tests: ValueTest[] = []
  const ci = ops.ignoreCase === true
  if (ops.ignoreCase !== undefined && typeof ops.ignoreCase !== 'boolean') fail(ctx, `${where}.ignoreCase`, 'expected true or false')
  if (ops.flags !== undefined && ops.regex === undefined) fail(ctx, `${where}.flags`, 'goes with regex')
  if ('eq' in ops) tests.push(equality(ops.eq, ci, ctx, `${where}.eq`))
  if (ops.in !== undefined) tests.push(membership(ops.in, ci, ctx, `${where}.in`))
  if (ops.prefix !== undefined) tests.push(stringTest(ops.prefix, ci, ctx, `${where}.prefix`, (s, x) => s.startsWith(x)))
  if (ops.suffix !== undefined) tests.push(stringTest(ops.suffix, ci, ctx, `${where}.suffix`, (s, x) => s.endsWith(x)))
  if (ops.contains !== undefined) tests.push(stringTest(ops.contains, ci, ctx, `${where}.contains`, (s, x) => s.includes(x)))
  if (ops.cidr !== undefined) {
    const list = typeof ops.cidr === 'string' ? [ops.cidr] : ops.cidr
    if (!Array.isArray(list) || list.length === 0) fail(ctx, `${where}.cidr`, 'expected a network such as 10.0.0.0/8 or a list of them')
    const m = cidrMatcher(list, (bad) => fail(ctx, `${where}.cidr`, `'${String(bad)}' is not an IPv4 or IPv6 network such as 192.0.2.0/24 or 2001:db8::/32`))
    tests.push((v) => typeof v === 'string' && m(v))
  }
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    const bound = ops[op]
    if (bound === undefined) continue
    if (typeof bound !== 'number' || !Number.isFinite(bound)) fail(ctx, `${where}.${op}`, `expected a number, got ${show(bound)}`)
    const cmp = op === 'gt' ? (n: number) => n > bound : op === 'gte' ? (n: number) => n >= bound : op === 'lt' ? (n: number) => n < bound : (n: number) => n <= bound
    tests.push((v) => {
      const n = toNumber(v)
      return n !== undefined && cmp(n)
    })
  }
  if (ops.regex !== undefined) tests.push(regexTest(ops.regex, ops.flags, ctx, `${where}.regex`))
  let exists: boolean | undefined
  if (ops.exists !== undefined) {
    if (typeof ops.exists !== 'boolean') fail(ctx, `${where}.exists`, 'expected true or false')
    exists = ops.exists
  }
  if (tests.length === 0 && exists === undefined) fail(ctx, where, 'names no test; give a value, a list, or operators such as { "prefix": "adm-" }')
  const valueTest: ValueTest | undefined = tests.length === 0 ? undefined : tests.length === 1 ? tests[0]! : (v) => tests.every((t) => t(v))
  return (e) => {
    const v = read(e)
    if (exists !== undefined) {
      const present = v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)
      if (present !== exists) return false
      if (!valueTest) return true
    }
    if (v === undefined || v === null) return valueTest !== undefined && v === null && valueTest(v)
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (valueTest!(v[i])) return true
      return false
    }
    return valueTest!(v)
  }
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v)
    if (Number.isFinite(n)) return n
  }
  return undefined
}

/** Text of a scalar as conditions compare it: numbers and their decimal text are the same value. */
function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return undefined
}

function equality(expected: unknown, ci: boolean, ctx: CompileContext, where: string): ValueTest {
  if (expected === null) return (v) => v === null
  const text = scalarText(expected)
  if (text === undefined) fail(ctx, where, `expected a string, number, boolean or null, got ${show(expected)}`)
  if (typeof expected === 'boolean') return (v) => v === expected
  if (ci) {
    const want = text.toLowerCase()
    return (v) => typeof v === 'string' && v.toLowerCase() === want
  }
  return (v) => v === expected || scalarText(v) === text
}

function membership(list: unknown, ci: boolean, ctx: CompileContext, where: string): ValueTest {
  if (!Array.isArray(list) || list.length === 0) fail(ctx, where, `expected a non-empty list of values, got ${show(list)}`)
  const set = new Set<string>()
  list.forEach((x, i) => {
    const t = scalarText(x)
    if (t === undefined || typeof x === 'boolean') fail(ctx, `${where}[${i}]`, `expected a string or number, got ${show(x)}`)
    set.add(ci ? t.toLowerCase() : t)
  })
  return (v) => {
    const t = scalarText(v)
    return t !== undefined && set.has(ci ? t.toLowerCase() : t)
  }
}

function stringTest(arg: unknown, ci: boolean, ctx: CompileContext, where: string, f: (s: string, x: string) => boolean): ValueTest {
  const list = typeof arg === 'string' ? [arg] : arg
  if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string' || x === '')) {
    fail(ctx, where, `expected a non-empty string or a list of them, got ${show(arg)}`)
  }
  const xs = (list as string[]).map((x) => (ci ? x.toLowerCase() : x))
  return (v) => {
    if (typeof v !== 'string') return false
    const s = ci ? v.toLowerCase() : v
    for (let i = 0; i < xs.length; i++) if (f(s, xs[i]!)) return true
    return false
  }
}

function regexTest(source: unknown, flags: unknown, ctx: CompileContext, where: string): ValueTest {
  if (typeof source !== 'string' || source === '') fail(ctx, where, `expected a regular expression as text, got ${show(source)}`)
  if (source.length > 1000) fail(ctx, where, 'is longer than 1000 characters')
  if (flags !== undefined && (typeof flags !== 'string' || !/^[imsu]*$/.test(flags))) {
    fail(ctx, `${where.slice(0, -'.regex'.length)}.flags`, `expected any of the flags i, m, s, u, got ${show(flags)}`)
  }
  const unsafe = unsafeRegex(source)
  if (unsafe) fail(ctx, where, `${unsafe}; such patterns can take exponential time on crafted input (write it without, e.g. (ab)+ instead of (a+b+)+)`)
  let re: RegExp
  try {
    re = new RegExp(source, flags as string | undefined)
  } catch (err) {
    fail(ctx, where, `is not a valid regular expression: ${(err as Error).message}`)
  }
  const max = ctx.regexMaxLength
  const stats = ctx.stats
  return (v) => {
    const s = scalarText(v)
    if (s === undefined) return false
    // The pattern is checked for the known catastrophic shapes, but not every slow one can be
    // recognised: bounding the input bounds the time.
    if (s.length > max) {
      stats.regexInputTooLong++
      return false
    }
    return re.test(s)
  }
}

/**
 * Finds the shapes that make a backtracking engine take exponential time: a quantified group
 * holding a quantifier itself (`(a+)+`, `(\w*\s?)*`), and backreferences. Returns why, or undefined.
 */
export function unsafeRegex(source: string): string | undefined {
  if (/\\[1-9]|\\k</.test(source)) return 'backreferences are not allowed'
  // For each open group: does it contain a quantifier?
  const stack: boolean[] = []
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]
    if (ch === '\\') {
      i++
      continue
    }
    if (inClass) {
      if (ch === ']') inClass = false
      continue
    }
    if (ch === '[') {
      inClass = true
      continue
    }
    if (ch === '(') {
      stack.push(false)
      continue
    }
    const quantifier = ch === '*' || ch === '+' || (ch === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(i)))
    if (ch === ')') {
      const inner = stack.pop() ?? false
      const next = source[i + 1]
      const quantified = next === '*' || next === '+' || (next === '{' && /^\{\d+,\d*\}/.test(source.slice(i + 1)))
      if (quantified && inner) return 'nested quantifiers are not allowed'
      // The group's quantifier (or its content's) counts for the group around it.
      if (stack.length > 0 && (inner || quantified)) stack[stack.length - 1] = true
      continue
    }
    if (quantifier && stack.length > 0) stack[stack.length - 1] = true
  }
  return undefined
}

/**
 * The values of `event.action` a condition requires, when its top level says so (an equality or a
 * list without ignoreCase): the analyzer then tries it only on events with one of those actions.
 */
export function requiredActions(c: unknown): string[] | undefined {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return undefined
  const obj = c as Record<string, unknown>
  const direct = actionValues(obj['event.action'])
  if (direct) return direct
  if (Array.isArray(obj.all)) {
    for (const inner of obj.all) {
      const r = requiredActions(inner)
      if (r) return r
    }
  }
  return undefined
}

function actionValues(test: unknown): string[] | undefined {
  if (typeof test === 'string') return [test]
  if (Array.isArray(test) && test.every((x) => typeof x === 'string')) return test as string[]
  if (test !== null && typeof test === 'object' && (test as FieldOperators).ignoreCase !== true) {
    const o = test as FieldOperators
    if (typeof o.eq === 'string') return [o.eq]
    if (Array.isArray(o.in) && o.in.every((x) => typeof x === 'string')) return o.in as string[]
  }
  return undefined
}

export function show(v: unknown): string {
  if (v === undefined) return 'nothing'
  try {
    const s = JSON.stringify(v)
    return s.length > 80 ? s.slice(0, 77) + '...' : s
  } catch {
    return String(v)
  }
}
