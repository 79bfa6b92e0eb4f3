import { BeerError, toPlainError } from '@beer/core'
import type {
  Analyzer,
  Decoder,
  Enricher,
  Lifecycle,
  LogEvent,
  Logger,
  ModuleContext,
  ModuleKind,
  Parser,
  Placement,
  Sink,
} from '@beer/core'
import { decodeEvents, encodeEvents } from './codec.ts'
import type { Ndjson } from './codec.ts'
import { deadLetterWriter } from './dead-letter.ts'
import { buildInline, validateEntry } from './load.ts'
import type { StageEntry } from './load.ts'
import { consoleLogger } from './logger.ts'
import { countDrop, countError, newMetrics } from './metrics.ts'
import type { ModuleMetrics } from './metrics.ts'
import { addMetrics } from './remote/instance.ts'
import type { RemoteInstance, SupervisionOptions, WorkResult } from './remote/instance.ts'
import { RemotePool } from './remote/pool.ts'
import type { HostedModule, InitMessage, Role } from './remote/protocol.ts'
import { analyzeEvents, commandSlots, enrichEvents, idsGiven, isThenable, newSlot, parseInputs, stampEmitted } from './runners.ts'
import type { ParseGroup, Slot } from './runners.ts'

export interface PipelineOptions {
  /**
   * Turns each pushed input into what parsers read (for syslog: the header parse). It runs where
   * the parsers run, so parsers in workers take it off the main thread too.
   */
  decoder?: StageEntry<'decoder'>
  /**
   * Where the parse stage (decoder, parsers, fallback) runs; parsers that give a placement must
   * give this one. Default: the parsers' own placement, else inline.
   */
  parsePlacement?: { run?: Placement; instances?: number }
  /** Parsers in order; the first whose isMine() claims an input parses it. They share one placement. */
  parsers?: StageEntry<'parser'>[]
  /** Takes every input no parser claimed (and inputs whose parser threw), so nothing is dropped. Runs with the parsers. */
  fallback?: StageEntry<'parser'>
  enrichers?: StageEntry<'enricher'>[]
  sinks?: StageEntry<'sink'>[]
  analyzers?: StageEntry<'analyzer'>[]
  /** Analyzer events that are this many hops from a received message are dropped. Default 4. */
  maxHops?: number
  /** A sink may have this many writes in flight before push() asks the caller to wait. Default 2. */
  maxPendingWrites?: number
  /**
   * Batches inside the pipeline (between push() and the last sink) before push() asks the caller
   * to wait. Default 4: with parsers in workers, every batch held waiting for its acknowledgement
   * survives the main thread's young-generation collections and is copied by them; measured on
   * the end-to-end benchmark, 4 held batches cost a third of the collection time of 8 and a tenth
   * of 64, for the highest throughput (docs/architecture.md).
   */
  maxBatchesInFlight?: number
  /**
   * How long stop() waits (ms) for batches and sinks' writes in flight, and for each worker or
   * process to flush and exit, before closing or killing them anyway. Default 10000.
   */
  stopTimeout?: number
  /** Where events that crashed a module go, as NDJSON. Default `./data/dead-letter.ndjson`. */
  deadLetter?: string
  /**
   * Modules every worker thread and child process imports before it builds its modules: loader
   * hooks (on Node 20, worker threads do not inherit hooks registered with `--import`), APM agents.
   */
  preload?: string[]
  /** Supervision of worker and process modules; see docs/architecture.md. */
  supervision?: Partial<Omit<SupervisionOptions, 'stopTimeout'>> & { heartbeatInterval?: number }
  logger?: (scope: string) => Logger
}

export interface ModuleStatus {
  /** Unique in the pipeline; instances of a module are `name[0]`, `name[1]`, … */
  name: string
  kind: ModuleKind | 'pipeline'
  placement: Placement
  /** The module's name without the instance suffix, and its instance. */
  module?: string
  instance?: number
  /** For worker and process modules: starting, running, restarting, quarantined, stopping, stopped or failed. */
  state?: string
  uptimeMs: number
  /** Times the module's worker or process was restarted. */
  restarts: number
  /** Batches handed to the module and not yet done (a sink's writes in flight, a worker's unacknowledged batches). */
  queueDepth: number
  /** Events received per second over the last second. */
  eventsPerSec?: number
  pid?: number
  threadId?: number
  /** Process modules: the child's CPU time and resident memory. */
  cpuUserMs?: number
  cpuSystemMs?: number
  rssBytes?: number
  /** Worker and process modules: heap in use and event-loop utilisation (0..1) over the last heartbeat. */
  heapUsedBytes?: number
  elu?: number
  lastError?: { code: string; message: string }
  metrics: ModuleMetrics
}

