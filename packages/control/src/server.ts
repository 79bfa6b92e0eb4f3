import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { BeerError, toPlainError } from '@beer/core'
import { LineReader, MAX_REQUEST_BYTES } from './protocol.ts'
import type { ControlHandler, ControlResponse } from './protocol.ts'

export interface ControlServerOptions {
  /** Where the Unix socket is created. Its folder is created (mode 0o700) when missing. */
  path: string
  /** File mode of the socket. Default 0o600: only the user beer runs as may connect. */
  mode?: number
}

export interface ControlServer {
  readonly path: string
  /** Stops accepting, closes open connections and removes the socket file. */
  close(): Promise<void>
}

type Id = number | string | null

const MAX_PENDING = 32

/**
 * Opens the control socket: newline-delimited JSON requests, one response line each, in order per
 * connection. A stale socket file is replaced; a live one is refused with BEER_ERR_CONTROL_IN_USE.
 */
export async function controlServer(handler: ControlHandler, options: ControlServerOptions): Promise<ControlServer> {
  const socketPath = path.resolve(options.path)
  const mode = options.mode ?? 0o600
  mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 })
  await removeStale(socketPath)

  const connections = new Set<net.Socket>()
  const server = net.createServer((socket) => serve(socket, handler, connections))
  // A failing connection or accept must never take beer down.
  server.on('error', () => {})
  await listen(server, socketPath, mode)
  chmodSync(socketPath, mode)
  const ino = lstatSync(socketPath).ino

  let closing: Promise<void> | undefined
  return {
    path: socketPath,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of connections) s.destroy()
        // Only our own file: another process may have taken the path over since.
        try {
          if (lstatSync(socketPath).ino === ino) unlinkSync(socketPath)
        } catch {}
      })
      return closing
    },
  }
}

/** Unsent answers one connection may hold before it is closed. */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024

function serve(socket: net.Socket, handler: ControlHandler, connections: Set<net.Socket>): void {
  connections.add(socket)
  socket.on('close', () => connections.delete(socket))
  // A client that goes away mid-request (EPIPE, ECONNRESET) only ends its own connection.
  socket.on('error', () => socket.destroy())
  const reader = new LineReader(MAX_REQUEST_BYTES)
  // Requests on one connection are answered in the order they came. A client that sends faster
  // than it reads is paused rather than queued without bound.
  let queue: Promise<void> = Promise.resolve()
  let pending = 0
  socket.on('data', (data: Buffer) => {
    for (const line of reader.push(data)) {
      pending++
      if (pending > MAX_PENDING) socket.pause()
      queue = queue
        .then(async () => {
          const response = await answer(line, handler)
          if (!socket.writable) return
          // A request stays pending until its answer has left, so a client that never reads is
          // paused by MAX_PENDING instead of filling our memory with answers it does not take.
          if (!socket.write(encode(response))) {
            if (socket.writableLength > MAX_UNSENT_BYTES) {
              socket.destroy()
              return
            }
            await new Promise<void>((resolve) => {
              socket.once('drain', resolve)
              socket.once('close', resolve)
            })
          }
        })
        .catch(() => {
          socket.destroy()
        })
        .finally(() => {
          pending--
          if (pending <= MAX_PENDING && socket.isPaused()) socket.resume()
        })
    }
  })
}

async function answer(line: string | null, handler: ControlHandler): Promise<ControlResponse> {
  if (line === null) return badRequest(null, `request line longer than ${MAX_REQUEST_BYTES} bytes`)
  let request: unknown
  try {
    request = JSON.parse(line)
  } catch {
    return badRequest(null, 'request is not JSON; send one JSON object per line, such as {"id":1,"command":"status"}')
  }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return badRequest(null, 'request must be a JSON object such as {"id":1,"command":"status"}')
  }
  const r = request as Record<string, unknown>
  const id: Id = typeof r.id === 'number' || typeof r.id === 'string' ? r.id : null
  if (typeof r.command !== 'string' || r.command === '') {
    return badRequest(id, 'request has no "command" (a string such as "status", "rotate", "flush")')
  }
  if (r.target !== undefined && typeof r.target !== 'string') {
    return badRequest(id, '"target" must be a module name (a string)')
  }
  try {
    if (r.command === 'status' && r.target === undefined) {
      return { id, ok: true, status: await handler.status() }
    }
    const answers = await handler.command(r.command, r.args, r.target)
    return { id, ok: true, answers }
  } catch (err) {
    const e = toPlainError(err)
    return { id, ok: false, error: { code: e.code, message: e.message } }
  }
}

function badRequest(id: Id, message: string): ControlResponse {
  return { id, ok: false, error: { code: 'BEER_ERR_CONTROL_BAD_REQUEST', message } }
}

function encode(response: ControlResponse): string {
  try {
    return JSON.stringify(response) + '\n'
  } catch (err) {
    const message = `the answer cannot be sent as JSON: ${(err as Error).message}`
    return JSON.stringify({ id: response.id, ok: false, error: { code: 'BEER_ERR_CONTROL_ANSWER', message } }) + '\n'
  }
}

function listen(server: net.Server, socketPath: string, mode: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new BeerError('BEER_ERR_CONTROL_LISTEN', `cannot open the control socket '${socketPath}': ${err.message}`, {
          path: socketPath,
          cause: err.code,
        }),
      )
    }
    server.once('error', onError)
    // bind() creates the file with 0o777 & ~umask; narrowing the umask around it closes the window
    // before chmod in which another user could connect. Workers cannot set the umask: chmod alone then.
    let previous: number | undefined
    try {
      previous = process.umask(~mode & 0o777)
    } catch {}
    try {
      server.listen(socketPath, () => {
        server.off('error', onError)
        resolve()
      })
    } finally {
      if (previous !== undefined) process.umask(previous)
    }
  })
}

/**
 * A socket file that nobody accepts on is left by a beer that died: it is removed. One that
 * answers belongs to a running beer and is refused; anything else at the path is not ours to touch.
 */
async function removeStale(socketPath: string): Promise<void> {
  let isSocket: boolean
  try {
    isSocket = lstatSync(socketPath).isSocket()
  } catch {
    return
  }
  if (!isSocket) {
    throw new BeerError(
      'BEER_ERR_CONTROL_LISTEN',
      `cannot open the control socket '${socketPath}': a file that is not a socket is in the way; remove it or choose another path`,
      { path: socketPath },
    )
  }
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path: socketPath })
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    // ECONNREFUSED: a socket file nobody listens on. Any other failure (EACCES: another user's
    // socket) is treated as in use, so a file we may not own is never removed.
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'))
  })
  if (alive) {
    throw new BeerError(
      'BEER_ERR_CONTROL_IN_USE',
      `the control socket '${socketPath}' is in use by a running beer; stop it first, or give this one another path`,
      { path: socketPath },
    )
  }
  try {
    unlinkSync(socketPath)
  } catch {}
}
