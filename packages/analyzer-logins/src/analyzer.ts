import { BeerError, toPlainError } from '@beer/core'
import type { Analyzer, BeerFields, LogEvent, ModuleContext } from '@beer/core'
import { Baseline } from './baseline.ts'
import type { LocalTime } from './baseline.ts'
import { networkOf } from './network.ts'
import type { AnomalyKind, ResolvedOptions } from './options.ts'
import { decodeSnapshot, encodeSnapshot } from './snapshot.ts'
import type { PendingRecord } from './snapshot.ts'
import type { SnapshotStore } from './store.ts'
import { DAY, dayName, dayRanges, hhmm, hourRanges } from './time.ts'

// Positions of the profile's dimensions in Baseline.observe().
const SERVER = 0
const COUNTRY = 1
const NETWORK = 2
const ADDRESS = 3
export const DIMENSIONS: readonly string[] = ['server', 'country', 'network', 'address']

/** The rule each finding raises, as ECS `rule.id` and `rule.name`. */
export const RULES: Record<AnomalyKind, { id: string; name: string }> = {
  new_user: { id: 'beer-logins-new-user', name: 'Login by a user never seen before' },
  new_server: { id: 'beer-logins-new-server', name: 'Login to a server the user never used' },
  rare_server: { id: 'beer-logins-rare-server', name: 'Login to a server the user rarely uses' },
  unusual_hour: { id: 'beer-logins-unusual-hour', name: "Login at an hour outside the user's pattern" },
  unusual_day: { id: 'beer-logins-unusual-day', name: "Login on a day outside the user's pattern" },
  new_country: { id: 'beer-logins-new-country', name: 'Login from a country new for the user' },
  new_network: { id: 'beer-logins-new-network', name: 'Login from a network new for the user' },
}

/** One thing unusual about a login. */
export interface Finding {
  kind: AnomalyKind
  rule_id: string
  risk: number
  reason: string
}

/** `beer.analyzer.logins` of an alert: why, in fields. */
export interface LoginAlertFacts {
  /** Every finding's kind, the strongest first. */
  kind: AnomalyKind[]
  anomalies: Finding[]
  severity: 'low' | 'medium' | 'high'
  /** Days from the user's first login to this one (for `new_user`: the system's). */
  history_days: number
  /** The user's logins before this one (decayed by `halfLife`, rounded). */
  logins: number
  time_zone: string
  /** This login's time and day in `time_zone`. */
  time: string
  day: string
  usual_hours?: string
  usual_days?: string
  server?: string
  /** The share of the user's logins that went to this server (rare_server). */
  server_share?: number
  /** How many other users (of this instance) log into this server (new_server, new_user). */
  server_users?: number
  /** Share of the user's logins that went to servers few others use, used once or twice (new_server). */
  server_novelty?: number
  /** How many other users log in from this country (new_country). */
  country_users?: number
  /** Users this instance knows. */
  users?: number
  country?: string
  /** The countries the user logged in from before, most used first (new_country). */
  usual_countries?: string[]
  network?: string
  usual_networks?: string[]
}

/** The alert a login raises (ECS, with the facts under `beer.analyzer.logins`). */
export interface LoginAlert extends LogEvent {
  '@timestamp': string
  message: string
  event: {
    kind: 'alert'
    category: string[]
    type: string[]
    action: 'unusual-login'
    dataset: 'beer.logins'
    module: 'beer'
    severity: number
    risk_score: number
    reason: string
  }
  rule: { id: string; name: string; ruleset: 'beer-logins' }
  user: { name: string; domain?: string }
  host?: { name: string }
  source?: { ip: string; geo?: { country_iso_code: string } }
  related: { user: string[]; hosts?: string[]; ip?: string[] }
  /** The facts, and the provenance the runtime adds: `emitter`, `causes`, `hops`. */
  beer: BeerFields & { analyzer: { logins: LoginAlertFacts } }
}