export interface CommandAnswer {
  module: string
  answer?: unknown
  error?: { code: string; message: string }
}

export interface Pipeline {
  /** Builds every module (starting workers and processes). Build errors reject here. */
  start(): Promise<void>
  /**
   * Runs a batch of inputs through parse → enrich → handlers. Returns a promise when the pipeline
   * is full (too many batches in flight, or a sink congested): the caller should wait for it
   * before pushing more (pause reads, or hold and then drop UDP).
   */
  push(inputs: readonly unknown[]): void | Promise<void>
  /** True while push() would ask the caller to wait. */
  readonly congested: boolean
  /** Broadcasts a command to every module (or the one named `target`); collects the answers. */
  command(name: string, args?: unknown, target?: string): Promise<CommandAnswer[]>
  /** Per-module (and per-instance) figures, the runtime's own first. */
  status(): ModuleStatus[]
  /** Drains the batches in flight, then flushes and stops every module, upstream first. */
  stop(): Promise<void>
}

/** A batch on its way through the stages. Events are held as objects, as NDJSON text, or both. */
interface Job {
  seq: number
  inputs: readonly unknown[] | undefined
  events: LogEvent[] | undefined
  text: Ndjson | undefined
  count: number
  /** The first stage with work for this job: 0 for received inputs, 1 for analyzer events. */
  first: number
  /** The analyzer that raised these events: they never go back to it. */
  emitter: Handler | undefined
}

/** One module (inline) or one pool of workers or processes, at one stage. */
type Handler =
  | { where: 'inline'; slot: Slot<Analyzer> }
  | { where: 'remote'; pool: RemotePool; name: string }

interface SinkSlot extends Slot<Sink> {
  pending: number
  waiters: (() => void)[]
}

interface Stage {
  /** Does the stage's work for the job: synchronously, or by a promise when it went to a worker or process. */
  run(job: Job): void | Promise<void>
  /** Lowest seq that has not yet left this stage: jobs leave every stage in the order they were pushed. */
  exitNext: number
  waiting: Map<number, Job>
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const maxHops = options.maxHops ?? 4
  const maxPending = count(options.maxPendingWrites, 2, 'maxPendingWrites')
  const maxJobs = count(options.maxBatchesInFlight, 4, 'maxBatchesInFlight')
  const stopTimeout = options.stopTimeout ?? 10_000
  const makeLogger = options.logger ?? consoleLogger
  const sup = options.supervision ?? {}
  const supervision: SupervisionOptions = {
    window: count(sup.window, 1, 'supervision.window'),
    heartbeatTimeout: sup.heartbeatTimeout ?? 10_000,
    startTimeout: sup.startTimeout ?? 30_000,
    stopTimeout,
    commandTimeout: sup.commandTimeout ?? 10_000,
    backoff: sup.backoff ?? 100,
    maxBackoff: sup.maxBackoff ?? 30_000,
    maxRestarts: sup.maxRestarts ?? 5,
    restartWindow: sup.restartWindow ?? 60_000,
  }
  const heartbeatInterval = sup.heartbeatInterval ?? 1000
  const deadLetterPath = options.deadLetter ?? './data/dead-letter.ndjson'

  const entries: StageEntry[] = []
  const take = <K extends ModuleKind>(list: StageEntry<K>[] | undefined, kind: K): StageEntry<K>[] => {
    for (const e of list ?? []) validateEntry(e, kind)
    entries.push(...(list ?? []))
    return list ?? []
  }
  // Validation happens here, when the pipeline is built, not at the first message.
  const decoderEntry = options.decoder ? take([options.decoder], 'decoder')[0] : undefined
  const parserEntries = take(options.parsers, 'parser')
  const fallbackEntry = options.fallback ? take([options.fallback], 'parser')[0] : undefined
  const enricherEntries = take(options.enrichers, 'enricher')
  const sinkEntries = take(options.sinks, 'sink')
  const analyzerEntries = take(options.analyzers, 'analyzer')
  const parsePlacement = sharedParserPlacement(parserEntries, options.parsePlacement)
  const names = uniqueNames(entries.map((e) => e.descriptor.name))
  const nameOf = new Map(entries.map((e, i) => [e, names[i]!]))
  const fallbackName = fallbackEntry ? nameOf.get(fallbackEntry) : undefined

