import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { BeerError } from '@beer/core'
import { controlRequest, controlServer, MAX_REQUEST_BYTES } from '../src/index.ts'
import type { CommandAnswer, ControlHandler } from '../src/index.ts'

const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'beer-control-'))
  dirs.push(d)
  return d
}

function fakeHandler(): ControlHandler & { calls: unknown[][] } {
  const calls: unknown[][] = []
  return {
    calls,
    status: () => ({ listeners: [], modules: [{ name: 'pipeline', kind: 'pipeline' }] }),
    async command(name, args, target): Promise<CommandAnswer[]> {
      calls.push([name, args, target])
      if (target === 'nope') throw new BeerError('BEER_ERR_COMMAND_UNKNOWN_MODULE', `no module named 'nope'`)
      if (name === 'slow') await new Promise((r) => setTimeout(r, 50))
      if (name === 'boom') return [{ module: 'file', error: { code: 'BEER_ERR_SINK_FILE_ROTATE', message: 'disk' } }]
      // A handler that fails in ways a careful one would not: a plain exception, an answer JSON cannot hold.
      if (name === 'throws') throw new TypeError('cannot read properties of undefined')
      if (name === 'bigint') return [{ module: 'file', answer: 10n }]
      if (name === 'nosuch') throw new BeerError('BEER_ERR_COMMAND_UNKNOWN', `no module knows the command 'nosuch'`)
      return [{ module: 'file', answer: { did: name, args: args ?? null } }]
    },
  }
}

/** A raw connection that sends lines and reads response lines, for what the client helper hides. */
function rawClient(socketPath: string): Promise<{ send(text: string): void; next(): Promise<any>; close(): void }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path: socketPath })
    const lines: string[] = []
    const waiting: ((line: string) => void)[] = []
    let buffered = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buffered += chunk
      let nl: number
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        const w = waiting.shift()
        if (w) w(line)
        else lines.push(line)
      }
    })
    socket.once('error', reject)
    socket.once('connect', () =>
      resolve({
        send: (text) => socket.write(text),
        next: () =>
          new Promise((r) => {
            const l = lines.shift()
            if (l !== undefined) r(JSON.parse(l))
            else waiting.push((line) => r(JSON.parse(line)))
          }),
        close: () => socket.destroy(),
      }),
    )
  })
}

/** The unprivileged user (nobody) a child process becomes to try another user's socket. */
const NOBODY = 65534

/**
 * Runs a Node child that drops root for `NOBODY` (uid and gid, no supplementary groups) and then
 * connects to `socketPath`: it reports the uid it ran as and the connect error code, or that it
 * connected, or why it could not change user.
 */
async function asNobody(socketPath: string): Promise<{ uid?: number; error?: string; connected?: true; setuid?: string }> {
  const code = `
    const net = require('node:net')
    const report = (r) => process.stdout.write(JSON.stringify(r))
    try {
      process.setgroups([])
      process.setgid(${NOBODY})
      process.setuid(${NOBODY})
    } catch (err) {
      report({ setuid: err.code || err.message })
      process.exit(0)
    }
    const socket = net.connect({ path: process.argv[1] })
    socket.once('connect', () => { report({ uid: process.getuid(), connected: true }); socket.destroy() })
    socket.once('error', (err) => report({ uid: process.getuid(), error: err.code }))
  `
  const child = spawn(process.execPath, ['-e', code, socketPath], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 10_000 })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  const [exitCode] = (await once(child, 'exit')) as [number | null]
  assert.equal(exitCode, 0, `the child exited with ${exitCode}: ${out}`)
  return JSON.parse(out)
}

