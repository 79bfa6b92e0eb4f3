import { BeerError } from '@beer/core'
import { parse as parseYaml } from 'yaml'
import { show } from './conditions.ts'
import type { ConditionStats } from './conditions.ts'
import { parseDuration } from './duration.ts'
import { compileRule } from './rules.ts'
import type { CompiledRule } from './rules.ts'
import { shippedRules } from './shipped.ts'
import type { Duration, Rule, RuleOverride } from './types.ts'

/**
 * Where the analyzer keeps its state across restarts: a module that opens a store (its `openStore`
 * export) and the store's options. `stateFile('./data/sequences.json')` from
 * `@beer/analyzer-sequences/state-file` gives one for a local file.
 */
export interface StateOptions {
  /** URL of the module that opens the store. */
  module: string
  /** Its export that opens the store. Default `openStore`. */
  export?: string
  path: string
  /** How often the state is saved, besides on flush and stop. Default `'60s'`. */
  every?: Duration
}

export interface SequencesOptions {
  /** The module's name in `status` and commands. Default `'sequences'`. */
  name?: string
  /**
   * Rules of your own: rule objects (TypeScript or parsed JSON), or the text of a YAML or JSON
   * document holding a list of rules (or `{ rules: [...] }`).
   */
  rules?: readonly Rule[] | string
  /** The shipped rules: all (`true`, the default), none (`false`), or those listed by id. */
  shipped?: boolean | readonly string[]
  /** Changes to shipped rules by id, merged over them: `{ 'user-created-deleted': { maxspan: '24h' } }`. */
  overrides?: Readonly<Record<string, RuleOverride>>
  /** The administrators groups the shipped group rule watches. Default: Administrators, Domain Admins, wheel, sudo, … */
  adminGroups?: readonly string[]
  /**
   * How far behind the newest event time an event may arrive and still be handled in order.
   * Events wait this long (in event time) before they are matched. Default `'10s'`.
   */
  lateness?: Duration
  /** What happens to an event later than `lateness`: matched anyway, out of order (`'process'`, the default), or dropped (`'drop'`). Counted either way. */
  late?: 'process' | 'drop'
  /**
   * When no event arrived for this long (wall-clock time), buffered events are matched without
   * waiting for newer ones, so a quiet stream does not hold alerts back. `false` turns it off.
   * Default `'30s'`.
   */
  idleFlush?: Duration | false
  /** Entities kept per rule; past it the oldest is forgotten (counted). Default 100000. */
  maxKeys?: number
  /** Values longer than this are not tested against regular expressions (they do not match, and are counted). Default 4096. */
  regexMaxLength?: number
  /** Keep state across restarts. Off by default. */
  state?: StateOptions
}

export interface ResolvedOptions {
  name: string
  rules: CompiledRule[]
  latenessMs: number
  late: 'process' | 'drop'
  idleFlushMs: number
  maxKeys: number
  regexMaxLength: number
  state: (StateOptions & { everyMs: number }) | undefined
  /** Counters the compiled conditions update. */
  stats: ConditionStats
}

const KNOWN = new Set(['name', 'rules', 'shipped', 'overrides', 'adminGroups', 'lateness', 'late', 'idleFlush', 'maxKeys', 'regexMaxLength', 'state'])

function fail(option: string, what: string): never {
  throw new BeerError('BEER_ERR_SEQUENCES_OPTIONS', `sequences: option ${option}: ${what}`, { option })
}

/** Reads rules given as YAML or JSON text. */
export function rulesFromText(text: string): unknown[] {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (err) {
    fail('rules', `the text is not YAML or JSON: ${(err as Error).message.split('\n')[0]}`)
  }
  if (Array.isArray(doc)) return doc
  if (doc !== null && typeof doc === 'object' && Array.isArray((doc as { rules?: unknown }).rules)) return (doc as { rules: unknown[] }).rules
  fail('rules', 'the text holds neither a list of rules nor { rules: [...] }')
}

/**
 * Checks every option and compiles every rule, so that a mistake is one clear error where the
 * pipeline is written (the factory calls this) and again where the module is built.
 */
