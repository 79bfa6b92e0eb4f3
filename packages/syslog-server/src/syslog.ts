import { BeerError, isDescriptor } from '@beer/core'
import type { ModuleDescriptor, PlacementOptions, Logger } from '@beer/core'
import { createPipeline, consoleLogger } from '@beer/pipeline'
import { controlServer } from '@beer/control'
import type { ControlServer } from '@beer/control'
import { metricsServer } from '@beer/metrics-http'
import type { MetricsServer } from '@beer/metrics-http'
import type { CommandAnswer, ModuleStatus, Pipeline, PipelineOptions, StageEntry } from '@beer/pipeline'
import { isKnownTimezone } from '@beer/syslog-header'
import { syslogHeader } from './decoder.ts'
import type { RawFrame } from './decoder.ts'
import { parseListenUrl } from './listen-url.ts'
import { openListener } from './listeners.ts'
import type { Listener, ListenerOptions, TlsOptions } from './listeners.ts'
import type { OversizePolicy } from './framing.ts'
import type { ListenerCounters } from './counters.ts'
import { plainSyslog } from './plain.ts'

export interface SyslogOptions {
  /** Listener URLs. Default: udp://127.0.0.1:5514 and tcp://127.0.0.1:5514. */
  listen?: string | string[]
  /** Certificate, key, CA and client-certificate policy for tls:// listeners. */
  tls?: TlsOptions
  /** Largest message accepted, in bytes. Default 65536. */
  maxMessageSize?: number
  /** What happens to a larger message: cut and flagged `truncated` (default), or dropped and counted. */
  oversize?: OversizePolicy
  /** Open connections allowed per stream listener. Default 1000. */
  maxConnections?: number
  /** A connection silent this long (ms) is closed. Default 300000 (5 minutes). */
  idleTimeout?: number
  /** Zone for header timestamps that carry none (RFC 3164). 'UTC' (default), 'local', '+02:00' or an IANA name. */
  timezone?: string
  /** Keep the received frame as `event.original` on events no parser claimed. Default false. */
  keepOriginal?: boolean
  /** File mode of unix:// sockets. Default 0o660. */
  unixSocketMode?: number
  /** SO_RCVBUF asked for on UDP sockets. Default 8 MiB (the kernel may cap it). */
  udpReceiveBufferSize?: number
  /** UDP messages held while the pipeline is congested, before drops. Default 65536. */
  udpBacklog?: number
  /** Time (ms) open connections get to finish when stopping. Default 2000. */
  drainTimeout?: number
  /**
   * Where the parse stage runs: the header parse, the parsers and the plain-syslog fallback,
   * together. `{ run: 'worker', instances: 2 }` takes all of it off the main thread, which then
   * only reads sockets and writes what comes back. Parsers that give a placement must give this one.
   */
  parsing?: { run?: 'inline' | 'worker' | 'process'; instances?: number }
  /** Analyzer events further than this from a received message are dropped. Default 4. */
  maxHops?: number
  /** Where events that crash a worker or process module twice are written, as NDJSON. Default `./data/dead-letter.ndjson`. */
  deadLetter?: string
  /**
   * Supervision of worker and process modules: `window` (unacknowledged batches per instance,
   * default 1), `heartbeatInterval` (ms, 1000), `heartbeatTimeout` (ms, 10000), `startTimeout`
   * (ms, 30000), `backoff` / `maxBackoff` (first and largest restart delay, ms, 100 / 30000),
   * `maxRestarts` (crashes in a row before quarantine, 5).
   */
  supervision?: PipelineOptions['supervision']
  /** Modules each worker thread imports before its own (a TypeScript loader on Node 20, an agent). */
  preload?: string[]
  /** Batches inside the pipeline before reads pause (TCP) or are held, then dropped (UDP). Default 4. */
  maxBatchesInFlight?: number
  /** How long (ms) stopping waits for batches in flight and for modules to flush. Default 10000. */
  stopTimeout?: number
  /**
   * Path of the local control socket (mode 0600) that the `beer` CLI talks to: `beer status`,
   * `beer rotate`, `beer top`. Off when not given.
   */
  control?: string
  /**
   * 'host:port' of an HTTP endpoint with `/metrics` (Prometheus text format) and `/health`.
   * Loopback only unless `metricsAllowRemote`. Off when not given.
   */
  metrics?: string
  /** Let the metrics endpoint listen on a non-loopback address. Default false. */
  metricsAllowRemote?: boolean
  /** Stop cleanly on SIGINT and SIGTERM, then exit 0. Default true. */
  handleSignals?: boolean
  logger?: (scope: string) => Logger
}

export interface ListenerStatus extends ListenerCounters {
  url: string
  address: string
}

/** The collector process's own figures (worker and process modules report theirs per module). */
export interface ProcessStatus {
  pid: number
  uptimeMs: number
  cpuUserMs: number
  cpuSystemMs: number
  rssBytes: number
  heapUsedBytes: number
}

