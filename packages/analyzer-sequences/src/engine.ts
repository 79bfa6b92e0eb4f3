import type { LogEvent } from '@beer/core'
import { buildAlert } from './alert.ts'
import type { Ref } from './alert.ts'
import type { ConditionStats } from './conditions.ts'
import { Heap } from './heap.ts'
import { entityOf } from './rules.ts'
import type { CompiledAlternative, CompiledRule, KeyHit } from './rules.ts'

/** A match of one step of one rule by one event, with the entities it names. */
interface Hit {
  r: number
  s: number
  keys: KeyHit[]
  /** Distinct counts: the value counted. */
  v?: string
}

/** An event waiting in the lateness buffer: already matched, waiting for its turn in event time. */
interface Item {
  t: number
  seq: number
  ref: Ref
  hits: Hit[]
}

/** A sequence matched up to some stage. */
interface Partial {
  start: number
  last: number
  refs: Ref[]
  /** The step of each ref. */
  steps: number[]
  values: string[]
}

type SequenceState = (Partial | null)[]
interface WindowState {
  refs: Ref[]
  values: string[]
}
interface DistinctState {
  vals: Map<string, Ref>
  values: string[]
}
type KeyState = SequenceState | WindowState | DistinctState

interface RuleState {
  rule: CompiledRule
  keys: Map<string, KeyState>
  /** Cause sets already alerted on, until their window passes: one incident seen through several entities alerts once. */
  fired: Map<string, number>
  alerts: number
  suppressed: number
  evicted: number
}

/** A deadline: a key's state to prune, or a fired cause set to forget. */
interface Deadline {
  d: number
  r: number
  key: string
  sig: boolean
}

export interface EngineOptions {
  latenessMs: number
  late: 'process' | 'drop'
  maxKeys: number
}

export interface EngineCounters {
  received: number
  /** Events that matched a step of some rule. */
  matched: number
  processed: number
  late: number
  droppedLate: number
  noTimestamp: number
  alerts: number
  suppressed: number
  evictedKeys: number
}

/** Emits one alert with the events that caused it. */
export type AlertSink = (alert: LogEvent, causes: readonly Ref[]) => void

const FORMAT = 'beer-sequences-state'
const VERSION = 1

/**
 * The matching engine, independent of the runtime: events in (in any order), alerts out, in
 * event time. Events are buffered up to `latenessMs` behind the newest time seen (the watermark)
 * and handled in time order; every time the watermark moves, windows and partial matches it has
 * passed are expired first, so the result depends only on the events, never on when they came.
 */
export class Engine {
  readonly rules: CompiledRule[]
  readonly counters: EngineCounters = {
    received: 0,
    matched: 0,
    processed: 0,
    late: 0,
    droppedLate: 0,
    noTimestamp: 0,
    alerts: 0,
    suppressed: 0,
    evictedKeys: 0,
  }
  readonly conditionStats: ConditionStats
  private readonly o: EngineOptions
  private readonly emit: AlertSink
  private readonly newId: () => string
  private states: RuleState[]
  private readonly byAction = new Map<string, { r: number; s: number; alt: CompiledAlternative }[]>()
  private readonly always: { r: number; s: number; alt: CompiledAlternative }[] = []
  private readonly buffer = new Heap<Item>((a, b) => a.t < b.t || (a.t === b.t && a.seq < b.seq))
  private readonly deadlines = new Heap<Deadline>((a, b) => a.d < b.d)
  private seq = 0
  /** Newest event time seen. */
  private maxSeen = -Infinity
  /** Event time up to which everything was handled: an event older than this is late. */
  private watermark = -Infinity
  /** Alerts the event being handled completed. */
  private pending: { r: number; sigs: string[]; entities: [string, string][]; refs: Ref[]; steps: number[] }[] = []
  private lastStamp: unknown = undefined
  private lastTime = NaN

