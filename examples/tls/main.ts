import { syslog } from '@beer/syslog-server'
import { file } from '@beer/sink-file'
import { certificates } from './certificates.ts'

// RFC 5425 syslog over TLS. Give BEER_TLS_CERT/BEER_TLS_KEY (and BEER_TLS_CA to require client
// certificates); without them a self-signed pair is made in ./data/tls at start.
const tls = await certificates('./data/tls')
const listen = process.env.BEER_LISTEN?.split(',') ?? ['tls://127.0.0.1:6514']
const out = process.env.BEER_OUT ?? './data/tls-events.ndjson'

const server = await syslog({ listen, tls }).to(file({ path: out })).start()
console.log(`beer listening on ${server.addresses.join(', ')}; events to ${out}`)
