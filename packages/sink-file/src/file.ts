import path from 'node:path'
import { describeModule, type ModuleContext, type ModuleDescriptor, type Sink } from '@beer/core'
import { FileSink } from './file-sink.ts'
import { resolveOptions, type FileSinkOptions } from './options.ts'

/**
 * A sink that appends every event as one line of JSON (NDJSON) to a file, with rotation by size,
 * by time and on the `rotate` command. Returns a descriptor; the runtime builds the live sink
 * with {@link create} wherever the user placed it.
 *
 * Answers the commands `status`, `flush` and `rotate`.
 *
 * @throws BeerError `BEER_ERR_SINK_FILE_OPTIONS` naming the first invalid option.
 */
export function file(options: FileSinkOptions): ModuleDescriptor<'sink', FileSinkOptions> {
  // Checked here as well as in create() so a mistake surfaces where the pipeline is written.
  resolveOptions(options)
  return describeModule('sink', options.name ?? 'file', import.meta.url, options)
}

/**
 * Builds the live sink: opens (and if need be creates) the file and its directories.
 *
 * @throws BeerError `BEER_ERR_SINK_FILE_OPTIONS` for an invalid option, `BEER_ERR_SINK_FILE_OPEN`
 * when the file cannot be opened for appending.
 */
export async function create(options: FileSinkOptions, context: ModuleContext): Promise<Sink> {
  const resolved = resolveOptions(options)
  resolved.path = path.resolve(resolved.path)
  return FileSink.open(resolved, context)
}
