import { describeModule, type Enricher, type ModuleContext, type ModuleDescriptor } from '@beer/core'
import { GeoIpEnricher } from './enricher.ts'
import { fileLoader, resolvePaths } from './files.ts'
import { resolveOptions, type GeoIpOptions, type ResolvedOptions } from './options.ts'
import { buildSiteTable } from './subnets.ts'

/**
 * An enricher that fills ECS `*.geo.*`, `*.as.*` and `network.direction` for the addresses of
 * every event: the site's own networks first (longest-prefix match over the subnets), then
 * MaxMind-format databases through a cache. Returns a descriptor; the runtime builds the live
 * enricher with {@link create} wherever the user placed it.
 *
 * Answers the commands `status` and `reload`.
 *
 * @throws BeerError `BEER_ERR_GEOIP_OPTIONS` naming the first invalid option,
 * `BEER_ERR_GEOIP_SUBNETS` for a wrong entry of an inline subnet list.
 */
export function geoip(options: GeoIpOptions = {}): ModuleDescriptor<'enricher', GeoIpOptions> {
  // Checked here as well as in create() so a mistake surfaces where the pipeline is written.
  const o = resolveOptions(options)
  if (Array.isArray(o.subnets)) buildSiteTable(o.subnets, 'inline', o.privateNetworks)
  return describeModule('enricher', options.name ?? 'geoip', import.meta.url, options)
}

/**
 * Builds the live enricher: reads the subnets and opens every database.
 *
 * @throws BeerError `BEER_ERR_GEOIP_OPTIONS` for an invalid option, `BEER_ERR_GEOIP_SUBNETS` when
 * the subnets cannot be read or hold a wrong line, `BEER_ERR_GEOIP_DATABASE` naming a database
 * that is missing or unreadable.
 */
export async function create(options: GeoIpOptions, context: ModuleContext): Promise<Enricher> {
  const o: ResolvedOptions = resolveOptions(options)
  resolvePaths(o)
  return GeoIpEnricher.start(o, fileLoader(o, context.name, context.log), context.log, context.name)
}