export interface ServerStatus {
  listeners: ListenerStatus[]
  modules: ModuleStatus[]
  process: ProcessStatus
}

/** A running syslog server and its pipeline. */
export interface SyslogServer {
  /** The URLs actually bound, in the order given (port 0 resolved). */
  readonly addresses: string[]
  /** The control socket's path and the metrics endpoint's URL, when enabled. */
  readonly endpoints: { control?: string; metrics?: string }
  listeners(): ListenerStatus[]
  status(): ServerStatus
  /** Broadcasts a command (`status`, `rotate`, `reset`, `flush`, or a module's own). */
  command(name: string, args?: unknown, target?: string): Promise<CommandAnswer[]>
  /** False once stopping: what `/health` reports. */
  healthy(): boolean
  /** Stops accepting, lets connections finish, drains the pipeline, flushes and closes every module. */
  stop(): Promise<void>
  /** Settles when the server has stopped, whoever stopped it. */
  readonly stopped: Promise<void>
}

export interface SyslogBuilder {
  /** Adds a parser; parsers are tried in the order added, the first that claims a message wins. */
  parse(parser: ModuleDescriptor<'parser'>, placement?: PlacementOptions): SyslogBuilder
  enrich(enricher: ModuleDescriptor<'enricher'>, placement?: PlacementOptions): SyslogBuilder
  /** Adds sinks: every enriched event reaches each of them. A trailing placement object applies to all. */
  to(...sinks: (ModuleDescriptor<'sink'> | PlacementOptions)[]): SyslogBuilder
  analyze(analyzer: ModuleDescriptor<'analyzer'>, placement?: PlacementOptions): SyslogBuilder
  /** Builds every module, opens every listener, and resolves once all are ready. */
  start(): Promise<SyslogServer>
}

const DEFAULT_LISTEN = ['udp://127.0.0.1:5514', 'tcp://127.0.0.1:5514']

/** The entry point: `syslog({ listen }).parse(…).enrich(…).to(…).analyze(…).start()`. */
export function syslog(options: SyslogOptions = {}): SyslogBuilder {
  const parsers: StageEntry<'parser'>[] = []
  const enrichers: StageEntry<'enricher'>[] = []
  const sinks: StageEntry<'sink'>[] = []
  const analyzers: StageEntry<'analyzer'>[] = []
  const entry = <K extends 'parser' | 'enricher' | 'sink' | 'analyzer'>(
    d: ModuleDescriptor<K>,
    placement: PlacementOptions | undefined,
  ): StageEntry<K> => (placement ? { descriptor: d, placement } : { descriptor: d })

  const builder: SyslogBuilder = {
    parse(p, placement) {
      parsers.push(entry(p, placement))
      return builder
    },
    enrich(e, placement) {
      enrichers.push(entry(e, placement))
      return builder
    },
    to(...args) {
      const last = args[args.length - 1]
      const placement = last !== undefined && !isDescriptor(last) ? (args.pop() as PlacementOptions) : undefined
      for (const s of args) sinks.push(entry(s as ModuleDescriptor<'sink'>, placement))
      return builder
    },
    analyze(a, placement) {
      analyzers.push(entry(a, placement))
      return builder
    },
    start() {
      return startServer(options, { parsers, enrichers, sinks, analyzers })
    },
  }
  return builder
}

