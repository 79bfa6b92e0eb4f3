import dgram from 'node:dgram'
import net from 'node:net'
import tls from 'node:tls'
import { readFileSync, statSync, unlinkSync, chmodSync, existsSync } from 'node:fs'
import { BeerError } from '@beer/core'
import type { FrameOrigin, Transport } from '@beer/syslog-header'
import type { RawFrame } from './decoder.ts'
import { Framer } from './framing.ts'
import type { OversizePolicy } from './framing.ts'
import { newCounters, drop, error } from './counters.ts'
import type { ListenerCounters } from './counters.ts'
import type { ListenAddress } from './listen-url.ts'

export interface TlsOptions {
  /** Server certificate: PEM text or a file path. */
  cert: string
  /** Private key: PEM text or a file path. */
  key: string
  /** CA certificates that client certificates must chain to (PEM text or a file path). */
  ca?: string
  passphrase?: string
  /** mTLS: 'require' refuses clients without a valid certificate. Default 'none'. */
  clientCertificate?: 'none' | 'request' | 'require'
  minVersion?: 'TLSv1.2' | 'TLSv1.3'
}

export interface ListenerOptions {
  maxMessageSize: number
  oversize: OversizePolicy
  maxConnections: number
  idleTimeout: number
  tls: TlsOptions | undefined
  unixSocketMode: number
  udpReceiveBufferSize: number
  /** Messages a UDP listener may hold while the pipeline is congested before it drops. */
  udpBacklog: number
  /** How long stop() lets open connections finish before closing them. */
  drainTimeout: number
}

/** Hands a batch to the pipeline; a promise means "congested, wait before sending more". */
export type Deliver = (batch: RawFrame[]) => void | Promise<void>

export interface Listener {
  /** The URL the user configured. */
  url: string
  /** The URL actually bound (port 0 resolved to the port the system chose). */
  address: string
  counters: ListenerCounters
  /** Stops accepting, lets open connections finish within the drain timeout, then closes. */
  stop(): Promise<void>
}

export async function openListener(addr: ListenAddress, options: ListenerOptions, deliver: Deliver): Promise<Listener> {
  return addr.protocol === 'udp' ? openUdp(addr, options, deliver) : openStream(addr, options, deliver)
}

async function openUdp(addr: ListenAddress, o: ListenerOptions, deliver: Deliver): Promise<Listener> {
  const counters = newCounters()
  const socket = dgram.createSocket({ type: net.isIPv6(addr.host) ? 'udp6' : 'udp4', reuseAddr: false })
  let batch: RawFrame[] = []
  let scheduled = false
  let congested: Promise<void> | undefined
  let backlog: RawFrame[][] = []
  let backlogSize = 0

  // Datagrams arrive one callback each; collecting them until the next turn of the event loop
  // gives the pipeline batches without adding latency.
  const flush = (): void => {
    scheduled = false
    const b = batch
    batch = []
    if (b.length === 0) return
    if (congested) {
      backlog.push(b)
      backlogSize += b.length
      return
    }
    send(b)
  }
  const send = (b: RawFrame[]): void => {
    const r = handOver(deliver, b, counters)
    if (r) {
      congested = r.then(() => {
        congested = undefined
        const waiting = backlog
        backlog = []
        backlogSize = 0
        for (const w of waiting) {
          if (congested) {
            backlog.push(w)
            backlogSize += w.length
          } else send(w)
        }
      })
    }
  }

  socket.on('message', (msg, rinfo) => {
    counters.received_bytes += msg.length
    if (congested && backlogSize + batch.length >= o.udpBacklog) {
      // RFC 5426 gives UDP no flow control: when the pipeline cannot keep up, dropping here and
      // saying so is the honest choice; the kernel would drop silently otherwise.
      drop(counters, 'queue_full')
      return
    }
    let end = msg.length
    while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x0d || msg[end - 1] === 0x00)) end--
    if (end === 0) {
      drop(counters, 'empty')
      return
    }
    let truncated = false
    if (end > o.maxMessageSize) {
      if (o.oversize === 'drop') {
        drop(counters, 'oversize')
        return
      }
      end = o.maxMessageSize
      while (end > 0 && (msg[end]! & 0xc0) === 0x80) end--
      truncated = true
    }
    const origin: FrameOrigin = {
      receivedAt: Date.now(),
      transport: 'udp',
      sourceAddress: unmapIPv4(rinfo.address),
      sourcePort: rinfo.port,
      listener: addr.url,
      truncated,
    }
    batch.push({ text: msg.toString('utf8', 0, end), origin })
    counters.received_events++
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  })
  socket.on('error', (err) => error(counters, (err as NodeJS.ErrnoException).code ?? 'BEER_ERR_UDP'))

  await bindUdp(socket, addr)
  try {
    socket.setRecvBufferSize(o.udpReceiveBufferSize)
  } catch {
    // The kernel caps the size at net.core.rmem_max; a smaller buffer still works.
  }
  const bound = socket.address()
  return {
    url: addr.url,
    address: `udp://${formatHost(bound.address)}:${bound.port}`,
    counters,
    async stop() {
      flush()
      await new Promise<void>((resolve) => socket.close(() => resolve()))
      // The backlog goes out batch by batch as the pipeline makes room; wait for it, but not
      // past the drain timeout: a pipeline that never makes room must not hold up the stop.
      const deadline = Date.now() + o.drainTimeout
      while (congested && Date.now() < deadline) {
        let timer: ReturnType<typeof setTimeout> | undefined
        await Promise.race([congested, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))])
        clearTimeout(timer)
      }
      const left = backlog.reduce((n, b) => n + b.length, 0)
      if (left > 0) drop(counters, 'stopped', left)
      backlog = []
      backlogSize = 0
    },
  }
}