/** What `status` answers. */
export interface LoginsStatus {
  instance: number
  users: number
  learning: number
  learned: number
  /** Whether a user never seen is news yet (the whole system has learned). */
  system: 'unknown' | 'learning' | 'learned'
  systemSince: string | null
  latestLogin: string | null
  logins: number
  alerts: number
  alertsByKind: Partial<Record<AnomalyKind, number>>
  /** Logins that arrived more than `lateness` behind the newest. */
  late: number
  /** Logins waiting to be folded into profiles (within `lateness`). */
  pending: number
  /** Matching events skipped: ignored accounts, no user, no readable `@timestamp`. */
  skipped: { ignored: number; no_user: number; no_timestamp: number }
  timeZone: string
  snapshot: { path: string; savedAt: string | null; users: number; ms: number | null; restoredUsers: number; error: string | null } | null
}

interface Pending {
  t: number
  user: string
  values: (string | undefined)[]
  local: LocalTime
}

const COUNTER_KEYS = ['logins', 'alerts', 'late', 'ignored', 'no_user', 'no_timestamp'] as const
type Counters = Record<(typeof COUNTER_KEYS)[number], number>

/** The live analyzer behind `logins()`. */
export class LoginsAnalyzer implements Analyzer {
  readonly baseline: Baseline
  private readonly o: ResolvedOptions
  private readonly ctx: ModuleContext
  private readonly store: SnapshotStore | undefined
  private readonly counters: Counters = { logins: 0, alerts: 0, late: 0, ignored: 0, no_user: 0, no_timestamp: 0 }
  private readonly byKind: Partial<Record<AnomalyKind, number>> = {}
  /** Logins within `lateness` of the newest, as a min-heap by time. */
  private readonly heap: Pending[] = []
  private readonly pendingByUser = new Map<string, Pending[]>()
  private newest = -Infinity
  /** Every login at or before this has been folded. */
  private watermark = -Infinity
  private changes = 0
  private savedChanges = 0
  private saving: Promise<void> | undefined
  private timer: ReturnType<typeof setInterval> | undefined
  private snap: NonNullable<LoginsStatus['snapshot']> | null = null
  private closed = false

  constructor(o: ResolvedOptions, ctx: ModuleContext, store?: SnapshotStore) {
    this.o = o
    this.ctx = ctx
    this.store = store
    this.baseline = new Baseline({
      dimensions: DIMENSIONS,
      timeZone: o.timeZone,
      halfLife: o.halfLife,
      maxValues: { server: o.maxValues, country: o.maxValues, network: o.maxValues, address: o.maxAddresses },
      learnFor: o.learnFor,
      learnCount: o.learnLogins,
      learnWhen: o.learnWhen,
      systemLearnFor: o.systemLearnFor,
      population: ['server', 'country'],
    })
    if (store) this.snap = { path: store.where, savedAt: null, users: 0, ms: null, restoredUsers: 0, error: null }
  }

  /** Restores the snapshot, if any, and starts the save timer. A snapshot that cannot be read is moved aside: the analyzer starts empty. */
  async start(): Promise<void> {
    const store = this.store
    if (!store) return
    try {
      const lines = await store.read()
      if (lines !== undefined) {
        const t0 = performance.now()
        const { header, users } = await decodeSnapshot(lines, this.baseline, store.where)
        for (const k of COUNTER_KEYS) {
          const v = header.counters[k]
          if (typeof v === 'number') this.counters[k] = v
        }
        for (const [t, user, ...rest] of header.pending) {
          const values = rest.map((v) => v ?? undefined)
          this.enqueue({ t, user, values, local: this.baseline.local(t) })
        }
        if (header.timeZone !== this.o.timeZone) {
          this.ctx.log.warn(`hours in ${store.where} were learned in ${header.timeZone}, now read in ${this.o.timeZone}: reset the profiles if the zone really changed`)
        }
        this.snap!.restoredUsers = users
        this.snap!.users = users
        this.snap!.savedAt = header.savedAt
        this.ctx.log.info(`restored ${users} login profiles from ${store.where} in ${Math.round(performance.now() - t0)} ms`)
      }
    } catch (err) {
      const e = toPlainError(err)
      if (e.code !== 'BEER_ERR_LOGINS_SNAPSHOT') e.message = `cannot read the login profiles from ${store.where}: ${e.message}`
      this.baseline.clear()
      this.heap.length = 0
      this.pendingByUser.clear()
      const aside = await store.setAside().catch(() => undefined)
      this.snap!.error = `BEER_ERR_LOGINS_SNAPSHOT: ${e.message}`
      this.ctx.log.warn(`${e.message}; starting with no profiles${aside ? `; the file was moved to ${aside}` : ''}`, { code: 'BEER_ERR_LOGINS_SNAPSHOT' })
    }
    if (this.o.snapshotEvery > 0) {
      this.timer = setInterval(() => void this.save(), this.o.snapshotEvery)
      ;(this.timer as { unref?: () => void }).unref?.()
    }
  }

