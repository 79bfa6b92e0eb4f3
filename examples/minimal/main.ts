import { syslog } from '@beer/syslog-server'
import { file } from '@beer/sink-file'

const env = process.env
const listen = env.BEER_LISTEN?.split(',') ?? ['udp://127.0.0.1:5514', 'tcp://127.0.0.1:5514']
const out = env.BEER_OUT ?? './data/events.ndjson'
const control = env.BEER_CONTROL ?? './data/beer.sock'
// BEER_PARSE_WORKERS=2 parses in two worker threads; the main thread then only reads and writes.
const workers = Number(env.BEER_PARSE_WORKERS ?? 0)
const parsing = workers > 0 ? { run: 'worker' as const, instances: workers } : undefined

const server = await syslog({ listen, control, metrics: env.BEER_METRICS, parsing }).to(file({ path: out })).start()
console.log(`beer listening on ${server.addresses.join(', ')}; events to ${out}; control socket ${control}`)
