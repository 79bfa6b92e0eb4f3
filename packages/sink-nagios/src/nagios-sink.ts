import { BeerError, type LogEvent, type Logger, type ModuleContext, type Sink } from '@beer/core'
import { CommandFileTransport } from './command-file.ts'
import { Dedup } from './dedup.ts'
import { escapeOutput, matches, toCheckResult, type CheckResult } from './mapping.ts'
import { NscaTransport } from './nsca.ts'
import type { ResolvedOptions } from './options.ts'
import { DeliveryFailure, errorCode, errorText, type Transport } from './transport.ts'

/** Why held results were dropped. */
export interface NagiosDropped {
  /** The queue held `maxQueue` results: the oldest went. */
  queue_full: number
  /** Held longer than `maxAge`. */
  expired: number
  /** The NSCA daemon cut off the connection carrying them three times (a wrong password or encryption method). */
  rejected: number
  /** Still held when the sink closed. */
  closed: number
}

/** What `command('status')` answers. */
export interface NagiosSinkStatus {
  transport: 'command-file' | 'nsca'
  /** The command file's path, or the NSCA daemon's host:port. */
  target: string
  /**
   * `'idle'`: nothing to send; `'sending'`; `'retrying'`: the last delivery failed and the next
   * try waits (`retryInMs`); `'closed'`.
   */
  state: 'idle' | 'sending' | 'retrying' | 'closed'
  /** Events that matched (alerts). */
  received: number
  /** Events that did not match and were ignored. */
  ignored: number
  /** Check results delivered to the command file or the NSCA daemon. */
  sent: number
  /** Results not sent because the same host, service and state went out within `dedupInterval`. */
  suppressed: number
  /** OK results sent because no alert named a host and service for `resolveAfter`. */
  resolved: number
  /** Failed delivery attempts; the results stayed queued. */
  failed: number
  /** Results dropped, by reason. */
  dropped: NagiosDropped
  /** Results waiting to be sent. */
  queued: number
  /** Results in a delivery now. */
  inFlight: number
  /** Failed attempts by error code (`ENXIO`, `ECONNREFUSED`, …). */
  errors: Record<string, number>
  lastError: string | null
  lastErrorAt: string | null
  lastSentAt: string | null
  /** Milliseconds until the next try while `state` is `'retrying'`. */
  retryInMs: number | null
}

interface Held {
  result: CheckResult
  key: string
  /** When it was queued; also the dedup entry's sentAt, to forget it if this is dropped. */
  at: number
  /** Sends the receiver cut off. */
  rejections: number
}

interface FlushWaiter {
  resolve: () => void
  reject: (err: unknown) => void
}

/** A connection cut off this many times with the same results is not a passing outage. */
const MAX_REJECTIONS = 3
const REPEAT_LOG_MS = 60_000
const DROP_LOG_MS = 10_000
const DEDUP_MAX_KEYS = 10_000

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

/**
 * The live sink. `write()` never returns a promise: a monitoring side channel must not slow the
 * collector, so while Nagios cannot take results they wait in a bounded queue (oldest dropped
 * first, counted) and are retried with backoff.
 */
export class NagiosSink implements Sink {
  readonly #o: ResolvedOptions
  readonly #log: Logger
  readonly #name: string
  readonly #transport: Transport
  readonly #dedup: Dedup

  #queue: Held[] = []
  #inFlight = 0
  readonly #inFlightKeys = new Map<string, number>()

  #received = 0
  #ignored = 0
  #sent = 0
  #suppressed = 0
  #resolved = 0
  #failed = 0
  readonly #dropped: NagiosDropped = { queue_full: 0, expired: 0, rejected: 0, closed: 0 }
  readonly #errors: Record<string, number> = {}
  #lastError: string | null = null
  #lastErrorAt: number | null = null
  #lastSentAt: number | null = null

