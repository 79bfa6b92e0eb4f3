import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { BeerError, toPlainError } from '@beer/core'
import type { Logger, PlainError } from '@beer/core'
import { joinLines, packInputs, splitEvents } from '../codec.ts'
import type { Ndjson } from '../codec.ts'
import { countDrop, countError, newMetrics } from '../metrics.ts'
import type { ModuleMetrics } from '../metrics.ts'
import type { GuestMessage, HostMessage, InitMessage, Payload, Usage } from './protocol.ts'

/** What the host gets back for a batch. */
export interface WorkResult {
  text?: Ndjson
  count: number
  ids?: [number, string][]
}

/** A batch on its way to a guest, kept until the guest acknowledges it so a crash loses nothing. */
interface Work {
  payload: Payload
  /** Times this batch was in progress when its guest died. */
  crashes: number
  /** Split off a batch that crashed its guest twice: one crash more and it is split again. */
  suspect: boolean
  done: (r: WorkResult) => void
}

export interface SupervisionOptions {
  /** Unacknowledged batches a guest may hold; more wait on the host. */
  window: number
  heartbeatTimeout: number
  startTimeout: number
  stopTimeout: number
  commandTimeout: number
  /** First restart delay; doubles with each crash in a row, up to maxBackoff. */
  backoff: number
  maxBackoff: number
  /**
   * Crashes within restartWindow after which the instance is quarantined. The extra crashes of a
   * bisection (finding the one poisonous event of a batch) do not count: they make progress.
   */
  maxRestarts: number
  restartWindow: number
}

export type InstanceState = 'starting' | 'running' | 'restarting' | 'quarantined' | 'stopping' | 'stopped' | 'failed'

export interface InstanceHooks {
  onEmit(text: Ndjson, count: number): void
  deadLetter(payload: Payload, error: PlainError): void
  log: Logger
}

interface Incarnation {
  send(m: HostMessage): void
  kill(): void
  dead: boolean
  reason: PlainError | undefined
}

type Answer = { module: string; answer?: unknown; error?: { code: string; message: string } }

// Built files start built entries; sources run under a TypeScript loader (tests) start sources,
// which the worker or child loads with the loader it inherits through execArgv.
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const WORKER_MAIN = new URL(`./worker-main${EXT}`, import.meta.url)

/**
 * The runtime flags a worker or child gets: the parent's, without those that name the parent's
 * own entry (`-e`, `-p`, `--input-type`): Node refuses `--input-type` for a file entry, and a child
 * given `-e` back would run the parent's code again.
 */
function guestExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print' || a === '--input-type') {
      i++
      continue
    }
    if (/^--(input-type|eval|print)=/.test(a)) continue
    out.push(a)
  }
  return out
}
const PROCESS_MAIN = fileURLToPath(new URL(`./process-main${EXT}`, import.meta.url))

/**
 * Runs one instance of a hosted stage in a worker thread or a child process and supervises it:
 * credit-bounded batches, acknowledgements, heartbeats, restarts with exponential backoff, the
 * resending of unacknowledged batches, poison-batch bisection and quarantine.
 */
export class RemoteInstance {
  readonly placement: 'worker' | 'process'
  readonly index: number
  readonly init: InitMessage
  state: InstanceState = 'starting'
  restarts: number = 0
  startedAt: number = Date.now()
  pid: number = 0
  threadId: number = 0
  usage: Usage | undefined
  lastError: PlainError | undefined
  /** Counters of the host's own: crashes, dead letters, quarantine drops. */
  readonly hostMetrics: ModuleMetrics = newMetrics()
  /** Guest counters by module name: those of earlier incarnations, and the live one's. */
  private readonly baseMetrics = new Map<string, ModuleMetrics>()
  private liveMetrics: Record<string, ModuleMetrics> = {}

