import { BeerError, type Enricher, type LogEvent, type Logger } from '@beer/core'
import { formatV4, parseIp } from './ip.ts'
import { Lru } from './lru.ts'
import type { DatabaseKind, IpField, ResolvedDatabase, ResolvedOptions } from './options.ts'
import type { AsFields, GeoFields } from './records.ts'
import type { SiteRecord, SiteTable } from './subnets.ts'

/** An opened MaxMind-format database, as the loader gives it. */
export interface Database {
  path: string
  kind: DatabaseKind
  /** 4: an IPv4-only tree, asked about IPv4 addresses only; 6: both. */
  ipVersion: 4 | 6
  /** `database_type` from the file's metadata. */
  type: string
  /** The file's build time (metadata `build_epoch`), in ms since the epoch. */
  builtAt: number
  /** The record for an address (canonical text), or null. */
  get(ip: string): unknown
  /** Record → ECS fields. */
  map(record: unknown): GeoFields | AsFields | undefined
}

/**
 * Where tables come from. The file-backed loader (files.ts) is the only code that touches the
 * disk, so this module runs on any runtime.
 */
export interface Loader {
  /** Reads and builds the subnets table; throws BEER_ERR_GEOIP_SUBNETS. */
  loadSubnets(): Promise<SiteTable>
  /** Opens a database; throws BEER_ERR_GEOIP_DATABASE. */
  loadDatabase(spec: ResolvedDatabase): Promise<Database>
  /** Calls `onChange` (debounced) when one of these files changes; returns the way to stop. */
  watch(paths: readonly string[], onChange: (path: string) => void): () => void
}

/** One source's health, as `status` shows it. */
interface SourceState {
  /** When the table in use was loaded (ISO 8601). */
  loadedAt: string
  /** Successful loads after the first. */
  reloads: number
  /** The last failed load's message, kept until a load succeeds; the old table stays in use. */
  error: string | null
  errorAt: string | null
}

export interface SubnetsStatus extends SourceState {
  /** The CSV file, or `'inline'`. */
  source: string
  /** Networks from the subnets, by family. */
  networks: number
  v4: number
  v6: number
}

export interface DatabaseStatus extends SourceState {
  path: string
  kind: DatabaseKind
  type: string
  ipVersion: 4 | 6
  builtAt: string
  ageDays: number
  /** Set when the database is older than `maxAgeDays`. */
  warning: string | null
}

/** What `command('status')` answers. */
export interface GeoIpStatus {
  /** Addresses read from events, by outcome. */
  lookups: {
    /** In one of the subnets. */
    site: number
    /** In a private range (RFC 1918, RFC 4193) and no subnet: internal, not looked up. */
    private: number
    /** Outside the subnets and private ranges: looked up in the databases, if any (from the cache or not). */
    external: number
    /** External addresses some database had a record for. */
    found: number
    /** Values in address fields that are not IP addresses (counted, left as they are). */
    invalid: number
  }
  /** The last invalid value seen (at most 64 characters), or null. */
  lastInvalid: string | null
  /** `network.direction` values set. */
  directions: number
  cache: { size: number; max: number; hits: number; misses: number }
  subnets: SubnetsStatus | null
  databases: DatabaseStatus[]
  /** Every current warning and reload error, one line each. */
  warnings: string[]
}

/** What `command('reload')` answers when every source loaded. */
export interface GeoIpReloadAnswer {
  reloaded: string[]
}

interface CachedResult {
  geo: GeoFields | undefined
  as: AsFields | undefined
}

const NOTHING: CachedResult = Object.freeze({ geo: undefined, as: undefined })
const DAY_MS = 86_400_000

// Per-address classification, written by #classify.
const ABSENT = -1
const INVALID = -2
const EXTERNAL = 0
const INTERNAL = 1

function copyGeo(g: GeoFields): GeoFields {
  const out = { ...g }
  if (g.location !== undefined) out.location = { lat: g.location.lat, lon: g.location.lon }
  return out
}

