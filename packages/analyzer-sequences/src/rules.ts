import { BeerError } from '@beer/core'
import type { LogEvent } from '@beer/core'
import { checkFieldPath, compileCondition, fieldReader, requiredActions, show } from './conditions.ts'
import type { CompileContext, ConditionStats, Predicate } from './conditions.ts'
import { parseDuration } from './duration.ts'
import { hashText } from './hash.ts'
import type { KeySpec, Rule } from './types.ts'

/** One entity an event names for a rule: the key it is grouped by, and the values as the event gave them. */
export interface KeyHit {
  key: string
  values: string[]
}

export type KeyFn = (event: LogEvent) => KeyHit[] | undefined

export interface CompiledAlternative {
  test: Predicate
  keys: KeyFn
  /** When set, the alternative is tried only on events with one of these `event.action` values. */
  actions: string[] | undefined
}

export interface CompiledStep {
  name: string
  runs: number
  /** Index of the step's first stage: a step of `runs: 3` is three stages in a row. */
  firstStage: number
  alternatives: CompiledAlternative[]
}

export interface CompiledRule {
  index: number
  id: string
  name: string
  description: string
  ruleset: string
  type: Rule['type']
  severity: number
  riskScore: number
  category: string[]
  tags: string[]
  meta: { reference?: string; author?: string; version?: string; license?: string }
  steps: CompiledStep[]
  /** Sequence stages (the steps with their runs laid out); 1 for thresholds and distinct counts. */
  stages: number
  /** `maxspan` of a sequence, `window` of the others, in ms. */
  spanMs: number
  count: number
  distinctField: string | undefined
  readDistinct: ((e: LogEvent) => unknown) | undefined
  escalate: { severity: number; riskScore: number } | undefined
  /** Where the alert reports the entity: the rule's key fields, or its entity classes. */
  outputs: string[]
  keyMode: 'none' | 'fields' | 'any'
  /** Changes whenever the rule's definition does: saved state of an older definition is not restored. */
  signature: string
  /** The definition as given, for the `rules` command. */
  source: Rule
}

const MAX_FANOUT = 16

function fail(rule: string, where: string, what: string): never {
  throw new BeerError('BEER_ERR_SEQUENCES_RULE', `rule '${rule}': ${where}: ${what}`, { rule, field: where })
}

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null'
  if (Array.isArray(v)) return '[' + v.map(stableJson).join(',') + ']'
  const keys = Object.keys(v).sort()
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + stableJson((v as Record<string, unknown>)[k])).join(',') + '}'
}

