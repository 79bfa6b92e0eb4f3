import { BeerError } from '@beer/core'
import { parseDuration, zoneClock } from './time.ts'

/** The anomalies a login is checked for; each has its own rule in the alert. */
export type AnomalyKind = 'new_user' | 'new_server' | 'rare_server' | 'unusual_hour' | 'unusual_day' | 'new_country' | 'new_network'

export const ANOMALY_KINDS: readonly AnomalyKind[] = ['new_user', 'new_server', 'rare_server', 'unusual_hour', 'unusual_day', 'new_country', 'new_network']

/**
 * Risk points each finding adds to a login's score (0–100 in all); a login whose findings add up
 * to `minRisk` raises an alert. `new_common_server` is a server new to the user that many other
 * users log into (or a new server for a user who often tries new ones); `new_common_country` a
 * country new to the user that many other users log in from; `unusual_hour_near` an unusual hour
 * within `farHours` of the hours the user logged in before.
 */
export interface RiskPoints {
  new_user?: number
  new_server?: number
  new_common_server?: number
  rare_server?: number
  unusual_hour?: number
  unusual_hour_near?: number
  unusual_day?: number
  new_country?: number
  new_common_country?: number
  new_network?: number
}

/** Which events are successful logins. Every field given must match. */
export interface LoginMatch {
  /** `event.category` must be or include this. Default `'authentication'`. */
  category?: string
  /** `event.outcome` must equal this. Default `'success'`. */
  outcome?: string
  /** `event.type` must be or include this. Default `'start'`. */
  type?: string
  /** When given, `event.action` must be one of these. */
  actions?: string[]
  /**
   * `event.action`s that are not logins to a server although they match the above. Default: the
   * Kerberos and NTLM checks a domain controller makes for a user's logon elsewhere
   * (`kerberos-authentication-ticket-requested`, `kerberos-service-ticket-requested`,
   * `credential-validated`), which would make every user "log into" every domain controller.
   */
  excludeActions?: string[]
}

/** Options of `logins()`. All plain data, so the analyzer can run in a worker or a child process. */
export interface LoginsOptions {
  /** The module's name in the pipeline. Default `'logins'`. */
  name?: string
  /** Which events count as successful logins; see {@link LoginMatch}. */
  match?: LoginMatch
  /** Field of the account. Default `'user.name'`. Use the same field for `partitionBy`. */
  userField?: string
  /** Fields naming the server logged into, first present wins. Default `['host.name', 'observer.hostname', 'observer.name']` (a VPN login names its gateway under `observer`). */
  serverFields?: string[]
  /** Field of the source address. Default `'source.ip'`. */
  sourceField?: string
  /** Field of the source country, filled by GeoIP. Default `'source.geo.country_iso_code'`. */
  countryField?: string
  /**
   * Accounts not profiled, as names with `*` wildcards, compared without case. Default: Windows
   * computer accounts (`*$`) and built-in principals (`ANONYMOUS LOGON`, `SYSTEM`,
   * `LOCAL SERVICE`, `NETWORK SERVICE`, `DWM-*`, `UMFD-*`, `-`).
   */
  ignoreUsers?: string[]
  /** Zone of the hours and days in profiles and alerts: `'UTC'` (default), `'+01:00'` or an IANA name (`'Europe/Zurich'`). */
  timeZone?: string
  /** Event time from a user's first login before the user is judged. Default `'21d'`. */
  learnFor?: string | number
  /** Logins before a user is judged. Default `10`. */
  learnLogins?: number
  /** `'both'` (default): a user is judged once `learnFor` and `learnLogins` are both reached; `'either'`: once one is. */
  learnWhen?: 'both' | 'either'
  /** Event time from the first login seen before a user never seen is news (`new_user`). Default: `learnFor`. */
  systemLearnFor?: string | number
  /** An old login counts half as much as a new one after this long (`'90d'`, default); `0` keeps every login at full weight. */
  halfLife?: string | number
  /** Servers, countries and networks kept per user (the least used give way). Default `64`. */
  maxValues?: number
  /** Source addresses kept per user (addresses change with DHCP and ISPs; networks are what is judged). Default `8`. */
  maxAddresses?: number
  /**
   * How far (event time) logins may arrive out of order. Logins are folded into profiles in
   * event-time order this far behind the newest; each is judged when it arrives against its
   * user's profile and the user's logins still waiting. Older logins are folded at once. Default `'5m'`.
   */
  lateness?: string | number
  /** A known server is rare below this share of the user's logins. Default `0.02` (2 %). */
  rareShare?: number
  /** A server or country new to the user is common when at least this share of users (and 3) log into it or from it. Default `0.05`. */
  commonShare?: number
  /**
   * A user with at least this share of logins to uncommon servers used only once or twice (an
   * estimate of the chance of the next login going to a server never used, after Good–Turing)
   * often tries new servers: a new server counts as `new_common_server` for them. Default `0.015`.
   */
  noveltyShare?: number
  /** An hour is unusual when the user has fewer than this many logins in it and the hours on either side. Default `2`. */
  hourMinLogins?: number
  /** An unusual hour is far (full `unusual_hour` points) this many hours or more from the nearest hour in which the user ever logged in. Default `3`. */
  farHours?: number
  /** A day of the week is unusual with fewer than this many logins on it. Default `1`. */
  dayMinLogins?: number
  /** Risk points per finding; see {@link RiskPoints}. */
  risk?: RiskPoints
  /** A login raises an alert when its findings add up to this. Default `50`. */
  minRisk?: number
  /** Checks to run. Default: all of `new_user`, `new_server`, `rare_server`, `unusual_hour`, `unusual_day`, `new_country`, `new_network`. */
  checks?: AnomalyKind[]
  /**
   * File the profiles are saved to (on a timer, on flush and when stopping) and restored from at
   * start; `{instance}` is replaced by the instance number. Relative to the working directory.
   * Default `'./data/logins-{instance}.json'`; `false`: keep nothing.
   */
  snapshot?: string | false
  /** How often (wall clock) to save the profiles when something changed. Default `'5m'`. */
  snapshotEvery?: string | number
  /**
   * A module that stores snapshots where there is no file system: its URL or package name, whose
   * `openSnapshotStore(path)` returns a {@link SnapshotStore}. Default: the file store.
   */
  snapshotStore?: string
}

