/** Per-listener counters, named after Vector's component specification. */
export interface ListenerCounters {
  received_events: number
  received_bytes: number
  dropped_events: Record<string, number>
  errors: Record<string, number>
  connections_open: number
  connections_total: number
}

export function newCounters(): ListenerCounters {
  return {
    received_events: 0,
    received_bytes: 0,
    dropped_events: {},
    errors: {},
    connections_open: 0,
    connections_total: 0,
  }
}

export function drop(c: ListenerCounters, reason: string, n = 1): void {
  c.dropped_events[reason] = (c.dropped_events[reason] ?? 0) + n
}

export function error(c: ListenerCounters, code: string, n = 1): void {
  c.errors[code] = (c.errors[code] ?? 0) + n
}