/** Compiles and checks one rule; every mistake names the rule and the field. */
export function compileRule(input: unknown, index: number, stats: ConditionStats, regexMaxLength: number): CompiledRule {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new BeerError('BEER_ERR_SEQUENCES_RULE', `rules[${index}]: expected a rule object with id, type and its fields, got ${show(input)}`, { field: `rules[${index}]` })
  }
  const r = input as Record<string, unknown>
  if (typeof r.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(r.id)) {
    throw new BeerError(
      'BEER_ERR_SEQUENCES_RULE',
      `rules[${index}].id: expected letters, digits, '.', '_' or '-' (at most 128), got ${show(r.id)}`,
      { field: `rules[${index}].id` },
    )
  }
  const id = r.id
  const ctx: CompileContext = { rule: id, regexMaxLength, stats }
  const known = new Set([
    'id', 'name', 'description', 'ruleset', 'enabled', 'severity', 'risk_score', 'category', 'tags', 'reference', 'author', 'version', 'license',
    'by', 'keysIgnoreCase', 'type', 'steps', 'maxspan', 'where', 'count', 'window', 'field', 'escalate',
  ])
  for (const k of Object.keys(r)) if (!known.has(k)) fail(id, k, `unknown field; a rule has ${[...known].join(', ')}`)
  const type = r.type
  if (type !== 'sequence' && type !== 'threshold' && type !== 'distinct') fail(id, 'type', `expected 'sequence', 'threshold' or 'distinct', got ${show(type)}`)
  const text = (k: string, fallback: string): string => {
    if (r[k] === undefined) return fallback
    if (typeof r[k] !== 'string') fail(id, k, `expected text, got ${show(r[k])}`)
    return r[k] as string
  }
  const num = (k: string, fallback: number, min: number, max: number): number => {
    const v = r[k] ?? fallback
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(id, k, `expected a number from ${min} to ${max}, got ${show(v)}`)
    return v
  }
  if (r.enabled !== undefined && typeof r.enabled !== 'boolean') fail(id, 'enabled', 'expected true or false')
  if (r.keysIgnoreCase !== undefined && typeof r.keysIgnoreCase !== 'boolean') fail(id, 'keysIgnoreCase', 'expected true or false')
  const fold = r.keysIgnoreCase === true
  const category = r.category === undefined ? ['intrusion_detection'] : typeof r.category === 'string' ? [r.category] : r.category
  if (!Array.isArray(category) || category.some((c) => typeof c !== 'string')) fail(id, 'category', `expected text or a list of texts, got ${show(r.category)}`)
  const tags = r.tags ?? []
  if (!Array.isArray(tags) || tags.some((c) => typeof c !== 'string')) fail(id, 'tags', `expected a list of texts, got ${show(r.tags)}`)
  const meta: CompiledRule['meta'] = {}
  for (const k of ['reference', 'author', 'version', 'license'] as const) if (r[k] !== undefined) meta[k] = text(k, '')

  const ruleKey = r.by === undefined ? undefined : compileKey(r.by, id, 'by', fold)
  const outputs = ruleKey?.outputs ?? []
  /** A step's own key must name the entity the same way as the rule's. */
  const keyFor = (spec: unknown, where: string): KeyFn => {
    if (spec === undefined) return ruleKey?.fn ?? globalKey
    const k = compileKey(spec, id, where, fold)
    if (!ruleKey) fail(id, where, "a step's own key needs the rule's 'by' (the fields the alert reports the entity in)")
    if (k.mode !== ruleKey.mode || k.outputs.length !== ruleKey.outputs.length || (k.mode === 'any' && k.outputs.join('\u0000') !== ruleKey.outputs.join('\u0000'))) {
      fail(
        id,
        where,
        k.mode === 'any' || ruleKey.mode === 'any'
          ? `names the entity classes ${k.outputs.join(', ')}; the rule's 'by' names ${ruleKey.outputs.join(', ')}: use the same classes`
          : `has ${k.outputs.length} field(s) (${k.outputs.join(', ')}); the rule's 'by' has ${ruleKey.outputs.length} (${ruleKey.outputs.join(', ')}): give as many, in the same order`,
      )
    }
    return k.fn
  }

  const steps: CompiledStep[] = []
  let spanMs: number
  let count = 1
  let distinctField: string | undefined
  let escalate: CompiledRule['escalate']
  if (type === 'sequence') {
    if (r.where !== undefined) fail(id, 'where', "a sequence has 'steps', each with its own 'where'")
    for (const k of ['count', 'window', 'field', 'escalate']) if (r[k] !== undefined) fail(id, k, `not a field of a sequence rule (threshold and distinct rules have it)`)
    if (!Array.isArray(r.steps) || r.steps.length === 0) fail(id, 'steps', 'expected a non-empty list of steps')
    if (r.steps.length > 32) fail(id, 'steps', 'at most 32 steps')
    spanMs = parseDuration(r.maxspan, `rule '${id}': maxspan`, 'BEER_ERR_SEQUENCES_RULE')
    if (spanMs <= 0) fail(id, 'maxspan', 'must be longer than 0')
    let stage = 0
    ;(r.steps as unknown[]).forEach((s, i) => {
      const where = `steps[${i}]`
      if (s === null || typeof s !== 'object' || Array.isArray(s)) fail(id, where, `expected a step object with 'where', got ${show(s)}`)
      const st = s as Record<string, unknown>
      for (const k of Object.keys(st)) if (!['name', 'where', 'by', 'oneOf', 'runs'].includes(k)) fail(id, `${where}.${k}`, "unknown field; a step has name, where, by, oneOf and runs")
      const name = st.name === undefined ? `step${i + 1}` : st.name
      if (typeof name !== 'string' || name === '') fail(id, `${where}.name`, `expected text, got ${show(st.name)}`)
      const runs = st.runs ?? 1
      if (typeof runs !== 'number' || !Number.isInteger(runs) || runs < 1 || runs > 1000) fail(id, `${where}.runs`, `expected a whole number from 1 to 1000, got ${show(st.runs)}`)
      const alternatives: CompiledAlternative[] = []
      if (st.oneOf !== undefined) {
        if (st.where !== undefined || st.by !== undefined) fail(id, where, "give either 'where' (and 'by') or 'oneOf', not both")
        if (!Array.isArray(st.oneOf) || st.oneOf.length === 0) fail(id, `${where}.oneOf`, 'expected a non-empty list of { where, by }')
        st.oneOf.forEach((alt: unknown, j: number) => {
          const aw = `${where}.oneOf[${j}]`
          if (alt === null || typeof alt !== 'object' || Array.isArray(alt)) fail(id, aw, `expected { where, by }, got ${show(alt)}`)
          const a = alt as Record<string, unknown>
          for (const k of Object.keys(a)) if (k !== 'where' && k !== 'by') fail(id, `${aw}.${k}`, 'unknown field; an alternative has where and by')
          alternatives.push({ test: compileCondition(a.where, ctx, `${aw}.where`), keys: keyFor(a.by, `${aw}.by`), actions: requiredActions(a.where) })
        })
      } else {
        if (st.where === undefined) fail(id, `${where}.where`, "is missing: give the condition the step's events meet")
        alternatives.push({ test: compileCondition(st.where, ctx, `${where}.where`), keys: keyFor(st.by, `${where}.by`), actions: requiredActions(st.where) })
      }
      steps.push({ name, runs, firstStage: stage, alternatives })
      stage += runs
    })
    if (stage > 1000) fail(id, 'steps', `the runs add up to ${stage} stages; at most 1000`)
  } else {
    if (r.steps !== undefined || r.maxspan !== undefined) fail(id, r.steps !== undefined ? 'steps' : 'maxspan', `a ${type} rule has 'where', 'count' and 'window'`)
    spanMs = parseDuration(r.window, `rule '${id}': window`, 'BEER_ERR_SEQUENCES_RULE')
    if (spanMs <= 0) fail(id, 'window', 'must be longer than 0')
    count = num('count', NaN, type === 'distinct' ? 2 : 1, 10_000)
    if (!Number.isInteger(count)) fail(id, 'count', `expected a whole number, got ${count}`)
    if (type === 'distinct') {
      distinctField = checkFieldPath(r.field, ctx, 'field')
      if (r.escalate !== undefined) {
        const e = r.escalate as Record<string, unknown>
        if (e === null || typeof e !== 'object' || Array.isArray(e)) fail(id, 'escalate', `expected { severity, risk_score }, got ${show(r.escalate)}`)
        for (const k of Object.keys(e)) if (k !== 'severity' && k !== 'risk_score') fail(id, `escalate.${k}`, 'unknown field; escalate has severity and risk_score')
        for (const k of ['severity', 'risk_score']) {
          if (e[k] !== undefined && (typeof e[k] !== 'number' || !Number.isFinite(e[k] as number) || (e[k] as number) < 0)) fail(id, `escalate.${k}`, `expected a number of 0 or more, got ${show(e[k])}`)
        }
        escalate = { severity: (e.severity as number | undefined) ?? 0, riskScore: (e.risk_score as number | undefined) ?? 0 }
      }
    } else {
      for (const k of ['field', 'escalate']) if (r[k] !== undefined) fail(id, k, 'not a field of a threshold rule (distinct rules have it)')
    }
    steps.push({
      name: type === 'distinct' ? 'value' : 'event',
      runs: 1,
      firstStage: 0,
      alternatives: [{ test: compileCondition(r.where, ctx, 'where'), keys: ruleKey?.fn ?? globalKey, actions: requiredActions(r.where) }],
    })
  }
  return {
    index,
    id,
    name: text('name', id),
    description: text('description', ''),
    ruleset: text('ruleset', 'custom'),
    type,
    severity: num('severity', 5, -1000, 1000),
    riskScore: num('risk_score', 50, 0, 100),
    category: category as string[],
    tags: tags as string[],
    meta,
    steps,
    stages: type === 'sequence' ? steps.reduce((n, s) => n + s.runs, 0) : 1,
    spanMs,
    count,
    distinctField,
    readDistinct: distinctField === undefined ? undefined : fieldReader(distinctField),
    escalate,
    outputs,
    keyMode: ruleKey?.mode ?? 'none',
    signature: hashText(stableJson(input)),
    source: input as Rule,
  }
}