  private readonly o: SupervisionOptions
  private readonly hooks: InstanceHooks
  private readonly queue: Work[] = []
  private readonly inflight = new Map<number, Work>()
  private nextSeq = 0
  /** Crashes since the last acknowledged batch: the exponent of the restart delay. */
  private failures = 0
  /** When the counted crashes of the last restartWindow happened. */
  private recentCrashes: number[] = []
  private inc: Incarnation | undefined
  private lastPong = 0
  private spawnedAt = 0
  private restartTimer: ReturnType<typeof setTimeout> | undefined
  private firstStart: { resolve: () => void; reject: (e: unknown) => void } | undefined
  private commands = new Map<number, (a: Answer[]) => void>()
  private nextCommand = 0
  private exited: (() => void)[] = []

  constructor(placement: 'worker' | 'process', index: number, init: InitMessage, o: SupervisionOptions, hooks: InstanceHooks) {
    this.placement = placement
    this.index = index
    this.init = init
    this.o = o
    this.hooks = hooks
  }

  /** Resolves when the guest has built its modules; rejects with the build error. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstStart = { resolve, reject }
      this.spawn()
    })
  }

  /** Batches queued or unacknowledged. */
  get depth(): number {
    return this.queue.length + this.inflight.size
  }

  get available(): boolean {
    return this.state !== 'quarantined' && this.state !== 'stopped' && this.state !== 'failed' && this.state !== 'stopping'
  }

  /** Running now, not waiting out a restart delay: the instance a new batch should go to. */
  get running(): boolean {
    return this.state === 'running'
  }

  /**
   * The host's own event loop stalled (a long synchronous task): pongs that arrived meanwhile
   * are still queued behind this timer, so the guests are not to blame.
   */
  excuse(now: number): void {
    this.lastPong = Math.max(this.lastPong, now)
  }

  submit(payload: Payload): Promise<WorkResult> {
    return new Promise((done) => {
      const work: Work = { payload, crashes: 0, suspect: false, done }
      if (!this.available) this.dropWork(work, 'quarantined')
      else {
        this.queue.push(work)
        this.pump()
      }
    })
  }

  metrics(): Map<string, ModuleMetrics> {
    const out = new Map<string, ModuleMetrics>()
    for (const [name, m] of this.baseMetrics) out.set(name, addMetrics(newMetrics(), m))
    for (const [name, m] of Object.entries(this.liveMetrics)) {
      out.set(name, addMetrics(out.get(name) ?? newMetrics(), m))
    }
    return out
  }

  /** Sends a ping, or declares the guest dead when the last answer is too old. Called every second. */
  tick(now: number): void {
    const inc = this.inc
    if (!inc || inc.dead) return
    if ((this.state === 'starting' || this.state === 'restarting') && now - this.spawnedAt > this.o.startTimeout) {
      this.crash(inc, { code: 'BEER_ERR_MODULE_UNRESPONSIVE', message: `not ready after ${this.o.startTimeout} ms; killed` })
      return
    }
    // While stopping, stopTimeout bounds the guest's flush; a slow flush is not a hang.
    if (this.state === 'running') {
      if (now - this.lastPong > this.o.heartbeatTimeout) {
        this.crash(inc, {
          code: 'BEER_ERR_MODULE_UNRESPONSIVE',
          message: `no heartbeat answer for ${now - this.lastPong} ms (a hang or an endless loop); killed`,
        })
        return
      }
      inc.send({ t: 'ping', at: now })
    }
  }

