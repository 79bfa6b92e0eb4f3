import { syslog } from '@beer/syslog-server'
import { file } from '@beer/sink-file'
import { paloalto } from '@beer/parser-paloalto'
import { ciscoAsa } from '@beer/parser-cisco-asa'
import { linuxAuth } from '@beer/parser-linux-auth'
import { windows } from '@beer/parser-windows'
import { cef } from '@beer/parser-cef'

const env = process.env
const listen = env.BEER_LISTEN?.split(',') ?? ['udp://127.0.0.1:5514', 'tcp://127.0.0.1:5514']
const out = env.BEER_OUT ?? './data/events.ndjson'
const control = env.BEER_CONTROL ?? './data/beer.sock'
// BEER_PARSE_WORKERS=2 parses in two worker threads; the main thread then only reads and writes.
const workers = Number(env.BEER_PARSE_WORKERS ?? 0)
const parsing = workers > 0 ? { run: 'worker' as const, instances: workers } : undefined

// Product parsers, tried in order (CEF last: it reads what no vendor parser claims); anything
// else is stored as a plain event with its header fields.
const server = await syslog({ listen, control, metrics: env.BEER_METRICS, parsing })
  .parse(paloalto()).parse(ciscoAsa()).parse(linuxAuth()).parse(windows()).parse(cef())
  .to(file({ path: out }))
  .start()
console.log(`beer listening on ${server.addresses.join(', ')}; events to ${out}; control socket ${control}`)
