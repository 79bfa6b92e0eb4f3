import { Redis } from 'ioredis'
import type { Logger } from '@beer/core'
import { mapAddress } from './addresses.ts'
import { holderOf, type Binding } from './history.ts'
import type { IdentityMap } from './identity-map.ts'
import type { ResolvedRedis } from './options.ts'
import { toBinding } from './snapshot.ts'

/**
 * The map shared through Redis. Enrichment is synchronous, so it always reads the local map; this
 * class keeps that map in step with Redis in the background:
 *
 * - what this collector learns is written in batches (one pipeline per `batchSize` bindings),
 *   and the changed addresses are announced on a channel;
 * - addresses other collectors announce, and addresses looked up whose copy is older than
 *   `cacheTtl`, are fetched in batches; at every (re)connection the whole map is loaded;
 * - while Redis cannot be reached, learned bindings wait in a bounded queue and enrichment goes
 *   on from the local map; once Redis is back the queue is written.
 *
 * Layout: one hash per address, `<prefix>ip:<address>`, one field per binding
 * (`<kind>|<holder>|<start>` → the binding as JSON), expiring `retain` after its last binding
 * ends. Fields are written, never read-modified-written, so collectors do not race: each reader
 * merges the fields with the same rules the local map uses.
 */
export interface RedisFigures {
  url: string
  connected: boolean
  /** Bindings not yet written: waiting, or sent in a pipeline Redis has not answered yet. */
  queue: number
  /** Bindings dropped from a full queue while Redis could not be reached (this collector still has them). */
  queueDropped: number
  /** Look-ups answered from the local map alone because Redis could not be reached. */
  degradedLookups: number
  /** Look-ups of an address this collector had not fetched yet: answered from what it knew, fetched for the next. */
  coldLookups: number
  /** Bindings written to Redis. */
  written: number
  /** Addresses fetched from Redis. */
  fetched: number
  /** Change announcements received from other collectors. */
  announcements: number
  /** Times the connection was lost. */
  disconnects: number
  lastError: string | null
}

interface PendingWrite {
  ip: string
  field: string
  value: string
  end: number
  /** Rises with every write queued, so a failed batch never puts back a value a newer one replaced. */
  version: number
}

export class RedisStore {
  readonly #o: ResolvedRedis
  readonly #map: IdentityMap
  readonly #log: Logger
  readonly #name: string
  readonly #retainMs: number
  readonly #horizon: () => number
  readonly #maxAddresses: number
  readonly #self = crypto.randomUUID()
  readonly #client: Redis
  readonly #sub: Redis
  readonly #channel: string
  readonly #pending = new Map<string, PendingWrite>()
  /** For each binding in a pipeline not yet answered: the version of its newest write. */
  readonly #newest = new Map<string, number>()
  #version = 0
  /** Bindings in pipelines not yet answered: part of `queue` until Redis confirms them. */
  #sending = 0
  readonly #staleFields: [string, string][] = []
  readonly #toFetch = new Set<string>()
  readonly #fetchedAt = new Map<string, number>()
  #flushTimer: ReturnType<typeof setTimeout> | null = null
  #fetchScheduled = false
  #flushing: Promise<void> | null = null
  #fetching = false
  #warming = false
  #ready = false
  #everReady = false
  #closed = false
  #downSince = 0
  readonly figures: Omit<RedisFigures, 'url' | 'connected' | 'queue'> = {
    queueDropped: 0,
    degradedLookups: 0,
    coldLookups: 0,
    written: 0,
    fetched: 0,
    announcements: 0,
    disconnects: 0,
    lastError: null,
  }

  /**
   * `horizon()` is the time before which ended bindings are of no more use (the newest event time
   * seen, less `retain`): older fields are removed from Redis as they are read.
   */
  constructor(o: ResolvedRedis, map: IdentityMap, log: Logger, name: string, retainMs: number, maxAddresses: number, horizon: () => number) {
    this.#o = o
    this.#map = map
    this.#log = log
    this.#name = name
    this.#retainMs = retainMs
    this.#horizon = horizon
    this.#maxAddresses = maxAddresses
    this.#channel = `${o.prefix}changes`
    const common = {
      connectTimeout: o.connectTimeout,
      // Our own bounded queue holds what waits for Redis; the client's would grow without bound.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
    }
    this.#client = new Redis(o.url, { ...common, lazyConnect: true })
    this.#sub = new Redis(o.url, { ...common, lazyConnect: true, enableOfflineQueue: true })
    this.#client.on('ready', () => this.#onReady())
    this.#client.on('close', () => this.#onClose())
    this.#client.on('error', (err: Error) => this.#noteError(err))
    this.#sub.on('error', (err: Error) => this.#noteError(err))
    this.#sub.on('message', (channel: string, message: string) => this.#onAnnouncement(channel, message))
  }

