import { BeerError, isForbiddenKey } from '@beer/core'
import { ecsMac, mapAddress } from './addresses.ts'
import { DEFAULT_RULES, checkRule, type LearnRule } from './rules.ts'

/** A binding the operator states: it answers for its address whenever nothing learned does. */
export interface StaticBinding {
  /** The address (IPv4 or IPv6). */
  ip: string
  user?: string
  /** The user's domain (`EXAMPLE`, `example.com`). */
  domain?: string
  /** The host name of the machine at that address. */
  host?: string
  /** Any common MAC notation; stored as `AA-BB-CC-DD-EE-FF`. */
  mac?: string
}

/** Where the shared map lives when `store: 'redis'`. */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. Default `redis://127.0.0.1:6379`. */
  url?: string
  /** Prefix of every key and of the change channel, so several maps can share one Redis. Default `beer:identity:`. */
  prefix?: string
  /**
   * How long an address fetched from Redis is used before it is fetched again (it keeps answering
   * meanwhile). Bindings other collectors learn reach this one sooner, through the change channel.
   * Default `'10s'`.
   */
  cacheTtl?: string | number
  /** Most commands in one pipeline (writes or reads). Default `500`. */
  batchSize?: number
  /** Longest time (ms) a learned binding waits before it is written. Default `20`. */
  flushInterval?: number
  /**
   * Bindings held for Redis while it cannot be reached. Past this the oldest are dropped (counted
   * in `status` as `redis.queueDropped`); this collector still uses them. Default `100000`.
   */
  maxQueue?: number
  /** Milliseconds to wait for Redis at start before starting without it. Default `5000`. */
  connectTimeout?: number
}

/** Options of `identity()`. All plain data, so the enricher can run in a worker or a child process. */
export interface IdentityOptions {
  /** The module's name in the pipeline. Default `'identity'`. */
  name?: string
  /** `'memory'` (default): this process only, kept in a snapshot file. `'redis'`: shared by every collector using the same Redis. */
  store?: 'memory' | 'redis'
  /**
   * Memory store: the snapshot file, written on a timer and at shutdown (atomically: a temporary
   * file, then a rename) and read at start. `false` keeps nothing across restarts. Default
   * `'./data/identity.json'`.
   */
  snapshot?: string | false
  /** Memory store: how often the snapshot is written, when something changed. Default `'1m'`. */
  snapshotInterval?: string | number
  /** The Redis store's connection and tuning. */
  redis?: RedisStoreOptions
  /**
   * How long a binding lasts when the event states no end (lease end, lease time, User-ID timeout),
   * by source kind. Defaults: `dhcp: '1d'`, `vpn: '1d'`, `userid: '45m'`, `login: '8h'`; a kind of
   * your own rules without an entry here: `'1h'`.
   */
  ttl?: Record<string, string | number>
  /** How long ended bindings are kept to answer late events. Default `'1d'`. */
  retain?: string | number
  /** Most bindings kept per address (the oldest ended go first). Default `16`. */
  maxHistory?: number
  /** Most addresses kept; past it the address learned longest ago is forgotten. Default `1000000`. */
  maxAddresses?: number
  /** The endpoints whose `ip` is looked up and filled in. Default `['source', 'destination', 'client', 'server']`. */
  fields?: string[]
  /** Bindings the operator states. */
  static?: StaticBinding[]
  /** Learning rules of your own, tried after (or, with `defaultRules: false`, instead of) the built-in table. */
  rules?: LearnRule[]
  /** Whether the built-in learning rules apply. Default `true`. */
  defaultRules?: boolean
}

export interface ResolvedRedis {
  url: string
  prefix: string
  cacheTtlMs: number
  batchSize: number
  flushInterval: number
  maxQueue: number
  connectTimeout: number
}

export interface ResolvedOptions {
  name: string
  store: 'memory' | 'redis'
  snapshot: string | undefined
  snapshotIntervalMs: number
  redis: ResolvedRedis | undefined
  ttlMs: Record<string, number>
  defaultTtlMs: number
  retainMs: number
  maxHistory: number
  maxAddresses: number
  fields: string[]
  statics: { ip: string; user?: string; domain?: string; host?: string; mac?: string }[]
  rules: LearnRule[]
}

export const DEFAULT_TTL: Record<string, string> = { dhcp: '1d', vpn: '1d', userid: '45m', login: '8h' }
const FALLBACK_TTL = '1h'

export function invalid(option: string, value: unknown, expected: string): BeerError {
  let shown: string
  try {
    shown = JSON.stringify(value) ?? String(value)
  } catch {
    shown = String(value)
  }
  return new BeerError('BEER_ERR_IDENTITY_OPTIONS', `identity: option ${option} is ${shown}; expected ${expected}`, { option })
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Milliseconds of a duration: a number of milliseconds, or digits followed by ms, s, m, h or d. */
export function duration(option: string, value: unknown, min = 1): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= min) return Math.floor(value)
  } else if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(value)
    if (m && Number(m[1]) * UNIT_MS[m[2]!]! >= min) return Number(m[1]) * UNIT_MS[m[2]!]!
  }
  throw invalid(option, value, `a duration such as '30s', '45m', '8h', '1d', or a number of milliseconds (at least ${min})`)
}

function integer(option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value
  throw invalid(option, value, `a whole number of at least ${min}`)
}

function text(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string' && value.trim().length > 0) return value.trim()
  throw invalid(option, value, 'a non-empty string')
}

