import { BeerError, toPlainError } from '@beer/core'
import type {
  Analyzer,
  Enricher,
  Lifecycle,
  LogEvent,
  Logger,
  ModuleContext,
  ModuleKind,
  Parser,
  Sink,
} from '@beer/core'
import { buildInline, validateEntry } from './load.ts'
import type { StageEntry } from './load.ts'
import { consoleLogger } from './logger.ts'
import { countDrop, countError, newMetrics } from './metrics.ts'
import type { ModuleMetrics } from './metrics.ts'

export interface PipelineOptions {
  /** Parsers in order; the first whose isMine() claims an input parses it. */
  parsers?: StageEntry<'parser'>[]
  /** Takes every input no parser claimed (and inputs whose parser threw), so nothing is dropped. */
  fallback?: StageEntry<'parser'>
  enrichers?: StageEntry<'enricher'>[]
  sinks?: StageEntry<'sink'>[]
  analyzers?: StageEntry<'analyzer'>[]
  /** Analyzer events that are this many hops from a received message are dropped. Default 4. */
  maxHops?: number
  /** A sink may have this many writes in flight before push() asks the caller to wait. Default 2. */
  maxPendingWrites?: number
  /**
   * How long stop() waits (ms) for sinks' writes in flight before closing them anyway, so a sink
   * stuck on a failing disk or an unreachable server cannot keep the process from exiting. Default 10000.
   */
  stopTimeout?: number
  logger?: (scope: string) => Logger
}

export interface ModuleStatus {
  name: string
  kind: ModuleKind | 'pipeline'
  placement: 'inline'
  uptimeMs: number
  /** Times the module was restarted; inline modules are never restarted. */
  restarts: number
  /** Batches handed to the module and not yet done (a sink's writes in flight). */
  queueDepth: number
  metrics: ModuleMetrics
  answer?: unknown
}

export interface CommandAnswer {
  module: string
  answer?: unknown
  error?: { code: string; message: string }
}

export interface Pipeline {
  /** Builds every module. Build errors (bad options, missing exports) reject here. */
  start(): Promise<void>
  /**
   * Runs a batch of inputs through parse → enrich → handlers. Returns a promise only when a sink
   * is congested: the caller should wait for it before pushing more (pause reads, or drop UDP).
   */
  push(inputs: readonly unknown[]): void | Promise<void>
  /** True while a sink has more writes in flight than allowed. */
  readonly congested: boolean
  /** Broadcasts a command to every module (or the one named `target`); collects the answers. */
  command(name: string, args?: unknown, target?: string): Promise<CommandAnswer[]>
  /** Per-module figures, the runtime's own first. */
  status(): ModuleStatus[]
  /** Flushes every module and closes it; waits for sinks' pending writes. */
  stop(): Promise<void>
}

interface Slot<M> {
  name: string
  kind: ModuleKind
  module: M
  metrics: ModuleMetrics
  startedAt: number
  pending: number
  waiters: (() => void)[]
}

type EmittedEvent = { event: LogEvent; emitter: Slot<Analyzer> }

