import { BeerError } from '@beer/core'

/** Nagios plugin states, as the check result's return code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
export type NagiosState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN'

/**
 * One way to read a state from an event: the first rule whose `field` holds a finite number wins.
 * With `critical >= warning` the scale ascends: `value >= critical` is CRITICAL, `value >= warning`
 * WARNING, anything lower OK. With `critical < warning` it descends (syslog severities, where 0 is
 * the worst): `value <= critical` is CRITICAL, `value <= warning` WARNING, anything higher OK.
 */
export interface StateRule {
  /** Field path, such as `'event.risk_score'`. */
  field: string
  warning: number
  critical: number
}

/** Where check results go: the Nagios external command file (a named pipe) on this machine. */
export interface CommandFileOptions {
  /** The external command file, `command_file` in nagios.cfg (Debian: `/var/lib/nagios4/rw/nagios.cmd`). */
  path: string
}

/** Where check results go: an NSCA daemon (`nsca`) that passes them to Nagios. */
export interface NscaOptions {
  /** Host name or address of the NSCA daemon. */
  host: string
  /** TCP port. Default `5667`. */
  port?: number
  /**
   * `'none'` (`decryption_method=0` in nsca.cfg) or `'xor'` (`decryption_method=1`): the packet is
   * XORed with the server's random IV and the password. XOR hides the text from a casual look and
   * makes a wrong password fail the CRC check; it is not encryption. Default `'none'`.
   */
  encryption?: 'none' | 'xor'
  /** `password` in nsca.cfg. Used with `encryption: 'xor'`. */
  password?: string
  /**
   * Send the 720-byte packets of NSCA before 2.9 (plugin output up to 511 bytes), one per
   * connection. Default `false`: the 4304-byte packets of NSCA 2.9 and later (output up to 4095 bytes),
   * which NSCA 2.9+ daemons expect.
   */
  legacy?: boolean
  /** Milliseconds one connection may take, from connecting to the server closing it. Default `10000`. */
  timeout?: number
  /** Connections open at once. Results for one host and service never travel in two at once, so their order holds. Default `2`. */
  concurrency?: number
  /** Check results sent over one connection, as send_nsca does with several input lines. Default `20`. */
  packetsPerConnection?: number
}

/** Options of the `nagios()` sink. All are plain data, so the sink can run in a worker or a child process. */
export interface NagiosSinkOptions {
  /** Write to the external command file. Give exactly one of `commandFile` and `nsca`. */
  commandFile?: string | CommandFileOptions
  /** Send to an NSCA daemon. Give exactly one of `commandFile` and `nsca`. */
  nsca?: NscaOptions
  /** The module's name in the pipeline. Default `'nagios'`. */
  name?: string
  /**
   * Which events become check results: every listed field must equal the value given, or one of
   * the values of an array. Default `{ 'event.kind': 'alert' }`.
   */
  match?: Record<string, string | number | boolean | Array<string | number | boolean>>
  /** Fields that name the Nagios host, tried in order. Default `['host.name', 'observer.hostname']`. */
  host?: string | string[]
  /** The host when none of the `host` fields has a value. Default `'beer'`. */
  defaultHost?: string
  /**
   * The service a result is for: `'rule'` (the rule's name, `rule.name`), `'host'` (no service:
   * a host check result, `PROCESS_HOST_CHECK_RESULT`, that sets the host UP or DOWN), or a
   * template such as `'beer {rule.ruleset}'` or a fixed name such as `'Security alerts'`.
   * Default `'rule'`.
   */
  service?: string
  /** The service when the template gives an empty name (an alert without `rule.name`). Default `'beer'`. */
  defaultService?: string
  /**
   * Template of the plugin output, such as `'{rule.name}: {event.reason}'`. Default: the first of
   * `event.reason`, `message` and `rule.name` that is set.
   */
  output?: string
  /** Numeric fields appended as performance data (`risk_score=73`), named by their last path segment. Default none. */
  perfdata?: string[]
  /**
   * How the state is read: a fixed state, or rules tried in order (see {@link StateRule}).
   * Default `[{ field: 'event.risk_score', warning: 21, critical: 73 }, { field: 'event.severity', warning: 1, critical: 3 }]`.
   */
  state?: NagiosState | StateRule[]
  /** The state of an alert none of the rules can read. Default `'WARNING'`: an alert is never OK by default. */
  missingState?: NagiosState
  /**
   * The same host, service and state sent again within this time is suppressed (counted, and
   * mentioned in the next result sent for it). `'30s'`, `'5m'`, milliseconds, or `0` to send every
   * alert. Default `'5m'`.
   */
  dedupInterval?: string | number
  /**
   * Send OK for a host and service once no alert has named it for this long, so the state in
   * Nagios clears by itself. Default: never (clear it in Nagios, or use its freshness checking).
   */
  resolveAfter?: string | number
  /** Plugin output of those OK results. Default `'no alert for <resolveAfter>'`. */
  resolveOutput?: string
  /**
   * Characters Nagios refuses in object names (`illegal_object_name_chars` in nagios.cfg); they
   * are removed from host and service names. Default: Nagios' sample value `` `~!$%^&*|'"<>?,()= ``.
   */
  illegalObjectNameChars?: string
  /** Results held while Nagios cannot take them; past this the oldest are dropped and counted. Default `1000`. */
  maxQueue?: number
  /** A held result older than this is dropped rather than sent late. Default `'1h'`. */
  maxAge?: string | number
  /** First delay before a failed delivery is retried; it doubles with each failure. Default `250` ms. */
  retryMin?: string | number
  /** Longest delay between retries. Default `'30s'`. */
  retryMax?: string | number
  /** How long `close()` goes on delivering what is held before counting it lost. Default `5000` ms. */
  closeTimeout?: string | number
}

