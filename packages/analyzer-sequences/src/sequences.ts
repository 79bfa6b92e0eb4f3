import { BeerError, describeModule, toPlainError } from '@beer/core'
import type { Analyzer, LogEvent, ModuleContext, ModuleDescriptor } from '@beer/core'
import type { Ref } from './alert.ts'
import { Engine } from './engine.ts'
import type { EngineCounters } from './engine.ts'
import { resolveOptions } from './options.ts'
import type { SequencesOptions } from './options.ts'
import type { Rule } from './types.ts'

/** What a state store does; `@beer/analyzer-sequences/state-file` has one for a local file. */
export interface StateStore {
  /** Where the state lives, for messages. */
  readonly where: string
  /** The saved text, or undefined when nothing was saved yet. */
  load(): Promise<string | undefined>
  /** Replaces the saved text atomically: a crash mid-save leaves the previous state. */
  save(text: string): Promise<void>
  /** Moves a state that could not be read out of the way; returns where it went. */
  setAside(): Promise<string | undefined>
}

/** The answer to the `status` command. */
export interface SequencesStatus extends EngineCounters {
  rules: number
  /** Events waiting for the watermark (matched, not yet handled in event-time order). */
  buffered: number
  /** Event time up to which everything was handled. */
  watermark: string | null
  /** Values not tested against a regular expression because they were too long. */
  regexInputTooLong: number
  perRule: { id: string; keys: number; alerts: number; suppressed: number; evictedKeys: number }[]
  state?: { where: string; restored?: { keys: number; buffered: number }; lastSavedAt?: string; lastError?: { code: string; message: string } }
}

/** One row of the answer to the `rules` command. */
export interface SequencesRuleRow {
  id: string
  name: string
  type: Rule['type']
  ruleset: string
  description: string
  severity: number
  risk_score: number
  /** `maxspan` of a sequence, `window` of the others, in ms. */
  spanMs: number
  steps: { name: string; runs: number }[]
  count?: number
  field?: string
  alerts: number
}

/**
 * An analyzer that finds ordered sequences of events about the same entity, counts per entity
 * in a window, and distinct values per entity in a window, in event time. It runs the shipped
 * rules (see the README) and any of yours. Returns a descriptor; the runtime builds the live
 * analyzer with {@link create} wherever the user placed it.
 *
 * Answers the commands `status`, `rules`, `reset` (all state, or `{ entity, rule }`), `save` and `flush`.
 *
 * @throws BeerError `BEER_ERR_SEQUENCES_OPTIONS` for an invalid option, `BEER_ERR_SEQUENCES_RULE`
 * naming the rule and the field of an invalid rule.
 */
export function sequences(options: SequencesOptions = {}): ModuleDescriptor<'analyzer', SequencesOptions> {
  // Checked here as well as in create() so a mistake surfaces where the pipeline is written.
  const resolved = resolveOptions(options)
  return describeModule('analyzer', resolved.name, import.meta.url, options)
}

/** A cause as the runtime needs it: its id and hop count (the analyzer keeps no more of it). */
function causeOf(r: Ref): LogEvent {
  return { event: { id: r.id }, beer: { hops: r.h } }
}

