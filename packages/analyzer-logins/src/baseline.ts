import { BeerError } from '@beer/core'
import { parseDuration, zoneClock } from './time.ts'
import type { LocalTime, ZoneClock } from './time.ts'

export { parseDuration } from './time.ts'
export type { LocalTime } from './time.ts'

/**
 * What is normal for an entity (a user, a badge, a printer queue): per entity, weighted counts of
 * the values seen in each categorical dimension (servers, shares, doors, countries…), of the hour
 * of day and the day of week, first and last seen, and whether it has been watched long enough to
 * judge. Old observations fade with a half-life, so a habit dropped months ago stops counting.
 *
 * Plain data in and out (`exportEntity`, `importEntity`) so state can be saved and restored, and
 * web-standard globals only, so it runs wherever an analyzer runs.
 */
export interface BaselineOptions {
  /** Names of the categorical dimensions, in the order `observe()` takes their values. */
  dimensions: readonly string[]
  /** Zone of the hour-of-day and day-of-week histograms: `'UTC'` (default), `'+02:00'` or an IANA name. */
  timeZone?: string
  /**
   * Half-life of an observation, in milliseconds or as text (`'90d'`): an observation this old
   * weighs half as much as a new one. 0 (default): no decay, weights are plain counts.
   */
  halfLife?: number | string
  /**
   * Values kept per dimension per entity (default 64), or per dimension by name (`{ address: 16 }`,
   * others 64). A new value beyond that replaces the value of lowest weight, so one entity cannot
   * grow without bound.
   */
  maxValues?: number | Record<string, number>
  /** Event time since an entity's first observation before it is learned (default 0). */
  learnFor?: number | string
  /** Observations of an entity before it is learned (default 0). */
  learnCount?: number
  /** `'both'` (default): learned once `learnFor` and `learnCount` are both reached; `'either'`: once one is. */
  learnWhen?: 'both' | 'either'
  /** Event time since the first observation of any entity before the whole baseline is learned (default `learnFor`). */
  systemLearnFor?: number | string
  /** Dimensions whose values are counted across entities (`population()`): how many entities know each value. */
  population?: readonly string[]
}

export type LearningState = 'unknown' | 'learning' | 'learned'

/** One value of a dimension as an entity knows it. */
export interface ValueStat {
  value: string
  /** Decayed count at the time asked. */
  weight: number
  /** Share of the dimension's weight, 0–1. */
  share: number
  first: number
  last: number
}

/** Settings every entity of one baseline shares. */
interface Schema {
  dims: readonly string[]
  index: Map<string, number>
  halfLife: number
  maxValues: number[]
  clock: ZoneClock
  population: (Map<string, number> | undefined)[]
}

/**
 * The values of one dimension of one entity: the values, and four numbers each in one flat
 * array — weight (relative to the entity's reference time, see {@link BaselineEntity}), first
 * and last time seen, observations. Two exactly sized arrays instead of a Map or five growing
 * arrays: a hundred thousand profiles must fit in a few hundred megabytes.
 */
class Dim {
  keys: string[] = []
  nums: number[] = []
  total = 0
  /** Observations that had a value in this dimension, not decayed. */
  count = 0
}

const W = 0
const FIRST = 1
const LAST = 2
const N = 3
const STRIDE = 4

const CLOCK_BINS = 31 // 24 hours, then 7 days (Sunday first)

/**
 * One entity's profile. Weights are kept relative to a reference time `ref`: an observation at
 * time t adds 2^((t − ref) / halfLife), and a weight w means w · 2^(−(now − ref) / halfLife) now.
 * Observing is then O(1) whatever the order of observations (a late one simply adds less), and
 * shares are independent of "now". The reference moves forward when weights grow large.
 */
export class BaselineEntity {
  first: number
  last: number
  count = 0
  /** @internal */ ref: number
  /** @internal */ total = 0
  /** @internal */ clock: number[]
  /** @internal */ dims: Dim[]
  /** @internal */ readonly schema: Schema

  /** @internal `clock` and `dims` are given when restoring, made empty otherwise. */
  constructor(schema: Schema, at: number, clock?: number[], dims?: Dim[]) {
    this.schema = schema
    this.first = at
    this.last = at
    this.ref = at
    this.clock = clock ?? new Array<number>(CLOCK_BINS).fill(0)
    this.dims = dims ?? schema.dims.map(() => new Dim())
  }