  constructor(rules: CompiledRule[], o: EngineOptions, stats: ConditionStats, emit: AlertSink, newId: () => string) {
    this.rules = rules
    this.o = o
    this.conditionStats = stats
    this.emit = emit
    this.newId = newId
    this.states = rules.map((rule) => ({ rule, keys: new Map(), fired: new Map(), alerts: 0, suppressed: 0, evicted: 0 }))
    rules.forEach((rule, r) => {
      // Later steps first: one event that fits two steps of a rule must not climb two stages at once.
      for (let s = rule.steps.length - 1; s >= 0; s--) {
        for (const alt of rule.steps[s]!.alternatives) {
          const entry = { r, s, alt }
          if (alt.actions === undefined) this.always.push(entry)
          else
            for (const a of alt.actions) {
              const list = this.byAction.get(a)
              if (list) list.push(entry)
              else this.byAction.set(a, [entry])
            }
        }
      }
    })
  }

  // ---- events in -----------------------------------------------------------------------------

  analyze(e: LogEvent): void {
    this.counters.received++
    const stamp = e['@timestamp']
    let t: number
    if (stamp === this.lastStamp) t = this.lastTime
    else {
      t = typeof stamp === 'string' ? Date.parse(stamp) : typeof stamp === 'number' ? stamp : NaN
      this.lastStamp = stamp
      this.lastTime = t
    }
    if (!Number.isFinite(t)) {
      this.counters.noTimestamp++
      return
    }
    if (t > this.maxSeen) this.maxSeen = t
    const hits = this.match(e)
    if (hits !== undefined) {
      this.counters.matched++
      const ref = this.refOf(e, t)
      const item: Item = { t, seq: this.seq++, ref, hits }
      if (t < this.watermark) {
        this.counters.late++
        if (this.o.late === 'drop') this.counters.droppedLate++
        else this.process(item)
      } else this.buffer.push(item)
    }
    this.advance(this.maxSeen - this.o.latenessMs)
  }

  /** Handles every buffered event, as if the lateness had passed (on flush, stop and idle). */
  drain(): void {
    if (this.maxSeen > -Infinity) this.advance(this.maxSeen)
  }

  get buffered(): number {
    return this.buffer.size
  }

  get watermarkTime(): number | undefined {
    return Number.isFinite(this.watermark) ? this.watermark : undefined
  }

  private match(e: LogEvent): Hit[] | undefined {
    let hits: Hit[] | undefined
    const action = e.event?.action
    const listed = typeof action === 'string' ? this.byAction.get(action) : undefined
    if (listed) hits = this.tryAll(e, listed, hits)
    if (this.always.length) hits = this.tryAll(e, this.always, hits)
    if (hits && hits.length > 1) hits.sort((a, b) => a.r - b.r || b.s - a.s)
    return hits
  }

  private tryAll(e: LogEvent, list: { r: number; s: number; alt: CompiledAlternative }[], hits: Hit[] | undefined): Hit[] | undefined {
    for (let i = 0; i < list.length; i++) {
      const { r, s, alt } = list[i]!
      if (!alt.test(e)) continue
      const keys = alt.keys(e)
      if (keys === undefined) continue
      const rule = this.rules[r]!
      let v: string | undefined
      if (rule.readDistinct) {
        const raw = rule.readDistinct(e)
        if (typeof raw === 'string' && raw !== '') v = raw
        else if (typeof raw === 'number') v = String(raw)
        else continue
      }
      hits ??= []
      // Two alternatives of one step: one hit with the keys of both.
      const same = hits.find((h) => h.r === r && h.s === s)
      if (same) {
        for (const k of keys) if (!same.keys.some((x) => x.key === k.key)) same.keys.push(k)
      } else hits.push(v === undefined ? { r, s, keys } : { r, s, keys, v })
    }
    return hits
  }