  /** Connects, waiting at most `connectTimeout`: without Redis the collector starts all the same. */
  async start(): Promise<void> {
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.#o.connectTimeout)
      this.#client.once('ready', () => {
        clearTimeout(timer)
        resolve(true)
      })
    })
    this.#client.connect().catch(() => {})
    this.#sub.connect().catch(() => {})
    this.#sub.subscribe(this.#channel).catch((err: Error) => this.#noteError(err))
    if (!(await ready)) {
      this.#log.warn(
        `${this.#name}: Redis at ${redactedUrl(this.#o.url)} cannot be reached (${this.figures.lastError ?? 'no answer'}); starting with the local map, retrying in the background. Bindings learned meanwhile are queued (up to ${this.#o.maxQueue}).`,
        { code: 'BEER_ERR_IDENTITY_REDIS', url: redactedUrl(this.#o.url) },
      )
      this.#downSince = Date.now()
    }
  }

  get connected(): boolean {
    return this.#ready
  }

  status(): RedisFigures {
    return { url: redactedUrl(this.#o.url), connected: this.#ready, queue: this.#pending.size + this.#sending, ...this.figures }
  }

  /** Queues what changed at `ip` for writing. */
  write(ip: string, changed: readonly Binding[]): void {
    // What this collector just learned need not be fetched back; what others know of the address
    // comes with their announcements and with the load at every connection.
    if (this.#ready && !this.#fetchedAt.has(ip)) this.#fresh(ip, Date.now())
    for (const b of changed) {
      const field = `${b.kind}|${holderOf(b)}|${b.start}`
      const key = ip + '\n' + field
      // Re-inserting keeps the queue in the order of the latest change.
      const version = ++this.#version
      this.#pending.delete(key)
      this.#pending.set(key, { ip, field, value: JSON.stringify(b), end: b.end, version })
      if (this.#newest.has(key)) this.#newest.set(key, version)
    }
    if (this.#pending.size > this.#o.maxQueue) {
      let over = this.#pending.size - this.#o.maxQueue
      this.figures.queueDropped += over
      for (const key of this.#pending.keys()) {
        this.#pending.delete(key)
        if (--over === 0) break
      }
    }
    if (this.#ready && this.#flushTimer === null && this.#flushing === null) {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = null
        void this.#flush()
      }, this.#o.flushInterval)
    }
  }

  /**
   * Called for every look-up: counts a look-up made without Redis, and has an address fetched
   * when this collector has no fresh copy. `now` is the wall clock.
   */
  touch(ip: string, now: number): void {
    if (!this.#ready) {
      this.figures.degradedLookups++
      return
    }
    const at = this.#fetchedAt.get(ip)
    if (at !== undefined && now - at < this.#o.cacheTtlMs) return
    if (at === undefined) this.figures.coldLookups++
    this.#want(ip)
  }

  /** Fetches one address now (for the lookup command). False when Redis cannot be reached. */
  async refresh(ip: string): Promise<boolean> {
    if (!this.#ready) return false
    try {
      const fields = await this.#answered(this.#client.hgetall(this.#key(ip)))
      this.#take(ip, fields, Date.now())
      return true
    } catch (err) {
      this.#noteError(err as Error)
      return false
    }
  }

  /** Forgets the local copy (the `reset` command); Redis keeps the shared map. */
  reset(): void {
    this.#newest.clear()
    this.#fetchedAt.clear()
    this.#toFetch.clear()
    this.#pending.clear()
  }

  /** Writes what is queued, while Redis answers, for at most `ms`. */
  async flush(ms: number): Promise<void> {
    const deadline = Date.now() + ms
    // Pipelines already sent are waited for too: flushed means Redis has answered them.
    if (this.#flushing !== null) await this.#flushing
    while (this.#pending.size > 0 && this.#ready && Date.now() < deadline) {
      const before = this.#pending.size
      await this.#flush()
      if (this.#pending.size >= before) break
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    if (this.#flushTimer) clearTimeout(this.#flushTimer)
    this.#flushTimer = null
    await this.flush(3000)
    this.#closed = true
    if (this.#pending.size > 0) {
      this.#log.error(
        `${this.#name}: closing with ${this.#pending.size} bindings that could not be written to Redis (${this.figures.lastError ?? 'not connected'}); other collectors will not see them`,
        { code: 'BEER_ERR_IDENTITY_REDIS', queue: this.#pending.size },
      )
    }
    await Promise.allSettled([quit(this.#client), quit(this.#sub)])
  }

  #key(ip: string): string {
    return `${this.#o.prefix}ip:${ip}`
  }

  #onReady(): void {
    if (this.#closed) return
    this.#ready = true
    if (this.#everReady || this.#downSince !== 0) {
      this.#log.info(`${this.#name}: Redis at ${redactedUrl(this.#o.url)} is back; writing ${this.#pending.size} queued bindings and reloading the map`, {
        queue: this.#pending.size,
        downMs: this.#downSince === 0 ? undefined : Date.now() - this.#downSince,
      })
    }
    this.#everReady = true
    this.#downSince = 0
    void this.#flush()
    void this.#warm()
  }

  #onClose(): void {
    if (!this.#ready) return
    this.#ready = false
    this.#downSince = Date.now()
    this.figures.disconnects++
    if (this.#closed) return
    this.#log.warn(
      `${this.#name}: lost Redis at ${redactedUrl(this.#o.url)} (${this.figures.lastError ?? 'connection closed'}); enriching from the local map and queueing learned bindings (up to ${this.#o.maxQueue}) until it is back`,
      { code: 'BEER_ERR_IDENTITY_REDIS' },
    )
  }

  #noteError(err: Error): void {
    const code = (err as { code?: unknown }).code
    this.figures.lastError = `${typeof code === 'string' ? code + ': ' : ''}${err.message}`
  }

  #want(ip: string): void {
    this.#toFetch.add(ip)
    if (this.#fetchScheduled || this.#fetching) return
    this.#fetchScheduled = true
    // One fetch per turn of the event loop: every address a batch of events needs goes in one pipeline.
    setImmediate(() => {
      this.#fetchScheduled = false
      void this.#fetch()
    })
  }

  #onAnnouncement(channel: string, message: string): void {
    if (channel !== this.#channel || this.#closed) return
    let m: { from?: unknown; ips?: unknown }
    try {
      m = JSON.parse(message) as typeof m
    } catch {
      return
    }
    if (m.from === this.#self || !Array.isArray(m.ips)) return
    this.figures.announcements++
    for (const raw of m.ips) {
      const ip = mapAddress(raw)
      if (ip !== undefined) this.#want(ip)
    }
  }

  #flush(): Promise<void> {
    this.#flushing ??= this.#flushLoop().finally(() => {
      this.#flushing = null
    })
    return this.#flushing
  }

  async #flushLoop(): Promise<void> {
    // Two pipelines in flight: the next batch is built and sent while Redis answers the last.
    const inFlight: Promise<boolean>[] = []
    while (this.#pending.size > 0 && this.#ready) {
      inFlight.push(this.#writeBatch())
      if (inFlight.length < 2) continue
      if (!(await inFlight.shift()!)) break
    }
    const ok = await Promise.all(inFlight)
    if (ok.every(Boolean)) return
    // A lost connection is retried once it is back (ready); an error while connected, after a pause.
    if (this.#ready && !this.#closed) setTimeout(() => void this.#flush(), 1000).unref()
  }

  /** Sends one batch of the queue as one pipeline; false (the batch back in the queue) when it failed. */
  async #writeBatch(): Promise<boolean> {
    const batch: [string, PendingWrite][] = []
    for (const entry of this.#pending) {
      batch.push(entry)
      if (batch.length >= this.#o.batchSize) break
    }
    for (const [key, w] of batch) {
      this.#pending.delete(key)
      this.#newest.set(key, w.version)
    }
    const byIp = new Map<string, { args: string[]; end: number }>()
    for (const [, w] of batch) {
      const e = byIp.get(w.ip)
      if (e) {
        e.args.push(w.field, w.value)
        e.end = Math.max(e.end, w.end)
      } else byIp.set(w.ip, { args: [w.field, w.value], end: w.end })
    }
    const now = Date.now()
    const p = this.#client.pipeline()
    for (const [ip, { args, end }] of byIp) {
      const key = this.#key(ip)
      // The key outlives the last binding of the address this collector knows by `retain`, and
      // lives at least `retain` from now (event times may lie in the past: a replay).
      let last = end
      for (const b of this.#map.history(ip)) if (b.end > last) last = b.end
      p.hset(key, ...args)
      p.pexpireat(key, Math.max(last, now) + this.#retainMs)
    }
    for (const [ip, field] of this.#staleFields.splice(0, this.#o.batchSize)) p.hdel(this.#key(ip), field)
    p.publish(this.#channel, JSON.stringify({ from: this.#self, ips: [...byIp.keys()] }))
    let failed: Error | undefined
    this.#sending += batch.length
    try {
      const results = (await this.#answered(p.exec())) ?? []
      failed = results.find(([err]) => err)?.[0] ?? undefined
    } catch (err) {
      failed = err as Error
    } finally {
      this.#sending -= batch.length
    }
    if (failed) this.#noteError(failed)
    else this.figures.written += batch.length
    for (const [key, w] of batch) {
      if (this.#newest.get(key) !== w.version) continue
      this.#newest.delete(key)
      // Back in the queue when it failed, unless a newer version of the binding came meanwhile.
      if (failed && !this.#pending.has(key)) this.#pending.set(key, w)
    }
    return failed === undefined
  }

  async #fetch(): Promise<void> {
    if (this.#fetching) return
    this.#fetching = true
    try {
      while (this.#toFetch.size > 0 && this.#ready) {
        const ips: string[] = []
        for (const ip of this.#toFetch) {
          ips.push(ip)
          if (ips.length >= this.#o.batchSize) break
        }
        for (const ip of ips) this.#toFetch.delete(ip)
        await this.#load(ips)
      }
    } finally {
      this.#fetching = false
    }
  }

  /** Fetches the hashes of `ips` in one pipeline and merges them into the local map. */
  async #load(ips: readonly string[]): Promise<void> {
    const p = this.#client.pipeline()
    for (const ip of ips) p.hgetall(this.#key(ip))
    let results: [Error | null, unknown][]
    try {
      results = (await this.#answered(p.exec())) ?? []
    } catch (err) {
      this.#noteError(err as Error)
      return
    }
    const now = Date.now()
    for (let i = 0; i < ips.length; i++) {
      const [err, fields] = results[i] ?? [new Error('no reply'), undefined]
      if (err) {
        this.#noteError(err)
        continue
      }
      this.#take(ips[i]!, fields as Record<string, string>, now)
    }
  }

  #take(ip: string, fields: Record<string, string>, now: number): void {
    this.figures.fetched++
    this.#fresh(ip, now)
    const horizon = this.#horizon()
    for (const [field, value] of Object.entries(fields)) {
      let b: Binding | undefined
      try {
        b = toBinding(JSON.parse(value))
      } catch {
        b = undefined
      }
      if (b === undefined || b.end < horizon) {
        // Unreadable, or ended long ago: removed with the next write.
        if (this.#staleFields.length < 10_000) this.#staleFields.push([ip, field])
        continue
      }
      this.#map.merge(ip, b)
    }
  }

  /**
   * A pipeline's answer, or a rejection once `connectTimeout` has passed without one: a Redis that
   * hangs (stopped, or the network gone silent) is then treated as lost, and the connection made
   * again. One timer a pipeline, where the client's own command timeout would set one a command.
   */
  #answered<T>(work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(Object.assign(new Error(`no answer from Redis within ${this.#o.connectTimeout} ms`), { code: 'ETIMEDOUT' }))
        this.#client.disconnect(true)
      }, this.#o.connectTimeout)
    })
    return Promise.race([work, late]).finally(() => clearTimeout(timer))
  }

  #fresh(ip: string, now: number): void {
    this.#fetchedAt.delete(ip)
    this.#fetchedAt.set(ip, now)
    if (this.#fetchedAt.size > this.#maxAddresses) this.#fetchedAt.delete(this.#fetchedAt.keys().next().value!)
  }

  /** Loads the whole shared map, key by key, at every (re)connection. */
  async #warm(): Promise<void> {
    if (this.#warming) return
    this.#warming = true
    let cursor = '0'
    let loaded = 0
    try {
      // Each batch's hashes are fetched while the next SCAN step runs.
      let loading: Promise<void> | undefined
      do {
        const [next, keys] = await this.#answered(this.#client.scan(cursor, 'MATCH', `${this.#o.prefix}ip:*`, 'COUNT', this.#o.batchSize))
        cursor = next
        const ips: string[] = []
        for (const key of keys) {
          const ip = mapAddress(key.slice(this.#o.prefix.length + 3))
          if (ip !== undefined) ips.push(ip)
        }
        await loading
        loading = ips.length > 0 ? this.#load(ips) : undefined
        loaded += ips.length
      } while (cursor !== '0' && this.#ready && !this.#closed && loaded < this.#maxAddresses)
      await loading
    } catch (err) {
      this.#noteError(err as Error)
    } finally {
      this.#warming = false
    }
  }
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit()
      return
    } catch {}
  }
  client.disconnect()
}

/** The URL without its password, for logs and status. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'redis://(unreadable url)'
  }
}