  /** Multiplier from reference-relative weights to weights at `at`. */
  private scale(at: number): number {
    const h = this.schema.halfLife
    return h > 0 ? 2 ** (-(at - this.ref) / h) : 1
  }

  /** Decayed number of observations at `at` (default: the last observation). */
  weight(at: number = this.last): number {
    return this.total * this.scale(at)
  }

  /** Decayed number of observations that had a value in this dimension. */
  dimWeight(dim: number | string, at: number = this.last): number {
    return this.dim(dim).total * this.scale(at)
  }

  /** Decayed count of `value` in `dim`; 0 when the entity never had it (or it was displaced). */
  valueWeight(dim: number | string, value: string, at: number = this.last): number {
    const d = this.dim(dim)
    const i = d.keys.indexOf(value)
    return i < 0 ? 0 : d.nums[i * STRIDE + W]! * this.scale(at)
  }

  has(dim: number | string, value: string): boolean {
    return this.dim(dim).keys.includes(value)
  }

  /** Share of `dim`'s observations that had `value`, 0–1 (independent of time: all weights fade alike). */
  share(dim: number | string, value: string): number {
    const d = this.dim(dim)
    const i = d.keys.indexOf(value)
    return i < 0 || d.total <= 0 ? 0 : d.nums[i * STRIDE + W]! / d.total
  }

  /** First and last time `value` was seen in `dim`. */
  seen(dim: number | string, value: string): { first: number; last: number } | undefined {
    const d = this.dim(dim)
    const i = d.keys.indexOf(value)
    return i < 0 ? undefined : { first: d.nums[i * STRIDE + FIRST]!, last: d.nums[i * STRIDE + LAST]! }
  }

  /**
   * The chance that the entity's next observation brings a value of `dim` it never had, estimated
   * from its tail: observations of values seen at most `upTo` times, over all observations (with
   * `upTo` 1 this is the Good–Turing estimate). An entity that keeps trying new servers (or doors,
   * or shares) makes a new one less telling. `which` counts only the values it accepts (those few
   * other entities know, say).
   */
  novelty(dim: number | string, which?: (value: string) => boolean, upTo = 1): number {
    const d = this.dim(dim)
    if (d.count === 0) return 1
    let tail = 0
    for (let i = 0; i < d.keys.length; i++) {
      const n = d.nums[i * STRIDE + N]!
      if (n <= upTo && (which === undefined || which(d.keys[i]!))) tail += n
    }
    return tail / d.count
  }

  /** Every value of `dim`, heaviest first. */
  values(dim: number | string, at: number = this.last): ValueStat[] {
    const d = this.dim(dim)
    const s = this.scale(at)
    return d.keys
      .map((value, i) => {
        const w = d.nums[i * STRIDE + W]!
        return { value, weight: w * s, share: d.total > 0 ? w / d.total : 0, first: d.nums[i * STRIDE + FIRST]!, last: d.nums[i * STRIDE + LAST]! }
      })
      .sort((a, b) => b.weight - a.weight)
  }

  /** Decayed observations in `hour` (0–23) of the baseline's zone. */
  hourWeight(hour: number, at: number = this.last): number {
    return (this.clock[((hour % 24) + 24) % 24] ?? 0) * this.scale(at)
  }

  /** Decayed observations on `day` (0 = Sunday … 6 = Saturday) in the baseline's zone. */
  dayWeight(day: number, at: number = this.last): number {
    return (this.clock[24 + (((day % 7) + 7) % 7)] ?? 0) * this.scale(at)
  }

  /** The 24 hourly weights at `at`. */
  hours(at: number = this.last): number[] {
    const s = this.scale(at)
    return this.clock.slice(0, 24).map((w) => w * s)
  }

  /** The 7 daily weights at `at`, Sunday first. */
  days(at: number = this.last): number[] {
    const s = this.scale(at)
    return this.clock.slice(24).map((w) => w * s)
  }

