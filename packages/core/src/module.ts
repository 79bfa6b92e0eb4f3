import type { LogEvent } from './event.ts'

export type ModuleKind = 'decoder' | 'parser' | 'enricher' | 'sink' | 'analyzer'

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

/** Where a module runs: the main thread, a worker thread, or a child process of its own. */
export type Placement = 'inline' | 'worker' | 'process'

export interface PlacementOptions {
  run?: Placement
  /** Copies of a stateless module (worker or process placement); batches go round-robin. */
  instances?: number
  /**
   * Field path (`user.name`) of a stateful module's key: each value always reaches the same
   * instance, so per-key state stays in one place and per-key order is kept.
   */
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

/**
 * Turns what a listener received (a raw frame) into what parsers read (a syslog message). It runs
 * where the parsers run, so a parser stage in worker threads also takes the header parse off the
 * main thread.
 */
export interface Decoder extends Lifecycle {
  /** Synchronous; `undefined` drops the input (counted as `decode_failed`). */
  decode(input: unknown): unknown
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
  /**
   * Optional fast path: the same batch as NDJSON (one JSON event a line, each line ending in
   * `\n`), in chunks of whole lines, called instead of write() when the runtime already holds the
   * batch serialized (it came back from a worker or process and nothing changed it since), so it
   * is not parsed and serialized again on the main thread. Write the chunks in order.
   */
  writeNdjson?(chunks: readonly string[], count: number): void | Promise<void>
}

/** Keeps state and raises new events through `context.emit`. */
export interface Analyzer extends Lifecycle {
  analyze(event: LogEvent): void
}

export interface ModuleByKind {
  decoder: Decoder
  parser: Parser
  enricher: Enricher
  sink: Sink
  analyzer: Analyzer
}

export type ModuleFactory<K extends ModuleKind, O> = (
  options: O,
  context: ModuleContext,
) => ModuleByKind[K] | Promise<ModuleByKind[K]>