describe('controlServer', () => {
  it('answers status with the handler status and commands with the module answers', async () => {
    const dir = await tempDir()
    const handler = fakeHandler()
    const server = await controlServer(handler, { path: path.join(dir, 'beer.sock') })
    try {
      const status = await controlRequest(server.path, { id: 7, command: 'status' })
      assert.deepEqual(status, { id: 7, ok: true, status: handler.status() })
      const rotated = await controlRequest(server.path, { command: 'rotate', args: { x: 1 }, target: 'file' })
      assert.equal(rotated.ok, true)
      assert.deepEqual('answers' in rotated && rotated.answers, [{ module: 'file', answer: { did: 'rotate', args: { x: 1 } } }])
      assert.deepEqual(handler.calls, [['rotate', { x: 1 }, 'file']])
      const targeted = await controlRequest(server.path, { command: 'status', target: 'file' })
      assert.ok('answers' in targeted, 'status for one module goes to the handler as a command')
    } finally {
      await server.close()
    }
  })

  it('passes module errors on and turns a handler error into an error response', async () => {
    const dir = await tempDir()
    const server = await controlServer(fakeHandler(), { path: path.join(dir, 'beer.sock') })
    try {
      const boom = await controlRequest(server.path, { command: 'boom' })
      assert.deepEqual('answers' in boom && boom.answers[0]?.error?.code, 'BEER_ERR_SINK_FILE_ROTATE')
      const unknown = await controlRequest(server.path, { command: 'rotate', target: 'nope' })
      assert.equal(unknown.ok, false)
      assert.equal(!unknown.ok && unknown.error.code, 'BEER_ERR_COMMAND_UNKNOWN_MODULE')
    } finally {
      await server.close()
    }
  })

  it('answers malformed requests with an error and keeps the connection usable', async () => {
    const dir = await tempDir()
    const server = await controlServer(fakeHandler(), { path: path.join(dir, 'beer.sock') })
    const c = await rawClient(server.path)
    try {
      c.send('this is not json\n')
      let r = await c.next()
      assert.deepEqual([r.ok, r.error.code, r.id], [false, 'BEER_ERR_CONTROL_BAD_REQUEST', null])
      c.send('{"id":2}\n[1,2]\n{"id":3,"command":"rotate","target":5}\n')
      r = await c.next()
      assert.deepEqual([r.id, r.error.code], [2, 'BEER_ERR_CONTROL_BAD_REQUEST'])
      assert.match(r.error.message, /command/)
      r = await c.next()
      assert.equal(r.error.code, 'BEER_ERR_CONTROL_BAD_REQUEST')
      r = await c.next()
      assert.deepEqual([r.id, r.error.code], [3, 'BEER_ERR_CONTROL_BAD_REQUEST'])
      // Over the limit without a newline yet: answered at once; the rest of that line is skipped.
      c.send('{"id":4,"command":"x","args":"' + 'a'.repeat(MAX_REQUEST_BYTES) + '"}')
      r = await c.next()
      assert.equal(r.error.code, 'BEER_ERR_CONTROL_BAD_REQUEST')
      assert.match(r.error.message, /longer than/)
      c.send('more of the long line\n{"id":5,"command":"status"}\n')
      r = await c.next()
      assert.deepEqual([r.id, r.ok], [5, true])
    } finally {
      c.close()
      await server.close()
    }
  })

  it('answers unknown commands and failing handlers with an error and keeps serving', async () => {
    const dir = await tempDir()
    const server = await controlServer(fakeHandler(), { path: path.join(dir, 'beer.sock') })
    const c = await rawClient(server.path)
    try {
      c.send('{"id":1,"command":5}\n{"id":2,"command":""}\n{"id":3,"command":"nosuch"}\n')
      let r = await c.next()
      assert.deepEqual([r.id, r.ok, r.error.code], [1, false, 'BEER_ERR_CONTROL_BAD_REQUEST'])
      r = await c.next()
      assert.deepEqual([r.id, r.ok, r.error.code], [2, false, 'BEER_ERR_CONTROL_BAD_REQUEST'])
      r = await c.next()
      assert.deepEqual([r.id, r.ok, r.error.code], [3, false, 'BEER_ERR_COMMAND_UNKNOWN'])
      c.send('{"id":4,"command":"throws"}\n{"id":5,"command":"bigint"}\n{"id":6,"command":"status"}\n')
      r = await c.next()
      assert.deepEqual([r.id, r.ok, r.error.code], [4, false, 'BEER_ERR_MODULE_THREW'])
      assert.match(r.error.message, /cannot read properties/)
      r = await c.next()
      assert.deepEqual([r.id, r.ok, r.error.code], [5, false, 'BEER_ERR_CONTROL_ANSWER'])
      r = await c.next()
      assert.deepEqual([r.id, r.ok], [6, true])
      assert.equal((await controlRequest(server.path, { command: 'status' })).ok, true, 'and new connections are served')
    } finally {
      c.close()
      await server.close()
    }
  })

  it('answers requests on one connection in order', async () => {
    const dir = await tempDir()
    const server = await controlServer(fakeHandler(), { path: path.join(dir, 'beer.sock') })
    const c = await rawClient(server.path)
    try {
      c.send('{"id":1,"command":"slow"}\n{"id":2,"command":"status"}\n')
      assert.equal((await c.next()).id, 1)
      assert.equal((await c.next()).id, 2)
    } finally {
      c.close()
      await server.close()
    }
  })

  it('survives a client that disconnects mid-request', async () => {
    const dir = await tempDir()
    const server = await controlServer(fakeHandler(), { path: path.join(dir, 'beer.sock') })
    try {
      const c = await rawClient(server.path)
      c.send('{"id":1,"command":"slow"}\n{"id":2,"comm')
      c.close()
      await new Promise((r) => setTimeout(r, 100))
      const r = await controlRequest(server.path, { command: 'status' })
      assert.equal(r.ok, true)
    } finally {
      await server.close()
    }
  })

  it('serves several clients at once', async () => {
    const dir = await tempDir()
    const server = await controlServer(fakeHandler(), { path: path.join(dir, 'beer.sock') })
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => controlRequest(server.path, { command: i % 2 ? 'slow' : 'rotate', args: i })),
      )
      for (const [i, r] of results.entries()) {
        assert.ok(r.ok && 'answers' in r)
        assert.deepEqual(r.answers[0]?.answer, { did: i % 2 ? 'slow' : 'rotate', args: i })
      }
    } finally {
      await server.close()
    }
  })

  it('creates the socket with mode 0600 in a 0700 folder, and removes it on close', async () => {
    const dir = await tempDir()
    const socketPath = path.join(dir, 'run', 'beer.sock')
    const server = await controlServer(fakeHandler(), { path: socketPath })
    assert.equal((await stat(socketPath)).mode & 0o777, 0o600)
    assert.equal((await stat(path.dirname(socketPath))).mode & 0o777, 0o700)
    await server.close()
    await assert.rejects(stat(socketPath), { code: 'ENOENT' })
  })

  it(
    'refuses another user: the socket is 0600 in a 0700 folder',
    { skip: process.getuid?.() !== 0 && 'needs root: only root can act as another user to try the socket (run the tests as root to include it)' },
    async (t) => {
      const dir = await tempDir()
      // Only what controlServer creates may keep the other user out: the test's own folder is opened.
      await chmod(dir, 0o755)
      const socketPath = path.join(dir, 'run', 'beer.sock')
      const server = await controlServer(fakeHandler(), { path: socketPath })
      try {
        const first = await asNobody(socketPath)
        if (first.setuid) {
          t.skip(`root here cannot become uid ${NOBODY}: ${first.setuid}`)
          return
        }
        assert.equal(first.uid, NOBODY)
        assert.equal(first.error, 'EACCES', 'the 0700 folder and the 0600 socket refuse another user')
        // Each protection alone is enough: with the folder open, the socket's mode still refuses.
        await chmod(path.dirname(socketPath), 0o755)
        assert.equal((await asNobody(socketPath)).error, 'EACCES', 'the 0600 socket alone refuses another user')
        // And the refusal is the modes' doing: with the socket open to all, that user gets in.
        await chmod(socketPath, 0o666)
        assert.deepEqual(await asNobody(socketPath), { uid: NOBODY, connected: true })
        assert.equal((await controlRequest(socketPath, { command: 'status' })).ok, true, 'the owner still gets answers')
      } finally {
        await server.close()
      }
    },
  )

  it('refuses a socket a running server listens on', async () => {
    const dir = await tempDir()
    const socketPath = path.join(dir, 'beer.sock')
    const first = await controlServer(fakeHandler(), { path: socketPath })
    try {
      await assert.rejects(controlServer(fakeHandler(), { path: socketPath }), { code: 'BEER_ERR_CONTROL_IN_USE' })
      assert.equal((await controlRequest(socketPath, { command: 'status' })).ok, true, 'the first one still answers')
    } finally {
      await first.close()
    }
  })

  it('replaces a stale socket file and leaves other files alone', async () => {
    const dir = await tempDir()
    const socketPath = path.join(dir, 'beer.sock')
    // A socket file nobody listens on, as a beer that was killed leaves behind.
    const child = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`,
    ])
    await once(child.stdout, 'data')
    child.kill('SIGKILL')
    await once(child, 'exit')
    assert.ok((await stat(socketPath)).isSocket())
    await assert.rejects(controlRequest(socketPath, { command: 'status' }), (err: BeerError) => err.details?.cause === 'ECONNREFUSED')
    const server = await controlServer(fakeHandler(), { path: socketPath })
    try {
      assert.equal((await controlRequest(socketPath, { command: 'status' })).ok, true)
    } finally {
      await server.close()
    }
    const notSocket = path.join(dir, 'data.txt')
    await writeFile(notSocket, 'keep me')
    await assert.rejects(controlServer(fakeHandler(), { path: notSocket }), { code: 'BEER_ERR_CONTROL_LISTEN' })
  })
})

describe('controlRequest', () => {
  it('says which path it cannot reach', async () => {
    const dir = await tempDir()
    const socketPath = path.join(dir, 'none.sock')
    await assert.rejects(controlRequest(socketPath, { command: 'status' }), (err: BeerError) => {
      assert.equal(err.code, 'BEER_ERR_CONTROL_UNREACHABLE')
      assert.ok(err.message.includes(socketPath))
      assert.equal(err.details?.cause, 'ENOENT')
      return true
    })
  })

  it('times out when nobody answers', async () => {
    const dir = await tempDir()
    const socketPath = path.join(dir, 'mute.sock')
    const mute = net.createServer(() => {})
    await new Promise<void>((r) => mute.listen(socketPath, r))
    try {
      await assert.rejects(controlRequest(socketPath, { command: 'status' }, 100), { code: 'BEER_ERR_CONTROL_TIMEOUT' })
    } finally {
      mute.close()
    }
  })
})
