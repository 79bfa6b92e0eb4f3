/**
 * Per-module counters, named after Vector's component specification so dashboards read the same:
 * received_events, sent_events, dropped_events{reason}, errors{code}.
 */
export interface ModuleMetrics {
  received_events: number
  sent_events: number
  dropped_events: Record<string, number>
  errors: Record<string, number>
}

export function newMetrics(): ModuleMetrics {
  return { received_events: 0, sent_events: 0, dropped_events: {}, errors: {} }
}

export function countDrop(m: ModuleMetrics, reason: string, n = 1): void {
  m.dropped_events[reason] = (m.dropped_events[reason] ?? 0) + n
}

export function countError(m: ModuleMetrics, code: string, n = 1): void {
  m.errors[code] = (m.errors[code] ?? 0) + n
}