  private refOf(e: LogEvent, t: number): Ref {
    const ev = (e.event ??= {})
    // The event may be named as a cause long after its batch was stored: it gets its id now,
    // before the sinks write it, so the alert's `beer.causes` points at a stored event.
    let id = ev.id
    if (typeof id !== 'string') ev.id = id = this.newId()
    const ref: Ref = { id, t, h: typeof e.beer?.hops === 'number' ? e.beer.hops : 0 }
    if (typeof ev.severity === 'number') ref.sev = ev.severity
    if (typeof ev.risk_score === 'number') ref.risk = ev.risk_score
    const rel = e.related
    if (rel !== null && typeof rel === 'object') {
      const out: NonNullable<Ref['rel']> = {}
      if (Array.isArray(rel.ip)) out.ip = rel.ip
      if (Array.isArray(rel.user)) out.user = rel.user
      if (Array.isArray(rel.hosts)) out.hosts = rel.hosts
      if (out.ip || out.user || out.hosts) ref.rel = out
    }
    return ref
  }

  /** Moves the watermark to `to`: handles buffered events up to it in time order, expiring state as time passes. */
  private advance(to: number): void {
    const buf = this.buffer
    while (buf.size > 0 && buf.peek()!.t <= to) {
      const item = buf.pop()!
      if (item.t > this.watermark) this.watermark = item.t
      this.expire(item.t)
      this.process(item)
    }
    if (to > this.watermark) {
      this.watermark = to
      this.expire(to)
    }
  }

  private expire(now: number): void {
    const q = this.deadlines
    while (q.size > 0 && q.peek()!.d < now) {
      const { r, key, sig } = q.pop()!
      const rs = this.states[r]!
      if (sig) {
        const until = rs.fired.get(key)
        if (until !== undefined && until < now) rs.fired.delete(key)
        continue
      }
      const st = rs.keys.get(key)
      if (st === undefined) continue
      const span = rs.rule.spanMs
      if (Array.isArray(st)) {
        let any = false
        for (let j = 0; j < st.length; j++) {
          const p = st[j]
          if (p && now - p.start > span) st[j] = null
          else if (p) any = true
        }
        if (!any) rs.keys.delete(key)
      } else if ('refs' in st) {
        let k = 0
        while (k < st.refs.length && now - st.refs[k]!.t > span) k++
        if (k > 0) st.refs.splice(0, k)
        if (st.refs.length === 0) rs.keys.delete(key)
        else this.deadlines.push({ d: st.refs[0]!.t + span, r, key, sig: false })
      } else {
        let oldest = Infinity
        for (const [v, ref] of st.vals) {
          if (now - ref.t > span) st.vals.delete(v)
          else if (ref.t < oldest) oldest = ref.t
        }
        if (st.vals.size === 0) rs.keys.delete(key)
        else this.deadlines.push({ d: oldest + span, r, key, sig: false })
      }
    }
  }

  private process(item: Item): void {
    this.counters.processed++
    for (const hit of item.hits) {
      const rs = this.states[hit.r]!
      const type = rs.rule.type
      for (const k of hit.keys) {
        if (type === 'sequence') this.sequenceStep(rs, hit.r, hit.s, k, item.ref, item.t)
        else if (type === 'threshold') this.thresholdAdd(rs, hit.r, k, item.ref, item.t)
        else this.distinctAdd(rs, hit.r, k, { ...item.ref, v: hit.v! }, item.t)
      }
    }
    this.emitPending()
  }

  private addKey(rs: RuleState, key: string, st: KeyState): void {
    rs.keys.set(key, st)
    if (rs.keys.size > this.o.maxKeys) {
      // The oldest entity goes first; counted, so an operator sees the bound was reached.
      const oldest = rs.keys.keys().next().value as string
      rs.keys.delete(oldest)
      rs.evicted++
      this.counters.evictedKeys++
    }
  }