  async command(name: string, args: unknown): Promise<Answer[]> {
    const label = this.init.modules.module?.name ?? this.init.modules.parsers?.[0]?.name ?? `instance ${this.index}`
    if (name === 'reset' && this.state === 'quarantined') {
      // reset lifts a quarantine: the module gets a fresh start with a clean failure count.
      this.failures = 0
      this.recentCrashes = []
      this.state = 'restarting'
      this.spawn()
      return [{ module: label, answer: 'restarted after quarantine' }]
    }
    const inc = this.inc
    if (this.state !== 'running' || !inc || inc.dead) {
      return [{ module: label, error: { code: 'BEER_ERR_MODULE_UNAVAILABLE', message: `${label} is ${this.state}; try again when it runs` } }]
    }
    const id = ++this.nextCommand
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.commands.delete(id)
        resolve([{ module: label, error: { code: 'BEER_ERR_COMMAND_TIMEOUT', message: `${label} did not answer '${name}' within ${this.o.commandTimeout} ms` } }])
      }, this.o.commandTimeout)
      this.commands.set(id, (a) => {
        clearTimeout(timer)
        resolve(a)
      })
      inc.send({ t: 'command', id, name, args })
    })
  }

  /** Asks the guest to flush and close, then exit; kills it after the stop timeout. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer)
    for (const w of this.queue.splice(0)) this.dropWork(w, 'stopped')
    const inc = this.inc
    if (!inc || inc.dead) {
      this.state = this.state === 'quarantined' ? 'quarantined' : 'stopped'
      return
    }
    this.state = 'stopping'
    const gone = new Promise<void>((r) => this.exited.push(r))
    inc.send({ t: 'stop' })
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), this.o.stopTimeout)))
    if ((await Promise.race([gone, late])) === 'late') {
      this.hooks.log.error(`instance ${this.index} did not stop within ${this.o.stopTimeout} ms; killed`)
      inc.kill()
      await gone
    }
    clearTimeout(timer)
  }

  private pump(): void {
    const inc = this.inc
    if (this.state !== 'running' || !inc || inc.dead) return
    while (this.inflight.size < this.o.window && this.queue.length > 0) {
      const w = this.queue.shift()!
      const seq = ++this.nextSeq
      this.inflight.set(seq, w)
      const p = w.payload
      try {
        inc.send(
          p.inputs !== undefined
            ? { t: 'batch', seq, packed: packInputs(p.inputs), count: p.count }
            : { t: 'batch', seq, text: p.text ?? [], count: p.count },
        )
      } catch (err) {
        // An input that cannot be cloned (a function in it) can never reach the guest.
        this.inflight.delete(seq)
        const e = toPlainError(err)
        this.hooks.deadLetter(p, { code: 'BEER_ERR_INPUT_NOT_CLONEABLE', message: e.message })
        countDrop(this.hostMetrics, 'not_cloneable', p.count)
        w.done({ count: 0, text: [] })
      }
    }
  }

  private spawn(): void {
    this.spawnedAt = Date.now()
    this.state = this.state === 'starting' ? 'starting' : 'restarting'
    const inc: Incarnation = this.placement === 'worker' ? this.spawnWorker() : this.spawnProcess()
    this.inc = inc
    inc.send(this.init)
  }

  private spawnWorker(): Incarnation {
    const worker = new Worker(WORKER_MAIN, { stdout: false, stderr: false, execArgv: guestExecArgv() })
    const inc: Incarnation = {
      send: (m) => worker.postMessage(m),
      kill: () => void worker.terminate(),
      dead: false,
      reason: undefined,
    }
    worker.on('message', (m: GuestMessage) => this.onMessage(inc, m))
    worker.on('error', (err) => {
      inc.reason ??= { ...toPlainError(err), code: 'BEER_ERR_MODULE_CRASHED' }
    })
    worker.on('exit', (code) => this.onExit(inc, `exited with code ${code}`))
    return inc
  }

  private spawnProcess(): Incarnation {
    const child: ChildProcess = fork(PROCESS_MAIN, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: guestExecArgv(),
    })
    const inc: Incarnation = {
      send: (m) => {
        if (child.connected) child.send(m, undefined, undefined, () => {})
      },
      kill: () => void child.kill('SIGKILL'),
      dead: false,
      reason: undefined,
    }
    child.on('message', (m: GuestMessage) => this.onMessage(inc, m))
    child.on('error', (err) => {
      inc.reason ??= { ...toPlainError(err), code: 'BEER_ERR_MODULE_CRASHED' }
    })
    child.on('exit', (code, signal) => this.onExit(inc, signal ? `killed by ${signal}` : `exited with code ${code}`))
    return inc
  }

  private onMessage(inc: Incarnation, m: GuestMessage): void {
    if (inc !== this.inc || inc.dead) return
    // Module code in the guest can post too: anything that is not the protocol is counted, not trusted.
    if (m === null || typeof m !== 'object' || typeof m.t !== 'string' || m.k !== this.init.key) {
      countError(this.hostMetrics, 'BEER_ERR_GUEST_MESSAGE')
      return
    }
    switch (m.t) {
      case 'ack': {
        if (typeof m.seq !== 'number' || (m.text !== undefined && !Array.isArray(m.text))) {
          countError(this.hostMetrics, 'BEER_ERR_GUEST_MESSAGE')
          return
        }
        const w = this.inflight.get(m.seq)
        if (!w) return
        this.inflight.delete(m.seq)
        if (m.metrics !== null && typeof m.metrics === 'object') this.liveMetrics = m.metrics
        this.failures = 0
        const r: WorkResult = { count: m.count ?? 0 }
        if (m.text !== undefined) r.text = m.text
        if (m.ids) r.ids = m.ids
        w.done(r)
        this.pump()
        return
      }
      case 'emit':
        if (!Array.isArray(m.text) || typeof m.count !== 'number') countError(this.hostMetrics, 'BEER_ERR_GUEST_MESSAGE')
        else this.hooks.onEmit(m.text, m.count)
        return
      case 'pong':
        this.lastPong = Date.now()
        this.usage = m.usage
        return
      case 'answer':
        this.commands.get(m.id)?.(Array.isArray(m.answers) ? m.answers : [])
        this.commands.delete(m.id)
        return
      case 'ready':
        // A guest that comes up after stop() was asked is told to stop by its own exit path.
        if (this.state !== 'starting' && this.state !== 'restarting') return
        this.state = 'running'
        this.startedAt = Date.now()
        this.lastPong = this.startedAt
        this.pid = m.pid
        this.threadId = m.threadId
        this.firstStart?.resolve()
        this.firstStart = undefined
        this.pump()
        return
      case 'fatal':
        inc.reason = m.error
        return
      case 'stopped':
        return
    }
  }

  private onExit(inc: Incarnation, how: string): void {
    if (inc.dead) return
    if (this.state === 'stopping' || this.state === 'stopped') {
      this.stopped(inc)
      return
    }
    this.crash(inc, inc.reason ?? { code: 'BEER_ERR_MODULE_CRASHED', message: how })
  }

  /** The guest is gone after stop(): nothing restarts, nothing waits. */
  private stopped(inc: Incarnation): void {
    inc.dead = true
    this.state = 'stopped'
    clearTimeout(this.restartTimer)
    for (const w of [...this.inflight.values(), ...this.queue.splice(0)]) this.dropWork(w, 'stopped')
    this.inflight.clear()
    for (const resolve of this.commands.values()) {
      resolve([{ module: `instance ${this.index}`, error: { code: 'BEER_ERR_MODULE_UNAVAILABLE', message: 'stopped' } }])
    }
    this.commands.clear()
    for (const f of this.exited.splice(0)) f()
  }

  /**
   * A guest died (crash, exit, hang). The batch it was handling is blamed; every batch it held
   * is sent again to the next incarnation, in order. A batch blamed twice is split in halves,
   * and a blamed batch of one event goes to the dead letters: the module goes on without it.
   */
  private crash(inc: Incarnation, reason: PlainError): void {
    if (inc.dead) return
    if (this.state === 'stopping' || this.state === 'stopped') {
      inc.kill()
      this.stopped(inc)
      return
    }
    inc.dead = true
    inc.kill()
    for (const f of this.exited.splice(0)) f()
    this.lastError = reason
    countError(this.hostMetrics, reason.code)
    for (const [name, m] of Object.entries(this.liveMetrics)) {
      this.baseMetrics.set(name, addMetrics(this.baseMetrics.get(name) ?? newMetrics(), m))
    }
    this.liveMetrics = {}
    for (const resolve of this.commands.values()) {
      resolve([{ module: `instance ${this.index}`, error: { code: reason.code, message: reason.message } }])
    }
    this.commands.clear()

    if (this.firstStart) {
      // A module that cannot even start fails the pipeline's start, as it would inline.
      this.state = 'failed'
      const e = new BeerError(reason.code, reason.message, reason.details)
      this.firstStart.reject(e)
      this.firstStart = undefined
      return
    }

    const held = [...this.inflight.values()]
    this.inflight.clear()
    let bisecting = false
    const blamed = held[0]
    if (blamed) {
      blamed.crashes++
      if (blamed.suspect || blamed.crashes >= 2) {
        bisecting = true
        held.shift()
        if (blamed.payload.count <= 1) {
          this.hooks.deadLetter(blamed.payload, reason)
          countDrop(this.hostMetrics, 'dead_letter', blamed.payload.count)
          this.hooks.log.error(`instance ${this.index}: an event crashed it twice; sent to the dead letters`, { error: reason.message })
          blamed.done({ count: 0, text: [] })
          // A module that crashes on every event would otherwise go on forever, one event at a time.
          this.recentCrashes.push(Date.now())
        } else {
          held.unshift(...split(blamed))
        }
      }
    }
    this.queue.unshift(...held)
    this.restarts++
    const now = Date.now()
    if (!bisecting) {
      this.failures++
      this.recentCrashes.push(now)
    }
    this.recentCrashes = this.recentCrashes.filter((t) => now - t <= this.o.restartWindow)
    if (this.recentCrashes.length > this.o.maxRestarts) {
      this.state = 'quarantined'
      this.hooks.log.error(
        `instance ${this.index} quarantined after ${this.recentCrashes.length} crashes in ${this.o.restartWindow} ms (last: ${reason.message}); 'beer reset <module>' restarts it`,
      )
      for (const w of this.queue.splice(0)) this.dropWork(w, 'quarantined')
      return
    }
    const delay = bisecting ? this.o.backoff : Math.min(this.o.maxBackoff, this.o.backoff * 2 ** Math.max(0, this.failures - 1))
    this.hooks.log.warn(`instance ${this.index} ${reason.message}; restarting in ${delay} ms`, { code: reason.code })
    this.state = 'restarting'
    this.restartTimer = setTimeout(() => this.spawn(), delay)
  }

  /** Ends a batch without handling it: counted, and for enrichers the events pass on unchanged. */
  private dropWork(w: Work, reason: string): void {
    countDrop(this.hostMetrics, reason, w.payload.count)
    if (this.init.role === 'enrich') w.done({ text: w.payload.text ?? [], count: w.payload.count })
    else w.done({ count: 0, text: [] })
  }
}