export interface ResolvedCommandFile {
  type: 'command-file'
  path: string
}

export interface ResolvedNsca {
  type: 'nsca'
  host: string
  port: number
  encryption: 'none' | 'xor'
  password: string
  legacy: boolean
  timeout: number
  concurrency: number
  packetsPerConnection: number
}

export interface ResolvedMatch {
  path: string
  values: ReadonlyArray<string | number | boolean>
}

export interface ResolvedOptions {
  transport: ResolvedCommandFile | ResolvedNsca
  match: ResolvedMatch[]
  hostFields: string[]
  defaultHost: string
  /** A template, or null for host check results. */
  service: string | null
  defaultService: string
  output: string | null
  perfdata: string[]
  state: NagiosState | StateRule[]
  missingState: NagiosState
  dedupMs: number
  resolveMs: number | null
  resolveOutput: string
  illegalChars: string
  maxQueue: number
  maxAgeMs: number
  retryMinMs: number
  retryMaxMs: number
  closeTimeoutMs: number
}

export const STATES: readonly NagiosState[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']

/** The sample nagios.cfg's `illegal_object_name_chars`, the value almost every installation keeps. */
export const NAGIOS_ILLEGAL_OBJECT_NAME_CHARS = "`~!$%^&*|'\"<>?,()="

export const DEFAULT_STATE_RULES: readonly StateRule[] = [
  // ECS event.risk_score is 0-100; Elastic's rule severities start at 21 (low), 47, 73 (high), 99.
  { field: 'event.risk_score', warning: 21, critical: 73 },
  // The 1 (low) to 4 (critical) scale beer's analyzers and many SIEMs put in event.severity.
  { field: 'event.severity', warning: 1, critical: 3 },
]

const OPTION_KEYS = new Set([
  'commandFile', 'nsca', 'name', 'match', 'host', 'defaultHost', 'service', 'defaultService', 'output', 'perfdata', 'state',
  'missingState', 'dedupInterval', 'resolveAfter', 'resolveOutput', 'illegalObjectNameChars', 'maxQueue', 'maxAge',
  'retryMin', 'retryMax', 'closeTimeout',
])
const NSCA_KEYS = new Set(['host', 'port', 'encryption', 'password', 'legacy', 'timeout', 'concurrency', 'packetsPerConnection'])

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

function invalid(option: string, value: unknown, expected: string): BeerError {
  return new BeerError('BEER_ERR_SINK_NAGIOS_OPTIONS', `nagios sink: option ${option} is ${show(value)}; expected ${expected}`, { option })
}

/** Milliseconds of a duration option: a number of milliseconds, or digits followed by ms, s, m, h or d. */
export function parseDuration(option: string, value: unknown, min: number): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= min) return Math.floor(value)
  } else if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(value)
    if (m && Number(m[1]) * UNIT_MS[m[2]!]! >= min) return Number(m[1]) * UNIT_MS[m[2]!]!
  }
  throw invalid(option, value, `a duration such as '30s', '5m', '1h', or a number of milliseconds (at least ${min})`)
}