const GLOBAL: KeyHit[] = [{ key: '', values: [] }]
const globalKey: KeyFn = () => GLOBAL

interface CompiledKey {
  mode: 'fields' | 'any'
  outputs: string[]
  fn: KeyFn
}

function keyText(v: unknown, fold: boolean): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : fold ? v.toLowerCase() : v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return undefined
}

function compileKey(spec: unknown, rule: string, where: string, fold: boolean): CompiledKey {
  const ctx: CompileContext = { rule, regexMaxLength: 0, stats: { regexInputTooLong: 0 } }
  if (typeof spec === 'string' || Array.isArray(spec)) {
    const fields = (typeof spec === 'string' ? [spec] : spec).map((f: unknown, i: number) => checkFieldPath(f, ctx, Array.isArray(spec) ? `${where}[${i}]` : where))
    if (fields.length === 0 || fields.length > 8) fail(rule, where, 'expected 1 to 8 field paths')
    const readers = fields.map(fieldReader)
    if (readers.length === 1) {
      const read = readers[0]!
      return {
        mode: 'fields',
        outputs: fields,
        fn: (e) => {
          const v = read(e)
          if (Array.isArray(v)) {
            const out: KeyHit[] = []
            for (const x of v) {
              const k = keyText(x, fold)
              if (k !== undefined && out.length < MAX_FANOUT && !out.some((h) => h.key === k)) out.push({ key: k, values: [String(x)] })
            }
            return out.length ? out : undefined
          }
          const k = keyText(v, fold)
          return k === undefined ? undefined : [{ key: k, values: [String(v)] }]
        },
      }
    }
    return {
      mode: 'fields',
      outputs: fields,
      fn: (e) => {
        // Every field must be there; array values multiply out (at most MAX_FANOUT keys).
        let combos: KeyHit[] = [{ key: '', values: [] }]
        for (let i = 0; i < readers.length; i++) {
          const v = readers[i]!(e)
          const list = Array.isArray(v) ? v : [v]
          const next: KeyHit[] = []
          for (const c of combos) {
            for (const x of list) {
              const k = keyText(x, fold)
              if (k === undefined || next.length >= MAX_FANOUT) continue
              next.push({ key: i === 0 ? k : c.key + '\u001f' + k, values: [...c.values, String(x)] })
            }
          }
          if (next.length === 0) return undefined
          combos = next
        }
        return combos
      },
    }
  }
  if (spec !== null && typeof spec === 'object' && 'any' in spec) {
    const classes = (spec as { any: unknown }).any
    if (classes === null || typeof classes !== 'object' || Array.isArray(classes) || Object.keys(classes).length === 0) {
      fail(rule, `${where}.any`, "expected entity classes such as { 'host.name': ['host.name', 'related.hosts'] }")
    }
    const table: { out: string; readers: ((e: LogEvent) => unknown)[] }[] = []
    for (const [out, fields] of Object.entries(classes as Record<string, unknown>)) {
      checkFieldPath(out, ctx, `${where}.any`)
      if (!Array.isArray(fields) || fields.length === 0) fail(rule, `${where}.any['${out}']`, 'expected a non-empty list of field paths')
      table.push({ out, readers: fields.map((f, i) => fieldReader(checkFieldPath(f, ctx, `${where}.any['${out}'][${i}]`))) })
    }
    return {
      mode: 'any',
      outputs: table.map((t) => t.out),
      fn: (e) => {
        let out: KeyHit[] | undefined
        for (const { out: cls, readers } of table) {
          for (const read of readers) {
            const v = read(e)
            if (v === undefined || v === null) continue
            const list = Array.isArray(v) ? v : [v]
            for (const x of list) {
              const k = keyText(x, fold)
              if (k === undefined) continue
              const key = cls + '\u001e' + k
              out ??= []
              if (out.length < MAX_FANOUT && !out.some((h) => h.key === key)) out.push({ key, values: [String(x)] })
            }
          }
        }
        return out
      },
    }
  }
  fail(rule, where, `expected a field path, a list of field paths or { any: { … } }, got ${show(spec)}`)
}

/** The field the alert reports a key in, and the value: for `any` keys, the entity class the key belongs to. */
export function entityOf(rule: CompiledRule, key: string, values: readonly string[]): [string, string][] {
  if (rule.keyMode === 'none') return []
  if (rule.keyMode === 'any') return [[key.slice(0, key.indexOf('\u001e')), values[0] ?? '']]
  return rule.outputs.map((f, i) => [f, values[i] ?? ''] as [string, string])
}