export function resolveOptions(options: SequencesOptions | undefined): ResolvedOptions {
  const o = options ?? {}
  if (o === null || typeof o !== 'object' || Array.isArray(o)) fail('(all)', `expected an object, got ${show(o)}`)
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) fail(k, `unknown option; the options are ${[...KNOWN].join(', ')}`)
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) fail('name', `expected text, got ${show(o.name)}`)
  if (o.adminGroups !== undefined && (!Array.isArray(o.adminGroups) || o.adminGroups.length === 0 || o.adminGroups.some((g) => typeof g !== 'string' || g === ''))) {
    fail('adminGroups', `expected a non-empty list of group names, got ${show(o.adminGroups)}`)
  }
  const shipped = shippedRules({ adminGroups: o.adminGroups })
  const shippedIds = shipped.map((r) => r.id)
  let chosen: Rule[]
  if (o.shipped === undefined || o.shipped === true) chosen = shipped
  else if (o.shipped === false) chosen = []
  else if (Array.isArray(o.shipped)) {
    for (const id of o.shipped) if (!shippedIds.includes(id)) fail('shipped', `no shipped rule '${String(id)}'; the shipped rules are ${shippedIds.join(', ')}`)
    chosen = shipped.filter((r) => o.shipped !== undefined && (o.shipped as readonly string[]).includes(r.id))
  } else fail('shipped', `expected true, false or a list of rule ids, got ${show(o.shipped)}`)
  if (o.overrides !== undefined) {
    if (o.overrides === null || typeof o.overrides !== 'object' || Array.isArray(o.overrides)) fail('overrides', 'expected { <rule id>: { <field>: <value> } }')
    for (const [id, change] of Object.entries(o.overrides)) {
      if (!shippedIds.includes(id)) fail(`overrides.${id}`, `no shipped rule '${id}'; the shipped rules are ${shippedIds.join(', ')}`)
      if (change === null || typeof change !== 'object' || Array.isArray(change)) fail(`overrides.${id}`, 'expected an object of rule fields')
      if ('id' in change || 'type' in change) fail(`overrides.${id}`, 'the id and type of a shipped rule stay; write a rule of your own instead')
      chosen = chosen.map((r) => (r.id === id ? ({ ...r, ...change } as Rule) : r))
    }
  }
  let own: unknown[] = []
  if (typeof o.rules === 'string') own = rulesFromText(o.rules)
  else if (Array.isArray(o.rules)) own = o.rules
  else if (o.rules !== undefined) fail('rules', `expected a list of rules or the text of a YAML or JSON document, got ${show(o.rules)}`)
  const all = [...chosen, ...own]
  const regexMaxLength = whole(o.regexMaxLength, 4096, 'regexMaxLength', 1, 1 << 24)
  const stats: ConditionStats = { regexInputTooLong: 0 }
  const compiled: CompiledRule[] = []
  const seen = new Set<string>()
  all.forEach((r, i) => {
    const rule = compileRule(r, i, stats, regexMaxLength)
    if (seen.has(rule.id)) {
      throw new BeerError(
        'BEER_ERR_SEQUENCES_RULE',
        `rule '${rule.id}': id: used twice${shippedIds.includes(rule.id) ? ' (a shipped rule has it: change it with overrides, or leave it out with shipped: [...])' : ''}; rule ids must be unique`,
        { rule: rule.id, field: 'id' },
      )
    }
    seen.add(rule.id)
    if ((r as Rule).enabled !== false) compiled.push(rule)
  })
  compiled.forEach((r, i) => (r.index = i))
  const late = o.late ?? 'process'
  if (late !== 'process' && late !== 'drop') fail('late', `expected 'process' or 'drop', got ${show(o.late)}`)
  let state: ResolvedOptions['state']
  if (o.state !== undefined) {
    const s = o.state
    if (s === null || typeof s !== 'object' || typeof s.module !== 'string' || typeof s.path !== 'string' || s.path === '') {
      fail('state', "expected stateFile('./data/sequences.json') from '@beer/analyzer-sequences/state-file', or { module, path }")
    }
    if (s.export !== undefined && typeof s.export !== 'string') fail('state.export', `expected text, got ${show(s.export)}`)
    const everyMs = parseDuration(s.every ?? '60s', 'sequences: option state.every')
    if (everyMs < 1000) fail('state.every', 'at least 1s')
    state = { ...s, everyMs }
  }
  return {
    name: o.name ?? 'sequences',
    rules: compiled,
    latenessMs: parseDuration(o.lateness ?? '10s', 'sequences: option lateness'),
    late,
    idleFlushMs: o.idleFlush === false ? 0 : parseDuration(o.idleFlush ?? '30s', 'sequences: option idleFlush'),
    maxKeys: whole(o.maxKeys, 100_000, 'maxKeys', 1, 100_000_000),
    regexMaxLength,
    state,
    stats,
  }
}

function whole(v: unknown, fallback: number, name: string, min: number, max: number): number {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(name, `expected a whole number from ${min} to ${max}, got ${show(v)}`)
  return v
}
