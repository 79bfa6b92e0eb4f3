import path from 'node:path'
import { BeerError, type Enricher, type LogEvent, type Logger, type ModuleContext } from '@beer/core'
import { mapAddress } from './addresses.ts'
import type { Binding } from './history.ts'
import { IdentityMap } from './identity-map.ts'
import type { ResolvedOptions } from './options.ts'
import { RedisStore, type RedisFigures } from './redis-store.ts'
import { RuleBook, type Lesson } from './rules.ts'
import { readSnapshot, setAside, writeSnapshot } from './snapshot.ts'

/** Where a filled-in field came from: `beer.identity.<endpoint>.<user|host|mac>`. */
export interface IdentitySource {
  /** The binding's source kind: `dhcp`, `vpn`, `userid`, `login`, `static`, or a kind of your own rules. */
  kind: string
  /** When the binding began (ISO 8601); absent for static entries. */
  since?: string
}

/** What `command('status')` answers. */
export interface IdentityStatus {
  store: 'memory' | 'redis'
  /** Addresses with at least one binding (end markers included). */
  addresses: number
  bindings: number
  /** Static entries from the options. */
  statics: number
  /** Endpoint addresses looked up (those missing a user, host name or MAC). */
  lookups: number
  /** Look-ups that found a binding in force at the event's time. */
  hits: number
  /** hits / lookups, 0 before any look-up. */
  hitRate: number
  /** Bindings learned and ended, by rule. */
  learned: Record<string, number>
  /** Events a rule matched that lacked a usable address or holder, by rule. */
  ignored: Record<string, number>
  /** Bindings dropped because they ended more than `retain` ago, and addresses forgotten past `maxAddresses`. */
  expired: number
  evicted: number
  snapshot?: {
    path: string
    /** Bindings read from it at start (null: none was there, or it could not be read). */
    restored: number | null
    savedAt: string | null
    saves: number
    /** Why it could not be read at start, or the last write failed; null when neither happened. */
    error: string | null
  }
  redis?: RedisFigures
}

/** One binding, as the lookup command shows it. */
export interface BindingView {
  kind: string
  start: string
  end: string
  closed: boolean
  user?: string
  domain?: string
  host?: string
  mac?: string
}

/** What `command('lookup', { ip, at })` answers: who held `ip` at `at`, and the address's history. */
export interface LookupAnswer {
  ip: string
  at: string
  user?: string
  domain?: string
  host?: string
  mac?: string
  sources: { user?: IdentitySource; host?: IdentitySource; mac?: IdentitySource }
  bindings: BindingView[]
  static?: { user?: string; domain?: string; host?: string; mac?: string }
  /** Redis store: whether the address was fetched from Redis for this answer. */
  redis?: 'fetched' | 'unreachable'
}

/** Future event times beyond this (a sender's clock gone wrong) do not move the sweep horizon. */
const MAX_CLOCK_AHEAD_MS = 5 * 60_000

