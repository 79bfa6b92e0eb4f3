import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { BeerError } from '@beer/core'
import { CONTENT_TYPE, renderMetrics } from './exposition.ts'
import type { ProcessFigures } from './exposition.ts'
import { isLoopback, parseListen } from './listen-address.ts'
import type { MetricsSource } from './status.ts'

export interface MetricsServerOptions {
  /** `host:port` to listen on; IPv6 in brackets. Default `127.0.0.1:9464`. */
  listen?: string
  /**
   * Allow an address other than loopback. Off by default: the figures name every listener and
   * every error a sender caused, which is more than an open port should tell the network.
   */
  allowRemote?: boolean
}

export interface MetricsServer {
  /** The base URL actually bound (port 0 resolved): `${url}/metrics`, `${url}/health`. */
  readonly url: string
  /** Stops listening and ends idle keep-alive connections. */
  close(): Promise<void>
}

const DEFAULT_LISTEN = '127.0.0.1:9464'

// Read once: the start time does not change, and recomputing it from uptime drifts with the clock.
const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime())

/** Serves `GET /metrics` (Prometheus text format) and `GET /health` from `source`. */
export function metricsServer(source: MetricsSource, options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const listen = options.listen ?? DEFAULT_LISTEN
  let address
  try {
    address = parseListen(listen)
  } catch (err) {
    return Promise.reject(err)
  }
  if (!options.allowRemote && !isLoopback(address.host)) {
    return Promise.reject(
      new BeerError(
        'BEER_ERR_METRICS_REMOTE',
        `metrics: '${listen}' is not a loopback address, and the figures name your listeners and what ` +
          `your senders caused; listen on 127.0.0.1 and let a local Prometheus or a proxy reach it, ` +
          `or pass allowRemote: true to expose it`,
        { listen },
      ),
    )
  }

  const remote = options.allowRemote === true
  const server = createServer((req, res) => {
    // A web page in a local browser can reach loopback through DNS rebinding; it cannot make its
    // Host header say localhost. Refusing other Host names keeps the figures on this machine.
    if (!remote && !loopbackHost(req.headers.host)) {
      return send(req, res, 403, 'text/plain; charset=utf-8', 'forbidden: use a loopback address such as 127.0.0.1\n')
    }
    answer(source, req, res)
  })
  // close() must not wait for a client that keeps a connection open without a complete request.
  const sockets = new Set<import('node:net').Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  // Answers are small and fast; a client that opens a connection and sends nothing is let go.
  server.headersTimeout = 10_000
  server.requestTimeout = 10_000

  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new BeerError(
          'BEER_ERR_METRICS_LISTEN',
          `metrics: cannot listen on ${listen}: ${describe(err)}; pick another address with ` +
            `listen: 'host:port'`,
          { listen, cause: err.code ?? err.message },
        ),
      )
    }
    server.once('error', onError)
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
      server.off('error', onError)
      const bound = server.address()
      const port = bound !== null && typeof bound === 'object' ? bound.port : address.port
      const host = address.host.includes(':') ? `[${address.host}]` : address.host
      let closing: Promise<void> | undefined
      resolve({
        url: `http://${host}:${port}`,
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done())
            for (const socket of sockets) socket.destroy()
          })
          return closing
        },
      })
    })
  })
}

function loopbackHost(header: string | undefined): boolean {
  if (header === undefined) return true
  const host = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.replace(/:\d+$/, '')
  return isLoopback(host)
}

function answer(source: MetricsSource, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?', 1)[0]
  if (path !== '/metrics' && path !== '/health') {
    return send(req, res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics or /health\n')
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD')
    return send(req, res, 405, 'text/plain; charset=utf-8', 'method not allowed: use GET or HEAD\n')
  }
  if (path === '/health') {
    let ok: boolean
    try {
      ok = source.healthy ? source.healthy() === true : true
    } catch {
      ok = false
    }
    const body = JSON.stringify({ status: ok ? 'ok' : 'unhealthy' })
    return send(req, res, ok ? 200 : 503, 'application/json', body)
  }
  let text: string
  try {
    text = renderMetrics(source.status(), processFigures())
  } catch (err) {
    // A scrape that fails shows up in Prometheus as `up == 0` with this text as the reason.
    return send(req, res, 500, 'text/plain; charset=utf-8', `status failed: ${(err as Error)?.message ?? err}\n`)
  }
  send(req, res, 200, CONTENT_TYPE, text)
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status
  res.setHeader('Content-Type', type)
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.setHeader('Cache-Control', 'no-store')
  res.end(req.method === 'HEAD' ? undefined : body)
}

function processFigures(): ProcessFigures {
  const cpu = process.cpuUsage()
  return {
    residentMemoryBytes: process.memoryUsage.rss(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    startTimeSeconds,
  }
}

function describe(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'the port is in use (EADDRINUSE)'
    case 'EACCES':
      return 'permission denied; ports below 1024 need privileges (EACCES)'
    case 'EADDRNOTAVAIL':
      return 'this machine has no such address (EADDRNOTAVAIL)'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve (${err.code})`
    default:
      return err.code ? `${err.message} (${err.code})` : err.message
  }
}
