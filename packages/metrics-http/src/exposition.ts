import type { ListenerStatus, ModuleStatus } from './status.ts'

// Written by hand rather than with prom-client. prom-client is built around live, stateful
// metric objects held in a registry that code increments as things happen; here every figure
// already exists in a status snapshot taken at scrape time. Feeding a snapshot to prom-client
// means a `collect()` per family that resets its counters and re-increments them from the
// snapshot, a registry to keep per server, and a dependency whose default process collector
// also exports a few dozen nodejs_* series nobody asked for. What remains to write is the text
// format 0.0.4 itself: escaping, HELP/TYPE lines, value spelling, one line per series. That is
// the code below, and the tests check its output against the format's rules.
// Format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

type MetricType = 'counter' | 'gauge'

interface Family {
  name: string
  type: MetricType
  help: string
  /** Keyed by the rendered label set, so a repeated series cannot produce a duplicate line. */
  series: Map<string, number>
}

// The order families are listed in is the order they are written in.
const FAMILIES: readonly (readonly [string, MetricType, string])[] = [
  ['beer_received_events_total', 'counter', 'Events received, by component or by listener.'],
  ['beer_sent_events_total', 'counter', 'Events a component passed on.'],
  ['beer_dropped_events_total', 'counter', 'Events dropped on purpose, by reason.'],
  ['beer_errors_total', 'counter', 'Errors, by code (BEER_ERR_* or a system code such as ECONNRESET).'],
  ['beer_received_bytes_total', 'counter', 'Bytes received by a listener.'],
  ['beer_connections_open', 'gauge', 'Connections open on a listener.'],
  ['beer_connections_total', 'counter', 'Connections a listener accepted.'],
  ['beer_component_uptime_seconds', 'gauge', 'Seconds since the component was started.'],
  ['beer_component_restarts_total', 'counter', 'Times the component was restarted.'],
  ['beer_queue_depth', 'gauge', 'Batches handed to the component and not yet done.'],
  ['process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.'],
  ['process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.'],
  ['process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.'],
]

/** Process figures, read by the caller so that rendering stays a pure function. */
export interface ProcessFigures {
  residentMemoryBytes: number
  cpuSeconds: number
  startTimeSeconds: number
}

/** Renders a status snapshot as Prometheus text format 0.0.4. */
export function renderMetrics(
  status: { listeners: readonly ListenerStatus[]; modules: readonly ModuleStatus[] },
  proc?: ProcessFigures,
): string {
  const families = new Map<string, Family>(
    FAMILIES.map(([name, type, help]) => [name, { name, type, help, series: new Map() }]),
  )
  const add = (name: string, labels: readonly (readonly [string, string])[], value: unknown): void => {
    if (typeof value !== 'number') return
    const series = families.get(name)!.series
    const key = renderLabels(labels)
    // Names are unique upstream; should two entries still share one, a repeated series would make
    // Prometheus reject the whole scrape, so the values are added together instead.
    series.set(key, (series.get(key) ?? 0) + value)
  }

  for (const m of status.modules) {
    const l: [string, string][] = [
      ['component', m.name],
      ['kind', m.kind],
      ['placement', m.placement],
    ]
    add('beer_received_events_total', l, m.metrics.received_events)
    add('beer_sent_events_total', l, m.metrics.sent_events)
    for (const [reason, n] of Object.entries(m.metrics.dropped_events)) add('beer_dropped_events_total', [...l, ['reason', reason]], n)
    for (const [code, n] of Object.entries(m.metrics.errors)) add('beer_errors_total', [...l, ['code', code]], n)
    add('beer_component_uptime_seconds', l, m.uptimeMs / 1000)
    add('beer_component_restarts_total', l, m.restarts)
    add('beer_queue_depth', l, m.queueDepth)
  }
  for (const s of status.listeners) {
    const l: [string, string][] = [['listener', s.url]]
    add('beer_received_events_total', l, s.received_events)
    add('beer_received_bytes_total', l, s.received_bytes)
    for (const [reason, n] of Object.entries(s.dropped_events)) add('beer_dropped_events_total', [...l, ['reason', reason]], n)
    for (const [code, n] of Object.entries(s.errors)) add('beer_errors_total', [...l, ['code', code]], n)
    add('beer_connections_open', l, s.connections_open)
    add('beer_connections_total', l, s.connections_total)
  }
  if (proc) {
    add('process_resident_memory_bytes', [], proc.residentMemoryBytes)
    add('process_cpu_seconds_total', [], proc.cpuSeconds)
    add('process_start_time_seconds', [], proc.startTimeSeconds)
  }

  let out = ''
  for (const f of families.values()) {
    // A family with no series is left out: figures a source does not report (restarts, queue
    // depth) should not show up as a HELP line with nothing under it.
    if (f.series.size === 0) continue
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`
    for (const [labels, value] of f.series) out += `${f.name}${labels} ${formatValue(value)}\n`
  }
  return out
}

function renderLabels(labels: readonly (readonly [string, string])[]): string {
  if (labels.length === 0) return ''
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`
}

/** Text format: in label values, `\`, `"` and line feed are written `\\`, `\"` and `\n`. */
export function escapeLabelValue(value: string): string {
  return String(value).replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'))
}

/** Text format: in HELP text, only `\` and line feed are escaped. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'))
}

/** Values are Go float literals; infinities and NaN have their own spellings. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}