  const own = newMetrics()
  const startedAt = Date.now()
  const log = makeLogger('pipeline')
  const writeDeadLetter = deadLetterWriter(deadLetterPath)

  /** Inline modules, for commands, status and stop. */
  const inline: Slot<Lifecycle>[] = []
  /** Worker and process pools, in stage order, with the hosted module names of instance 0. */
  const pools: { pool: RemotePool; role: Role; placement: Placement; modules: { name: string; kind: ModuleKind }[] }[] = []
  let group: ParseGroup | undefined
  let parsePool: RemotePool | undefined
  const enrichStages: ({ where: 'inline'; slot: Slot<Enricher> } | { where: 'remote'; pool: RemotePool })[] = []
  const analyzers: Handler[] = []
  const inlineSinks: SinkSlot[] = []
  const remoteSinks: RemotePool[] = []
  let stages: Stage[] = []
  /** Jobs between the analyzers and the sinks. */
  const analyzing = new Set<Job>()

  let started = false
  let stopped = false
  let nextSeq = 0
  let active = 0
  let roomWaiters: (() => void)[] = []
  let idleWaiters: (() => void)[] = []
  let emitted: { event: LogEvent; emitter: Handler }[] = []
  let emitScheduled = false
  let ticker: ReturnType<typeof setInterval> | undefined
  const rateSamples = new Map<string, { at: number; received: number; rate: number }>()

  // ---- building -------------------------------------------------------------------------------

  async function buildSlot<K extends ModuleKind>(entry: StageEntry<K>): Promise<Slot<never>> {
    const name = nameOf.get(entry)!
    const slot = newSlot<unknown>(name, entry.descriptor.kind, undefined)
    const handler: Handler = { where: 'inline', slot: slot as Slot<Analyzer> }
    const context: ModuleContext = {
      name,
      instance: 0,
      log: makeLogger(name),
      emit: (event, causes) => emitInline(handler, event, causes),
    }
    slot.module = await buildInline(entry.descriptor, context)
    inline.push(slot as Slot<Lifecycle>)
    inlineHandlers.set(slot, handler)
    return slot as Slot<never>
  }

  function hosted(entry: StageEntry, instance: number, instances: number): HostedModule {
    const name = nameOf.get(entry)!
    return { name: instances > 1 ? `${name}[${instance}]` : name, descriptor: entry.descriptor }
  }

  function makePool(
    role: Role,
    entry: StageEntry,
    modules: (i: number, n: number) => InitMessage['modules'],
    handler?: Handler,
    placement = entry.placement,
  ): RemotePool {
    const run = placement!.run as 'worker' | 'process'
    const n = placement?.instances ?? 1
    const inits: InitMessage[] = Array.from({ length: n }, (_, i) => ({
      t: 'init',
      key: crypto.randomUUID(),
      role,
      instance: i,
      modules: modules(i, n),
      maxHops,
      preload: options.preload ?? [],
    }))
    const label = role === 'parse' ? 'parse stage' : nameOf.get(entry)!
    const pool = new RemotePool(run, inits, placement?.partitionBy, supervision, (i) => ({
      log: makeLogger(n > 1 ? `${label}[${i}]` : label),
      onEmit: (text, count) => {
        if (handler) emitRemote(handler, text, count)
      },
      deadLetter: (payload, error) => {
        try {
          writeDeadLetter(label, i, run, payload, error)
        } catch (err) {
          log.error(`cannot write the dead letters to ${deadLetterPath}: ${toPlainError(err).message}`)
          countDrop(own, 'dead_letter_failed', payload.count)
        }
      },
    }))
    const first = inits[0]!.modules
    const listed = [first.decoder, ...(first.parsers ?? []), first.fallback, first.module].filter((m): m is HostedModule => m !== undefined)
    pools.push({ pool, role, placement: run, modules: listed.map((m) => ({ name: m.name.replace(/\[\d+\]$/, ''), kind: m.descriptor.kind })) })
    return pool
  }

