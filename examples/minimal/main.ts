import { syslog } from '@beer/syslog-server'
import { file } from '@beer/sink-file'

const listen = process.env.BEER_LISTEN?.split(',') ?? ['udp://127.0.0.1:5514', 'tcp://127.0.0.1:5514']
const out = process.env.BEER_OUT ?? './data/events.ndjson'

const server = await syslog({ listen }).to(file({ path: out })).start()

console.log(`beer listening on ${server.addresses.join(', ')}; events to ${out}`)
