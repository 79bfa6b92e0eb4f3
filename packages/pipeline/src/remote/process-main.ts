// Entry of a child process that runs modules, talking to the host over Node's IPC channel with
// the 'advanced' (structured clone) serialization.
import { performance } from 'node:perf_hooks'
import { runGuest } from './guest.ts'
import type { GuestMessage, HostMessage } from './protocol.ts'

let lastElu = performance.eventLoopUtilization()
const send = (m: GuestMessage): void => {
  process.send!(m)
}

// Tell the host why before dying, so the dead-letter record carries the module's own error.
process.on('uncaughtException', (err) => {
  try {
    guest.fatal(err)
  } finally {
    process.exitCode = 1
    // Let the IPC message leave before the process ends.
    setImmediate(() => process.exit(1))
  }
})
// The host going away (it was killed) leaves no one to serve: exit instead of lingering.
process.on('disconnect', () => process.exit())

const guest = runGuest({
  send,
  onMessage: (h) => process.on('message', (m: HostMessage) => h(m)),
  exit: (code) => {
    process.exitCode = code
    // Exit once the last IPC message has been written.
    process.disconnect()
  },
  usage: () => {
    const now = performance.eventLoopUtilization()
    const elu = performance.eventLoopUtilization(now, lastElu).utilization
    lastElu = now
    const cpu = process.cpuUsage()
    const mem = process.memoryUsage()
    return { cpuUserUs: cpu.user, cpuSystemUs: cpu.system, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, elu }
  },
  pid: process.pid,
  threadId: 0,
})
