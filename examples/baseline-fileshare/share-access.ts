// A what-is-normal analyzer of our own, on the Baseline that @beer/analyzer-logins is built on:
// which file shares each user opens (Windows event 5140, "a network share object was accessed").
// A learned user opening a share they never opened, and that few colleagues open, is worth a look.
import { describeModule } from '@beer/core'
import type { Analyzer, LogEvent, ModuleContext, ModuleDescriptor } from '@beer/core'
import { Baseline } from '@beer/analyzer-logins/baseline'

export interface ShareAccessOptions {
  /** Event time before a user is judged. Default `'14d'`. */
  learnFor?: string
  /** Share opens before a user is judged. Default `20`. */
  learnCount?: number
  /** A share this share of users (and at least 3) opens is no news. Default `0.05`. */
  commonShare?: number
}

export function shareAccess(options: ShareAccessOptions = {}): ModuleDescriptor<'analyzer', ShareAccessOptions> {
  return describeModule('analyzer', 'share-access', import.meta.url, options)
}

export function create(o: ShareAccessOptions, context: ModuleContext): Analyzer {
  const baseline = new Baseline({ dimensions: ['share'], learnFor: o.learnFor ?? '14d', learnCount: o.learnCount ?? 20, halfLife: '90d', population: ['share'] })
  return {
    analyze(event: LogEvent) {
      if (event.event?.code !== '5140') return
      const user = (event.user as { name?: unknown } | undefined)?.name
      const host = (event.host as { name?: unknown } | undefined)?.name
      const name = ((event.winlog as { event_data?: { ShareName?: unknown } } | undefined)?.event_data?.ShareName)
      const at = Date.parse(event['@timestamp'] as string)
      if (typeof user !== 'string' || typeof host !== 'string' || typeof name !== 'string' || Number.isNaN(at)) return
      // '\\*\Finance' on fs01 is \\fs01\Finance.
      const share = `\\\\${host}\\${name.replace(/^\\\\\*\\/, '')}`
      const p = baseline.get(user)
      if (baseline.state(p, at) === 'learned' && !p!.has('share', share)) {
        const others = baseline.population('share', share) ?? 0
        if (others < 3 || others < (o.commonShare ?? 0.05) * baseline.size) {
          const days = Math.floor((at - p!.first) / 86_400_000)
          const reason = `${user} opened ${share} for the first time in ${days} days of history (${others} of ${baseline.size} users do)`
          context.emit(
            {
              '@timestamp': event['@timestamp'],
              message: reason,
              event: { kind: 'alert', category: ['file'], type: ['access'], action: 'unusual-share-access', severity: 2, risk_score: 50, reason },
              rule: { id: 'example-share-access-new-share', name: 'A user opened a file share new to them that few others use' },
              user: { name: user },
              host: { name: host },
              file: { path: share },
              related: { user: [user], hosts: [host] },
            },
            [event],
          )
        }
      }
      baseline.observe(user, at, [share])
    },
    command(name, args) {
      if (name === 'status') return { users: baseline.size }
      if (name === 'profile' && typeof args === 'string') return baseline.get(args)?.values('share') ?? null
      return undefined
    },
  }
}