  async function build(): Promise<void> {
    // The parse stage: decoder, parsers and fallback together, in the parsers' placement.
    if (parsePlacement.run === 'inline') {
      group = {
        decoder: decoderEntry ? await buildSlot(decoderEntry) : undefined,
        parsers: [],
        fallback: undefined,
        own,
      }
      for (const e of parserEntries) group.parsers.push(await buildSlot(e))
      if (fallbackEntry) group.fallback = await buildSlot(fallbackEntry)
    } else {
      const lead = parserEntries[0] ?? fallbackEntry ?? decoderEntry
      if (!lead) throw new BeerError('BEER_ERR_PLACEMENT', 'parsePlacement: the parse stage has no decoder, parser or fallback to run')
      parsePool = makePool(
        'parse',
        lead,
        (i, n) => {
          const m: InitMessage['modules'] = { parsers: parserEntries.map((e) => hosted(e, i, n)) }
          if (decoderEntry) m.decoder = hosted(decoderEntry, i, n)
          if (fallbackEntry) m.fallback = hosted(fallbackEntry, i, n)
          return m
        },
        undefined,
        parsePlacement,
      )
      await parsePool.start()
    }
    for (const e of enricherEntries) {
      if (isInline(e)) enrichStages.push({ where: 'inline', slot: await buildSlot(e) })
      else {
        const pool = makePool('enrich', e, (i, n) => ({ module: hosted(e, i, n) }))
        await pool.start()
        enrichStages.push({ where: 'remote', pool })
      }
    }
    for (const e of analyzerEntries) {
      if (isInline(e)) {
        const slot = await buildSlot(e)
        // The handler made in buildSlot is the one emit() names as the emitter.
        analyzers.push(inlineHandlers.get(slot)!)
      } else {
        const handler = { where: 'remote', name: nameOf.get(e)! } as Handler & { where: 'remote' }
        const pool = makePool('analyze', e, (i, n) => ({ module: hosted(e, i, n) }), handler)
        handler.pool = pool
        await pool.start()
        analyzers.push(handler)
      }
    }
    for (const e of sinkEntries) {
      if (isInline(e)) {
        const slot = (await buildSlot(e)) as unknown as SinkSlot
        slot.pending = 0
        slot.waiters = []
        inlineSinks.push(slot)
      } else {
        const pool = makePool('sink', e, (i, n) => ({ module: hosted(e, i, n) }))
        await pool.start()
        remoteSinks.push(pool)
      }
    }
    const parseStage = (job: Job): void | Promise<void> => runParse(job)
    // Sinks are a stage of their own after the analyzers: a job reaches them only once every
    // earlier job has, so sinks store batches in the order they were pushed, alerts after their causes.
    stages = [
      parseStage,
      ...enrichStages.map((s) => (job: Job) => runEnrich(s, job)),
      (job: Job) => runAnalyzers(job),
      (job: Job) => writeSinks(job),
    ].map(
      (run): Stage => ({ run, exitNext: 0, waiting: new Map() }),
    )
  }

  // Inline analyzers are found again by their slot when they emit.
  const inlineHandlers = new Map<Slot<unknown>, Handler>()

  function isInline(e: StageEntry): boolean {
    return (e.placement?.run ?? 'inline') === 'inline'
  }

  // ---- the stages ---------------------------------------------------------------------------------

  function eventsOf(job: Job): LogEvent[] {
    if (job.events === undefined) job.events = decodeEvents(job.text ?? [])
    return job.events
  }

  function textOf(job: Job): Ndjson {
    if (job.text === undefined) {
      let refused = 0
      job.text = encodeEvents(job.events ?? [], () => refused++)
      if (refused > 0) {
        // The text is now the batch: the objects still hold the events JSON cannot carry.
        countDrop(own, 'not_serializable', refused)
        job.count -= refused
        job.events = undefined
      }
    }
    return job.text
  }

  function runParse(job: Job): void | Promise<void> {
    if (job.first > 0) return
    const inputs = job.inputs!
    job.inputs = undefined
    if (group) {
      const out: LogEvent[] = []
      parseInputs(group, inputs, out)
      job.events = out
      job.count = out.length
      return
    }
    return parsePool!.submit({ inputs: inputs as unknown[], count: inputs.length }).then((r) => {
      job.text = r.text ?? []
      job.count = r.count
    })
  }

  function runEnrich(s: (typeof enrichStages)[number], job: Job): void | Promise<void> {
    if (job.count === 0) return
    if (s.where === 'inline') {
      enrichEvents(s.slot, eventsOf(job))
      // The enricher changed the objects: any text held is stale.
      job.text = undefined
      return
    }
    return s.pool.submit({ text: textOf(job), count: job.count }).then((r) => {
      job.text = r.text ?? []
      job.count = r.count
      job.events = undefined
    })
  }

