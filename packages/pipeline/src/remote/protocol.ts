import type { ModuleDescriptor } from '@beer/core'
import type { PlainError } from '@beer/core'
import type { ModuleMetrics } from '../metrics.ts'
import type { Ndjson, PackedInputs } from '../codec.ts'

/**
 * The messages between the runtime (host) and a module running in a worker thread or a child
 * process (guest). Small and coded, after pino's thread-stream: the host never sends a live
 * object, only descriptors, payloads and commands.
 */

/** What one guest hosts: the whole parse stage, or one enricher, analyzer or sink. */
export type Role = 'parse' | 'enrich' | 'analyze' | 'sink'

export interface HostedModule {
  /** Unique name in the pipeline, with `[i]` for instances (`geoip[1]`). */
  name: string
  descriptor: ModuleDescriptor
}

export interface InitMessage {
  t: 'init'
  /**
   * A random key the guest puts on every message (`k`): module code in a worker or child can post
   * on the same port, and only the runtime's own messages may acknowledge a batch.
   */
  key: string
  role: Role
  instance: number
  modules: {
    decoder?: HostedModule
    parsers?: HostedModule[]
    fallback?: HostedModule
    /** The enricher, analyzer or sink of the other roles. */
    module?: HostedModule
  }
  maxHops: number
  /** Modules the guest imports before building its own (loader hooks, agents); see PipelineOptions.preload. */
  preload: string[]
}

export interface Payload {
  /** Raw inputs, for the parse role. */
  inputs?: unknown[]
  /** NDJSON events, for the other roles. */
  text?: Ndjson
  count: number
}

export type HostMessage =
  | InitMessage
  | { t: 'batch'; seq: number; packed?: PackedInputs | unknown[]; text?: Ndjson; count: number }
  | { t: 'ping'; at: number }
  | { t: 'command'; id: number; name: string; args?: unknown }
  | { t: 'stop' }

export interface Usage {
  cpuUserUs: number
  cpuSystemUs: number
  rssBytes: number
  heapUsedBytes: number
  /** Event-loop utilisation since the previous pong, 0..1. */
  elu: number
}

export type GuestMessage = GuestBody & { k?: string }

export type GuestBody =
  | { t: 'ready'; pid: number; threadId: number }
  | { t: 'fatal'; error: PlainError }
  | {
      t: 'ack'
      seq: number
      /** Parse and enrich roles: the events that come out, as NDJSON. */
      text?: Ndjson
      count?: number
      /** Analyze role: ids given to events of the batch (by index), for causes of emitted events. */
      ids?: [number, string][]
      metrics: Record<string, ModuleMetrics>
    }
  | { t: 'emit'; text: Ndjson; count: number }
  | { t: 'pong'; at: number; usage: Usage }
  | { t: 'answer'; id: number; answers: { module: string; answer?: unknown; error?: { code: string; message: string } }[] }
  | { t: 'stopped' }