function split(w: Work): Work[] {
  const p = w.payload
  const half = Math.ceil(p.count / 2)
  let a: Payload
  let b: Payload
  if (p.inputs !== undefined) {
    a = { inputs: p.inputs.slice(0, half), count: half }
    b = { inputs: p.inputs.slice(half), count: p.count - half }
  } else {
    const lines = splitEvents(p.text ?? [])
    a = { text: joinLines(lines.slice(0, half)), count: half }
    b = { text: joinLines(lines.slice(half)), count: lines.length - half }
  }
  let first: WorkResult | undefined
  let second: WorkResult | undefined
  const finish = (): void => {
    if (!first || !second) return
    const r: WorkResult = { count: first.count + second.count, text: [...(first.text ?? []), ...(second.text ?? [])] }
    if (first.ids || second.ids) {
      r.ids = [...(first.ids ?? []), ...(second.ids ?? []).map(([i, id]): [number, string] => [i + half, id])]
    }
    w.done(r)
  }
  return [
    { payload: a, crashes: 0, suspect: true, done: (r) => ((first = r), finish()) },
    { payload: b, crashes: 0, suspect: true, done: (r) => ((second = r), finish()) },
  ]
}

export function addMetrics(into: ModuleMetrics, m: ModuleMetrics): ModuleMetrics {
  into.received_events += m.received_events
  into.sent_events += m.sent_events
  for (const [k, v] of Object.entries(m.dropped_events)) into.dropped_events[k] = (into.dropped_events[k] ?? 0) + v
  for (const [k, v] of Object.entries(m.errors)) into.errors[k] = (into.errors[k] ?? 0) + v
  return into
}
