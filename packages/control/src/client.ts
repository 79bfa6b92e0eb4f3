import net from 'node:net'
import path from 'node:path'
import { BeerError } from '@beer/core'
import type { ControlRequest, ControlResponse } from './protocol.ts'

let nextId = 1

/**
 * Sends one request to the control socket at `socketPath` and resolves with its response.
 * Rejects with BEER_ERR_CONTROL_UNREACHABLE (nobody listens, no such file, no permission; the
 * system code is in `details.cause`), BEER_ERR_CONTROL_TIMEOUT or BEER_ERR_CONTROL_CLOSED.
 */
export function controlRequest(socketPath: string, request: ControlRequest, timeoutMs = 5000): Promise<ControlResponse> {
  const full = path.resolve(socketPath)
  const id = request.id ?? nextId++
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path: full })
    let buffered = ''
    let settled = false
    const finish = (err: BeerError | undefined, response?: ControlResponse): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(response!)
    }
    const timer = setTimeout(
      () => finish(new BeerError('BEER_ERR_CONTROL_TIMEOUT', `no answer from '${full}' within ${timeoutMs} ms`, { path: full })),
      timeoutMs,
    )
    let connected = false
    socket.once('connect', () => {
      connected = true
      socket.write(JSON.stringify({ ...request, id }) + '\n')
    })
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buffered += chunk
      let nl: number
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        let response: ControlResponse
        try {
          response = JSON.parse(line) as ControlResponse
        } catch {
          continue
        }
        // The server answers a request it could not read at all (too long, not JSON) with id null.
        if (response.id === id || (response.id === null && !response.ok)) return finish(undefined, response)
      }
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) {
        finish(new BeerError('BEER_ERR_CONTROL_CLOSED', `'${full}' closed the connection: ${err.message}`, { path: full, cause: err.code }))
      } else {
        finish(
          new BeerError('BEER_ERR_CONTROL_UNREACHABLE', `cannot reach the control socket '${full}': ${err.code ?? err.message}`, {
            path: full,
            cause: err.code,
          }),
        )
      }
    })
    socket.on('close', () =>
      finish(new BeerError('BEER_ERR_CONTROL_CLOSED', `'${full}' closed the connection before answering`, { path: full })),
    )
  })
}
