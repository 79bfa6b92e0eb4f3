import { describeModule, type ModuleContext, type ModuleDescriptor, type Sink } from '@beer/core'
import { EsSink } from './es-sink.ts'
import { resolveOptions, type EsSinkOptions } from './options.ts'

/**
 * A sink that bulk-indexes every event into Elasticsearch: batches by size, bytes and time,
 * bounded concurrent requests, per-document retries with backoff, deterministic ids with
 * `create` (so a retry or a replay never stores an event twice), a dead-letter file for documents
 * Elasticsearch refuses, and a disk buffer for outages. Returns a descriptor; the runtime builds
 * the live sink with {@link create} wherever the user placed it.
 *
 * Answers the commands `status`, `flush` and `template`.
 *
 * @throws BeerError `BEER_ERR_SINK_ES_OPTIONS` naming the first invalid option, `BEER_ERR_SINK_ES_AUTH`
 * for an auth option of unknown shape.
 */
export function elasticsearch(options: EsSinkOptions = {}): ModuleDescriptor<'sink', EsSinkOptions> {
  // Checked here as well as in create() so a mistake surfaces where the pipeline is written.
  const o = resolveOptions(options)
  return describeModule('sink', o.name, import.meta.url, options)
}

/**
 * Builds the live sink: opens the disk buffer (and its lock) and the client. Elasticsearch being
 * unreachable is not an error here: events wait in the buffer until it answers.
 *
 * @throws BeerError `BEER_ERR_SINK_ES_OPTIONS`, `BEER_ERR_SINK_ES_AUTH`, `BEER_ERR_SINK_ES_BUFFER`
 * (the buffer folder cannot be created) or `BEER_ERR_SINK_ES_BUFFER_LOCKED` (another sink uses it).
 */
export async function create(options: EsSinkOptions, context: ModuleContext): Promise<Sink> {
  const o = resolveOptions(options)
  // Instances of one sink (`instances: N` in a worker or process) each need a buffer of their own.
  if (o.buffer && context.instance > 0) o.buffer.path = `${o.buffer.path}.${context.instance}`
  return EsSink.open(o, context)
}
