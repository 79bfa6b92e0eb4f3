import type { LogEvent } from './event.ts'

export type ModuleKind = 'parser' | 'enricher' | 'sink' | 'analyzer'

/**
 * What a package's factory returns: a small cloneable description of a module, not the live
 * module. The runtime imports `module`, calls its `export` with `options` and a context, and gets
 * the live module, in whatever place (inline, worker, process) the user chose.
 */
export interface ModuleDescriptor<K extends ModuleKind = ModuleKind, O = unknown> {
  kind: K
  name: string
  /** URL of the ES module that builds the live module. */
  module: string
  /** Name of the export in `module` that builds it; `create` by convention. */
  export: string
  options: O
}

/** Where a module runs. Only `inline` is implemented so far; see docs/architecture.md. */
export type Placement = 'inline' | 'worker' | 'process'

export interface PlacementOptions {
  run?: Placement
  instances?: number
  partitionBy?: string
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

export interface ModuleContext {
  /** The module's name, unique in the pipeline (`paloalto`, `file#2`). */
  name: string
  instance: number
  log: Logger
  /** Analyzers raise new events with this; `causes` are the events that led to it. */
  emit(event: LogEvent, causes?: readonly LogEvent[]): void
}

/** What every live module may implement besides its role. */
export interface Lifecycle {
  /** Write out what is buffered. Called on the `flush` command and before close. */
  flush?(): void | Promise<void>
  /** Release resources; no call follows. */
  close?(): void | Promise<void>
  /**
   * Answer a command (`status`, `rotate`, `reset`, or one the module defines).
   * Return `undefined` to ignore it; anything else is the module's answer.
   */
  command?(name: string, args?: unknown): unknown
}

/** Owns one product's message format. */
export interface Parser<Input = unknown> extends Lifecycle {
  /** Cheap, pure, synchronous; never throws. */
  isMine(input: Input): boolean
  /** Deterministic: no clock reads. One event, several, or none. */
  parse(input: Input): LogEvent | LogEvent[] | null | undefined
}

/** Adds to an event in place; may learn from it. */
export interface Enricher extends Lifecycle {
  enrich(event: LogEvent): void
}

/** Stores or forwards events. */
export interface Sink extends Lifecycle {
  /** Called with a batch; a returned promise tells the runtime the sink is busy until it settles. */
  write(events: readonly LogEvent[]): void | Promise<void>
}

/** Keeps state and raises new events through `context.emit`. */
export interface Analyzer extends Lifecycle {
  analyze(event: LogEvent): void
}

export interface ModuleByKind {
  parser: Parser
  enricher: Enricher
  sink: Sink
  analyzer: Analyzer
}

export type ModuleFactory<K extends ModuleKind, O> = (
  options: O,
  context: ModuleContext,
) => ModuleByKind[K] | Promise<ModuleByKind[K]>