function bindUdp(socket: dgram.Socket, addr: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(listenError(addr, err))
    socket.once('error', onError)
    socket.bind(addr.port, addr.host, () => {
      socket.off('error', onError)
      resolve()
    })
  })
}

async function openStream(addr: ListenAddress, o: ListenerOptions, deliver: Deliver): Promise<Listener> {
  const counters = newCounters()
  const transport: Transport = addr.protocol === 'tls' ? 'tls' : addr.protocol === 'unix' ? 'unix' : 'tcp'
  const sockets = new Set<net.Socket>()
  /** Per open connection: frames what is left, passes it on and marks the connection ended. */
  const finishers = new Map<net.Socket, () => void>()
  /** Every accepted socket, also TLS ones still in their handshake, so stop() can close them. */
  const raw = new Set<net.Socket>()

  const onConnection = (socket: net.Socket): void => {
    counters.connections_open++
    counters.connections_total++
    sockets.add(socket)
    const sourceAddress = transport === 'unix' ? '' : unmapIPv4(socket.remoteAddress ?? '')
    const sourcePort = socket.remotePort ?? 0
    let origin: FrameOrigin = { receivedAt: 0, transport, sourceAddress, sourcePort, listener: addr.url }
    let truncatedOrigin: FrameOrigin | undefined
    let batch: RawFrame[] = []
    const framer = new Framer(o, {
      frame(text, truncated) {
        if (truncated) {
          truncatedOrigin ??= { ...origin, truncated: true }
          batch.push({ text, origin: truncatedOrigin })
        } else batch.push({ text, origin })
      },
      drop(reason) {
        drop(counters, reason)
      },
      error(code) {
        error(counters, code)
      },
    })
    const pass = (): void => {
      if (batch.length === 0) return
      const b = batch
      batch = []
      counters.received_events += b.length
      const r = handOver(deliver, b, counters)
      if (r) {
        // TCP has flow control: stop reading and let the sender's window fill up. A sender
        // waiting on us is not idle, so the idle timer rests meanwhile.
        socket.pause()
        socket.setTimeout(0)
        r.then(() => {
          if (socket.destroyed) return
          socket.setTimeout(o.idleTimeout)
          socket.resume()
        })
      }
    }
    socket.setTimeout(o.idleTimeout)
    socket.on('timeout', () => {
      drop(counters, 'idle_timeout', framer.buffered > 0 ? 1 : 0)
      error(counters, 'BEER_ERR_IDLE_TIMEOUT')
      socket.destroy()
    })
    socket.on('data', (chunk: Buffer) => {
      counters.received_bytes += chunk.length
      const now = Date.now()
      if (origin.receivedAt !== now) {
        origin = { receivedAt: now, transport, sourceAddress, sourcePort, listener: addr.url }
        truncatedOrigin = undefined
      }
      framer.push(chunk)
      pass()
    })
    let ended = false
    const finish = (): void => {
      if (ended) return
      ended = true
      origin = { receivedAt: Date.now(), transport, sourceAddress, sourcePort, listener: addr.url }
      truncatedOrigin = undefined
      framer.end()
      pass()
    }
    finishers.set(socket, finish)
    socket.on('end', finish)
    socket.on('error', (err) => error(counters, (err as NodeJS.ErrnoException).code ?? 'BEER_ERR_SOCKET'))
    socket.on('close', () => {
      // A reset or a destroy skips 'end': what was half received is lost, and counted.
      if (!ended && framer.buffered > 0) drop(counters, 'incomplete_frame')
      counters.connections_open--
      sockets.delete(socket)
      finishers.delete(socket)
    })
  }

  let server: net.Server
  if (addr.protocol === 'tls') {
    if (!o.tls) {
      throw new BeerError('BEER_ERR_TLS_CONFIG', `listener '${addr.url}' needs tls: { cert, key } in the syslog() options`, {
        url: addr.url,
      })
    }
    const t = o.tls
    const mode = t.clientCertificate ?? 'none'
    const secure: tls.TlsOptions = {
      // A client that connects and never completes its handshake holds a connection slot.
      handshakeTimeout: Math.min(o.idleTimeout, 10_000),
      cert: pem(t.cert, 'cert'),
      key: pem(t.key, 'key'),
      requestCert: mode !== 'none',
      rejectUnauthorized: mode === 'require',
      minVersion: t.minVersion ?? 'TLSv1.2',
    }
    if (t.ca !== undefined) secure.ca = pem(t.ca, 'ca')
    if (t.passphrase !== undefined) secure.passphrase = t.passphrase
    if (mode === 'require' && t.ca === undefined) {
      throw new BeerError('BEER_ERR_TLS_CONFIG', `listener '${addr.url}': clientCertificate 'require' needs tls.ca, the CA client certificates must chain to`)
    }
    const ts = tls.createServer(secure, onConnection)
    ts.on('tlsClientError', () => {
      // Refused handshakes (no or untrusted client certificate, wrong protocol) are counted.
      error(counters, 'BEER_ERR_TLS_HANDSHAKE')
      drop(counters, 'tls_handshake')
    })
    server = ts
  } else {
    server = net.createServer(onConnection)
  }
  server.on('connection', (socket: net.Socket) => {
    raw.add(socket)
    socket.once('close', () => raw.delete(socket))
  })
  server.maxConnections = o.maxConnections
  server.on('drop', () => drop(counters, 'connection_limit'))
  server.on('error', (err) => error(counters, (err as NodeJS.ErrnoException).code ?? 'BEER_ERR_SERVER'))

  if (addr.protocol === 'unix') await removeStaleSocket(addr)
  await listen(server, addr)
  if (addr.protocol === 'unix') chmodSync(addr.path, o.unixSocketMode)
  const bound = server.address()
  const address =
    addr.protocol === 'unix' || bound === null || typeof bound === 'string'
      ? addr.url
      : `${addr.protocol}://${formatHost(bound.address)}:${bound.port}`

  return {
    url: addr.url,
    address,
    counters,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // Half-close our side: senders see the end, and what they already sent is still read.
      for (const s of sockets) s.end()
      const deadline = setTimeout(() => {
        for (const s of sockets) finishers.get(s)?.()
        for (const s of raw) s.destroy()
      }, o.drainTimeout)
      await closed
      clearTimeout(deadline)
      if (addr.protocol === 'unix' && existsSync(addr.path)) {
        try {
          unlinkSync(addr.path)
        } catch {}
      }
    },
  }
}

