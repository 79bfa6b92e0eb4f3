import { describeModule } from '@beer/core'
import type { Analyzer, ModuleContext, ModuleDescriptor } from '@beer/core'
import { LoginsAnalyzer } from './analyzer.ts'
import { resolveOptions } from './options.ts'
import type { LoginsOptions } from './options.ts'
import { openStore } from './store.ts'

/**
 * An analyzer that learns, per user, where, when and from where they log in, from the
 * authentication events of any parser, and raises one alert per login that does not fit: a server
 * the user never or rarely uses, an hour or a day outside their pattern, a new country or network,
 * or a user never seen once the whole system has learned. Returns a descriptor; the runtime builds
 * the live analyzer with {@link create} wherever the user placed it. Run several instances with
 * `partitionBy: 'user.name'`.
 *
 * Answers the commands `status`, `profile <user>`, `reset [user]` and `flush`.
 *
 * @throws BeerError `BEER_ERR_LOGINS_OPTIONS` naming the first invalid option.
 */
export function logins(options: LoginsOptions = {}): ModuleDescriptor<'analyzer', LoginsOptions> {
  // Checked here as well as in create() so a mistake surfaces where the pipeline is written.
  const resolved = resolveOptions(options)
  return describeModule('analyzer', resolved.name, import.meta.url, options)
}

/**
 * Builds the live analyzer and restores its profiles from the snapshot, if there is one (an
 * unreadable snapshot is moved aside with a warning and the analyzer starts empty).
 *
 * @throws BeerError `BEER_ERR_LOGINS_OPTIONS` for an invalid option, `BEER_ERR_LOGINS_SNAPSHOT`
 * when the snapshot store cannot be loaded.
 */
export async function create(options: LoginsOptions, context: ModuleContext): Promise<Analyzer> {
  const o = resolveOptions(options)
  const store = o.snapshot === undefined ? undefined : await openStore(o.snapshotStore, o.snapshot.replaceAll('{instance}', String(context.instance)))
  const analyzer = new LoginsAnalyzer(o, context, store)
  await analyzer.start()
  return analyzer
}