  /** @internal */
  dim(dim: number | string): Dim {
    const i = typeof dim === 'number' ? dim : this.schema.index.get(dim)
    const d = i === undefined ? undefined : this.dims[i]
    if (d === undefined) throw new BeerError('BEER_ERR_BASELINE_OPTIONS', `no dimension ${JSON.stringify(dim)}; the baseline has ${this.schema.dims.join(', ')}`)
    return d
  }

  /** @internal Adds one observation; `local` is its hour and day in the schema's zone. */
  add(at: number, local: LocalTime, values: readonly (string | undefined)[], added: (dim: number, value: string) => void, removed: (dim: number, value: string) => void): void {
    const h = this.schema.halfLife
    let f = 1
    if (h > 0) {
      const e = (at - this.ref) / h
      // Past 2^64 the weights would lose the small ones' precision: move the reference up.
      if (e > 64) {
        this.rebase(at)
      } else f = 2 ** e
    }
    this.count++
    this.total += f
    if (at < this.first) this.first = at
    if (at > this.last) this.last = at
    this.clock[local.hour] = this.clock[local.hour]! + f
    this.clock[24 + local.day] = this.clock[24 + local.day]! + f
    const maxValues = this.schema.maxValues
    for (let k = 0; k < this.dims.length; k++) {
      const v = values[k]
      if (v === undefined || v === '') continue
      const d = this.dims[k]!
      d.total += f
      d.count++
      const i = d.keys.indexOf(v)
      if (i >= 0) {
        const x = i * STRIDE
        const nums = d.nums
        nums[x + W] = nums[x + W]! + f
        nums[x + N] = nums[x + N]! + 1
        if (at < nums[x + FIRST]!) nums[x + FIRST] = at
        if (at > nums[x + LAST]!) nums[x + LAST] = at
        continue
      }
      let keys: string[] = d.keys
      let nums: number[] = d.nums
      if (keys.length >= maxValues[k]!) {
        // Displace the lightest value (the oldest among equals): what the entity no longer does.
        let j = 0
        for (let x = 1; x < keys.length; x++) {
          const wx = nums[x * STRIDE + W]!
          const wj = nums[j * STRIDE + W]!
          if (wx < wj || (wx === wj && nums[x * STRIDE + LAST]! < nums[j * STRIDE + LAST]!)) j = x
        }
        removed(k, keys[j]!)
        keys = keys.slice(0, j).concat(keys.slice(j + 1))
        nums = nums.slice(0, j * STRIDE).concat(nums.slice((j + 1) * STRIDE))
      }
      // New arrays of the exact size (concat makes them so): push() and spreads leave room for a
      // dozen more in every profile, twice the memory of a hundred thousand of them.
      d.keys = keys.concat(v)
      d.nums = nums.concat(f, at, at, 1)
      added(k, v)
    }
  }

  private rebase(at: number): void {
    const s = this.scale(at)
    this.total *= s
    for (let i = 0; i < CLOCK_BINS; i++) this.clock[i] = this.clock[i]! * s
    for (const d of this.dims) {
      d.total *= s
      for (let i = W; i < d.nums.length; i += STRIDE) d.nums[i] = d.nums[i]! * s
    }
    this.ref = at
  }
}

/**
 * An entity as `exportEntity()` gives it: plain JSON, compact and positional, made to be written
 * and read fast for a hundred thousand entities. Weights are as of the entity's last observation,
 * in thousandths of an observation (integers); times of values are seconds after the entity's
 * first observation. Per dimension: the values, then four numbers per value (weight, first seen,
 * last seen, observations), the dimension's weight and its observations.
 */
export type ExportedEntity = [
  first: number,
  last: number,
  count: number,
  total: number,
  clock: number[],
  dims: [keys: string[], numbers: number[], total: number, count: number][],
]

/** The baseline's own state: when it first and last observed anything, and how often. */
export interface ExportedSystem {
  first: number | null
  last: number | null
  count: number
}