  private sequenceStep(rs: RuleState, r: number, s: number, k: KeyHit, ref: Ref, t: number): void {
    const rule = rs.rule
    const step = rule.steps[s]!
    const span = rule.spanMs
    if (rule.stages === 1) {
      this.fire(rs, r, k.key, k.values, [ref], [s], t)
      return
    }
    let st = rs.keys.get(k.key) as SequenceState | undefined
    for (let j = step.firstStage + step.runs - 1; j >= step.firstStage; j--) {
      if (j === 0) {
        if (st === undefined) {
          st = new Array<Partial | null>(rule.stages).fill(null)
          this.addKey(rs, k.key, st)
        }
        // A newer start is never worse: it expires later and completes whatever the older would.
        st[0] = { start: t, last: t, refs: [ref], steps: [s], values: k.values }
        this.deadlines.push({ d: t + span, r, key: k.key, sig: false })
        continue
      }
      const prev = st?.[j - 1]
      if (!prev) continue
      if (t - prev.start > span) {
        st![j - 1] = null
        continue
      }
      // A late event cannot come after steps that happened later than it.
      if (t < prev.last) continue
      st![j - 1] = null
      const next: Partial = { start: prev.start, last: t, refs: [...prev.refs, ref], steps: [...prev.steps, s], values: prev.values }
      if (j === rule.stages - 1) {
        this.complete(rs, r, k.key, st!, next, t)
        st = rs.keys.get(k.key) as SequenceState | undefined
      } else {
        const held = st![j]
        if (!held || held.start <= next.start) st![j] = next
      }
    }
  }

  private complete(rs: RuleState, r: number, key: string, st: SequenceState, done: Partial, t: number): void {
    // Events of a match are used up: partial matches that share one do not fire again with it.
    const used = new Set(done.refs.map((x) => x.id))
    let any = false
    for (let j = 0; j < st.length; j++) {
      const p = st[j]
      if (p && p.refs.some((x) => used.has(x.id))) st[j] = null
      else if (p) any = true
    }
    if (!any) rs.keys.delete(key)
    this.fire(rs, r, key, done.values, done.refs, done.steps, t)
  }

  private thresholdAdd(rs: RuleState, r: number, k: KeyHit, ref: Ref, t: number): void {
    const span = rs.rule.spanMs
    let w = rs.keys.get(k.key) as WindowState | undefined
    if (w === undefined) {
      w = { refs: [], values: k.values }
      this.addKey(rs, k.key, w)
      this.deadlines.push({ d: t + span, r, key: k.key, sig: false })
    }
    w.refs.push(ref)
    let drop = 0
    while (drop < w.refs.length && t - w.refs[drop]!.t > span) drop++
    if (drop > 0) w.refs.splice(0, drop)
    if (w.refs.length >= rs.rule.count) {
      rs.keys.delete(k.key)
      this.fire(rs, r, k.key, w.values, w.refs, w.refs.map(() => 0), t)
    }
  }

  private distinctAdd(rs: RuleState, r: number, k: KeyHit, ref: Ref, t: number): void {
    const span = rs.rule.spanMs
    let d = rs.keys.get(k.key) as DistinctState | undefined
    if (d === undefined) {
      d = { vals: new Map(), values: k.values }
      this.addKey(rs, k.key, d)
      this.deadlines.push({ d: t + span, r, key: k.key, sig: false })
    }
    // The newest event for each value: re-inserted so the map stays in time order.
    d.vals.delete(ref.v!)
    d.vals.set(ref.v!, ref)
    for (const [v, x] of d.vals) {
      if (t - x.t > span) d.vals.delete(v)
      else break
    }
    if (d.vals.size >= rs.rule.count) {
      rs.keys.delete(k.key)
      const refs = [...d.vals.values()].sort((a, b) => a.t - b.t || (a.v! < b.v! ? -1 : 1))
      this.fire(rs, r, k.key, d.values, refs, refs.map(() => 0), t)
    }
  }