  analyze(event: LogEvent): void {
    const e = event.event
    if (e === undefined || e === null || typeof e !== 'object') return
    const m = this.o.match
    if (!holds(e.category, m.category) || e.outcome !== m.outcome || !holds(e.type, m.type)) return
    if (e.kind === 'alert' || e.kind === 'signal') return
    const action = e.action
    if (typeof action === 'string' ? m.exclude.has(action) || (m.actions !== undefined && !m.actions.has(action)) : m.actions !== undefined) return
    const user = at(event, this.o.userPath)
    if (typeof user !== 'string' || user === '') {
      this.counters.no_user++
      return
    }
    if (this.o.ignore?.test(user)) {
      this.counters.ignored++
      return
    }
    const ts = event['@timestamp']
    const t = typeof ts === 'string' ? Date.parse(ts) : Number.NaN
    if (Number.isNaN(t)) {
      this.counters.no_timestamp++
      return
    }
    let server: string | undefined
    for (const p of this.o.serverPaths) {
      const v = at(event, p)
      if (typeof v === 'string' && v !== '') {
        server = v
        break
      }
    }
    const ipv = at(event, this.o.sourcePath)
    const ip = typeof ipv === 'string' && ipv !== '' ? ipv : undefined
    const cv = at(event, this.o.countryPath)
    const country = typeof cv === 'string' && cv !== '' ? cv : undefined
    const login: Pending = { t, user, values: [server, country, ip ? networkOf(ip) : undefined, ip], local: this.baseline.local(t) }
    this.counters.logins++
    this.judge(event, login)
    this.fold(login)
  }

  // ---- judging ----------------------------------------------------------------------------------