/** Builds the live analyzer: compiles the rules and restores the saved state, if any. */
export async function create(options: SequencesOptions, context: ModuleContext): Promise<Analyzer> {
  const o = resolveOptions(options)
  const engine = new Engine(
    o.rules,
    { latenessMs: o.latenessMs, late: o.late, maxKeys: o.maxKeys },
    o.stats,
    (alert, causes) => context.emit(alert, causes.map(causeOf)),
    () => crypto.randomUUID(),
  )
  const log = context.log

  let store: StateStore | undefined
  const stateStatus: NonNullable<SequencesStatus['state']> = { where: '' }
  if (o.state) {
    let mod: Record<string, unknown>
    try {
      mod = (await import(o.state.module)) as Record<string, unknown>
    } catch (err) {
      throw new BeerError('BEER_ERR_SEQUENCES_OPTIONS', `sequences: option state: cannot import ${o.state.module}: ${(err as Error).message}`, { option: 'state' })
    }
    const open = mod[o.state.export ?? 'openStore']
    if (typeof open !== 'function') {
      throw new BeerError('BEER_ERR_SEQUENCES_OPTIONS', `sequences: option state: ${o.state.module} has no function export '${o.state.export ?? 'openStore'}'`, { option: 'state' })
    }
    store = (await open(o.state, { instance: context.instance, name: context.name })) as StateStore
    stateStatus.where = store.where
    await restore(store)
  }

  async function restore(s: StateStore): Promise<void> {
    let text: string | undefined
    try {
      text = await s.load()
    } catch (err) {
      stateError(`cannot be read (${toPlainError(err).message}); starting empty`)
      return
    }
    if (text === undefined) return
    try {
      const r = engine.restore(JSON.parse(text))
      stateStatus.restored = { keys: r.keys, buffered: r.buffered }
      log.info(`state restored from ${s.where}: ${r.keys} entities, ${r.buffered} buffered events`, r.skippedRules.length ? { skippedRules: r.skippedRules } : undefined)
    } catch (err) {
      const aside = await s.setAside().catch(() => undefined)
      stateError(`is not a state this analyzer can read (${(err as Error).message}); starting empty${aside ? `; the file was moved to ${aside}` : ''}`)
    }
  }

  function stateError(what: string): void {
    const message = `state ${stateStatus.where} ${what}`
    stateStatus.lastError = { code: 'BEER_ERR_SEQUENCES_STATE', message }
    log.warn(`BEER_ERR_SEQUENCES_STATE: ${message}`)
  }

  let saving: Promise<void> | undefined
  function save(): Promise<void> {
    if (!store) return Promise.resolve()
    // One save at a time; a save asked for meanwhile waits for the one running, then runs.
    const s = store
    const run = async (): Promise<void> => {
      try {
        await s.save(JSON.stringify(engine.snapshot()))
        stateStatus.lastSavedAt = new Date().toISOString()
        if (stateStatus.lastError?.message.includes('cannot be written')) delete stateStatus.lastError
      } catch (err) {
        stateError(`cannot be written (${toPlainError(err).message}); the next save tries again`)
      }
    }
    const next = (saving ?? Promise.resolve()).then(run)
    saving = next
    return next.finally(() => {
      if (saving === next) saving = undefined
    })
  }

  const unref = (t: unknown): void => (t as { unref?: () => void }).unref?.()
  let saveTimer: ReturnType<typeof setInterval> | undefined
  if (store && o.state) {
    saveTimer = setInterval(() => void save(), o.state.everyMs)
    unref(saveTimer)
  }

  // A quiet stream: no newer event will move the watermark, so buffered events are matched once
  // nothing arrived for idleFlushMs. Only when they are handled depends on the clock, never how.
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  let armedAt = 0
  const onIdle = (): void => {
    idleTimer = undefined
    if (engine.counters.received === armedAt) engine.drain()
    else arm()
  }
  function arm(): void {
    if (o.idleFlushMs === 0 || idleTimer !== undefined || engine.buffered === 0) return
    armedAt = engine.counters.received
    idleTimer = setTimeout(onIdle, o.idleFlushMs)
    unref(idleTimer)
  }

  function status(): SequencesStatus {
    const wm = engine.watermarkTime
    const out: SequencesStatus = {
      rules: engine.rules.length,
      buffered: engine.buffered,
      watermark: wm === undefined ? null : new Date(wm).toISOString(),
      ...engine.counters,
      regexInputTooLong: engine.conditionStats.regexInputTooLong,
      perRule: engine.ruleFigures(),
    }
    if (store) out.state = { ...stateStatus }
    return out
  }

  function rules(): SequencesRuleRow[] {
    const figures = new Map(engine.ruleFigures().map((f) => [f.id, f]))
    return engine.rules.map((r) => {
      const row: SequencesRuleRow = {
        id: r.id,
        name: r.name,
        type: r.type,
        ruleset: r.ruleset,
        description: r.description,
        severity: r.severity,
        risk_score: r.riskScore,
        spanMs: r.spanMs,
        steps: r.steps.map((s) => ({ name: s.name, runs: s.runs })),
        alerts: figures.get(r.id)?.alerts ?? 0,
      }
      if (r.type !== 'sequence') row.count = r.count
      if (r.distinctField !== undefined) row.field = r.distinctField
      return row
    })
  }

  function reset(args: unknown): { reset: { keys: number; buffered: number } } {
    let entity: string | undefined
    let rule: string | undefined
    if (typeof args === 'string') entity = args
    else if (args !== undefined && args !== null) {
      const a = args as Record<string, unknown>
      if (typeof a !== 'object' || (a.entity !== undefined && typeof a.entity !== 'string') || (a.rule !== undefined && typeof a.rule !== 'string')) {
        throw new BeerError('BEER_ERR_SEQUENCES_COMMAND', 'reset: give nothing (all state), an entity as text, or { "entity": "bob", "rule": "<rule id>" }')
      }
      entity = a.entity as string | undefined
      rule = a.rule as string | undefined
      if (rule !== undefined && !engine.rules.some((r) => r.id === rule)) {
        throw new BeerError('BEER_ERR_SEQUENCES_COMMAND', `reset: no rule '${rule}'; 'rules' lists them`)
      }
    }
    return { reset: engine.reset(entity, rule) }
  }

  return {
    analyze(event) {
      engine.analyze(event)
      if (idleTimer === undefined && engine.buffered > 0) arm()
    },
    async flush() {
      engine.drain()
      await save()
    },
    async close() {
      clearInterval(saveTimer)
      clearTimeout(idleTimer)
      idleTimer = undefined
      await save()
    },
    command(name, args) {
      switch (name) {
        case 'status':
          return status()
        case 'rules':
          return rules()
        case 'reset':
          return reset(args)
        case 'save':
          if (!store) return { saved: false, why: 'no state option: nothing is kept across restarts' }
          return save().then(() => ({ saved: stateStatus.where, error: stateStatus.lastError }))
        default:
          return undefined
      }
    },
  }
}
