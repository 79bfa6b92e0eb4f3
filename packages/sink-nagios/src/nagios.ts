import { describeModule, type ModuleContext, type ModuleDescriptor, type Sink } from '@beer/core'
import { NagiosSink } from './nagios-sink.ts'
import { resolveOptions, type NagiosSinkOptions } from './options.ts'

/**
 * A sink that turns alerts into Nagios passive check results, written to Nagios' external command
 * file or sent to an NSCA daemon. Returns a descriptor; the runtime builds the live sink with
 * {@link create} wherever the user placed it.
 *
 * Answers the commands `status` and `flush`.
 *
 * @throws BeerError `BEER_ERR_SINK_NAGIOS_OPTIONS` naming the first invalid option.
 */
export function nagios(options: NagiosSinkOptions): ModuleDescriptor<'sink', NagiosSinkOptions> {
  // Checked here as well as in create() so a mistake surfaces where the pipeline is written.
  resolveOptions(options)
  return describeModule('sink', options.name ?? 'nagios', import.meta.url, options)
}

/**
 * Builds the live sink. It opens nothing yet: the command file or the NSCA daemon is reached at
 * the first alert, so beer starts while Nagios is down.
 *
 * @throws BeerError `BEER_ERR_SINK_NAGIOS_OPTIONS` for an invalid option.
 */
export function create(options: NagiosSinkOptions, context: ModuleContext): Sink {
  return new NagiosSink(resolveOptions(options), context)
}