  private judge(event: LogEvent, login: Pending): void {
    const o = this.o
    const { t, user, values, local } = login
    const p = this.baseline.get(user)
    const pend = this.pendingByUser.get(user)
    if (p === undefined && pend === undefined) {
      if (o.checks.has('new_user') && this.baseline.systemState(t) === 'learned') this.newUser(event, login)
      return
    }
    let first = p?.first ?? Infinity
    for (const x of pend ?? []) if (x.t < first) first = x.t
    const count = (p?.count ?? 0) + (pend?.length ?? 0)
    if (!this.baseline.isLearned(first, count, t)) return

    const findings: Finding[] = []
    const facts: Partial<LoginAlertFacts> = {}
    const [server, country, network] = values
    const historyDays = Math.floor((t - first) / DAY)
    const logins = Math.round((p?.weight(t) ?? 0) + (pend?.length ?? 0))

    if (server !== undefined && (o.checks.has('new_server') || o.checks.has('rare_server'))) {
      const inPending = pendingCount(pend, SERVER, server)
      if (!p?.has(SERVER, server) && inPending === 0) {
        if (o.checks.has('new_server')) {
          const others = this.baseline.population(SERVER, server) ?? 0
          const users = this.baseline.size
          const common = this.common(others)
          // Only servers few others use, visited once or twice, say the user explores: everyone
          // drops by the print server now and then.
          const novelty = p === undefined ? 1 : p.novelty(SERVER, (v) => !this.common(this.baseline.population(SERVER, v) ?? 0), 2)
          const explorer = novelty >= o.noveltyShare
          facts.server_users = others
          facts.users = users
          facts.server_novelty = round(novelty, 4)
          const why = others === 0 ? 'no other user does' : `${others} of ${users} users do`
          findings.push(
            finding(
              'new_server',
              common || explorer ? o.risk.new_common_server : o.risk.new_server,
              `${user} has not logged into ${server} in ${historyDays} days of history (${why}${explorer ? `; ${pct(novelty)} of ${user}'s logins went to little-used servers they used once or twice` : ''})`,
            ),
          )
        }
      } else if (o.checks.has('rare_server') && p !== undefined) {
        const w = p.valueWeight(SERVER, server, t) + inPending
        const all = p.dimWeight(SERVER, t) + pendingCount(pend, SERVER, undefined)
        const share = all > 0 ? w / all : 1
        if (share < o.rareShare) {
          facts.server_share = round(share, 4)
          const last = p.seen(SERVER, server)?.last
          const ago = last === undefined ? '' : `, last ${Math.max(0, Math.floor((t - last) / DAY))} days ago`
          findings.push(finding('rare_server', o.risk.rare_server, `${user} rarely logs into ${server}: ${pct(share)} of logins${ago}`))
        }
      }
    }

    let hours: number[] | undefined
    if (o.checks.has('unusual_hour')) {
      hours = p ? p.hours(t) : new Array<number>(24).fill(0)
      for (const x of pend ?? []) hours[x.local.hour]! += 1
      const h = local.hour
      const near = hours[(h + 23) % 24]! + hours[h]! + hours[(h + 1) % 24]!
      if (near < o.hourMinLogins) {
        // Far from every hour the user ever logged in (half a login, after decay) is telling;
        // next to one, less so.
        let distance = 12
        for (let x = 0; x < 24; x++) {
          if (hours[x]! < 0.5) continue
          const d = Math.min(Math.abs(x - h), 24 - Math.abs(x - h))
          if (d < distance) distance = d
        }
        const far = distance >= o.farHours
        facts.usual_hours = hourRanges(hours.map((w) => w >= o.hourMinLogins), 3)
        findings.push(
          finding(
            'unusual_hour',
            far ? o.risk.unusual_hour : o.risk.unusual_hour_near,
            `${hhmm(local.hour, local.minute)} (${o.timeZone}) is outside ${user}'s usual hours ${facts.usual_hours}`,
          ),
        )
      }
    }

    if (o.checks.has('unusual_day')) {
      const days = p ? p.days(t) : new Array<number>(7).fill(0)
      for (const x of pend ?? []) days[x.local.day]! += 1
      if (days[local.day]! < o.dayMinLogins) {
        facts.usual_days = dayRanges(days.map((w) => w >= o.dayMinLogins))
        findings.push(finding('unusual_day', o.risk.unusual_day, `${user} does not usually log in on ${dayName(local.day)} (usual: ${facts.usual_days})`))
      }
    }

    // A dimension is judged only once enough of the user's logins carried it: GeoIP switched on
    // last week must not make every user's country news.
    const enough = Math.max(1, o.learnLogins / 2)
    let newCountry = false
    if (country !== undefined && o.checks.has('new_country') && p !== undefined) {
      const known = p.dimWeight(COUNTRY, t) + pendingCount(pend, COUNTRY, undefined)
      if (known >= enough && !p.has(COUNTRY, country) && pendingCount(pend, COUNTRY, country) === 0) {
        newCountry = true
        const others = this.baseline.population(COUNTRY, country) ?? 0
        const common = this.common(others)
        facts.usual_countries = p.values(COUNTRY, t).slice(0, 5).map((v) => v.value)
        facts.country_users = others
        facts.users = this.baseline.size
        findings.push(
          finding(
            'new_country',
            common ? o.risk.new_common_country : o.risk.new_country,
            `first login of ${user} from ${country}; before only from ${facts.usual_countries.join(', ')} (${others === 0 ? 'no other user logs in from there' : `${others} of ${facts.users} users do`})`,
          ),
        )
      }
    }
    if (network !== undefined && !newCountry && o.checks.has('new_network') && p !== undefined) {
      const known = p.dimWeight(NETWORK, t) + pendingCount(pend, NETWORK, undefined)
      if (known >= enough && !p.has(NETWORK, network) && pendingCount(pend, NETWORK, network) === 0) {
        facts.usual_networks = p.values(NETWORK, t).slice(0, 5).map((v) => v.value)
        findings.push(finding('new_network', o.risk.new_network, `first login of ${user} from network ${network}`))
      }
    }

    if (findings.length === 0) return
    facts.history_days = historyDays
    facts.logins = logins
    if (country !== undefined) facts.country = country
    if (network !== undefined) facts.network = network
    if (hours && facts.usual_hours === undefined) facts.usual_hours = hourRanges(hours.map((w) => w >= o.hourMinLogins), 3)
    this.raise(event, login, findings, facts)
  }