  private fire(rs: RuleState, r: number, key: string, values: string[], refs: Ref[], steps: number[], t: number): void {
    const sig = refs
      .map((x) => x.id)
      .sort()
      .join('\n')
    if (rs.fired.has(sig)) {
      // The same events seen through another entity of the same event: one alert naming both.
      const same = this.pending.find((f) => f.r === r && f.sigs.includes(sig))
      if (same) same.entities.push(...entityOf(rs.rule, key, values))
      else {
        rs.suppressed++
        this.counters.suppressed++
      }
      return
    }
    const until = t + rs.rule.spanMs
    rs.fired.set(sig, until)
    this.deadlines.push({ d: until, r, key: sig, sig: true })
    // One event that completes windows of several entities of a count rule (an IDS alert about a
    // server and its attacker) raises one alert, with the events of all of them.
    const joined = rs.rule.type === 'sequence' ? undefined : this.pending.find((f) => f.r === r)
    if (joined) {
      joined.sigs.push(sig)
      joined.entities.push(...entityOf(rs.rule, key, values))
      for (const x of refs) if (!joined.refs.some((y) => y.id === x.id)) joined.refs.push(x)
      joined.refs.sort((a, b) => a.t - b.t)
      joined.steps = joined.refs.map(() => 0)
      return
    }
    rs.alerts++
    this.counters.alerts++
    this.pending.push({ r, sigs: [sig], entities: entityOf(rs.rule, key, values), refs: [...refs], steps })
  }

  /** Emits what the last event completed, once all its entities were seen. */
  private emitPending(): void {
    if (this.pending.length === 0) return
    const fires = this.pending
    this.pending = []
    for (const f of fires) this.emit(buildAlert(this.states[f.r]!.rule, f.entities, f.refs, f.steps), f.refs)
  }

  // ---- commands ------------------------------------------------------------------------------

  /** Forgets state: all of it, or the entities equal to `entity` (case-insensitive), of all rules or of one. */
  reset(entity?: string, ruleId?: string): { keys: number; buffered: number } {
    let keys = 0
    let buffered = 0
    const want = entity?.toLowerCase()
    for (const rs of this.states) {
      if (ruleId !== undefined && rs.rule.id !== ruleId) continue
      if (want === undefined) {
        keys += rs.keys.size
        rs.keys.clear()
        rs.fired.clear()
        continue
      }
      for (const key of [...rs.keys.keys()]) {
        const parts = key.split(/[\u001e\u001f]/).map((p) => p.toLowerCase())
        if (parts.includes(want)) {
          rs.keys.delete(key)
          keys++
        }
      }
    }
    if (want === undefined && ruleId === undefined) {
      buffered = this.buffer.size
      this.buffer.clear()
      this.deadlines.clear()
    }
    return { keys, buffered }
  }

  ruleFigures(): { id: string; keys: number; alerts: number; suppressed: number; evictedKeys: number }[] {
    return this.states.map((rs) => ({ id: rs.rule.id, keys: rs.keys.size, alerts: rs.alerts, suppressed: rs.suppressed, evictedKeys: rs.evicted }))
  }

  // ---- snapshot --------------------------------------------------------------------------------

  /** Everything needed to go on after a restart, as plain JSON data. */
  snapshot(): unknown {
    const rules: Record<string, unknown> = {}
    for (const rs of this.states) {
      const keys: unknown[] = []
      for (const [k, st] of rs.keys) {
        if (Array.isArray(st)) keys.push([k, { stages: st }])
        else if ('refs' in st) keys.push([k, { refs: st.refs, values: st.values }])
        else keys.push([k, { vals: [...st.vals.entries()], values: st.values }])
      }
      rules[rs.rule.id] = { signature: rs.rule.signature, keys, fired: [...rs.fired.entries()], alerts: rs.alerts }
    }
    const buffer = this.buffer
      .toArray()
      .sort((a, b) => a.t - b.t || a.seq - b.seq)
      .map((i) => ({ t: i.t, seq: i.seq, ref: i.ref, hits: i.hits.map((h) => ({ rule: this.rules[h.r]!.id, s: h.s, keys: h.keys, v: h.v })) }))
    return {
      format: FORMAT,
      version: VERSION,
      maxSeen: Number.isFinite(this.maxSeen) ? this.maxSeen : null,
      watermark: Number.isFinite(this.watermark) ? this.watermark : null,
      seq: this.seq,
      buffer,
      rules,
    }
  }

