/** Turns a status object into the tables `beer status` and `beer top` print. */

export interface Rates {
  /** Events per second by row key (`module:<name>` or `listener:<url>`), from two snapshots. */
  [key: string]: number
}

type Row = Record<string, unknown>

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)
const obj = (v: unknown): Row => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Row) : {})
const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '-' : JSON.stringify(v))

/** The modules and listeners of a status, whatever its exact shape: the server's object, or a bare module list. */
export function sections(status: unknown): { modules: Row[]; listeners: Row[]; extra: Row } {
  if (Array.isArray(status)) return { modules: status.map(obj), listeners: [], extra: {} }
  const s = obj(status)
  const { modules, listeners, ...extra } = s
  return {
    modules: Array.isArray(modules) ? modules.map(obj) : [],
    listeners: Array.isArray(listeners) ? listeners.map(obj) : [],
    extra,
  }
}

/** Received-event counters by row key, for computing rates between snapshots. */
export function counters(status: unknown): Record<string, number> {
  const { modules, listeners } = sections(status)
  const out: Record<string, number> = {}
  for (const m of modules) {
    const v = num(obj(m.metrics).received_events)
    if (v !== undefined) out[`module:${text(m.name)}`] = v
  }
  for (const l of listeners) {
    const v = num(l.received_events)
    if (v !== undefined) out[`listener:${text(l.url)}`] = v
  }
  return out
}

/** Events per second between two counter snapshots taken `seconds` apart; a counter that went down (a reset) counts from zero. */
export function rates(before: Record<string, number>, after: Record<string, number>, seconds: number): Rates {
  const out: Rates = {}
  if (seconds <= 0) return out
  for (const [key, v] of Object.entries(after)) {
    const prev = before[key]
    if (prev === undefined) continue
    out[key] = (v >= prev ? v - prev : v) / seconds
  }
  return out
}

/**
 * The status as text: a table of modules, a table of listeners, then drop and error reasons and the
 * last error of each module that has one. A module's events per second come from `rateOf` (two
 * snapshots) or else from the row's own `eventsPerSec`; the column is left out when neither has any.
 * Inline modules run on beer's main thread: they have no state, CPU, memory or ELU of their own (`-`).
 */
export function renderStatus(status: unknown, rateOf?: Rates): string {
  const { modules, listeners, extra } = sections(status)
  const lines: string[] = []
  const details: string[] = []
  const rate = (key: string, own?: number): string => {
    const r = rateOf?.[key] ?? own
    return r === undefined ? '-' : r < 10 ? r.toFixed(1) : count(Math.round(r))
  }

  const moduleRate = rateOf !== undefined || modules.some((m) => num(m.eventsPerSec) !== undefined)
  const mHead = ['MODULE', 'KIND', 'PLACEMENT', 'STATE', 'UPTIME', 'IN', 'OUT', ...(moduleRate ? ['EVENTS/S'] : [])]
  mHead.push('ERRORS', 'DROPS', 'RESTARTS', 'QUEUE', 'CPU', 'MEM', 'ELU')
  const mRows = modules.map((m) => {
    const metrics = obj(m.metrics)
    const name = text(m.name)
    detail(details, name, 'dropped', metrics.dropped_events)
    detail(details, name, 'errors', metrics.errors)
    lastError(details, name, m.lastError)
    return [
      name,
      text(m.kind),
      text(m.placement),
      typeof m.state === 'string' && m.state !== '' ? m.state : '-',
      duration(num(m.uptimeMs)),
      count(num(metrics.received_events)),
      count(num(metrics.sent_events)),
      ...(moduleRate ? [rate(`module:${name}`, num(m.eventsPerSec))] : []),
      count(total(metrics.errors)),
      count(total(metrics.dropped_events)),
      count(num(m.restarts)),
      count(num(m.queueDepth)),
      cpu(num(m.cpuUserMs), num(m.cpuSystemMs)),
      // A child process's resident memory; a worker thread has only its heap to show.
      shortBytes(m.placement === 'process' ? (num(m.rssBytes) ?? num(m.heapUsedBytes)) : num(m.heapUsedBytes)),
      percent(num(m.elu)),
    ]
  })
  lines.push(...table(mHead, mRows, 4, true))
  if (modules.length === 0) lines.push('(no modules)')

  if (listeners.length) {
    // Listener rows carry no rate of their own: only snapshots give one.
    const listenerRate = rateOf !== undefined
    const lHead = ['LISTENER', 'RECEIVED', 'BYTES', ...(listenerRate ? ['EVENTS/S'] : []), 'CONNECTIONS', 'ERRORS', 'DROPS']
    const lRows = listeners.map((l) => {
      const url = text(l.url)
      detail(details, url, 'dropped', l.dropped_events)
      detail(details, url, 'errors', l.errors)
      const open = num(l.connections_open)
      const all = num(l.connections_total)
      return [
        url,
        count(num(l.received_events)),
        bytes(num(l.received_bytes)),
        ...(listenerRate ? [rate(`listener:${url}`)] : []),
        open === undefined && all === undefined ? '-' : `${count(open)} open / ${count(all)}`,
        count(total(l.errors)),
        count(total(l.dropped_events)),
      ]
    })
    lines.push('', ...table(lHead, lRows, 1))
  }
  if (details.length) lines.push('', ...details)
  for (const [key, value] of Object.entries(extra)) {
    lines.push('', key === 'process' ? processLine(obj(value)) : `${key}: ${JSON.stringify(value)}`)
  }
  return lines.join('\n') + '\n'
}