/** Passes a batch on; a pipeline that refuses it (while stopping) costs the batch, counted. */
function handOver(deliver: Deliver, batch: RawFrame[], counters: ListenerCounters): void | Promise<void> {
  try {
    return deliver(batch)
  } catch (err) {
    error(counters, (err as { code?: string }).code ?? 'BEER_ERR_DELIVER')
    drop(counters, 'pipeline_error', batch.length)
  }
}

function listen(server: net.Server, addr: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(listenError(addr, err))
    server.once('error', onError)
    const done = (): void => {
      server.off('error', onError)
      resolve()
    }
    if (addr.protocol === 'unix') server.listen(addr.path, done)
    else server.listen({ port: addr.port, host: addr.host, ipv6Only: false }, done)
  })
}

/**
 * A socket file left by a process that died keeps listen() from working, so it is removed; one
 * that a live process still accepts on is not ours to take, and a regular file of that name is
 * somebody's data: both are left alone (listen() then fails with a clear error).
 */
async function removeStaleSocket(addr: ListenAddress): Promise<void> {
  try {
    if (!statSync(addr.path).isSocket()) return
  } catch {
    return
  }
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path: addr.path })
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
  if (alive) {
    throw new BeerError('BEER_ERR_LISTEN', `cannot listen on '${addr.url}': another program already listens there`, {
      url: addr.url,
    })
  }
  try {
    unlinkSync(addr.path)
  } catch {}
}

function listenError(addr: ListenAddress, err: Error): BeerError {
  const code = (err as NodeJS.ErrnoException).code
  const hint =
    code === 'EADDRINUSE'
      ? 'another program already listens there; pick another port or stop it'
      : code === 'EACCES'
        ? 'ports below 1024 need privileges; use a port above 1024 or grant CAP_NET_BIND_SERVICE'
        : code === 'EADDRNOTAVAIL'
          ? 'this machine has no such address'
          : err.message
  return new BeerError('BEER_ERR_LISTEN', `cannot listen on '${addr.url}': ${hint}`, { url: addr.url, cause: code })
}

function pem(value: string, what: string): string {
  if (value.includes('-----BEGIN')) return value
  try {
    return readFileSync(value, 'utf8')
  } catch (err) {
    throw new BeerError('BEER_ERR_TLS_CONFIG', `tls.${what}: cannot read '${value}': ${(err as Error).message}`)
  }
}

function unmapIPv4(address: string): string {
  // A dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d; the IPv4 form is what people search for.
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

