// Entry of a worker thread that runs modules. An uncaught exception ends the thread, and the
// host's 'error' event carries it: no handler here, so the error keeps its stack.
import { parentPort, threadId } from 'node:worker_threads'
import { performance } from 'node:perf_hooks'
import { runGuest } from './guest.ts'
import type { HostMessage } from './protocol.ts'

const port = parentPort!
let lastElu = performance.eventLoopUtilization()

runGuest({
  send: (m) => port.postMessage(m),
  onMessage: (h) => port.on('message', (m: HostMessage) => h(m)),
  exit: (code) => process.exit(code),
  usage: () => {
    const now = performance.eventLoopUtilization()
    const elu = performance.eventLoopUtilization(now, lastElu).utilization
    lastElu = now
    const mem = process.memoryUsage()
    // cpuUsage() and rss belong to the whole process in a worker; the host reports ELU and heap instead.
    return { cpuUserUs: 0, cpuSystemUs: 0, rssBytes: 0, heapUsedBytes: mem.heapUsed, elu }
  },
  pid: process.pid,
  threadId,
})