  /** A value other users know well enough that it is no news for one more. */
  private common(others: number): boolean {
    return others >= 3 && others >= this.o.commonShare * this.baseline.size
  }

  private newUser(event: LogEvent, login: Pending): void {
    const { t, user, values } = login
    const [server, , , ip] = values
    const sys = this.baseline.system
    const days = Math.floor((t - (sys.first ?? t)) / DAY)
    const users = this.baseline.size
    const facts: Partial<LoginAlertFacts> = { history_days: days, logins: 0, users }
    if (server !== undefined) facts.server_users = this.baseline.population(SERVER, server) ?? 0
    const where = [server && `to ${server}`, ip && `from ${ip}`].filter(Boolean).join(' ')
    const f = finding('new_user', this.o.risk.new_user, `${user} logged in for the first time${where ? ` (${where})` : ''}, after ${days} days of history of ${users} users`)
    this.raise(event, login, [f], facts)
  }

  private raise(event: LogEvent, login: Pending, findings: Finding[], facts: Partial<LoginAlertFacts>): void {
    let score = 0
    for (const f of findings) score += f.risk
    if (score < this.o.minRisk) return
    score = Math.min(100, score)
    findings.sort((a, b) => b.risk - a.risk)
    const top = findings[0]!
    const { user, values, local } = login
    const [server, country, , ip] = values
    const reason = findings.map((f) => f.reason).join('; ')
    const severity = score >= 73 ? 'high' : score >= 47 ? 'medium' : 'low'
    const all: LoginAlertFacts = {
      kind: findings.map((f) => f.kind),
      anomalies: findings,
      severity,
      history_days: facts.history_days ?? 0,
      logins: facts.logins ?? 0,
      time_zone: this.o.timeZone,
      time: hhmm(local.hour, local.minute),
      day: dayName(local.day),
      ...facts,
    }
    if (server !== undefined) all.server = server
    const domain = (event.user as { domain?: unknown } | undefined)?.domain
    const related: LoginAlert['related'] = { user: [user] }
    if (server !== undefined) related.hosts = [server]
    if (ip !== undefined) related.ip = [ip]
    const alert: LoginAlert = {
      '@timestamp': event['@timestamp'] as string,
      message: reason,
      event: {
        kind: 'alert',
        category: ['authentication'],
        type: ['info'],
        action: 'unusual-login',
        dataset: 'beer.logins',
        module: 'beer',
        severity: severity === 'high' ? 3 : severity === 'medium' ? 2 : 1,
        risk_score: score,
        reason,
      },
      rule: { id: RULES[top.kind].id, name: RULES[top.kind].name, ruleset: 'beer-logins' },
      user: typeof domain === 'string' && domain !== '' ? { name: user, domain } : { name: user },
      ...(server !== undefined ? { host: { name: server } } : {}),
      ...(ip !== undefined ? { source: country !== undefined ? { ip, geo: { country_iso_code: country } } : { ip } } : {}),
      related,
      beer: { analyzer: { logins: all } },
    }
    this.counters.alerts++
    for (const f of findings) this.byKind[f.kind] = (this.byKind[f.kind] ?? 0) + 1
    // The runtime adds beer.emitter, beer.causes (the login's event.id) and beer.hops.
    this.ctx.emit(alert, [event])
  }

  // ---- folding logins into profiles, in event-time order within `lateness` -----------------------

  private fold(login: Pending): void {
    if (login.t > this.newest) this.newest = login.t
    if (this.o.lateness === 0) {
      this.observe(login)
      return
    }
    if (login.t <= this.watermark) {
      // Later than `lateness`: fold it now, out of order (weights do not depend on order).
      this.counters.late++
      this.observe(login)
      return
    }
    this.enqueue(login)
    this.release()
  }

  private enqueue(login: Pending): void {
    if (login.t > this.newest) this.newest = login.t
    heapPush(this.heap, login)
    const list = this.pendingByUser.get(login.user)
    if (list) list.push(login)
    else this.pendingByUser.set(login.user, [login])
  }

  private release(): void {
    const mark = this.newest - this.o.lateness
    if (mark > this.watermark) this.watermark = mark
    while (this.heap.length > 0 && this.heap[0]!.t <= mark) {
      const x = heapPop(this.heap)!
      const list = this.pendingByUser.get(x.user)!
      if (list.length === 1) this.pendingByUser.delete(x.user)
      else list.splice(list.indexOf(x), 1)
      this.observe(x)
    }
  }

