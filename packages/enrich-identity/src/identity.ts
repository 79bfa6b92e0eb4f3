import { describeModule, type Enricher, type ModuleContext, type ModuleDescriptor } from '@beer/core'
import { IdentityEnricher } from './enricher.ts'
import { resolveOptions, type IdentityOptions } from './options.ts'

/**
 * An enricher that learns who held an address when (DHCP leases, VPN address assignments,
 * User-ID mappings, logins, static entries) and fills in `<endpoint>.user.name`/`.domain`,
 * `<endpoint>.domain` (the host name) and `<endpoint>.mac` of the source, destination, client and
 * server addresses of every event, as they were at the event's own `@timestamp`. Returns a
 * descriptor; the runtime builds the live enricher with {@link create} wherever it was placed.
 *
 * Answers the commands `status`, `reset` and `lookup` (`{ ip, at? }`).
 *
 * @throws BeerError `BEER_ERR_IDENTITY_OPTIONS` naming the first invalid option.
 */
export function identity(options: IdentityOptions = {}): ModuleDescriptor<'enricher', IdentityOptions> {
  // Checked here as well as in create() so a mistake surfaces where the pipeline is written.
  const o = resolveOptions(options)
  return describeModule('enricher', o.name, import.meta.url, options)
}

/**
 * Builds the live enricher: reads the snapshot (memory store; a corrupt one is set aside and the
 * map starts empty) or connects to Redis (waiting at most `redis.connectTimeout`; without Redis it
 * starts all the same and catches up once Redis is there).
 *
 * @throws BeerError `BEER_ERR_IDENTITY_OPTIONS` for an invalid option.
 */
export async function create(options: IdentityOptions, context: ModuleContext): Promise<Enricher> {
  return IdentityEnricher.open(resolveOptions(options), context)
}