export class Baseline {
  readonly dimensions: readonly string[]
  readonly timeZone: string
  readonly halfLife: number
  readonly learnFor: number
  readonly learnCount: number
  readonly learnWhen: 'both' | 'either'
  readonly systemLearnFor: number
  private readonly schema: Schema
  private readonly map = new Map<string, BaselineEntity>()
  private sysFirst: number | undefined
  private sysLast: number | undefined
  private sysCount = 0
  private readonly onAdded = (dim: number, value: string): void => {
    const p = this.schema.population[dim]
    if (p) p.set(value, (p.get(value) ?? 0) + 1)
  }
  private readonly onRemoved = (dim: number, value: string): void => {
    const p = this.schema.population[dim]
    if (!p) return
    const n = (p.get(value) ?? 0) - 1
    if (n > 0) p.set(value, n)
    else p.delete(value)
  }

  /** @throws BeerError `BEER_ERR_BASELINE_OPTIONS` naming the first invalid option. */
  constructor(options: BaselineOptions) {
    const bad = (what: string): never => {
      throw new BeerError('BEER_ERR_BASELINE_OPTIONS', `Baseline: ${what}`)
    }
    if (!Array.isArray(options?.dimensions) || options.dimensions.some((d) => typeof d !== 'string' || d === '')) {
      bad('dimensions: expected a list of names, such as ["server", "country"]')
    }
    const dims = [...options.dimensions]
    if (new Set(dims).size !== dims.length) bad(`dimensions: a name is given twice in ${JSON.stringify(dims)}`)
    const duration = (name: string, v: number | string | undefined, fallback: number): number => {
      if (v === undefined) return fallback
      const ms = parseDuration(v)
      return ms === undefined ? bad(`${name}: expected milliseconds or a duration such as '14d', got ${JSON.stringify(v)}`) : ms
    }
    this.timeZone = options.timeZone ?? 'UTC'
    const clock = zoneClock(this.timeZone)
    if (!clock) bad(`timeZone: ${JSON.stringify(this.timeZone)} is not 'UTC', an offset such as '+02:00', or an IANA zone this runtime knows`)
    this.halfLife = duration('halfLife', options.halfLife, 0)
    this.learnFor = duration('learnFor', options.learnFor, 0)
    this.systemLearnFor = duration('systemLearnFor', options.systemLearnFor, this.learnFor)
    this.learnCount = options.learnCount ?? 0
    if (!Number.isInteger(this.learnCount) || this.learnCount < 0) bad(`learnCount: expected a whole number of at least 0, got ${String(options.learnCount)}`)
    this.learnWhen = options.learnWhen ?? 'both'
    if (this.learnWhen !== 'both' && this.learnWhen !== 'either') bad(`learnWhen: expected 'both' or 'either', got ${JSON.stringify(options.learnWhen)}`)
    const mv = options.maxValues ?? 64
    const maxValues = dims.map((d) => (typeof mv === 'number' ? mv : (mv?.[d] ?? 64)))
    if (typeof mv === 'object' && mv !== null) for (const k of Object.keys(mv)) if (!dims.includes(k)) bad(`maxValues: ${JSON.stringify(k)} is not one of the dimensions`)
    if (maxValues.some((m) => !Number.isInteger(m) || m < 1)) bad(`maxValues: expected whole numbers of at least 1, got ${JSON.stringify(options.maxValues)}`)
    const pop = options.population ?? []
    for (const p of pop) if (!dims.includes(p)) bad(`population: ${JSON.stringify(p)} is not one of the dimensions`)
    this.dimensions = dims
    this.schema = {
      dims,
      index: new Map(dims.map((d, i) => [d, i])),
      halfLife: this.halfLife,
      maxValues,
      clock: clock!,
      population: dims.map((d) => (pop.includes(d) ? new Map<string, number>() : undefined)),
    }
  }

  /** Entities known. */
  get size(): number {
    return this.map.size
  }

  /** Index of a dimension by name, for the positional arrays `observe()` takes. */
  dimension(name: string): number {
    const i = this.schema.index.get(name)
    if (i === undefined) throw new BeerError('BEER_ERR_BASELINE_OPTIONS', `no dimension ${JSON.stringify(name)}; the baseline has ${this.dimensions.join(', ')}`)
    return i
  }

  /** Hour of day and day of week of an instant in the baseline's zone. */
  local(at: number): LocalTime {
    return this.schema.clock.local(at)
  }