async function startServer(
  options: SyslogOptions,
  stages: {
    parsers: StageEntry<'parser'>[]
    enrichers: StageEntry<'enricher'>[]
    sinks: StageEntry<'sink'>[]
    analyzers: StageEntry<'analyzer'>[]
  },
): Promise<SyslogServer> {
  const makeLogger = options.logger ?? consoleLogger
  const log = makeLogger('syslog')
  const urls = typeof options.listen === 'string' ? [options.listen] : (options.listen ?? DEFAULT_LISTEN)
  if (urls.length === 0) throw new BeerError('BEER_ERR_LISTEN_URL', 'listen: give at least one listener URL')
  const addresses = urls.map(parseListenUrl)
  const listenerOptions: ListenerOptions = {
    maxMessageSize: positive(options.maxMessageSize, 65536, 'maxMessageSize'),
    oversize: options.oversize ?? 'truncate',
    maxConnections: positive(options.maxConnections, 1000, 'maxConnections'),
    idleTimeout: positive(options.idleTimeout, 300_000, 'idleTimeout'),
    tls: options.tls,
    unixSocketMode: options.unixSocketMode ?? 0o660,
    udpReceiveBufferSize: positive(options.udpReceiveBufferSize, 8 * 1024 * 1024, 'udpReceiveBufferSize'),
    udpBacklog: positive(options.udpBacklog, 65536, 'udpBacklog'),
    drainTimeout: positive(options.drainTimeout, 2000, 'drainTimeout'),
  }
  if (options.timezone !== undefined && !isKnownTimezone(options.timezone)) {
    throw new BeerError(
      'BEER_ERR_OPTION',
      `timezone: '${options.timezone}' is not 'UTC', 'local', an offset such as '+02:00', or an IANA zone name such as 'Europe/Zurich'`,
    )
  }
  if (listenerOptions.oversize !== 'truncate' && listenerOptions.oversize !== 'drop') {
    throw new BeerError('BEER_ERR_OPTION', `oversize: '${String(options.oversize)}' is not 'truncate' or 'drop'`)
  }
  if (stages.sinks.length === 0 && stages.analyzers.length === 0) {
    log.warn('no sink or analyzer was added with .to() or .analyze(): events are parsed and then discarded')
  }

  const pipelineOptions: PipelineOptions = {
    decoder: { descriptor: syslogHeader({ timezone: options.timezone ?? 'UTC' }) },
    parsers: stages.parsers,
    fallback: { descriptor: plainSyslog({ original: options.keepOriginal === true }) },
    enrichers: stages.enrichers,
    sinks: stages.sinks,
    analyzers: stages.analyzers,
    logger: makeLogger,
    ...(options.maxHops !== undefined ? { maxHops: options.maxHops } : {}),
    ...(options.parsing !== undefined ? { parsePlacement: options.parsing } : {}),
    ...(options.deadLetter !== undefined ? { deadLetter: options.deadLetter } : {}),
    ...(options.supervision !== undefined ? { supervision: options.supervision } : {}),
    ...(options.maxBatchesInFlight !== undefined ? { maxBatchesInFlight: options.maxBatchesInFlight } : {}),
    ...(options.stopTimeout !== undefined ? { stopTimeout: options.stopTimeout } : {}),
    ...(options.preload !== undefined ? { preload: options.preload } : {}),
  }
  const pipeline: Pipeline = createPipeline(pipelineOptions)
  await pipeline.start()

  const listeners: Listener[] = []
  const deliver = (batch: RawFrame[]): void | Promise<void> => pipeline.push(batch)
  try {
    for (const a of addresses) listeners.push(await openListener(a, listenerOptions, deliver))
  } catch (err) {
    await Promise.allSettled(listeners.map((l) => l.stop()))
    await pipeline.stop()
    throw err
  }

  const processStatus = (): ProcessStatus => {
    const cpu = process.cpuUsage()
    const mem = process.memoryUsage()
    return {
      pid: process.pid,
      uptimeMs: Math.round(process.uptime() * 1000),
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
    }
  }

  // Declared before anything can call stop(), which removes them.
  let onSignal: (signal: NodeJS.Signals) => void = () => {}
  const removeSignalHandlers = (): void => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }

  let control: ControlServer | undefined
  let metrics: MetricsServer | undefined
  let stopping: Promise<void> | undefined
  let resolveStopped!: () => void
  const stopped = new Promise<void>((r) => (resolveStopped = r))
  const listenerStatus = (): ListenerStatus[] =>
    listeners.map((l) => ({ url: l.url, address: l.address, ...l.counters }))

  const server: SyslogServer = {
    addresses: listeners.map((l) => l.address),
    endpoints: {},
    listeners: listenerStatus,
    status: () => ({ listeners: listenerStatus(), modules: pipeline.status(), process: processStatus() }),
    async command(name, args, target) {
      if (name === 'status' && target === undefined) {
        const answers = await pipeline.command(name, args)
        // Named after the server, not 'syslog': that is the name of the plain-syslog parser module.
        return [{ module: 'server', answer: server.status() }, ...answers]
      }
      return pipeline.command(name, args, target)
    },
    healthy: () => stopping === undefined,
    stop() {
      stopping ??= (async () => {
        await Promise.allSettled(listeners.map((l) => l.stop()))
        await pipeline.stop()
        await Promise.allSettled([control?.close(), metrics?.close()])
        removeSignalHandlers()
        resolveStopped()
      })()
      return stopping
    },
    stopped,
  }

  try {
    if (options.control !== undefined) {
      control = await controlServer(server, { path: options.control })
      server.endpoints.control = control.path
    }
    if (options.metrics !== undefined) {
      metrics = await metricsServer(server, { listen: options.metrics, allowRemote: options.metricsAllowRemote === true })
      server.endpoints.metrics = metrics.url
    }
  } catch (err) {
    await server.stop()
    throw err
  }

  let firstSignalAt = 0
  onSignal = (signal: NodeJS.Signals): void => {
    const now = Date.now()
    if (firstSignalAt !== 0) {
      // Ctrl-C reaches every process of the group, and `npm start` passes it on too: the same
      // stop request often arrives twice at once. Only a later one means "do not wait".
      if (now - firstSignalAt < 1000) return
      log.warn(`${signal} again: exiting without waiting for the drain`)
      process.exit(130)
    }
    firstSignalAt = now
    log.info(`${signal}: stopping (draining connections, flushing sinks)`)
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`stop failed: ${(err as Error).message}`)
        process.exit(1)
      },
    )
  }

  if (options.handleSignals !== false) {
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }
  return server
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new BeerError('BEER_ERR_OPTION', `${name}: expected a positive number, got ${String(value)}`)
  }
  return value
}
