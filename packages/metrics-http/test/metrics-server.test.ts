import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { metricsServer } from '../src/index.ts'
import type { MetricsServer, MetricsSource } from '../src/index.ts'
import { isLoopback } from '../src/listen-address.ts'
import { checkExposition, valueOf } from './fixtures/exposition-checker.ts'
import { sampleStatus } from './fixtures/status.ts'

const LOCAL = '127.0.0.1:0'

async function serving<T>(source: MetricsSource, fn: (server: MetricsServer) => Promise<T>): Promise<T> {
  const server = await metricsServer(source, { listen: LOCAL })
  try {
    return await fn(server)
  } finally {
    await server.close()
  }
}

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown }).code
}

test('serves /metrics in text format 0.0.4 with the figures of the status', async () => {
  await serving({ status: sampleStatus }, async ({ url }) => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(`${url}/metrics`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    const s = checkExposition(await res.text())
    assert.equal(valueOf(s, 'beer_sent_events_total', { component: 'file', kind: 'sink', placement: 'inline' }), 6180)
    assert.equal(valueOf(s, 'beer_connections_open', { listener: 'tcp://0.0.0.0:514' }), 4)
    assert.ok(valueOf(s, 'process_resident_memory_bytes')! > 0)
    assert.ok(valueOf(s, 'process_cpu_seconds_total')! > 0)
    const start = valueOf(s, 'process_start_time_seconds')!
    assert.ok(start <= Date.now() / 1000 && start > Date.now() / 1000 - 3600, String(start))
  })
})

test('reads the status afresh on every scrape', async () => {
  const status = sampleStatus()
  await serving({ status: () => status }, async ({ url }) => {
    const before = checkExposition(await (await fetch(`${url}/metrics?x=1`)).text())
    status.listeners[0]!.received_events += 5
    const after = checkExposition(await (await fetch(`${url}/metrics`)).text())
    const tcp = { listener: 'tcp://0.0.0.0:514' }
    assert.equal(valueOf(after, 'beer_received_events_total', tcp)! - valueOf(before, 'beer_received_events_total', tcp)!, 5)
  })
})

test('answers HEAD with the headers and no body', async () => {
  await serving({ status: sampleStatus }, async ({ url }) => {
    const res = await fetch(`${url}/metrics`, { method: 'HEAD' })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    assert.ok(Number(res.headers.get('content-length')) > 0)
    assert.equal(await res.text(), '')
  })
})

test('/health answers 200 ok when healthy() is true or absent, 503 when false or throwing', async () => {
  const cases: [MetricsSource['healthy'], number, string][] = [
    [undefined, 200, 'ok'],
    [() => true, 200, 'ok'],
    [() => false, 503, 'unhealthy'],
    [
      () => {
        throw new Error('no')
      },
      503,
      'unhealthy',
    ],
  ]
  for (const [healthy, status, word] of cases) {
    const source: MetricsSource = healthy ? { status: sampleStatus, healthy } : { status: sampleStatus }
    await serving(source, async ({ url }) => {
      const res = await fetch(`${url}/health`)
      assert.equal(res.status, status)
      assert.equal(res.headers.get('content-type'), 'application/json')
      assert.deepEqual(await res.json(), { status: word })
    })
  }
})

test('answers 404 on other paths and 405 with Allow on other methods', async () => {
  await serving({ status: sampleStatus }, async ({ url }) => {
    for (const path of ['/', '/metrics/', '/healthz', '/metrics.txt']) {
      const res = await fetch(`${url}${path}`)
      assert.equal(res.status, 404, path)
      await res.text()
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const res = await fetch(`${url}/metrics`, { method })
      assert.equal(res.status, 405, method)
      assert.equal(res.headers.get('allow'), 'GET, HEAD')
      await res.text()
    }
  })
})

test('answers 500 with the reason when status() throws', async () => {
  const source = {
    status(): never {
      throw new Error('pipeline gone')
    },
  }
  await serving(source, async ({ url }) => {
    const res = await fetch(`${url}/metrics`)
    assert.equal(res.status, 500)
    assert.match(await res.text(), /pipeline gone/)
  })
})