export function createPipeline(options: PipelineOptions): Pipeline {
  const maxHops = options.maxHops ?? 4
  const maxPending = options.maxPendingWrites ?? 2
  const stopTimeout = options.stopTimeout ?? 10_000
  const makeLogger = options.logger ?? consoleLogger
  const entries: StageEntry[] = []
  const take = <K extends ModuleKind>(list: StageEntry<K>[] | undefined, kind: K): StageEntry<K>[] => {
    for (const e of list ?? []) validateEntry(e, kind)
    entries.push(...(list ?? []))
    return list ?? []
  }
  // Validation happens here, when the pipeline is built, not at the first message.
  const parserEntries = take(options.parsers, 'parser')
  const fallbackEntry = options.fallback ? take([options.fallback], 'parser')[0] : undefined
  const enricherEntries = take(options.enrichers, 'enricher')
  const sinkEntries = take(options.sinks, 'sink')
  const analyzerEntries = take(options.analyzers, 'analyzer')
  const names = uniqueNames(entries.map((e) => e.descriptor.name))
  const nameOf = new Map(entries.map((e, i) => [e, names[i]!]))

  const own = newMetrics()
  const startedAt = Date.now()
  let parsers: Slot<Parser>[] = []
  let fallback: Slot<Parser> | undefined
  let enrichers: Slot<Enricher>[] = []
  let sinks: Slot<Sink>[] = []
  let analyzers: Slot<Analyzer>[] = []
  let all: Slot<Lifecycle>[] = []
  let started = false
  let stopped = false
  const emitted: EmittedEvent[] = []
  let pushing = false
  let drainScheduled = false
  const log = makeLogger('pipeline')

  async function build<K extends ModuleKind>(entry: StageEntry<K>): Promise<Slot<never>> {
    const name = nameOf.get(entry)!
    const slot: Slot<unknown> = {
      name,
      kind: entry.descriptor.kind,
      module: undefined,
      metrics: newMetrics(),
      startedAt: Date.now(),
      pending: 0,
      waiters: [],
    }
    const context: ModuleContext = {
      name,
      instance: 0,
      log: makeLogger(name),
      emit: (event, causes) => emit(slot as Slot<Analyzer>, event, causes),
    }
    slot.module = await buildInline(entry.descriptor, context)
    return slot as Slot<never>
  }

  function emit(from: Slot<Analyzer>, event: LogEvent, causes?: readonly LogEvent[]): void {
    if (from.kind !== 'analyzer') {
      countError(from.metrics, 'BEER_ERR_EMIT_NOT_ANALYZER')
      return
    }
    let hops = 0
    const ids: string[] = []
    for (const cause of causes ?? []) {
      hops = Math.max(hops, cause.beer?.hops ?? 0)
      ids.push(eventId(cause))
    }
    hops += 1
    if (hops > maxHops) {
      countDrop(from.metrics, 'hop_limit')
      return
    }
    const ev = event
    ev.event ??= {}
    ev.event.kind ??= 'alert'
    ev.beer = { ...ev.beer, emitter: from.name, causes: ids, hops }
    from.metrics.sent_events++
    emitted.push({ event: ev, emitter: from })
    // An analyzer may emit from a timer (a window closing): its events must not wait for the
    // next received message.
    if (!pushing && !drainScheduled && !stopped) {
      drainScheduled = true
      queueMicrotask(() => {
        drainScheduled = false
        if (!stopped) drainEmitted()
      })
    }
  }

  function parseOne(input: unknown, out: LogEvent[]): void {
    for (let i = 0; i < parsers.length; i++) {
      const p = parsers[i]!
      let mine = false
      try {
        mine = p.module.isMine(input)
      } catch (err) {
        // isMine must never throw; one that does is a bug in that parser, counted, not fatal.
        countError(p.metrics, 'BEER_ERR_PARSER_ISMINE_THREW')
        continue
      }
      if (mine !== true) {
        if (mine !== false) refuseAsync(p, mine)
        continue
      }
      p.metrics.received_events++
      try {
        const r = p.module.parse(input)
        if (isThenable(r)) throw asyncError(p, r)
        const n = collect(r, out)
        p.metrics.sent_events += n
        if (n === 0) countDrop(p.metrics, 'parser_returned_nothing')
      } catch (err) {
        const plain = toPlainError(err)
        countError(p.metrics, plain.code)
        runFallback(input, out, { parser: p.name, ...plain })
      }
      return
    }
    runFallback(input, out, undefined)
  }

  function runFallback(input: unknown, out: LogEvent[], failure: Record<string, unknown> | undefined): void {
    if (!fallback) {
      countDrop(own, failure ? 'parse_error' : 'unclaimed')
      return
    }
    fallback.metrics.received_events++
    try {
      const before = out.length
      const n = collect(fallback.module.parse(input), out)
      fallback.metrics.sent_events += n
      if (failure) {
        for (let i = before; i < out.length; i++) {
          const ev = out[i]!
          ev.error = { code: failure.code, message: failure.message, type: failure.parser }
          ev.tags = [...((ev.tags as string[] | undefined) ?? []), 'beer_parse_failure']
        }
      }
    } catch (err) {
      countError(fallback.metrics, toPlainError(err).code)
      countDrop(own, 'fallback_error')
    }
  }

  function enrichAll(events: LogEvent[]): void {
    for (let j = 0; j < enrichers.length; j++) {
      const e = enrichers[j]!
      e.metrics.received_events += events.length
      for (let i = 0; i < events.length; i++) {
        try {
          const r: unknown = e.module.enrich(events[i]!)
          if (r !== undefined) refuseAsync(e, r)
        } catch (err) {
          countError(e.metrics, toPlainError(err).code)
        }
      }
      e.metrics.sent_events += events.length
    }
  }

  function writeAll(events: LogEvent[], skip: Slot<Analyzer> | undefined): void {
    if (events.length === 0) return
    // Analyzers see a batch before the sinks store it, so that a cause gets its `event.id` (given
    // when an analyzer points at it) before it is written.
    for (let j = 0; j < analyzers.length; j++) {
      const a = analyzers[j]!
      if (a === skip) continue
      for (let i = 0; i < events.length; i++) {
        a.metrics.received_events++
        try {
          const r: unknown = a.module.analyze(events[i]!)
          if (r !== undefined) refuseAsync(a, r)
        } catch (err) {
          countError(a.metrics, toPlainError(err).code)
        }
      }
    }
    for (let j = 0; j < sinks.length; j++) {
      const s = sinks[j]!
      s.metrics.received_events += events.length
      let r: void | Promise<void>
      try {
        r = s.module.write(events)
      } catch (err) {
        countError(s.metrics, toPlainError(err).code)
        countDrop(s.metrics, 'sink_error', events.length)
        continue
      }
      if (isThenable(r)) {
        s.pending++
        const n = events.length
        ;(r as Promise<void>).then(
          () => settle(s, n, undefined),
          (err: unknown) => settle(s, n, err),
        )
      } else {
        s.metrics.sent_events += events.length
      }
    }
  }

  /**
   * Enrichers and analyzers are synchronous. One that returns a promise (an async method) would
   * otherwise fail unseen or crash the process on rejection: count it and keep its rejection.
   */
  function refuseAsync(slot: Slot<unknown>, value: unknown): void {
    if (!isThenable(value)) return
    countError(slot.metrics, 'BEER_ERR_MODULE_ASYNC')
    ;(value as Promise<unknown>).then(undefined, (err: unknown) => countError(slot.metrics, toPlainError(err).code))
  }

  function asyncError(slot: Slot<unknown>, value: unknown): BeerError {
    ;(value as Promise<unknown>).then(undefined, () => {})
    return new BeerError('BEER_ERR_MODULE_ASYNC', `${slot.name}: parse() returned a promise; parsers are synchronous`)
  }

  function settle(s: Slot<Sink>, n: number, err: unknown): void {
    s.pending--
    if (err === undefined) s.metrics.sent_events += n
    else {
      countError(s.metrics, toPlainError(err).code)
      countDrop(s.metrics, 'sink_error', n)
      s.module && log.error(`${s.name}: write failed: ${toPlainError(err).message}`)
    }
    // Waiters re-check their own condition: push() callers wait for room, stop() for zero.
    if (s.pending < maxPending && s.waiters.length) {
      const w = s.waiters
      s.waiters = []
      for (const f of w) f()
    }
  }

  function drainEmitted(): void {
    // Analyzer events re-enter enrich and handlers, never back to their emitter; the hop count
    // set in emit() bounds any loop between analyzers.
    while (emitted.length) {
      const round = emitted.splice(0, emitted.length)
      const byEmitter = new Map<Slot<Analyzer>, LogEvent[]>()
      for (const { event, emitter } of round) {
        const list = byEmitter.get(emitter)
        if (list) list.push(event)
        else byEmitter.set(emitter, [event])
      }
      for (const [emitter, batch] of byEmitter) {
        enrichAll(batch)
        writeAll(batch, emitter)
      }
    }
  }

  function congestion(): Promise<void> | undefined {
    let wait: Promise<void>[] | undefined
    for (const s of sinks) {
      if (s.pending >= maxPending) {
        ;(wait ??= []).push(new Promise<void>((resolve) => s.waiters.push(resolve)))
      }
    }
    return wait ? Promise.all(wait).then(() => undefined) : undefined
  }

  const pipeline: Pipeline = {
    async start() {
      if (started) return
      started = true
      const built: Slot<never>[] = []
      const stage = async <K extends ModuleKind>(list: StageEntry<K>[]): Promise<Slot<never>[]> => {
        const results = await Promise.allSettled(list.map(build))
        for (const r of results) if (r.status === 'fulfilled') built.push(r.value)
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
        if (failed) throw failed.reason
        return results.map((r) => (r as PromiseFulfilledResult<Slot<never>>).value)
      }
      try {
        parsers = await stage(parserEntries)
        fallback = fallbackEntry ? (await stage([fallbackEntry]))[0] : undefined
        enrichers = await stage(enricherEntries)
        sinks = await stage(sinkEntries)
        analyzers = await stage(analyzerEntries)
      } catch (err) {
        // Close what was built so a failed start leaves no open file, socket or timer behind.
        await Promise.allSettled(built.map((s) => (s.module as Lifecycle).close?.()))
        throw err
      }
      all = [...parsers, ...(fallback ? [fallback] : []), ...enrichers, ...analyzers, ...sinks]
    },

    push(inputs) {
      if (!started || stopped) {
        throw new BeerError(
          'BEER_ERR_PIPELINE_NOT_RUNNING',
          stopped ? 'the pipeline has stopped; no input is accepted' : 'call start() before push()',
        )
      }
      own.received_events += inputs.length
      const events: LogEvent[] = []
      pushing = true
      try {
        for (let i = 0; i < inputs.length; i++) parseOne(inputs[i], events)
        enrichAll(events)
        writeAll(events, undefined)
        own.sent_events += events.length
        if (emitted.length) drainEmitted()
      } finally {
        pushing = false
      }
      return congestion()
    },

    get congested() {
      for (const s of sinks) if (s.pending >= maxPending) return true
      return false
    },

    async command(name, args, target) {
      const answers: CommandAnswer[] = []
      for (const slot of all) {
        if (target !== undefined && slot.name !== target) continue
        try {
          let answer: unknown
          if (name === 'flush' && slot.module.flush) {
            // flush() is the module's answer to the flush command; it is not asked twice.
            await slot.module.flush()
            answer = 'flushed'
          } else if (slot.module.command) answer = await slot.module.command(name, args)
          if (answer !== undefined) answers.push({ module: slot.name, answer })
        } catch (err) {
          const e = toPlainError(err)
          countError(slot.metrics, e.code)
          answers.push({ module: slot.name, error: { code: e.code, message: e.message } })
        }
      }
      if (target !== undefined && !all.some((s) => s.name === target)) {
        throw new BeerError('BEER_ERR_COMMAND_UNKNOWN_MODULE', `no module named '${target}'; see 'status' for the names`, {
          module: target,
        })
      }
      return answers
    },

    status() {
      const now = Date.now()
      return [
        { name: 'pipeline', kind: 'pipeline', placement: 'inline', uptimeMs: now - startedAt, restarts: 0, queueDepth: 0, metrics: own },
        ...all.map(
          (s): ModuleStatus => ({
            name: s.name,
            kind: s.kind,
            placement: 'inline',
            uptimeMs: now - s.startedAt,
            restarts: 0,
            queueDepth: s.pending,
            metrics: s.metrics,
          }),
        ),
      ]
    },

    async stop() {
      if (stopped) return
      stopped = true
      if (emitted.length) drainEmitted()
      // Upstream first, so whatever a parser or analyzer still holds reaches the sinks before
      // they flush and close.
      for (const slot of all) {
        try {
          await slot.module.flush?.()
        } catch (err) {
          log.error(`${slot.name}: flush failed: ${toPlainError(err).message}`)
        }
        if (emitted.length) drainEmitted()
      }
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), stopTimeout)
      })
      const drained = Promise.all(
        sinks.map(async (s) => {
          while (s.pending > 0) await new Promise<void>((r) => s.waiters.push(r))
        }),
      )
      if ((await Promise.race([drained, timedOut])) === 'timeout') {
        const stuck = sinks.filter((s) => s.pending > 0).map((s) => s.name)
        log.error(`${stuck.join(', ')}: writes still in flight after ${stopTimeout} ms; closing anyway`)
      }
      clearTimeout(timer)
      for (const slot of all) {
        try {
          await slot.module.close?.()
        } catch (err) {
          log.error(`${slot.name}: close failed: ${toPlainError(err).message}`)
        }
      }
    },
  }
  return pipeline
}

function isThenable(value: unknown): boolean {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function'
}

function collect(r: LogEvent | LogEvent[] | null | undefined, out: LogEvent[]): number {
  if (r === null || r === undefined) return 0
  if (Array.isArray(r)) {
    for (const e of r) out.push(e)
    return r.length
  }
  out.push(r)
  return 1
}

function eventId(ev: LogEvent): string {
  ev.event ??= {}
  // Ids are given only to events another event points at: most events never need one.
  ev.event.id ??= crypto.randomUUID()
  return ev.event.id
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>()
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1
    seen.set(n, k)
    return k === 1 ? n : `${n}#${k}`
  })
}