export const DEFAULT_RISK: Required<RiskPoints> = {
  new_user: 50,
  new_server: 60,
  new_common_server: 15,
  rare_server: 20,
  unusual_hour: 50,
  unusual_hour_near: 25,
  unusual_day: 20,
  new_country: 70,
  new_common_country: 25,
  new_network: 15,
}

const DEFAULT_IGNORE = ['*$', 'ANONYMOUS LOGON', 'SYSTEM', 'LOCAL SERVICE', 'NETWORK SERVICE', 'DWM-*', 'UMFD-*', '-']
const DEFAULT_EXCLUDE = ['kerberos-authentication-ticket-requested', 'kerberos-service-ticket-requested', 'credential-validated']

export interface ResolvedOptions {
  name: string
  match: { category: string; outcome: string; type: string; actions: Set<string> | undefined; exclude: Set<string> }
  userPath: string[]
  serverPaths: string[][]
  sourcePath: string[]
  countryPath: string[]
  ignore: RegExp | undefined
  timeZone: string
  learnFor: number
  learnLogins: number
  learnWhen: 'both' | 'either'
  systemLearnFor: number
  halfLife: number
  maxValues: number
  maxAddresses: number
  lateness: number
  rareShare: number
  commonShare: number
  noveltyShare: number
  hourMinLogins: number
  farHours: number
  dayMinLogins: number
  risk: Required<RiskPoints>
  minRisk: number
  checks: Set<AnomalyKind>
  snapshot: string | undefined
  snapshotEvery: number
  snapshotStore: string | undefined
}