test('refuses a non-loopback address unless allowRemote is given', async () => {
  for (const listen of ['0.0.0.0:9464', '[::]:9464', '192.0.2.10:9464', 'metrics.example.com:9464', '[fe80::1%eth0]:9464']) {
    await assert.rejects(metricsServer({ status: sampleStatus }, { listen }), (err) => {
      assert.equal(codeOf(err), 'BEER_ERR_METRICS_REMOTE', listen)
      assert.match((err as Error).message, /allowRemote: true/)
      return true
    })
  }
  const open = await metricsServer({ status: sampleStatus }, { listen: '0.0.0.0:0', allowRemote: true })
  try {
    assert.match(open.url, /^http:\/\/0\.0\.0\.0:\d+$/)
    assert.equal((await fetch(`${open.url.replace('0.0.0.0', '127.0.0.1')}/health`)).status, 200)
  } finally {
    await open.close()
  }
})

test('counts 127.0.0.0/8, ::1 in any spelling, their IPv4-mapped form and localhost as loopback', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
    assert.equal(isLoopback(h), true, h)
  }
  for (const h of ['0.0.0.0', '10.0.0.1', '::', '::ffff:10.0.0.1', 'fe80::1%lo', 'localhost.example.com', '128.0.0.1']) {
    assert.equal(isLoopback(h), false, h)
  }
})

test('listens on 127.0.0.1:9464 by default and on [::1] when asked', async () => {
  let s: MetricsServer | undefined
  try {
    s = await metricsServer({ status: sampleStatus })
    assert.equal(s.url, 'http://127.0.0.1:9464')
  } catch (err) {
    // The default port may be taken on a developer's machine; that is the error the user would see.
    assert.equal(codeOf(err), 'BEER_ERR_METRICS_LISTEN')
  } finally {
    await s?.close()
  }
  let v6: MetricsServer | undefined
  try {
    v6 = await metricsServer({ status: sampleStatus }, { listen: '[::1]:0' })
  } catch (err) {
    if (codeOf(err) === 'BEER_ERR_METRICS_LISTEN') return // no IPv6 loopback on this machine
    throw err
  }
  try {
    assert.match(v6.url, /^http:\/\/\[::1\]:\d+$/)
    assert.equal((await fetch(`${v6.url}/health`)).status, 200)
  } finally {
    await v6.close()
  }
})

test('a port in use is a BEER_ERR_METRICS_LISTEN error that says so', async () => {
  const blocker = net.createServer()
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
  const port = (blocker.address() as net.AddressInfo).port
  try {
    await assert.rejects(metricsServer({ status: sampleStatus }, { listen: `127.0.0.1:${port}` }), (err) => {
      assert.equal(codeOf(err), 'BEER_ERR_METRICS_LISTEN')
      assert.match((err as Error).message, new RegExp(`127\\.0\\.0\\.1:${port}.*in use \\(EADDRINUSE\\)`))
      return true
    })
  } finally {
    await new Promise((r) => blocker.close(r))
  }
})

test('an unreadable listen option is a BEER_ERR_METRICS_OPTIONS error', async () => {
  for (const listen of ['9464', '127.0.0.1', ':9464', '::1:9464', '127.0.0.1:99999', 'http://127.0.0.1:9464']) {
    await assert.rejects(metricsServer({ status: sampleStatus }, { listen }), (err) => {
      assert.equal(codeOf(err), 'BEER_ERR_METRICS_OPTIONS', listen)
      return true
    })
  }
})

test('close() resolves with a keep-alive connection open and can be called twice', async () => {
  const server = await metricsServer({ status: sampleStatus }, { listen: LOCAL })
  const res = await fetch(`${server.url}/metrics`, { headers: { connection: 'keep-alive' } })
  await res.text()
  await Promise.all([server.close(), server.close()])
  await assert.rejects(fetch(`${server.url}/health`))
})