  function runAnalyzers(job: Job): void | Promise<void> {
    if (job.count === 0) return
    analyzing.add(job)
    // Analyzers see a batch before the sinks store it, so that a cause gets its `event.id` (given
    // when an analyzer points at it) before it is written.
    const before = idsGiven.count
    let remote: Promise<WorkResult>[] | undefined
    for (let j = 0; j < analyzers.length; j++) {
      const a = analyzers[j]!
      if (a === job.emitter) continue
      if (a.where === 'inline') {
        analyzeEvents(a.slot, eventsOf(job))
        // An id went to this batch or to one still on its way to the sinks: their text lacks it.
        if (idsGiven.count !== before) staleTexts()
      } else (remote ??= []).push(a.pool.submit({ text: textOf(job), count: job.count }, job.events))
    }
    flushEmitted()
    if (remote) {
      return Promise.all(remote).then((results) => {
        for (const r of results) {
          if (!r.ids) continue
          const events = eventsOf(job)
          for (const [i, id] of r.ids) {
            const ev = events[i]
            if (ev) (ev.event ??= {}).id ??= id
          }
          job.text = undefined
        }
      })
    }
  }

  function writeSinks(job: Job): void | Promise<void> {
    analyzing.delete(job)
    if (job.count === 0) return
    for (let j = 0; j < inlineSinks.length; j++) {
      const s = inlineSinks[j]!
      s.metrics.received_events += job.count
      let r: void | Promise<void>
      try {
        r = job.text !== undefined && s.module.writeNdjson ? s.module.writeNdjson(job.text, job.count) : s.module.write(eventsOf(job))
      } catch (err) {
        countError(s.metrics, toPlainError(err).code)
        countDrop(s.metrics, 'sink_error', job.count)
        continue
      }
      if (isThenable(r)) {
        s.pending++
        const n = job.count
        r.then(
          () => settle(s, n, undefined),
          (err: unknown) => settle(s, n, err),
        )
      } else s.metrics.sent_events += job.count
    }
    if (remoteSinks.length === 0) return
    const text = textOf(job)
    return Promise.all(remoteSinks.map((p) => p.submit({ text, count: job.count }, job.events))).then(() => undefined)
  }

  function settle(s: SinkSlot, n: number, err: unknown): void {
    s.pending--
    if (err === undefined) s.metrics.sent_events += n
    else {
      countError(s.metrics, toPlainError(err).code)
      countDrop(s.metrics, 'sink_error', n)
      log.error(`${s.name}: write failed: ${toPlainError(err).message}`)
    }
    // Waiters re-check their own condition: push() callers wait for room, stop() for zero.
    if (s.pending < maxPending && s.waiters.length) {
      const w = s.waiters
      s.waiters = []
      for (const f of w) f()
    }
    wakeRoom()
  }

  // ---- moving jobs through the stages, in order ---------------------------------------------------

  function enter(job: Job, i: number): void {
    if (i === stages.length) {
      done(job)
      return
    }
    let r: void | Promise<void>
    try {
      r = stages[i]!.run(job)
    } catch (err) {
      // Stage code catches module errors; reaching here is a runtime bug: count it, keep the order.
      countError(own, toPlainError(err).code)
      log.error(`stage ${i} failed: ${toPlainError(err).message}`)
      job.count = 0
      r = undefined
    }
    if (isThenable(r)) {
      r.then(
        () => leave(job, i),
        (err: unknown) => {
          countError(own, toPlainError(err).code)
          log.error(`stage ${i} failed: ${toPlainError(err).message}`)
          job.count = 0
          leave(job, i)
        },
      )
    } else leave(job, i)
  }

  function leave(job: Job, i: number): void {
    const stage = stages[i]!
    if (job.seq !== stage.exitNext) {
      stage.waiting.set(job.seq, job)
      return
    }
    stage.exitNext++
    enter(job, i + 1)
    let next: Job | undefined
    while ((next = stage.waiting.get(stage.exitNext)) !== undefined) {
      stage.waiting.delete(next.seq)
      stage.exitNext++
      enter(next, i + 1)
    }
  }

  function done(job: Job): void {
    active--
    if (job.first === 0) own.sent_events += job.count
    wakeRoom()
    if (active === 0 && idleWaiters.length) {
      const w = idleWaiters
      idleWaiters = []
      for (const f of w) f()
    }
  }

  function submitJob(job: Job): void {
    if (!ready) {
      // An analyzer emitted while later modules were still being built: it goes in once all are.
      early.push(job)
      return
    }
    active++
    enter(job, 0)
  }

  /** Ids were given to events of batches between the analyzers and the sinks: their text lacks them. */
  function staleTexts(): void {
    for (const j of analyzing) if (j.events !== undefined) j.text = undefined
  }