  /**
   * Records that `entity` was seen at `at` (epoch ms, event time) with these values, one per
   * dimension in the order of `dimensions` (undefined or '' when the observation has none; an
   * object by name works too). Returns the entity's profile.
   */
  observe(entity: string, at: number, values: readonly (string | undefined)[] | Record<string, string | undefined>, local?: LocalTime): BaselineEntity {
    let p = this.map.get(entity)
    if (p === undefined) {
      p = new BaselineEntity(this.schema, at)
      this.map.set(entity, p)
    }
    const list = Array.isArray(values) ? values : this.dimensions.map((d) => (values as Record<string, string | undefined>)[d])
    p.add(at, local ?? this.schema.clock.local(at), list, this.onAdded, this.onRemoved)
    if (this.sysFirst === undefined || at < this.sysFirst) this.sysFirst = at
    if (this.sysLast === undefined || at > this.sysLast) this.sysLast = at
    this.sysCount++
    return p
  }

  get(entity: string): BaselineEntity | undefined {
    return this.map.get(entity)
  }

  /** Whether the entity (or its profile) has been watched long enough to judge, at `at`. */
  state(entity: string | BaselineEntity | undefined, at: number): LearningState {
    const p = typeof entity === 'string' ? this.map.get(entity) : entity
    if (p === undefined) return 'unknown'
    return this.isLearned(p.first, p.count, at) ? 'learned' : 'learning'
  }

  /** The learning rule itself, for callers that add observations of their own to a profile's. */
  isLearned(first: number, count: number, at: number): boolean {
    const byTime = at - first >= this.learnFor
    const byCount = count >= this.learnCount
    return this.learnWhen === 'both' ? byTime && byCount : (this.learnFor > 0 && byTime) || (this.learnCount > 0 && byCount) || (this.learnFor === 0 && this.learnCount === 0)
  }

  /** Whether the baseline as a whole has watched for `systemLearnFor` by `at`: from then on a new entity is news. */
  systemState(at: number): LearningState {
    if (this.sysFirst === undefined) return 'unknown'
    return at - this.sysFirst >= this.systemLearnFor ? 'learned' : 'learning'
  }

  get system(): ExportedSystem {
    return { first: this.sysFirst ?? null, last: this.sysLast ?? null, count: this.sysCount }
  }

  /**
   * How many entities know `value` in `dim` (a dimension listed in `population`), undefined for
   * other dimensions: a server, share or door most entities use is no news to one that has not.
   */
  population(dim: number | string, value: string): number | undefined {
    const i = typeof dim === 'number' ? dim : this.schema.index.get(dim)
    return i === undefined ? undefined : this.schema.population[i]?.get(value) ?? (this.schema.population[i] ? 0 : undefined)
  }

  forget(entity: string): boolean {
    const p = this.map.get(entity)
    if (p === undefined) return false
    p.dims.forEach((d, k) => {
      for (const v of d.keys) this.onRemoved(k, v)
    })
    this.map.delete(entity)
    return true
  }

  clear(): void {
    this.map.clear()
    for (const p of this.schema.population) p?.clear()
    this.sysFirst = undefined
    this.sysLast = undefined
    this.sysCount = 0
  }

  entities(): IterableIterator<[string, BaselineEntity]> {
    return this.map.entries()
  }

  exportEntity(entity: string | BaselineEntity): ExportedEntity | undefined {
    const p = typeof entity === 'string' ? this.map.get(entity) : entity
    if (p === undefined) return undefined
    // Weights as of the last observation are at most the count: few digits to write and read.
    const s = this.halfLife > 0 ? 2 ** (-(p.last - p.ref) / this.halfLife) * 1000 : 1000
    const q = (x: number): number => Math.round(x * s)
    const first = p.first
    const dims = p.dims.map((d): ExportedEntity[5][number] => {
      const nums = new Array<number>(d.nums.length)
      for (let i = 0; i < nums.length; i += STRIDE) {
        nums[i + W] = q(d.nums[i + W]!)
        nums[i + FIRST] = Math.round((d.nums[i + FIRST]! - first) / 1000)
        nums[i + LAST] = Math.round((d.nums[i + LAST]! - first) / 1000)
        nums[i + N] = d.nums[i + N]!
      }
      return [d.keys.slice(), nums, q(d.total), d.count]
    })
    return [first, p.last, p.count, q(p.total), p.clock.map(q), dims]
  }