/** `'15m'` for 900000: how a duration reads in a default output. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

function integer(option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value
  throw invalid(option, value, `an integer from ${min} to ${max}`)
}

function text(option: string, value: unknown, allowEmpty = false): string {
  if (typeof value === 'string' && (allowEmpty || value.trim().length > 0)) return value
  throw invalid(option, value, allowEmpty ? 'a string' : 'a non-empty string')
}

function fieldPath(option: string, value: unknown): string {
  if (typeof value === 'string' && /^[^.\s]+(\.[^.\s]+)*$/.test(value)) return value
  throw invalid(option, value, "a field path such as 'host.name'")
}

function stateName(option: string, value: unknown): NagiosState {
  if (typeof value === 'string' && (STATES as readonly string[]).includes(value)) return value as NagiosState
  throw invalid(option, value, "'OK', 'WARNING', 'CRITICAL' or 'UNKNOWN'")
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function resolveTransport(o: NagiosSinkOptions): ResolvedCommandFile | ResolvedNsca {
  if ((o.commandFile === undefined) === (o.nsca === undefined)) {
    throw invalid(
      o.commandFile === undefined ? 'commandFile' : 'nsca',
      o.commandFile === undefined ? undefined : 'both commandFile and nsca',
      "exactly one of commandFile: '/var/lib/nagios4/rw/nagios.cmd' and nsca: { host: 'nagios.example.net' }",
    )
  }
  if (o.commandFile !== undefined) {
    const path = typeof o.commandFile === 'string' ? o.commandFile : isPlainObject(o.commandFile) ? o.commandFile.path : undefined
    if (typeof path !== 'string' || path.length === 0) throw invalid('commandFile', o.commandFile, "the path of Nagios' external command file")
    return { type: 'command-file', path }
  }
  const n = o.nsca
  if (!isPlainObject(n)) throw invalid('nsca', n, "an object such as { host: 'nagios.example.net', port: 5667 }")
  for (const k of Object.keys(n)) if (!NSCA_KEYS.has(k)) throw invalid(`nsca.${k}`, n[k as keyof NscaOptions], `one of ${[...NSCA_KEYS].join(', ')} (no such option)`)
  const encryption = n.encryption ?? 'none'
  if (encryption !== 'none' && encryption !== 'xor') {
    throw invalid('nsca.encryption', n.encryption, "'none' or 'xor' (decryption_method 0 or 1 in nsca.cfg); for the mcrypt methods, put NSCA behind a TLS tunnel instead")
  }
  const password = n.password === undefined ? '' : text('nsca.password', n.password, true)
  // MAX_PASSWORD_LENGTH in nsca's common.h
  if (Buffer.byteLength(password) > 511) throw invalid('nsca.password', '<hidden>', 'at most 511 bytes, as NSCA reads')
  if (n.legacy !== undefined && typeof n.legacy !== 'boolean') throw invalid('nsca.legacy', n.legacy, 'true or false')
  return {
    type: 'nsca',
    host: text('nsca.host', n.host),
    port: n.port === undefined ? 5667 : integer('nsca.port', n.port, 1, 65535),
    encryption,
    password,
    legacy: n.legacy ?? false,
    timeout: n.timeout === undefined ? 10_000 : parseDuration('nsca.timeout', n.timeout, 1),
    concurrency: n.concurrency === undefined ? 2 : integer('nsca.concurrency', n.concurrency, 1, 64),
    packetsPerConnection: n.packetsPerConnection === undefined ? 20 : integer('nsca.packetsPerConnection', n.packetsPerConnection, 1, 1000),
  }
}

function resolveMatch(value: unknown): ResolvedMatch[] {
  if (value === undefined) return [{ path: 'event.kind', values: ['alert'] }]
  if (!isPlainObject(value)) throw invalid('match', value, "an object of field paths and values, such as { 'event.kind': 'alert' }")
  return Object.entries(value).map(([path, v]) => {
    fieldPath(`match key`, path)
    const values = Array.isArray(v) ? v : [v]
    for (const x of values) {
      if (typeof x !== 'string' && typeof x !== 'boolean' && !(typeof x === 'number' && Number.isFinite(x))) {
        throw invalid(`match['${path}']`, v, 'a string, number or boolean, or an array of them')
      }
    }
    return { path, values }
  })
}

function resolveState(value: unknown): NagiosState | StateRule[] {
  if (value === undefined) return DEFAULT_STATE_RULES.map((r) => ({ ...r }))
  if (typeof value === 'string') return stateName('state', value)
  if (!Array.isArray(value) || value.length === 0) throw invalid('state', value, "a state name or a non-empty array of { field, warning, critical }")
  return value.map((r: unknown, i) => {
    if (!isPlainObject(r)) throw invalid(`state[${i}]`, r, "{ field: 'event.risk_score', warning: 21, critical: 73 }")
    for (const k of Object.keys(r)) if (k !== 'field' && k !== 'warning' && k !== 'critical') throw invalid(`state[${i}].${k}`, r[k], 'field, warning and critical only')
    const num = (k: 'warning' | 'critical'): number => {
      if (typeof r[k] === 'number' && Number.isFinite(r[k])) return r[k]
      throw invalid(`state[${i}].${k}`, r[k], 'a number')
    }
    return { field: fieldPath(`state[${i}].field`, r.field), warning: num('warning'), critical: num('critical') }
  })
}

/** Checks every option and fills in defaults; throws BEER_ERR_SINK_NAGIOS_OPTIONS naming the first bad one. */
export function resolveOptions(options: NagiosSinkOptions): ResolvedOptions {
  if (!isPlainObject(options)) {
    throw invalid('options', options, "an object with commandFile or nsca, such as { commandFile: '/var/lib/nagios4/rw/nagios.cmd' }")
  }
  const o = options
  for (const k of Object.keys(o)) if (!OPTION_KEYS.has(k)) throw invalid(k, o[k as keyof NagiosSinkOptions], 'a known option (no such option; see the README)')
  if (o.name !== undefined) text('name', o.name)
  const transport = resolveTransport(o)
  const hosts = o.host === undefined ? ['host.name', 'observer.hostname'] : Array.isArray(o.host) ? o.host : [o.host]
  if (hosts.length === 0) throw invalid('host', o.host, 'a field path or a non-empty array of them')
  const service = o.service === undefined ? 'rule' : text('service', o.service)
  const dedupMs = o.dedupInterval === undefined ? 300_000 : parseDuration('dedupInterval', o.dedupInterval, 0)
  const resolveMs = o.resolveAfter === undefined ? null : parseDuration('resolveAfter', o.resolveAfter, 1000)
  if (o.perfdata !== undefined && !Array.isArray(o.perfdata)) throw invalid('perfdata', o.perfdata, "an array of field paths, such as ['event.risk_score']")
  const retryMinMs = o.retryMin === undefined ? 250 : parseDuration('retryMin', o.retryMin, 1)
  const retryMaxMs = o.retryMax === undefined ? 30_000 : parseDuration('retryMax', o.retryMax, 1)
  if (retryMaxMs < retryMinMs) throw invalid('retryMax', o.retryMax, `at least retryMin (${retryMinMs} ms)`)
  return {
    transport,
    match: resolveMatch(o.match),
    hostFields: hosts.map((h, i) => fieldPath(Array.isArray(o.host) ? `host[${i}]` : 'host', h)),
    defaultHost: o.defaultHost === undefined ? 'beer' : text('defaultHost', o.defaultHost),
    service: service === 'host' ? null : service === 'rule' ? '{rule.name}' : service,
    defaultService: o.defaultService === undefined ? 'beer' : text('defaultService', o.defaultService),
    output: o.output === undefined ? null : text('output', o.output),
    perfdata: (o.perfdata ?? []).map((p, i) => fieldPath(`perfdata[${i}]`, p)),
    state: resolveState(o.state),
    missingState: o.missingState === undefined ? 'WARNING' : stateName('missingState', o.missingState),
    dedupMs,
    resolveMs,
    resolveOutput: o.resolveOutput === undefined ? `no alert for ${formatDuration(resolveMs ?? 0)}` : text('resolveOutput', o.resolveOutput),
    illegalChars: o.illegalObjectNameChars === undefined ? NAGIOS_ILLEGAL_OBJECT_NAME_CHARS : text('illegalObjectNameChars', o.illegalObjectNameChars, true),
    maxQueue: o.maxQueue === undefined ? 1000 : integer('maxQueue', o.maxQueue, 1, 1_000_000),
    maxAgeMs: o.maxAge === undefined ? 3_600_000 : parseDuration('maxAge', o.maxAge, 1000),
    retryMinMs,
    retryMaxMs,
    closeTimeoutMs: o.closeTimeout === undefined ? 5000 : parseDuration('closeTimeout', o.closeTimeout, 0),
  }
}