/** The collector process: `process 4242: up 3m, CPU 1.2 s user + 0.3 s system, RSS 52 MiB, heap 6.3 MiB`. */
function processLine(p: Record<string, unknown>): string {
  const seconds = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`)
  return (
    `process ${text(p.pid)}: up ${duration(num(p.uptimeMs))}, CPU ${seconds(num(p.cpuUserMs))} user + ` +
    `${seconds(num(p.cpuSystemMs))} system, RSS ${bytes(num(p.rssBytes))}, heap ${bytes(num(p.heapUsedBytes))}`
  )
}

function detail(out: string[], who: string, what: string, reasons: unknown): void {
  const parts = Object.entries(obj(reasons)).filter(([, n]) => num(n) !== 0)
  if (parts.length) out.push(`${who} ${what}: ${parts.map(([k, n]) => `${k}=${count(num(n))}`).join(', ')}`)
}

/** `logins last error: BEER_ERR_MODULE_CRASHED: killed by SIGKILL`, when the row has one. */
function lastError(out: string[], who: string, error: unknown): void {
  const e = typeof error === 'string' ? { message: error } : obj(error)
  const parts = [e.code, e.message].filter((x) => x !== undefined && x !== null && x !== '').map(text)
  if (parts.length) out.push(`${who} last error: ${parts.join(': ')}`)
}

function total(reasons: unknown): number | undefined {
  if (reasons === undefined) return undefined
  let sum = 0
  for (const n of Object.values(obj(reasons))) sum += num(n) ?? 0
  return sum
}

/**
 * Left-aligns the first `textColumns` columns and right-aligns the numbers after them. Columns are
 * two spaces apart; with `narrow`, only the first is, the rest one space, as in ps(1), so that a
 * wide table fits a terminal.
 */
function table(head: string[], rows: string[][], textColumns: number, narrow = false): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => {
        const cell = i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)
        return i === 0 ? cell : (narrow && i > 1 ? ' ' : '  ') + cell
      })
      .join('')
      .trimEnd()
  return [line(head), ...rows.map(line)]
}

/** CPU time (user + system) in seconds: `0.4s`, `12.3s`, `1,234s`. */
export function cpu(userMs: number | undefined, systemMs: number | undefined): string {
  if (userMs === undefined && systemMs === undefined) return '-'
  const s = ((userMs ?? 0) + (systemMs ?? 0)) / 1000
  return s < 99.95 ? `${s.toFixed(1)}s` : `${count(Math.round(s))}s`
}

/** Bytes in at most five characters, as top(1) shows memory: `512B`, `980K`, `12.3M`, `1.2G`. */
export function shortBytes(n: number | undefined): string {
  if (n === undefined || n < 0) return '-'
  const units = ['B', 'K', 'M', 'G', 'T']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  if (u === 0) return `${Math.round(v)}B`
  // What would round to 1024 of a unit is shown as 1.0 of the next.
  if (v >= 1023.5 && u < units.length - 1) return `1.0${units[u + 1]}`
  return `${v < 99.95 ? v.toFixed(1) : Math.round(v)}${units[u]}`
}

/** A fraction of 0..1 as a whole percentage. */
export function percent(f: number | undefined): string {
  return f === undefined ? '-' : `${Math.round(f * 100)}%`
}

export function count(n: number | undefined): string {
  return n === undefined ? '-' : n.toLocaleString('en-US')
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '-'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return '-'
  const s = Math.floor(ms / 1000)
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const pad = (x: number): string => String(x).padStart(2, '0')
  if (d) return `${d}d${pad(h)}h`
  if (h) return `${h}h${pad(m)}m`
  if (m) return `${m}m${pad(s % 60)}s`
  return `${s}s`
}