function resolveRedis(r: RedisStoreOptions | undefined): ResolvedRedis {
  if (r !== undefined && (r === null || typeof r !== 'object' || Array.isArray(r))) throw invalid('redis', r, "an object such as { url: 'redis://127.0.0.1:6379' }")
  const o = r ?? {}
  const url = text('redis.url', o.url) ?? 'redis://127.0.0.1:6379'
  if (!/^rediss?:\/\//.test(url)) throw invalid('redis.url', url, "a URL starting with redis:// or rediss://")
  const prefix = o.prefix ?? 'beer:identity:'
  if (typeof prefix !== 'string' || prefix.length === 0) throw invalid('redis.prefix', o.prefix, 'a non-empty string')
  return {
    url,
    prefix,
    cacheTtlMs: o.cacheTtl === undefined ? 10_000 : duration('redis.cacheTtl', o.cacheTtl),
    batchSize: integer('redis.batchSize', o.batchSize, 500, 1),
    flushInterval: integer('redis.flushInterval', o.flushInterval, 20, 0),
    maxQueue: integer('redis.maxQueue', o.maxQueue, 100_000, 1),
    connectTimeout: integer('redis.connectTimeout', o.connectTimeout, 5000, 1),
  }
}

/** Checks every option and fills in defaults; throws BEER_ERR_IDENTITY_OPTIONS naming the first bad one. */
export function resolveOptions(options: IdentityOptions | undefined): ResolvedOptions {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw invalid('options', options, 'an object')
  }
  const o = options ?? {}
  const name = text('name', o.name) ?? 'identity'
  const store = o.store ?? 'memory'
  if (store !== 'memory' && store !== 'redis') throw invalid('store', o.store, "'memory' or 'redis'")
  if (o.redis !== undefined && store !== 'redis') throw invalid('redis', o.redis, "to be given only with store: 'redis'")
  let snapshot: string | undefined
  if (o.snapshot === false || store === 'redis') snapshot = undefined
  else snapshot = text('snapshot', o.snapshot) ?? './data/identity.json'
  if (store === 'redis' && o.snapshot !== undefined && o.snapshot !== false) {
    throw invalid('snapshot', o.snapshot, "to be left out with store: 'redis' (Redis keeps the map)")
  }

  const ttlMs: Record<string, number> = {}
  for (const [kind, v] of Object.entries(DEFAULT_TTL)) ttlMs[kind] = duration(`ttl.${kind}`, v)
  let defaultTtlMs = duration('ttl', FALLBACK_TTL)
  if (o.ttl !== undefined) {
    if (o.ttl === null || typeof o.ttl !== 'object' || Array.isArray(o.ttl)) throw invalid('ttl', o.ttl, "an object such as { dhcp: '1d', userid: '45m' }")
    for (const [kind, v] of Object.entries(o.ttl)) {
      if (isForbiddenKey(kind)) throw invalid(`ttl.${kind}`, v, 'a source kind name')
      if (kind === 'default') defaultTtlMs = duration('ttl.default', v)
      else ttlMs[kind] = duration(`ttl.${kind}`, v)
    }
  }

  const fields = o.fields ?? ['source', 'destination', 'client', 'server']
  if (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string' || !/^[A-Za-z_][\w-]*$/.test(f) || isForbiddenKey(f))) {
    throw invalid('fields', o.fields, "a list of ECS endpoint names such as ['source', 'destination', 'client']")
  }

  const statics: ResolvedOptions['statics'] = []
  if (o.static !== undefined) {
    if (!Array.isArray(o.static)) throw invalid('static', o.static, "a list of { ip, user?, domain?, host?, mac? }")
    o.static.forEach((s, i) => {
      const where = `static[${i}]`
      if (s === null || typeof s !== 'object') throw invalid(where, s, 'an object { ip, user?, domain?, host?, mac? }')
      const ip = mapAddress(s.ip)
      if (ip === undefined) throw invalid(`${where}.ip`, s.ip, 'one IPv4 or IPv6 address (not loopback or unspecified)')
      const entry: ResolvedOptions['statics'][number] = { ip }
      const user = text(`${where}.user`, s.user)
      const domain = text(`${where}.domain`, s.domain)
      const host = text(`${where}.host`, s.host)
      if (user !== undefined) entry.user = user
      if (domain !== undefined) entry.domain = domain
      if (host !== undefined) entry.host = host
      if (s.mac !== undefined) {
        const mac = ecsMac(s.mac)
        if (mac === undefined) throw invalid(`${where}.mac`, s.mac, 'a MAC address such as AA-BB-CC-DD-EE-FF')
        entry.mac = mac
      }
      if (user === undefined && host === undefined && entry.mac === undefined) throw invalid(where, s, 'at least one of user, host, mac')
      statics.push(entry)
    })
  }

  if (o.defaultRules !== undefined && typeof o.defaultRules !== 'boolean') throw invalid('defaultRules', o.defaultRules, 'true or false')
  const rules: LearnRule[] = o.defaultRules === false ? [] : [...DEFAULT_RULES]
  if (o.rules !== undefined) {
    if (!Array.isArray(o.rules)) throw invalid('rules', o.rules, 'a list of learning rules (see the README)')
    o.rules.forEach((r, i) => {
      const problem = checkRule(r)
      if (problem !== undefined) throw invalid(`rules[${i}]${problem.path}`, problem.value, problem.expected)
      rules.push(r)
    })
  }

  return {
    name,
    store,
    snapshot,
    snapshotIntervalMs: o.snapshotInterval === undefined ? 60_000 : duration('snapshotInterval', o.snapshotInterval, 1000),
    redis: store === 'redis' ? resolveRedis(o.redis) : undefined,
    ttlMs,
    defaultTtlMs,
    retainMs: o.retain === undefined ? 86_400_000 : duration('retain', o.retain, 0),
    maxHistory: integer('maxHistory', o.maxHistory, 16, 1),
    maxAddresses: integer('maxAddresses', o.maxAddresses, 1_000_000, 1),
    fields,
    statics,
    rules,
  }
}