  private observe(login: Pending): void {
    this.baseline.observe(login.user, login.t, login.values, login.local)
    this.changes++
  }

  // ---- commands, status, snapshots -----------------------------------------------------------

  command(name: string, args?: unknown): unknown {
    if (name === 'status') return this.status()
    if (name === 'profile') {
      const user = userArg(args)
      if (user === undefined) throw new BeerError('BEER_ERR_LOGINS_COMMAND', "profile needs a user: beer logins profile '\"alice\"' (or '{\"user\":\"alice\"}')")
      return this.profile(user)
    }
    if (name === 'reset') {
      const user = userArg(args)
      if (args !== undefined && args !== null && user === undefined) {
        throw new BeerError('BEER_ERR_LOGINS_COMMAND', "reset takes no argument (every profile) or a user: beer logins reset '\"alice\"'")
      }
      return this.reset(user)
    }
    return undefined
  }

  status(): LoginsStatus {
    const now = Number.isFinite(this.newest) ? this.newest : Math.max(this.baseline.system.last ?? 0, 0)
    let learned = 0
    for (const [, p] of this.baseline.entities()) if (this.baseline.isLearned(p.first, p.count, now)) learned++
    const sys = this.baseline.system
    return {
      instance: this.ctx.instance,
      users: this.baseline.size,
      learning: this.baseline.size - learned,
      learned,
      system: this.baseline.systemState(now),
      systemSince: sys.first === null ? null : new Date(sys.first).toISOString(),
      latestLogin: sys.last === null ? null : new Date(Math.max(sys.last, Number.isFinite(this.newest) ? this.newest : sys.last)).toISOString(),
      logins: this.counters.logins,
      alerts: this.counters.alerts,
      alertsByKind: { ...this.byKind },
      late: this.counters.late,
      pending: this.heap.length,
      skipped: { ignored: this.counters.ignored, no_user: this.counters.no_user, no_timestamp: this.counters.no_timestamp },
      timeZone: this.o.timeZone,
      snapshot: this.snap === null ? null : { ...this.snap },
    }
  }

  /** The user's profile as plain JSON: what `profile <user>` answers. */
  profile(user: string): Record<string, unknown> {
    const p = this.baseline.get(user)
    const pending = this.pendingByUser.get(user)?.length ?? 0
    if (p === undefined) return { user, found: false, instance: this.ctx.instance, pending }
    const at = Math.max(p.last, Number.isFinite(this.newest) ? this.newest : p.last)
    const o = this.o
    const hours = p.hours(at)
    const days = p.days(at)
    const list = (dim: number): { value: string; logins: number; share: number; first: string; last: string }[] =>
      p.values(dim, at).map((v) => ({ value: v.value, logins: round(v.weight, 2), share: round(v.share, 4), first: iso(v.first), last: iso(v.last) }))
    return {
      user,
      found: true,
      instance: this.ctx.instance,
      state: this.baseline.state(p, at),
      first: iso(p.first),
      last: iso(p.last),
      logins: p.count,
      weight: round(p.weight(at), 2),
      history_days: Math.floor((at - p.first) / DAY),
      time_zone: o.timeZone,
      usual_hours: hourRanges(hours.map((w) => w >= o.hourMinLogins), 3),
      usual_days: dayRanges(days.map((w) => w >= o.dayMinLogins)),
      hours: Object.fromEntries(hours.map((w, h) => [hhmm(h), round(w, 2)])),
      days: Object.fromEntries(days.map((w, d) => [dayName(d), round(w, 2)])),
      servers: list(SERVER),
      countries: list(COUNTRY),
      networks: list(NETWORK),
      addresses: list(ADDRESS),
      pending,
    }
  }

  reset(user?: string): Record<string, unknown> {
    if (user !== undefined) {
      const found = this.baseline.forget(user)
      const waiting = this.pendingByUser.get(user)
      if (waiting) {
        this.pendingByUser.delete(user)
        const keep = this.heap.filter((x) => x.user !== user)
        this.heap.length = 0
        for (const x of keep) heapPush(this.heap, x)
      }
      this.changes++
      return { reset: user, found: found || waiting !== undefined }
    }
    const users = this.baseline.size
    this.baseline.clear()
    this.heap.length = 0
    this.pendingByUser.clear()
    this.newest = -Infinity
    this.watermark = -Infinity
    this.counters.alerts = 0
    for (const k of Object.keys(this.byKind)) delete this.byKind[k as AnomalyKind]
    this.changes++
    return { reset: 'all', users }
  }