  function isCongested(): boolean {
    if (active >= maxJobs) return true
    for (const s of inlineSinks) if (s.pending >= maxPending) return true
    return false
  }

  function wakeRoom(): void {
    if (roomWaiters.length === 0 || isCongested()) return
    const w = roomWaiters
    roomWaiters = []
    for (const f of w) f()
  }

  function idle(): Promise<void> {
    return active === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r))
  }

  // ---- analyzer events ----------------------------------------------------------------------------

  function emitInline(from: Handler, event: LogEvent, causes?: readonly LogEvent[]): void {
    if (from.where !== 'inline' || from.slot.kind !== 'analyzer') {
      if (from.where === 'inline') countError(from.slot.metrics, 'BEER_ERR_EMIT_NOT_ANALYZER')
      return
    }
    if (stopDone) return
    if (!stampEmitted(from.slot, event, causes, maxHops)) return
    emitted.push({ event, emitter: from })
    // An analyzer may emit from a timer (a window closing): its events must not wait for the
    // next received message.
    if (!emitScheduled) {
      emitScheduled = true
      queueMicrotask(flushEmitted)
    }
  }

  function flushEmitted(): void {
    emitScheduled = false
    // An analyzer that emitted from a timer gave ids to its causes outside any batch's turn.
    if (idsGiven.count !== idsSeen) {
      idsSeen = idsGiven.count
      staleTexts()
    }
    if (emitted.length === 0) return
    const round = emitted
    emitted = []
    const byEmitter = new Map<Handler, LogEvent[]>()
    for (const { event, emitter } of round) {
      const list = byEmitter.get(emitter)
      if (list) list.push(event)
      else byEmitter.set(emitter, [event])
    }
    for (const [emitter, events] of byEmitter) {
      submitJob({ seq: nextSeq++, inputs: undefined, events, text: undefined, count: events.length, first: 1, emitter })
    }
  }

  function emitRemote(from: Handler, text: Ndjson, count: number): void {
    if (stopDone) return
    submitJob({ seq: nextSeq++, inputs: undefined, events: undefined, text, count, first: 1, emitter: from })
  }

  let stopDone = false
  let ready = false
  const early: Job[] = []
  let idsSeen = idsGiven.count
  let lastTick = Date.now()

  // ---- status -------------------------------------------------------------------------------------

  function tick(): void {
    const now = Date.now()
    // A tick that comes late means this thread was busy: the guests' answers wait behind it.
    const late = now - lastTick > 2 * heartbeatInterval
    lastTick = now
    for (const p of pools) p.pool.tick(now, late)
    for (const row of rows(now)) sampleRate(row, now)
  }

  function sampleRate(row: ModuleStatus, now: number): number | undefined {
    const prev = rateSamples.get(row.name)
    const received = row.metrics.received_events
    if (!prev) {
      rateSamples.set(row.name, { at: now, received, rate: 0 })
      return undefined
    }
    if (now - prev.at >= 500) {
      prev.rate = Math.max(0, ((received - prev.received) * 1000) / (now - prev.at))
      prev.at = now
      prev.received = received
    }
    return prev.rate
  }

  function rows(now: number): ModuleStatus[] {
    const out: ModuleStatus[] = [
      { name: 'pipeline', kind: 'pipeline', placement: 'inline', uptimeMs: now - startedAt, restarts: 0, queueDepth: active, metrics: own },
    ]
    const modules: ModuleStatus[] = []
    for (const s of inline) {
      modules.push({
        name: s.name,
        kind: s.kind,
        placement: 'inline',
        uptimeMs: now - s.startedAt,
        restarts: 0,
        queueDepth: (s as Partial<SinkSlot>).pending ?? 0,
        metrics: s.metrics,
      })
    }
    for (const p of pools) {
      const n = p.pool.instances.length
      for (const inst of p.pool.instances) {
        const guest = inst.metrics()
        p.modules.forEach((m, k) => {
          const name = n > 1 ? `${m.name}[${inst.index}]` : m.name
          const metrics = addMetrics(newMetrics(), guest.get(name) ?? newMetrics())
          // The stage's own drops, and the host's crash, dead-letter and quarantine counts, go on the first row.
          if (k === 0) {
            addMetrics(metrics, guest.get('') ?? newMetrics())
            addMetrics(metrics, inst.hostMetrics)
          }
          modules.push(remoteRow(name, m.name, m.kind, p.placement, inst, metrics, now))
        })
      }
    }
    // In the order a message meets them.
    const rank: Record<string, number> = { decoder: 0, parser: 1, enricher: 2, analyzer: 3, sink: 4 }
    const stage = (m: ModuleStatus): number => {
      // A parse stage in workers lists its modules instance by instance, as they run together.
      if (m.module !== undefined && (m.kind === 'decoder' || m.kind === 'parser')) return 1
      return m.name === fallbackName ? 1.5 : (rank[m.kind] ?? 5)
    }
    modules.sort((x, y) => stage(x) - stage(y))
    return [...out, ...modules]
  }

  function remoteRow(name: string, module: string, kind: ModuleKind, placement: Placement, inst: RemoteInstance, metrics: ModuleMetrics, now: number): ModuleStatus {
    const row: ModuleStatus = {
      name,
      kind,
      placement,
      module,
      instance: inst.index,
      state: inst.state,
      uptimeMs: inst.state === 'running' ? now - inst.startedAt : 0,
      restarts: inst.restarts,
      queueDepth: inst.depth,
      metrics,
    }
    if (inst.pid) row.pid = inst.pid
    if (placement === 'worker') row.threadId = inst.threadId
    const u = inst.usage
    if (u) {
      if (placement === 'process') {
        row.cpuUserMs = Math.round(u.cpuUserUs / 1000)
        row.cpuSystemMs = Math.round(u.cpuSystemUs / 1000)
        row.rssBytes = u.rssBytes
      }
      row.heapUsedBytes = u.heapUsedBytes
      row.elu = Math.round(u.elu * 1000) / 1000
    }
    if (inst.lastError) row.lastError = { code: inst.lastError.code, message: inst.lastError.message }
    return row
  }

  // ---- the pipeline ---------------------------------------------------------------------------------

  const pipeline: Pipeline = {
    async start() {
      if (started) return
      started = true
      // Running during the build too: it enforces each worker's and process's startTimeout.
      lastTick = Date.now()
      ticker = setInterval(tick, heartbeatInterval)
      ticker.unref?.()
      try {
        await build()
      } catch (err) {
        clearInterval(ticker)
        stopped = true
        // Close what was built so a failed start leaves no open file, socket, worker or timer behind.
        await Promise.allSettled([...inline.map((s) => s.module?.close?.()), ...pools.map((p) => p.pool.stop())])
        throw err
      }
      ready = true
      for (const job of early.splice(0)) submitJob(job)
    },

    push(inputs) {
      if (!ready || stopped) {
        throw new BeerError(
          'BEER_ERR_PIPELINE_NOT_RUNNING',
          stopped ? 'the pipeline has stopped; no input is accepted' : 'call start() and wait for it before push()',
        )
      }
      own.received_events += inputs.length
      submitJob({ seq: nextSeq++, inputs, events: undefined, text: undefined, count: inputs.length, first: 0, emitter: undefined })
      if (!isCongested()) return
      return new Promise<void>((resolve) => roomWaiters.push(resolve))
    },

    get congested() {
      return isCongested()
    },

    async command(name, args, target) {
      const asked = target === undefined ? inline : inline.filter((s) => s.name === target)
      let found = target === undefined || asked.length > 0
      const answers: CommandAnswer[] = await commandSlots(asked, name, args)
      for (const p of pools) {
        if (target !== undefined && !p.modules.some((m) => m.name === target)) continue
        found = true
        const per = await Promise.all(p.pool.instances.map((inst) => inst.command(name, args)))
        for (const list of per) {
          for (const a of list) {
            // A parse-stage worker answers for each of its modules; keep only the one asked.
            if (target !== undefined && a.module.replace(/\[\d+\]$/, '') !== target && p.modules.some((m) => m.name === a.module.replace(/\[\d+\]$/, ''))) continue
            answers.push(a)
          }
        }
      }
      if (!found) {
        throw new BeerError('BEER_ERR_COMMAND_UNKNOWN_MODULE', `no module named '${target}'; see 'status' for the names`, {
          module: target,
        })
      }
      return answers
    },

    status() {
      const now = Date.now()
      return rows(now).map((row) => {
        const rate = sampleRate(row, now)
        return rate === undefined ? row : { ...row, eventsPerSec: Math.round(rate) }
      })
    },

    async stop() {
      if (stopped) return
      stopped = true
      const deadline = Date.now() + stopTimeout
      const untilIdle = async (): Promise<void> => {
        flushEmitted()
        const left = deadline - Date.now()
        let timer: ReturnType<typeof setTimeout> | undefined
        const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), Math.max(0, left))))
        if ((await Promise.race([idle(), late])) === 'late') {
          log.error(`${active} batches still in flight after ${stopTimeout} ms; stopping anyway`)
        }
        clearTimeout(timer)
      }
      await untilIdle()
      // Upstream first, so whatever a parser, enricher or analyzer still holds reaches the sinks
      // before they flush and close. A worker or process stops (flush, close, exit) in its turn.
      const order: { inline?: Slot<Lifecycle>; pool?: RemotePool }[] = []
      const inlineBy = new Map(inline.map((s) => [s.name, s]))
      for (const name of names) {
        const s = inlineBy.get(name)
        if (s) order.push({ inline: s })
        else {
          const p = pools.find((q) => q.modules.some((m) => m.name === name))
          if (p && !order.some((o) => o.pool === p.pool)) order.push({ pool: p.pool })
        }
      }
      // Sinks last, whatever order they were added in.
      const isSink = (o: (typeof order)[number]): boolean =>
        (o.inline !== undefined && o.inline.kind === 'sink') || (o.pool !== undefined && remoteSinks.includes(o.pool))
      order.sort((a, b) => Number(isSink(a)) - Number(isSink(b)))
      for (const o of order) {
        if (o.inline) {
          try {
            await withDeadline(o.inline.module.flush?.(), deadline, `${o.inline.name}: flush`)
          } catch (err) {
            log.error(`${o.inline.name}: flush failed: ${toPlainError(err).message}`)
          }
        } else await o.pool!.stop()
        await untilIdle()
      }
      stopDone = true
      clearInterval(ticker)
      const left = Math.max(0, deadline - Date.now())
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left)))
      const drained = Promise.all(
        inlineSinks.map(async (s) => {
          while (s.pending > 0) await new Promise<void>((r) => s.waiters.push(r))
        }),
      )
      if ((await Promise.race([drained, timedOut])) === 'timeout') {
        const stuck = inlineSinks.filter((s) => s.pending > 0).map((s) => s.name)
        log.error(`${stuck.join(', ')}: writes still in flight after ${stopTimeout} ms; closing anyway`)
      }
      clearTimeout(timer)
      for (const slot of inline) {
        try {
          await withDeadline(slot.module.close?.(), deadline + stopTimeout, `${slot.name}: close`)
        } catch (err) {
          log.error(`${slot.name}: close failed: ${toPlainError(err).message}`)
        }
      }
    },
  }
  return pipeline
}