  /**
   * Restores a snapshot. Throws (with a reason) when it is not one; state of rules that no longer
   * exist or whose definition changed is left out, and counted in the answer.
   */
  restore(data: unknown): { keys: number; buffered: number; skippedRules: string[] } {
    const d = data as Record<string, unknown>
    if (d === null || typeof d !== 'object' || d.format !== FORMAT) throw new Error(`not a sequences state (no "format": "${FORMAT}")`)
    if (d.version !== VERSION) throw new Error(`version ${JSON.stringify(d.version)}; this version reads ${VERSION}`)
    const num = (v: unknown, what: string): number => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what} is not a number`)
      return v
    }
    const ref = (v: unknown, what: string): Ref => {
      const x = v as Record<string, unknown>
      if (x === null || typeof x !== 'object' || typeof x.id !== 'string') throw new Error(`${what} is not an event reference`)
      const out: Ref = { id: x.id, t: num(x.t, `${what}.t`), h: num(x.h, `${what}.h`) }
      if (typeof x.sev === 'number') out.sev = x.sev
      if (typeof x.risk === 'number') out.risk = x.risk
      if (typeof x.v === 'string') out.v = x.v
      if (x.rel !== null && typeof x.rel === 'object') {
        const rel: NonNullable<Ref['rel']> = {}
        for (const k of ['ip', 'user', 'hosts'] as const) {
          const list = (x.rel as Record<string, unknown>)[k]
          if (Array.isArray(list)) rel[k] = list.filter((s): s is string => typeof s === 'string')
        }
        out.rel = rel
      }
      return out
    }
    const strings = (v: unknown, what: string): string[] => {
      if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new Error(`${what} is not a list of texts`)
      return v as string[]
    }
    const byId = new Map(this.rules.map((r, i) => [r.id, i]))
    const states = this.rules.map((rule): RuleState => ({ rule, keys: new Map(), fired: new Map(), alerts: 0, suppressed: 0, evicted: 0 }))
    const deadlines: Deadline[] = []
    const skipped: string[] = []
    let count = 0
    const rules = d.rules as Record<string, unknown>
    if (rules === null || typeof rules !== 'object') throw new Error('no "rules" object')
    for (const [id, raw] of Object.entries(rules)) {
      const r = byId.get(id)
      const x = raw as Record<string, unknown>
      if (r === undefined || x === null || typeof x !== 'object' || x.signature !== this.rules[r]!.signature) {
        skipped.push(id)
        continue
      }
      const rs = states[r]!
      const rule = rs.rule
      const span = rule.spanMs
      if (!Array.isArray(x.keys)) throw new Error(`rules.${id}.keys is not a list`)
      for (const [i, entry] of (x.keys as unknown[]).entries()) {
        const where = `rules.${id}.keys[${i}]`
        if (!Array.isArray(entry) || typeof entry[0] !== 'string' || entry[1] === null || typeof entry[1] !== 'object') throw new Error(`${where} is not [key, state]`)
        const key = entry[0]
        const st = entry[1] as Record<string, unknown>
        if (rule.type === 'sequence') {
          const stages = st.stages
          if (!Array.isArray(stages) || stages.length !== rule.stages) throw new Error(`${where}.stages does not fit the rule`)
          const out: SequenceState = stages.map((p: unknown, j: number) => {
            if (p === null) return null
            const q = p as Record<string, unknown>
            if (typeof q !== 'object' || !Array.isArray(q.refs) || !Array.isArray(q.steps)) throw new Error(`${where}.stages[${j}] is not a partial match`)
            const refs = q.refs.map((y: unknown, n: number) => ref(y, `${where}.stages[${j}].refs[${n}]`))
            const steps = q.steps.map((y: unknown) => num(y, `${where}.stages[${j}].steps`))
            if (steps.some((s) => !Number.isInteger(s) || s < 0 || s >= rule.steps.length) || steps.length !== refs.length) throw new Error(`${where}.stages[${j}].steps does not fit the rule`)
            const start = num(q.start, `${where}.stages[${j}].start`)
            deadlines.push({ d: start + span, r, key, sig: false })
            return { start, last: num(q.last, `${where}.stages[${j}].last`), refs, steps, values: strings(q.values, `${where}.stages[${j}].values`) }
          })
          rs.keys.set(key, out)
        } else if (rule.type === 'threshold') {
          if (!Array.isArray(st.refs) || st.refs.length === 0) throw new Error(`${where}.refs is not a list of event references`)
          const refs = st.refs.map((y: unknown, n: number) => ref(y, `${where}.refs[${n}]`))
          rs.keys.set(key, { refs, values: strings(st.values, `${where}.values`) })
          deadlines.push({ d: refs[0]!.t + span, r, key, sig: false })
        } else {
          if (!Array.isArray(st.vals) || st.vals.length === 0) throw new Error(`${where}.vals is not a list of values`)
          const vals = new Map<string, Ref>()
          let oldest = Infinity
          for (const [n, pair] of (st.vals as unknown[]).entries()) {
            if (!Array.isArray(pair) || typeof pair[0] !== 'string') throw new Error(`${where}.vals[${n}] is not [value, event]`)
            const y = ref(pair[1], `${where}.vals[${n}][1]`)
            vals.set(pair[0], y)
            oldest = Math.min(oldest, y.t)
          }
          rs.keys.set(key, { vals, values: strings(st.values, `${where}.values`) })
          deadlines.push({ d: oldest + span, r, key, sig: false })
        }
        count++
      }
      if (Array.isArray(x.fired)) {
        for (const pair of x.fired as unknown[]) {
          if (!Array.isArray(pair) || typeof pair[0] !== 'string') throw new Error(`rules.${id}.fired is not a list of [causes, until]`)
          const until = num(pair[1], `rules.${id}.fired`)
          rs.fired.set(pair[0], until)
          deadlines.push({ d: until, r, key: pair[0], sig: true })
        }
      }
      if (typeof x.alerts === 'number') rs.alerts = x.alerts
    }
    const items: Item[] = []
    if (!Array.isArray(d.buffer)) throw new Error('no "buffer" list')
    for (const [i, raw] of (d.buffer as unknown[]).entries()) {
      const x = raw as Record<string, unknown>
      if (x === null || typeof x !== 'object' || !Array.isArray(x.hits)) throw new Error(`buffer[${i}] is not a buffered event`)
      const hits: Hit[] = []
      for (const h of x.hits as Record<string, unknown>[]) {
        const r = byId.get(h?.rule as string)
        // A rule that is gone or changed: its buffered matches may not fit it any more.
        if (r === undefined || skipped.includes(this.rules[r]!.id) || !(this.rules[r]!.id in rules)) continue
        if (typeof h.s !== 'number' || h.s < 0 || h.s >= this.rules[r]!.steps.length || !Array.isArray(h.keys)) throw new Error(`buffer[${i}] has a bad hit`)
        const keys = (h.keys as unknown[]).map((k) => {
          const kk = k as Record<string, unknown>
          if (kk === null || typeof kk !== 'object' || typeof kk.key !== 'string') throw new Error(`buffer[${i}] has a bad key`)
          return { key: kk.key, values: strings(kk.values, `buffer[${i}] key values`) }
        })
        const hit: Hit = { r, s: h.s, keys }
        if (typeof h.v === 'string') hit.v = h.v
        else if (this.rules[r]!.type === 'distinct') continue
        hits.push(hit)
      }
      if (hits.length) items.push({ t: num(x.t, `buffer[${i}].t`), seq: num(x.seq, `buffer[${i}].seq`), ref: ref(x.ref, `buffer[${i}].ref`), hits })
    }
    // Nothing is changed until the whole snapshot was read.
    this.states = states
    this.buffer.clear()
    for (const item of items) this.buffer.push(item)
    this.deadlines.clear()
    for (const dl of deadlines) this.deadlines.push(dl)
    this.maxSeen = d.maxSeen === null ? -Infinity : num(d.maxSeen, 'maxSeen')
    this.watermark = d.watermark === null ? -Infinity : num(d.watermark, 'watermark')
    let seq = num(d.seq, 'seq')
    for (const i of items) if (i.seq >= seq) seq = i.seq + 1
    this.seq = seq
    return { keys: count, buffered: items.length, skippedRules: skipped }
  }
}