  #retryDelay = 0
  #retryAt: number | null = null
  #retryTimer: NodeJS.Timeout | null = null
  #failingSince: number | null = null
  #failLoggedAt = 0
  #dropLoggedAt = -Infinity
  #dropsUnlogged = 0
  #housekeeping: NodeJS.Timeout | null = null
  #waiters: FlushWaiter[] = []
  #closing: Promise<void> | null = null
  #closed = false

  constructor(options: ResolvedOptions, context: ModuleContext) {
    this.#o = options
    this.#log = context.log
    this.#name = context.name
    const t = options.transport
    this.#transport = t.type === 'command-file' ? new CommandFileTransport(t.path) : new NscaTransport(t)
    this.#dedup = new Dedup(options.dedupMs, options.resolveMs ?? 0, DEDUP_MAX_KEYS)
    const every = Math.max(1000, Math.min(30_000, Math.floor((options.resolveMs ?? Math.max(options.dedupMs, 60_000)) / 4)))
    this.#housekeeping = setInterval(() => this.#tidy(), every)
    this.#housekeeping.unref()
  }

  write(events: readonly LogEvent[]): void {
    if (this.#closing) {
      throw new BeerError('BEER_ERR_SINK_NAGIOS_CLOSED', `${this.#name}: write() after close(); the runtime must not write to a closed sink`)
    }
    const now = Date.now()
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!
      if (!matches(event, this.#o.match)) {
        this.#ignored++
        continue
      }
      this.#received++
      const result = toCheckResult(event, this.#o)
      const key = `${result.host}\u0000${result.service ?? ''}`
      const verdict = this.#dedup.check(key, result.host, result.service, result.code, now)
      if (!verdict.send) {
        this.#suppressed++
        continue
      }
      if (verdict.suppressedBefore > 0) result.text += ` (+${verdict.suppressedBefore} suppressed)`
      this.#enqueue({ result, key, at: now, rejections: 0 })
    }
    this.#pump()
  }

  /**
   * Sends what is held now, without waiting for a retry delay. Rejects with
   * BEER_ERR_SINK_NAGIOS_SEND when a delivery fails meanwhile: the results stay queued.
   */
  flush(): Promise<void> {
    if (this.#closing) return this.#closing
    return this.#flushNow()
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  command(name: string): unknown {
    switch (name) {
      case 'status':
        return this.#status()
      case 'flush':
        return this.flush().then(() => ({ flushed: true }))
      default:
        return undefined
    }
  }

  #status(): NagiosSinkStatus {
    return {
      transport: this.#transport.kind,
      target: this.#transport.target,
      state: this.#closed ? 'closed' : this.#retryAt !== null ? 'retrying' : this.#inFlight > 0 ? 'sending' : 'idle',
      received: this.#received,
      ignored: this.#ignored,
      sent: this.#sent,
      suppressed: this.#suppressed,
      resolved: this.#resolved,
      failed: this.#failed,
      dropped: { ...this.#dropped },
      queued: this.#queue.length,
      inFlight: this.#inFlight,
      errors: { ...this.#errors },
      lastError: this.#lastError,
      lastErrorAt: iso(this.#lastErrorAt),
      lastSentAt: iso(this.#lastSentAt),
      retryInMs: this.#retryAt === null ? null : Math.max(0, this.#retryAt - Date.now()),
    }
  }

  #enqueue(held: Held): void {
    this.#queue.push(held)
    if (this.#queue.length > this.#o.maxQueue) this.#drop(this.#queue.splice(0, this.#queue.length - this.#o.maxQueue), 'queue_full')
  }

  #drop(items: readonly Held[], reason: keyof NagiosDropped): void {
    if (items.length === 0) return
    this.#dropped[reason] += items.length
    for (const h of items) this.#dedup.forget(h.key, h.at)
    this.#dropsUnlogged += items.length
    const now = Date.now()
    // An outage drops many; one line per 10 s says enough.
    if (reason !== 'closed' && now - this.#dropLoggedAt < DROP_LOG_MS) return
    const why = {
      queue_full: `the queue holds maxQueue (${this.#o.maxQueue}) results while ${this.#transport.target} cannot take them`,
      expired: `they waited longer than maxAge (${this.#o.maxAgeMs} ms) for ${this.#transport.target}`,
      rejected: `${this.#transport.target} cut off the connection carrying them ${MAX_REJECTIONS} times; check the NSCA password and encryption`,
      closed: `the sink closed before ${this.#transport.target} could take them (last error: ${this.#lastError ?? 'none'})`,
    }[reason]
    this.#log.error(`${this.#name}: dropped ${this.#dropsUnlogged} check result${this.#dropsUnlogged === 1 ? '' : 's'} because ${why}. status.dropped counts them.`, {
      target: this.#transport.target,
      reason,
      dropped: this.#dropsUnlogged,
      lastError: this.#lastError,
    })
    this.#dropLoggedAt = now
    this.#dropsUnlogged = 0
  }

  /** Starts as many deliveries as the transport allows, unless a retry delay runs. */
  #pump(): void {
    if (this.#closed || this.#retryTimer !== null) return
    const t = this.#transport
    while (this.#inFlight < t.concurrency && this.#queue.length > 0) {
      const batch = this.#take(t.batchSize)
      if (batch.length === 0) break
      this.#inFlight++
      for (const h of batch) this.#inFlightKeys.set(h.key, (this.#inFlightKeys.get(h.key) ?? 0) + 1)
      t.send(batch.map((h) => h.result)).then(
        () => this.#done(batch, null),
        (err: unknown) => this.#done(batch, err),
      )
    }
  }

  /**
   * Up to `n` results from the front, skipping those for a host and service already in a delivery
   * (their order must hold); drops the expired on the way.
   */
  #take(n: number): Held[] {
    const now = Date.now()
    const expired: Held[] = []
    const batch: Held[] = []
    const rest: Held[] = []
    for (const h of this.#queue) {
      if (batch.length >= n) rest.push(h)
      else if (now - h.at > this.#o.maxAgeMs) expired.push(h)
      else if (this.#inFlightKeys.has(h.key)) rest.push(h)
      else batch.push(h)
    }
    this.#queue = rest
    this.#drop(expired, 'expired')
    return batch
  }

  #done(batch: Held[], err: unknown): void {
    this.#inFlight--
    for (const h of batch) {
      const left = this.#inFlightKeys.get(h.key)! - 1
      if (left === 0) this.#inFlightKeys.delete(h.key)
      else this.#inFlightKeys.set(h.key, left)
    }
    if (err === null) {
      this.#delivered(batch.length)
      this.#recovered()
    } else {
      const f =
        err instanceof DeliveryFailure ? err : new DeliveryFailure(errorCode(err), `${errorText(err)}`, 0, false)
      this.#delivered(f.delivered)
      const back = batch.slice(f.delivered)
      if (this.#closed) {
        // Cut off by close(): nothing will retry them.
        this.#drop(back, 'closed')
        return this.#settleWaiters(err)
      }
      if (f.rejected) {
        for (const h of back) h.rejections++
        this.#drop(
          back.filter((h) => h.rejections >= MAX_REJECTIONS),
          'rejected',
        )
      }
      // Back to the front, in their order: they are older than anything queued since.
      this.#queue = [...back.filter((h) => h.rejections < MAX_REJECTIONS), ...this.#queue]
      if (this.#queue.length > this.#o.maxQueue) this.#drop(this.#queue.splice(0, this.#queue.length - this.#o.maxQueue), 'queue_full')
      this.#failure(f)
    }
    this.#settleWaiters(err)
    this.#pump()
  }

  #delivered(n: number): void {
    if (n <= 0) return
    this.#sent += n
    this.#lastSentAt = Date.now()
  }

  #failure(f: DeliveryFailure): void {
    const now = Date.now()
    this.#failed++
    this.#errors[f.code] = (this.#errors[f.code] ?? 0) + 1
    this.#lastError = `${f.code}: ${f.message}`
    this.#lastErrorAt = now
    if (this.#failingSince === null || now - this.#failLoggedAt >= REPEAT_LOG_MS) {
      this.#log.error(`${this.#name}: ${f.message}. ${this.#queue.length} check results wait and are retried; write() never waits for Nagios.`, {
        target: this.#transport.target,
        errno: f.code,
        queued: this.#queue.length,
      })
      this.#failLoggedAt = now
    }
    this.#failingSince ??= now
    this.#retryDelay = Math.min(this.#o.retryMaxMs, this.#retryDelay === 0 ? this.#o.retryMinMs : this.#retryDelay * 2)
    if (this.#retryTimer === null && !this.#closed) {
      this.#retryAt = now + this.#retryDelay
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null
        this.#retryAt = null
        this.#pump()
      }, this.#retryDelay)
    }
  }

  #recovered(): void {
    if (this.#failingSince === null) return
    this.#log.info(`${this.#name}: delivering to ${this.#transport.target} again`, {
      target: this.#transport.target,
      failedForMs: Date.now() - this.#failingSince,
    })
    this.#failingSince = null
    this.#retryDelay = 0
  }

  #settleWaiters(err: unknown): void {
    if (this.#waiters.length === 0) return
    if (err !== null) {
      const waiters = this.#waiters
      this.#waiters = []
      const e = new BeerError(
        'BEER_ERR_SINK_NAGIOS_SEND',
        `${this.#name}: ${this.#lastError}; ${this.#queue.length} check results wait and are retried`,
        { target: this.#transport.target, queued: this.#queue.length },
      )
      for (const w of waiters) w.reject(e)
    } else if (this.#queue.length === 0 && this.#inFlight === 0) {
      const waiters = this.#waiters
      this.#waiters = []
      for (const w of waiters) w.resolve()
    }
  }

  #flushNow(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve()
    if (this.#retryTimer !== null) {
      clearTimeout(this.#retryTimer)
      this.#retryTimer = null
      this.#retryAt = null
    }
    const p = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }))
    this.#pump()
    return p
  }

  /** Resolves quiet host and service pairs to OK, and forgets what deduplication no longer needs. */
  #tidy(): void {
    if (this.#closing) return
    const now = Date.now()
    if (this.#o.resolveMs !== null) {
      for (const q of this.#dedup.takeQuiet(now, this.#o.resolveMs)) {
        this.#resolved++
        this.#enqueue({ result: { host: q.host, service: q.service, code: 0, text: escapeOutput(this.#o.resolveOutput), perfdata: '' }, key: q.key, at: now, rejections: 0 })
      }
    }
    this.#dedup.sweep(now, this.#o.resolveMs !== null)
    // Expire what waits for a receiver that does not come back, without waiting for the next try.
    const expired = this.#queue.filter((h) => now - h.at > this.#o.maxAgeMs)
    if (expired.length > 0) {
      this.#queue = this.#queue.filter((h) => now - h.at <= this.#o.maxAgeMs)
      this.#drop(expired, 'expired')
    }
    this.#pump()
  }

  async #close(): Promise<void> {
    if (this.#housekeeping) clearInterval(this.#housekeeping)
    this.#housekeeping = null
    const deadline = Date.now() + this.#o.closeTimeoutMs
    while ((this.#queue.length > 0 || this.#inFlight > 0) && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))
      await Promise.race([this.#flushNow().catch(() => new Promise<void>((r) => setTimeout(r, Math.min(this.#o.retryMinMs, Math.max(0, deadline - Date.now()))))), late])
      clearTimeout(timer)
    }
    this.#closed = true
    if (this.#retryTimer) clearTimeout(this.#retryTimer)
    this.#retryTimer = null
    this.#retryAt = null
    this.#drop(this.#queue.splice(0), 'closed')
    // Deliveries still running end now, and what they carried is dropped as 'closed' too.
    await this.#transport.close()
    for (const w of this.#waiters.splice(0)) w.resolve()
  }
}