export class IdentityEnricher implements Enricher {
  readonly #o: ResolvedOptions
  readonly #log: Logger
  readonly #name: string
  readonly #map: IdentityMap
  readonly #rules: RuleBook
  readonly #fields: string[]
  readonly #redis: RedisStore | undefined
  readonly #snapshot: string | undefined
  #lastTs = ''
  #lastMs = 0
  #watermark = -Infinity
  #lookups = 0
  #hits = 0
  #learned: Record<string, number> = {}
  #ignored: Record<string, number> = {}
  #expired = 0
  #dirty = false
  #restored: number | null = null
  #savedAt: string | null = null
  #savedAtMs = 0
  #saves = 0
  #snapshotError: string | null = null
  #saving: Promise<void> | null = null
  #timer: ReturnType<typeof setInterval> | null = null
  #closing: Promise<void> | null = null
  readonly #ignore = (rule: string): void => {
    this.#ignored[rule] = (this.#ignored[rule] ?? 0) + 1
  }

  private constructor(o: ResolvedOptions, context: ModuleContext) {
    this.#o = o
    this.#log = context.log
    this.#name = context.name
    this.#map = new IdentityMap(o.maxHistory, o.maxAddresses)
    this.#rules = new RuleBook(o.rules)
    this.#fields = o.fields
    for (const s of o.statics) {
      const { ip, ...rest } = s
      this.#map.setStatic(ip, { kind: 'static', ...rest })
    }
    // Instances of one module each keep their own map, so each gets its own snapshot file.
    this.#snapshot = o.snapshot === undefined ? undefined : path.resolve(context.instance > 0 ? `${o.snapshot}.${context.instance}` : o.snapshot)
    this.#redis = o.redis === undefined ? undefined : new RedisStore(o.redis, this.#map, context.log, context.name, o.retainMs, o.maxAddresses, () => this.#watermark - o.retainMs)
  }

  /** Builds the enricher: restores the snapshot (memory) or connects (Redis), then starts the timers. */
  static async open(o: ResolvedOptions, context: ModuleContext): Promise<IdentityEnricher> {
    const e = new IdentityEnricher(o, context)
    if (e.#snapshot !== undefined) await e.#restore(e.#snapshot)
    if (e.#redis !== undefined) await e.#redis.start()
    // Sweeps (and snapshots) at least once a minute, so expired bindings do not pile up.
    e.#timer = setInterval(() => void e.#maintain(), Math.min(o.snapshotIntervalMs, 60_000))
    e.#timer.unref()
    return e
  }

  enrich(event: LogEvent): void {
    const at = this.#timeOf(event)
    const action = event.event?.action
    if (typeof action === 'string' && this.#rules.reads(action)) {
      for (const lesson of this.#rules.lessons(event, action, this.#ignore)) this.#learn(lesson, at)
    }
    const fields = this.#fields
    const now = this.#redis === undefined ? 0 : Date.now()
    for (let i = 0; i < fields.length; i++) {
      const ep = event[fields[i]!]
      if (ep === null || typeof ep !== 'object' || Array.isArray(ep)) continue
      const e = ep as Record<string, unknown>
      if (typeof e.ip !== 'string') continue
      this.#fill(event, fields[i]!, e, at, now)
    }
  }

  #timeOf(event: LogEvent): number {
    const ts = event['@timestamp']
    if (typeof ts === 'string') {
      // A batch's events often share a timestamp.
      if (ts === this.#lastTs) return this.#lastMs
      const ms = Date.parse(ts)
      if (Number.isFinite(ms)) {
        this.#lastTs = ts
        this.#lastMs = ms
        return ms
      }
    }
    const created = event.event?.created
    if (typeof created === 'string') {
      const ms = Date.parse(created)
      if (Number.isFinite(ms)) return ms
    }
    return Date.now()
  }

  #learn(l: Lesson, at: number): void {
    let changed: Binding[]
    if (l.op === 'bind') {
      const end = l.until !== undefined && l.until > at ? l.until : at + (l.lengthMs ?? this.#o.ttlMs[l.kind] ?? this.#o.defaultTtlMs)
      const b: Binding = { kind: l.kind, start: at, end, closed: false }
      if (l.user !== undefined) b.user = l.user
      if (l.domain !== undefined) b.domain = l.domain
      if (l.host !== undefined) b.host = l.host
      if (l.mac !== undefined) b.mac = l.mac
      changed = this.#map.bind(l.ip!, b)
    } else if (l.ip === undefined) {
      // An end naming the user only: whichever address that user held.
      for (const [ip, list] of this.#map.endHeldBy(l.kind, l.user!, at)) {
        this.#dirty = true
        this.#redis?.write(ip, list)
      }
      changed = []
    } else {
      const match: { user?: string; mac?: string } = {}
      if (l.user !== undefined) match.user = l.user
      if (l.mac !== undefined) match.mac = l.mac
      changed = this.#map.end(l.ip, l.kind, at, match)
    }
    this.#learned[l.rule] = (this.#learned[l.rule] ?? 0) + 1
    if (at > this.#watermark && at <= Date.now() + MAX_CLOCK_AHEAD_MS) this.#watermark = at
    if (changed.length === 0 || l.ip === undefined) return
    this.#dirty = true
    this.#redis?.write(l.ip, changed)
  }

  /** Fills what the endpoint lacks of user, host name and MAC; never overwrites what the event states. */
  #fill(event: LogEvent, field: string, e: Record<string, unknown>, at: number, now: number): void {
    const user = e.user
    const userObj = user !== null && typeof user === 'object' && !Array.isArray(user) ? (user as Record<string, unknown>) : undefined
    const needUser = user === undefined || (userObj !== undefined && userObj.name === undefined)
    const needHost = e.domain === undefined
    const needMac = e.mac === undefined
    if (!needUser && !needHost && !needMac) return
    const ip = mapAddress(e.ip)
    if (ip === undefined) return
    this.#lookups++
    this.#redis?.touch(ip, now)
    const h = this.#map.holders(ip, at)
    if (h === undefined) return
    this.#hits++
    let source: Record<string, IdentitySource> | undefined
    if (needUser && h.user !== undefined) {
      const b = h.user
      if (userObj !== undefined) {
        userObj.name = b.user
        if (b.domain !== undefined && userObj.domain === undefined) userObj.domain = b.domain
      } else e.user = b.domain === undefined ? { name: b.user } : { name: b.user, domain: b.domain }
      addRelated(event, 'user', b.user!)
      source = { user: sourceOf(b) }
    }
    if (needHost && h.host !== undefined) {
      const b = h.host
      e.domain = b.host
      addRelated(event, 'hosts', b.host!)
      ;(source ??= {}).host = sourceOf(b)
    }
    if (needMac && h.mac !== undefined) {
      e.mac = h.mac.mac
      ;(source ??= {}).mac = sourceOf(h.mac)
    }
    if (source === undefined) return
    const beer = (event.beer ??= {})
    const identity = beer.identity
    if (identity !== null && typeof identity === 'object' && !Array.isArray(identity)) (identity as Record<string, unknown>)[field] = source
    else beer.identity = { [field]: source }
  }

  flush(): Promise<void> {
    return Promise.all([this.#save(), this.#redis?.flush(5000)]).then(() => {})
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#timer) clearInterval(this.#timer)
      this.#timer = null
      await this.#save()
      await this.#redis?.close()
    })()
    return this.#closing
  }

  command(name: string, args?: unknown): unknown {
    switch (name) {
      case 'status':
        return this.#status()
      case 'reset':
        return this.#reset()
      case 'lookup':
        return this.#lookup(args)
      default:
        return undefined
    }
  }

  #status(): IdentityStatus {
    const s: IdentityStatus = {
      store: this.#o.store,
      addresses: this.#map.addresses,
      bindings: this.#map.countBindings(),
      statics: this.#map.staticCount,
      lookups: this.#lookups,
      hits: this.#hits,
      hitRate: this.#lookups === 0 ? 0 : Math.round((this.#hits / this.#lookups) * 1000) / 1000,
      learned: { ...this.#learned },
      ignored: { ...this.#ignored },
      expired: this.#expired,
      evicted: this.#map.evicted,
    }
    if (this.#snapshot !== undefined) {
      s.snapshot = { path: this.#snapshot, restored: this.#restored, savedAt: this.#savedAt, saves: this.#saves, error: this.#snapshotError }
    }
    if (this.#redis !== undefined) s.redis = this.#redis.status()
    return s
  }

  #reset(): { reset: true; forgotten: number } {
    const forgotten = this.#map.countBindings()
    this.#map.clear()
    this.#redis?.reset()
    this.#lookups = this.#hits = this.#expired = 0
    this.#learned = {}
    this.#ignored = {}
    this.#dirty = true
    this.#log.info(`${this.#name}: reset; forgot ${forgotten} bindings${this.#redis ? ' held locally (Redis keeps the shared map)' : ''}`)
    return { reset: true, forgotten }
  }

  async #lookup(args: unknown): Promise<LookupAnswer> {
    const a = typeof args === 'string' ? { ip: args } : ((args ?? {}) as { ip?: unknown; at?: unknown })
    const ip = mapAddress(a?.ip)
    if (ip === undefined) {
      throw new BeerError('BEER_ERR_IDENTITY_LOOKUP', `${this.#name}: lookup needs one IPv4 or IPv6 address, got ${JSON.stringify(a?.ip) ?? 'nothing'}: beer ${this.#name} lookup 192.0.2.10 [--at 2026-11-27T08:00:00Z]`)
    }
    let at = Date.now()
    if (a.at !== undefined && a.at !== null && a.at !== '') {
      const t = typeof a.at === 'number' ? a.at : typeof a.at === 'string' ? Date.parse(a.at) : NaN
      if (!Number.isFinite(t)) {
        throw new BeerError('BEER_ERR_IDENTITY_LOOKUP', `${this.#name}: lookup --at ${JSON.stringify(a.at)} is not a time; give ISO 8601 such as 2026-11-27T08:00:00Z`)
      }
      at = t
    }
    let redis: LookupAnswer['redis']
    if (this.#redis !== undefined) redis = (await this.#redis.refresh(ip)) ? 'fetched' : 'unreachable'
    const h = this.#map.holders(ip, at)
    const found: { user?: string; domain?: string; host?: string; mac?: string } = {}
    const sources: LookupAnswer['sources'] = {}
    if (h?.user !== undefined) {
      found.user = h.user.user!
      if (h.user.domain !== undefined) found.domain = h.user.domain
      sources.user = sourceOf(h.user)
    }
    if (h?.host !== undefined) {
      found.host = h.host.host!
      sources.host = sourceOf(h.host)
    }
    if (h?.mac !== undefined) {
      found.mac = h.mac.mac!
      sources.mac = sourceOf(h.mac)
    }
    // The answers first, then where they came from, then the address's whole history.
    const answer: LookupAnswer = { ip, at: new Date(at).toISOString(), ...found, sources, bindings: this.#map.history(ip).map(view) }
    const s = this.#map.staticOf(ip)
    if (s !== undefined) {
      const { kind: _kind, ...rest } = s
      answer.static = rest
    }
    if (redis !== undefined) answer.redis = redis
    return answer
  }

  async #restore(file: string): Promise<void> {
    try {
      const snap = await readSnapshot(file)
      if (snap === undefined) return
      let n = 0
      for (const [ip, list] of snap.addresses) {
        for (const b of list) {
          this.#map.merge(ip, b)
          n++
          if (b.start <= Date.now() + MAX_CLOCK_AHEAD_MS && b.start > this.#watermark) this.#watermark = b.start
        }
      }
      this.#restored = n
      this.#savedAt = snap.savedAt || null
      this.#log.info(`${this.#name}: restored ${n} bindings of ${snap.addresses.size} addresses from ${file}`)
    } catch (err) {
      const aside = await setAside(file)
      this.#snapshotError = (err as Error).message
      this.#log.warn(
        `${this.#name}: ${(err as Error).message}; starting with an empty map${aside ? `. The file was moved to ${aside} for inspection` : ''}; a new snapshot is written at the next save`,
        { code: 'BEER_ERR_IDENTITY_SNAPSHOT', path: file, ...(aside ? { movedTo: aside } : {}) },
      )
    }
  }

  async #maintain(): Promise<void> {
    if (Number.isFinite(this.#watermark)) {
      const dropped = this.#map.sweep(this.#watermark - this.#o.retainMs)
      if (dropped > 0) {
        this.#expired += dropped
        this.#dirty = true
      }
    }
    const due = this.#savedAtMs + this.#o.snapshotIntervalMs <= Date.now() + 50
    if (due) await this.#save()
  }

  #save(): Promise<void> {
    const file = this.#snapshot
    if (file === undefined || !this.#dirty) return this.#saving ?? Promise.resolve()
    if (this.#saving) return this.#saving.then(() => this.#save())
    this.#dirty = false
    this.#saving = (async () => {
      try {
        await writeSnapshot(file, this.#map.entries())
        this.#saves++
        this.#savedAtMs = Date.now()
        this.#savedAt = new Date(this.#savedAtMs).toISOString()
      } catch (err) {
        this.#dirty = true
        this.#snapshotError = `cannot write ${file}: ${(err as Error).message}`
        this.#log.error(`${this.#name}: cannot write the identity snapshot ${file}: ${(err as Error).message}; it is tried again at the next save`, {
          code: 'BEER_ERR_IDENTITY_SNAPSHOT',
          path: file,
        })
      } finally {
        this.#saving = null
      }
    })()
    return this.#saving
  }
}

/** ISO strings of binding starts: formatting one costs more than the rest of a look-up. */
const isoCache = new Map<number, string>()

function iso(ms: number): string {
  let s = isoCache.get(ms)
  if (s === undefined) {
    if (isoCache.size >= 65_536) isoCache.clear()
    s = new Date(ms).toISOString()
    isoCache.set(ms, s)
  }
  return s
}

function sourceOf(b: Binding): IdentitySource {
  return b.kind === 'static' ? { kind: 'static' } : { kind: b.kind, since: iso(b.start) }
}

function view(b: Binding): BindingView {
  const v: BindingView = { kind: b.kind, start: new Date(b.start).toISOString(), end: new Date(b.end).toISOString(), closed: b.closed }
  if (b.user !== undefined) v.user = b.user
  if (b.domain !== undefined) v.domain = b.domain
  if (b.host !== undefined) v.host = b.host
  if (b.mac !== undefined) v.mac = b.mac
  return v
}

function addRelated(event: LogEvent, key: 'user' | 'hosts', value: string): void {
  let related = event.related
  if (related === undefined) related = event.related = {}
  else if (related === null || typeof related !== 'object') return
  const list = related[key]
  if (list === undefined) related[key] = [value]
  else if (Array.isArray(list) && !list.includes(value)) list.push(value)
}