/** The dispatcher tries parsers in order in one place, so they share one placement. */
function sharedParserPlacement(
  parsers: StageEntry<'parser'>[],
  stage: { run?: Placement; instances?: number } | undefined,
): { run: Placement; instances: number } {
  if (stage !== undefined) validateEntry({ descriptor: { kind: 'parser', name: 'parsePlacement', module: '', export: '', options: {} }, placement: stage }, 'parser')
  const placed = parsers.filter((p) => p.placement?.run !== undefined || p.placement?.instances !== undefined)
  const from = stage ?? placed[0]?.placement
  const run = from?.run ?? 'inline'
  const instances = from?.instances ?? 1
  const origin = stage ? 'parsePlacement' : placed[0]?.descriptor.name
  for (const p of stage ? placed : parsers) {
    const r = p.placement?.run ?? 'inline'
    const n = p.placement?.instances ?? 1
    if (r !== run || n !== instances) {
      throw new BeerError(
        'BEER_ERR_PLACEMENT_PARSERS',
        `${p.descriptor.name}: run: '${r}', instances: ${n} differs from ${origin} (run: '${run}', instances: ${instances}); parsers are tried in order in one place, so give them all the same placement`,
        { module: p.descriptor.name },
      )
    }
  }
  return { run, instances }
}

/** A whole number of at least 1: zero would make the pipeline wait for room that never comes. */
function count(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) {
    throw new BeerError('BEER_ERR_OPTION', `${name}: expected a whole number of at least 1, got ${String(value)}`)
  }
  return value
}

/** Waits for a module's flush or close, but not past the deadline: a hung disk must not hang the stop. */
async function withDeadline(work: void | Promise<void> | undefined, deadline: number, what: string): Promise<void> {
  if (!isThenable(work)) return
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), Math.max(0, deadline - Date.now()))))
  try {
    if ((await Promise.race([work, late])) === 'late') throw new BeerError('BEER_ERR_STOP_TIMEOUT', `${what} did not finish before the stop timeout`)
  } finally {
    clearTimeout(timer)
  }
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>()
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1
    seen.set(n, k)
    return k === 1 ? n : `${n}#${k}`
  })
}