  /** Saves the profiles if anything changed since the last save; one save at a time. */
  save(): Promise<void> {
    if (!this.store) return Promise.resolve()
    if (this.saving) return this.saving.then(() => this.save())
    if (this.changes === this.savedChanges) return Promise.resolve()
    const mark = this.changes
    const store = this.store
    const t0 = performance.now()
    const savedAt = new Date().toISOString()
    let lines: string[]
    try {
      lines = encodeSnapshot(this.baseline, { ...this.counters }, this.pendingRecords(), savedAt)
    } catch (err) {
      return Promise.resolve(this.saveFailed(err))
    }
    const users = this.baseline.size
    this.saving = store.write(lines).then(
      () => {
        this.savedChanges = mark
        this.snap!.savedAt = savedAt
        this.snap!.users = users
        this.snap!.ms = Math.round(performance.now() - t0)
        this.snap!.error = null
      },
      (err: unknown) => this.saveFailed(err),
    )
    return this.saving.finally(() => {
      this.saving = undefined
    })
  }

  private saveFailed(err: unknown): void {
    const e = toPlainError(err)
    const message = `cannot save the login profiles to ${this.store!.where}: ${e.message}; they are kept in memory and saved again at the next chance`
    this.snap!.error = `BEER_ERR_LOGINS_SNAPSHOT: ${message}`
    this.ctx.log.error(message, { code: 'BEER_ERR_LOGINS_SNAPSHOT' })
  }

  private pendingRecords(): PendingRecord[] {
    return [...this.heap]
      .sort((a, b) => a.t - b.t)
      .map((x) => [x.t, x.user, x.values[SERVER] ?? null, x.values[COUNTRY] ?? null, x.values[NETWORK] ?? null, x.values[ADDRESS] ?? null])
  }

  flush(): Promise<void> {
    return this.save()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.save()
  }
}

function finding(kind: AnomalyKind, risk: number, reason: string): Finding {
  return { kind, rule_id: RULES[kind].id, risk, reason }
}

/** Logins of `pend` with `value` in `dim` (any value when undefined). */
function pendingCount(pend: Pending[] | undefined, dim: number, value: string | undefined): number {
  if (pend === undefined) return 0
  let n = 0
  for (const x of pend) {
    const v = x.values[dim]
    if (v !== undefined && (value === undefined || v === value)) n++
  }
  return n
}

/** A field is the value or an array that includes it (ECS keyword fields may be either). */
function holds(field: unknown, value: string): boolean {
  return field === value || (Array.isArray(field) && field.includes(value))
}

function at(event: LogEvent, path: readonly string[]): unknown {
  let v: unknown = event
  for (let i = 0; i < path.length; i++) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[path[i]!]
  }
  return v
}

function userArg(args: unknown): string | undefined {
  if (typeof args === 'string' && args !== '') return args
  if (args !== null && typeof args === 'object' && typeof (args as { user?: unknown }).user === 'string' && (args as { user: string }).user !== '') {
    return (args as { user: string }).user
  }
  return undefined
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

function pct(share: number): string {
  return `${share < 0.01 ? (share * 100).toFixed(1) : Math.round(share * 100)}%`
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

function heapPush(h: Pending[], x: Pending): void {
  h.push(x)
  let i = h.length - 1
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (h[parent]!.t <= x.t) break
    h[i] = h[parent]!
    i = parent
  }
  h[i] = x
}

function heapPop(h: Pending[]): Pending | undefined {
  const top = h[0]
  const last = h.pop()
  if (h.length === 0 || last === undefined) return top
  let i = 0
  for (;;) {
    const l = 2 * i + 1
    if (l >= h.length) break
    const r = l + 1
    const c = r < h.length && h[r]!.t < h[l]!.t ? r : l
    if (h[c]!.t >= last.t) break
    h[i] = h[c]!
    i = c
  }
  h[i] = last
  return top
}