function copyAs(a: AsFields): AsFields {
  const out: AsFields = {}
  if (a.number !== undefined) out.number = a.number
  if (a.organization !== undefined) out.organization = { name: a.organization.name }
  return out
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** The live enricher: subnets first, then the databases through the cache. */
export class GeoIpEnricher implements Enricher {
  readonly #o: ResolvedOptions
  readonly #log: Logger
  readonly #name: string
  readonly #loader: Loader
  readonly #cache: Lru<string, CachedResult> | undefined
  readonly #words = new Uint32Array(4)
  /** Classification of each configured field in the event being enriched. */
  readonly #classes: Int8Array
  readonly #srcIndex: number
  readonly #dstIndex: number
  readonly #dstNatIndex: number
  readonly #sitePaths: string[][]

  #sites: SiteTable | undefined
  #subnets: (SourceState & { source: string }) | undefined
  #geoDbs: Database[] = []
  #asnDbs: Database[] = []
  readonly #dbs: { spec: ResolvedDatabase; db: Database; state: SourceState }[] = []
  #stopWatching: (() => void) | undefined
  #closed = false

  #site = 0
  #private = 0
  #external = 0
  #found = 0
  #invalid = 0
  #lastInvalid: string | null = null
  #directions = 0
  #hits = 0
  #misses = 0

  private constructor(o: ResolvedOptions, loader: Loader, log: Logger, name: string) {
    this.#o = o
    this.#loader = loader
    this.#log = log
    this.#name = name
    this.#cache = o.cacheSize > 0 ? new Lru<string, CachedResult>(o.cacheSize) : undefined
    this.#classes = new Int8Array(o.fields.length)
    const index = (path: string): number => o.fields.findIndex((f) => f.path === path)
    this.#srcIndex = index('source.ip')
    this.#dstIndex = index('destination.ip')
    this.#dstNatIndex = index('destination.nat.ip')
    this.#sitePaths = o.fields.map((f) => f.parent)
  }

  /**
   * Loads every source (subnets, databases) and starts watching them. Throws the first source's
   * error (BEER_ERR_GEOIP_SUBNETS, BEER_ERR_GEOIP_DATABASE): a collector does not start with a
   * table it was told to use and cannot read.
   */
  static async start(o: ResolvedOptions, loader: Loader, log: Logger, name: string): Promise<GeoIpEnricher> {
    const e = new GeoIpEnricher(o, loader, log, name)
    const now = new Date().toISOString()
    if (o.subnets !== undefined || o.privateNetworks) {
      e.#sites = await loader.loadSubnets()
      const source = typeof o.subnets === 'string' ? o.subnets : o.subnets === undefined ? 'none' : 'inline'
      e.#subnets = { source, loadedAt: now, reloads: 0, error: null, errorAt: null }
    }
    for (const spec of o.databases) {
      const db = await loader.loadDatabase(spec)
      e.#dbs.push({ spec, db, state: { loadedAt: now, reloads: 0, error: null, errorAt: null } })
      e.#warnIfOld(db)
    }
    e.#arrange()
    if (o.watch) {
      const paths = [...(typeof o.subnets === 'string' ? [o.subnets] : []), ...o.databases.map((d) => d.path)]
      // A failed reload is in status and the log already; the old table stays.
      if (paths.length > 0) e.#stopWatching = loader.watch(paths, (p) => e.#reloadPath(p).catch(() => {}))
    }
    return e
  }

  enrich(event: LogEvent): void {
    const fields = this.#o.fields
    const classes = this.#classes
    for (let i = 0; i < fields.length; i++) {
      classes[i] = ABSENT
      const f = fields[i]!
      let parent: unknown = event
      for (let k = 0; k < f.parent.length; k++) {
        parent = (parent as Record<string, unknown>)[f.parent[k]!]
        if (parent === null || typeof parent !== 'object') break
      }
      if (parent === null || typeof parent !== 'object' || Array.isArray(parent)) continue
      const ip = (parent as Record<string, unknown>)[f.key]
      if (typeof ip !== 'string') continue
      classes[i] = this.#enrichAddress(event, parent as Record<string, unknown>, ip, i)
    }
    // With no subnets and privateNetworks off nothing is internal, and every direction would say so.
    if (this.#o.direction && this.#sites !== undefined) this.#direction(event)
  }

  /** Fills the fields beside one address; returns its class. */
  #enrichAddress(event: LogEvent, parent: Record<string, unknown>, ip: string, field: number): number {
    const words = this.#words
    const family = parseIp(ip, words)
    if (family === 0) {
      this.#invalid++
      this.#lastInvalid = ip.length > 64 ? `${ip.slice(0, 64)}…` : ip
      return INVALID
    }
    const overwrite = this.#o.overwrite
    const sites = this.#sites
    if (sites !== undefined) {
      const hit = family === 4 ? sites.prefixes.lookup4(words[0]!) : sites.prefixes.lookup6(words)
      if (hit >= 0) {
        const rec = sites.records[hit]!
        if (rec.site === undefined) this.#private++
        else {
          this.#site++
          this.#applySite(event, parent, rec, field, overwrite)
        }
        return INTERNAL
      }
    }
    this.#external++
    if (this.#dbs.length === 0) return EXTERNAL
    const r = this.#lookup(ip, family)
    if (r === NOTHING) return EXTERNAL
    this.#found++
    if (r.geo !== undefined && (overwrite || parent.geo === undefined)) parent.geo = copyGeo(r.geo)
    if (r.as !== undefined && (overwrite || parent.as === undefined)) parent.as = copyAs(r.as)
    return EXTERNAL
  }

  #applySite(event: LogEvent, parent: Record<string, unknown>, rec: SiteRecord, field: number, overwrite: boolean): void {
    if (rec.geo !== undefined && (overwrite || parent.geo === undefined)) parent.geo = copyGeo(rec.geo)
    const s = rec.site!
    // beer.site mirrors the address's path: source.ip → beer.site.source, source.nat.ip → beer.site.source.nat.
    const path = this.#sitePaths[field]!
    const beer = (event.beer ??= {}) as Record<string, unknown>
    let holder = isObject(beer.site) ? beer.site : (beer.site = {})
    for (let k = 0; k < path.length - 1; k++) {
      const next = holder[path[k]!]
      holder = isObject(next) ? next : (holder[path[k]!] = {})
    }
    const last = path[path.length - 1]!
    const existing = holder[last]
    // An object without `network` only holds a NAT endpoint's site (beer.site.source.nat): not a site of its own.
    if (existing !== undefined && !overwrite && !(isObject(existing) && existing.network === undefined)) return
    const out: Record<string, unknown> = isObject(existing) ? existing : {}
    if (s.name !== undefined) out.name = s.name
    if (s.site !== undefined) out.site = s.site
    if (s.building !== undefined) out.building = s.building
    out.network = s.network
    if (s.tags !== undefined) out.tags = [...s.tags]
    if (s.labels !== undefined) out.labels = { ...s.labels }
    holder[last] = out
  }

  /** Database fields for an external address, through the cache. */
  #lookup(ip: string, family: 4 | 6): CachedResult {
    const cache = this.#cache
    if (cache !== undefined) {
      const hit = cache.get(ip)
      if (hit !== undefined) {
        this.#hits++
        return hit
      }
      this.#misses++
    }
    // The databases want plain text: the IPv4 address of an IPv4-mapped one, no zone index.
    let query = ip
    if (family === 4) {
      if (ip.includes(':')) query = formatV4(this.#words[0]!)
    } else {
      const pct = ip.indexOf('%')
      if (pct >= 0) query = ip.slice(0, pct)
    }
    let geo: GeoFields | undefined
    let as: AsFields | undefined
    for (const db of this.#geoDbs) {
      if (family === 6 && db.ipVersion === 4) continue
      const rec = db.get(query)
      if (rec === null || rec === undefined) continue
      geo = db.map(rec) as GeoFields | undefined
      if (geo !== undefined) break
    }
    for (const db of this.#asnDbs) {
      if (family === 6 && db.ipVersion === 4) continue
      const rec = db.get(query)
      if (rec === null || rec === undefined) continue
      as = db.map(rec) as AsFields | undefined
      if (as !== undefined) break
    }
    const r = geo === undefined && as === undefined ? NOTHING : { geo, as }
    cache?.set(ip, r)
    return r
  }

  /**
   * ECS `network.direction` from the perimeter's point of view: the source is where the
   * connection came from (`source.ip`); the destination is where it went, after destination NAT
   * when the event gives it (`destination.nat.ip`, "internet to private DMZ" in ECS), else
   * `destination.ip`. Internal: in a subnet, or in a private range with `privateNetworks`.
   */
  #direction(event: LogEvent): void {
    const src = this.#classOf(event, this.#srcIndex, 'source', undefined, 'ip')
    if (src < 0) return
    let dst = this.#classOf(event, this.#dstNatIndex, 'destination', 'nat', 'ip')
    if (dst < 0) dst = this.#classOf(event, this.#dstIndex, 'destination', undefined, 'ip')
    if (dst < 0) return
    const direction = src === INTERNAL ? (dst === INTERNAL ? 'internal' : 'outbound') : dst === INTERNAL ? 'inbound' : 'external'
    let network = event.network as Record<string, unknown> | undefined
    if (network === undefined) network = event.network = {}
    else if (!isObject(network)) return
    if (!this.#o.overwrite && network.direction !== undefined) return
    network.direction = direction
    this.#directions++
  }

  /** An address's class: from this event's enrichment when the field is configured, else classified now. */
  #classOf(event: LogEvent, index: number, a: string, b: string | undefined, key: string): number {
    if (index >= 0) return this.#classes[index]!
    let parent = event[a]
    if (b !== undefined && isObject(parent)) parent = parent[b]
    if (!isObject(parent)) return ABSENT
    const ip = parent[key]
    if (typeof ip !== 'string') return ABSENT
    const family = parseIp(ip, this.#words)
    if (family === 0) return INVALID
    const sites = this.#sites
    if (sites === undefined) return EXTERNAL
    const hit = family === 4 ? sites.prefixes.lookup4(this.#words[0]!) : sites.prefixes.lookup6(this.#words)
    return hit >= 0 ? INTERNAL : EXTERNAL
  }

  command(name: string): unknown {
    switch (name) {
      case 'status':
        return this.#status()
      case 'reload':
        return this.reload()
      default:
        return undefined
    }
  }

  /**
   * Loads the subnets file and every database again. A source that fails keeps its old table;
   * the failure is in `status` and, when any failed, this rejects with BEER_ERR_GEOIP_RELOAD
   * naming them.
   */
  async reload(): Promise<GeoIpReloadAnswer> {
    const paths = [...new Set([...(typeof this.#o.subnets === 'string' ? [this.#o.subnets] : []), ...this.#dbs.map((d) => d.spec.path)])]
    const results = await Promise.all(paths.map((p) => this.#reloadPath(p).then(() => null, (err: unknown) => `${p}: ${errorText(err)}`)))
    const failed = results.filter((r) => r !== null)
    if (failed.length > 0) {
      throw new BeerError(
        'BEER_ERR_GEOIP_RELOAD',
        `${this.#name}: reload failed for ${failed.length === 1 ? 'one source' : `${failed.length} sources`}, which keep${failed.length === 1 ? 's' : ''} the table loaded before: ${failed.join('; ')}`,
        { failed },
      )
    }
    return { reloaded: paths }
  }

  /** Reloads the source(s) read from `path`; rejects with its error after recording it. */
  async #reloadPath(path: string): Promise<void> {
    if (this.#closed) return
    const jobs: Promise<void>[] = []
    if (this.#o.subnets === path && this.#subnets !== undefined) {
      const state = this.#subnets
      jobs.push(
        this.#loader.loadSubnets().then(
          (table) => {
            this.#sites = table
            this.#succeeded(state, `subnets ${path}`)
          },
          (err: unknown) => this.#failed(state, `subnets ${path}`, err),
        ),
      )
    }
    for (const entry of this.#dbs) {
      if (entry.spec.path !== path) continue
      jobs.push(
        this.#loader.loadDatabase(entry.spec).then(
          (db) => {
            entry.db = db
            this.#arrange()
            this.#succeeded(entry.state, `database ${path}`)
            this.#warnIfOld(db)
          },
          (err: unknown) => this.#failed(entry.state, `database ${path}`, err),
        ),
      )
    }
    const outcomes = await Promise.allSettled(jobs)
    for (const o of outcomes) if (o.status === 'rejected') throw o.reason
  }

  #succeeded(state: SourceState, what: string): void {
    state.loadedAt = new Date().toISOString()
    state.reloads++
    state.error = state.errorAt = null
    this.#log.info(`${this.#name}: reloaded ${what}`)
  }

  #failed(state: SourceState, what: string, err: unknown): never {
    state.error = errorText(err)
    state.errorAt = new Date().toISOString()
    this.#log.error(`${this.#name}: could not reload ${what}; the table loaded before stays in use: ${state.error}`)
    throw err
  }

  /** Puts the databases in lookup order and empties the cache, which holds the old files' answers. */
  #arrange(): void {
    this.#geoDbs = this.#dbs.filter((d) => d.db.kind === 'geo').map((d) => d.db)
    this.#asnDbs = this.#dbs.filter((d) => d.db.kind === 'asn').map((d) => d.db)
    this.#cache?.clear()
  }

  #ageWarning(db: Database, now: number): string | null {
    const max = this.#o.maxAgeDays
    if (max === false) return null
    const age = (now - db.builtAt) / DAY_MS
    if (age <= max) return null
    return `database ${db.path} was built ${new Date(db.builtAt).toISOString().slice(0, 10)}, ${Math.floor(age)} days ago (maxAgeDays ${max}); lookups go on with it, but replace it with a current file`
  }

  #warnIfOld(db: Database): void {
    const w = this.#ageWarning(db, Date.now())
    if (w !== null) this.#log.warn(`${this.#name}: ${w}`)
  }

  #status(): GeoIpStatus {
    const now = Date.now()
    const warnings: string[] = []
    let subnets: SubnetsStatus | null = null
    if (this.#subnets !== undefined && this.#sites !== undefined) {
      subnets = { ...this.#subnets, networks: this.#sites.subnets, v4: this.#sites.v4, v6: this.#sites.v6 }
      if (subnets.error !== null) warnings.push(`subnets ${subnets.source}: reload failed at ${subnets.errorAt}, old table in use: ${subnets.error}`)
    }
    const databases = this.#dbs.map(({ db, state }) => {
      const warning = this.#ageWarning(db, now)
      if (warning !== null) warnings.push(warning)
      if (state.error !== null) warnings.push(`database ${db.path}: reload failed at ${state.errorAt}, old file in use: ${state.error}`)
      return {
        path: db.path,
        kind: db.kind,
        type: db.type,
        ipVersion: db.ipVersion,
        builtAt: new Date(db.builtAt).toISOString(),
        ageDays: Math.floor(((now - db.builtAt) / DAY_MS) * 10) / 10,
        warning,
        ...state,
      }
    })
    return {
      lookups: { site: this.#site, private: this.#private, external: this.#external, found: this.#found, invalid: this.#invalid },
      lastInvalid: this.#lastInvalid,
      directions: this.#directions,
      cache: { size: this.#cache?.size ?? 0, max: this.#o.cacheSize, hits: this.#hits, misses: this.#misses },
      subnets,
      databases,
      warnings,
    }
  }

  close(): void {
    this.#closed = true
    this.#stopWatching?.()
    this.#stopWatching = undefined
  }
}
