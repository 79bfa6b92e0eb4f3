import { syslog } from '@beer/syslog-server'
import { windows } from '@beer/parser-windows'
import { file } from '@beer/sink-file'
import { logins } from '@beer/analyzer-logins'
import { shareAccess } from './share-access.ts'

const env = process.env
const listen = env.BEER_LISTEN?.split(',') ?? ['udp://127.0.0.1:5514', 'tcp://127.0.0.1:5514']
const server = await syslog({ listen, control: env.BEER_CONTROL ?? './data/beer.sock' })
  .parse(windows())
  .analyze(logins({ learnFor: '14d', snapshot: './data/logins-{instance}.json' }), { run: 'worker', instances: 2, partitionBy: 'user.name' })
  .analyze(shareAccess({ learnFor: '14d' }))
  .to(file({ path: env.BEER_OUT ?? './data/events.ndjson' }))
  .start()
console.log(`beer listening on ${server.addresses.join(', ')}`)
