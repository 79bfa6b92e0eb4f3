/**
 * The figures this package reads, declared by shape so that it depends on no runtime package:
 * `syslog-server`'s `server.status()` fits as it is, and so does any object that reports the same
 * counters. Counter names follow Vector's component specification (docs/architecture.md, Metrics).
 */

/** One listener's counters. */
export interface ListenerStatus {
  /** The listener URL as configured (`tcp://0.0.0.0:514`): the `listener` label. */
  url: string
  /** The address actually bound. */
  address: string
  received_events: number
  received_bytes: number
  dropped_events: Record<string, number>
  errors: Record<string, number>
  connections_open: number
  connections_total: number
}

/** One module's counters. */
export interface ModuleStatus {
  /** Unique per pipeline: the `component` label. */
  name: string
  kind: string
  placement: string
  uptimeMs: number
  metrics: {
    received_events: number
    sent_events: number
    dropped_events: Record<string, number>
    errors: Record<string, number>
  }
  restarts?: number
  queueDepth?: number
}

/** What the server reads on every request. */
export interface MetricsSource {
  status(): { listeners: ListenerStatus[]; modules: ModuleStatus[] }
  /** `/health` answers 503 while this returns false; without it, 200 whenever the process answers. */
  healthy?(): boolean
}