/** @throws BeerError `BEER_ERR_LOGINS_OPTIONS` naming the first invalid option. */
export function resolveOptions(o: LoginsOptions = {}): ResolvedOptions {
  if (o === null || typeof o !== 'object') fail('options', 'expected an object')
  const str = (name: string, v: unknown, fallback: string): string => {
    if (v === undefined) return fallback
    if (typeof v !== 'string' || v === '') fail(name, `expected text, got ${JSON.stringify(v)}`)
    return v as string
  }
  const list = (name: string, v: unknown, fallback: string[]): string[] => {
    if (v === undefined) return fallback
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) fail(name, `expected a list of text, got ${JSON.stringify(v)}`)
    return v as string[]
  }
  const path = (name: string, v: unknown, fallback: string): string[] => {
    const p = str(name, v, fallback)
    if (!/^[^.\s]+(\.[^.\s]+)*$/.test(p)) fail(name, `expected a field path such as 'user.name', got ${JSON.stringify(p)}`)
    return p.split('.')
  }
  const duration = (name: string, v: unknown, fallback: number): number => {
    if (v === undefined) return fallback
    const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined
    if (ms === undefined) fail(name, `expected milliseconds or a duration such as '14d', '12h', '5m', got ${JSON.stringify(v)}`)
    return ms!
  }
  const num = (name: string, v: unknown, fallback: number, min: number, max: number, whole = false): number => {
    if (v === undefined) return fallback
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (whole && !Number.isInteger(v))) {
      fail(name, `expected a ${whole ? 'whole ' : ''}number from ${min} to ${max}, got ${JSON.stringify(v)}`)
    }
    return v as number
  }

  const m = o.match ?? {}
  if (m === null || typeof m !== 'object') fail('match', 'expected an object')
  const timeZone = str('timeZone', o.timeZone, 'UTC')
  if (!zoneClock(timeZone)) fail('timeZone', `${JSON.stringify(timeZone)} is not 'UTC', an offset such as '+01:00', or an IANA zone this runtime knows`)
  const learnFor = duration('learnFor', o.learnFor, 21 * 86_400_000)
  const learnWhen = o.learnWhen ?? 'both'
  if (learnWhen !== 'both' && learnWhen !== 'either') fail('learnWhen', `expected 'both' or 'either', got ${JSON.stringify(learnWhen)}`)
  const risk = { ...DEFAULT_RISK }
  if (o.risk !== undefined) {
    if (o.risk === null || typeof o.risk !== 'object') fail('risk', 'expected an object of points per finding')
    for (const [k, v] of Object.entries(o.risk)) {
      if (!(k in DEFAULT_RISK)) fail(`risk.${k}`, `unknown finding; known: ${Object.keys(DEFAULT_RISK).join(', ')}`)
      risk[k as keyof RiskPoints] = num(`risk.${k}`, v, 0, 0, 100)
    }
  }
  const checks = list('checks', o.checks, [...ANOMALY_KINDS])
  for (const c of checks) if (!ANOMALY_KINDS.includes(c as AnomalyKind)) fail('checks', `unknown check ${JSON.stringify(c)}; known: ${ANOMALY_KINDS.join(', ')}`)
  let snapshot: string | undefined
  if (o.snapshot === false) snapshot = undefined
  else snapshot = str('snapshot', o.snapshot, './data/logins-{instance}.json')
  const ignore = list('ignoreUsers', o.ignoreUsers, DEFAULT_IGNORE)

  return {
    name: str('name', o.name, 'logins'),
    match: {
      category: str('match.category', m.category, 'authentication'),
      outcome: str('match.outcome', m.outcome, 'success'),
      type: str('match.type', m.type, 'start'),
      actions: m.actions === undefined ? undefined : new Set(list('match.actions', m.actions, [])),
      exclude: new Set(list('match.excludeActions', m.excludeActions, DEFAULT_EXCLUDE)),
    },
    userPath: path('userField', o.userField, 'user.name'),
    serverPaths: list('serverFields', o.serverFields, ['host.name', 'observer.hostname', 'observer.name']).map((p, i) => path(`serverFields[${i}]`, p, p)),
    sourcePath: path('sourceField', o.sourceField, 'source.ip'),
    countryPath: path('countryField', o.countryField, 'source.geo.country_iso_code'),
    ignore: ignore.length === 0 ? undefined : new RegExp(`^(?:${ignore.map(glob).join('|')})$`, 'i'),
    timeZone,
    learnFor,
    learnLogins: num('learnLogins', o.learnLogins, 10, 0, 1e9, true),
    learnWhen,
    systemLearnFor: duration('systemLearnFor', o.systemLearnFor, learnFor),
    halfLife: duration('halfLife', o.halfLife, 90 * 86_400_000),
    maxValues: num('maxValues', o.maxValues, 64, 1, 100_000, true),
    maxAddresses: num('maxAddresses', o.maxAddresses, 8, 1, 100_000, true),
    lateness: duration('lateness', o.lateness, 5 * 60_000),
    rareShare: num('rareShare', o.rareShare, 0.02, 0, 1),
    commonShare: num('commonShare', o.commonShare, 0.05, 0, 1),
    noveltyShare: num('noveltyShare', o.noveltyShare, 0.015, 0, 1),
    hourMinLogins: num('hourMinLogins', o.hourMinLogins, 2, 0, 1e9),
    farHours: num('farHours', o.farHours, 3, 1, 12, true),
    dayMinLogins: num('dayMinLogins', o.dayMinLogins, 1, 0, 1e9),
    risk,
    minRisk: num('minRisk', o.minRisk, 50, 0, 100),
    checks: new Set(checks as AnomalyKind[]),
    snapshot,
    snapshotEvery: duration('snapshotEvery', o.snapshotEvery, 5 * 60_000),
    snapshotStore: o.snapshotStore === undefined ? undefined : str('snapshotStore', o.snapshotStore, ''),
  }
}

function glob(pattern: string): string {
  return pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')
}

function fail(name: string, why: string): never {
  throw new BeerError('BEER_ERR_LOGINS_OPTIONS', `logins(): ${name}: ${why}`, { option: name })
}