  /**
   * Restores an entity from `exportEntity()`'s data (replacing one of that name).
   * @throws BeerError `BEER_ERR_BASELINE_DATA` when the data is not an exported entity of this baseline's dimensions.
   */
  importEntity(entity: string, data: unknown): BaselineEntity {
    const bad = (why: string): never => {
      throw new BeerError('BEER_ERR_BASELINE_DATA', `entity ${JSON.stringify(entity).slice(0, 200)}: ${why}`)
    }
    if (!Array.isArray(data) || data.length !== 6) bad('not an exported entity')
    const [first, last, count, total, clock, dims] = data as unknown[]
    if (![first, last, count, total].every(isFiniteNumber)) bad('first, last, count and total must be numbers')
    if (!Array.isArray(clock) || clock.length !== CLOCK_BINS) bad(`the clock must be ${CLOCK_BINS} numbers`)
    if (!Array.isArray(dims) || dims.length !== this.dimensions.length) bad(`expected ${this.dimensions.length} dimensions (${this.dimensions.join(', ')})`)
    const f0 = first as number
    // The parsed arrays become the profile's own (they are exactly sized); checked as converted.
    const c = clock as number[]
    for (let i = 0; i < CLOCK_BINS; i++) {
      if (!isFiniteNumber(c[i])) bad(`the clock must be ${CLOCK_BINS} numbers`)
      c[i] = c[i]! / 1000
    }
    const restored: Dim[] = []
    for (let k = 0; k < this.dimensions.length; k++) {
      const name = this.dimensions[k]
      const raw = (dims as unknown[])[k]
      if (!Array.isArray(raw) || raw.length !== 4) bad(`dimension ${name} is not [values, numbers, total, count]`)
      const [keys, nums, t, n] = raw as unknown[]
      if (!Array.isArray(keys)) bad(`dimension ${name}: values must be a list`)
      const list = keys as unknown[]
      const size = list.length
      for (let i = 0; i < size; i++) if (typeof list[i] !== 'string' || list[i] === '') bad(`dimension ${name}: values must be text`)
      if (!Array.isArray(nums) || nums.length !== size * STRIDE) bad(`dimension ${name}: ${size * STRIDE} numbers expected (4 per value)`)
      if (!isFiniteNumber(t) || !isFiniteNumber(n)) bad(`dimension ${name}: total and count must be numbers`)
      if (size > this.schema.maxValues[k]!) bad(`dimension ${name}: ${size} values, more than maxValues (${this.schema.maxValues[k]})`)
      if (size > 1 && new Set(list).size !== size) bad(`dimension ${name}: a value is listed twice`)
      const v = nums as number[]
      for (let i = 0; i < v.length; i += STRIDE) {
        if (!isFiniteNumber(v[i + W]) || !isFiniteNumber(v[i + FIRST]) || !isFiniteNumber(v[i + LAST]) || !isFiniteNumber(v[i + N])) bad(`dimension ${name}: numbers expected`)
        v[i + W] = v[i + W]! / 1000
        v[i + FIRST] = f0 + v[i + FIRST]! * 1000
        v[i + LAST] = f0 + v[i + LAST]! * 1000
      }
      const d = new Dim()
      d.keys = list as string[]
      d.nums = v
      d.total = (t as number) / 1000
      d.count = n as number
      restored.push(d)
    }
    const p = new BaselineEntity(this.schema, f0, c, restored)
    p.last = last as number
    p.count = count as number
    p.ref = p.last
    p.total = (total as number) / 1000
    this.forget(entity)
    this.map.set(entity, p)
    p.dims.forEach((d, k) => {
      for (const v of d.keys) this.onAdded(k, v)
    })
    return p
  }

  /** Restores the baseline's own first and last observation times and count. */
  importSystem(data: unknown): void {
    const s = data as Partial<ExportedSystem> | null
    if (s === null || typeof s !== 'object') throw new BeerError('BEER_ERR_BASELINE_DATA', 'system: not an object')
    const time = (v: unknown): number | undefined => (isFiniteNumber(v) ? v : undefined)
    this.sysFirst = time(s.first)
    this.sysLast = time(s.last)
    this.sysCount = isFiniteNumber(s.count) ? s.count : 0
  }
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}
