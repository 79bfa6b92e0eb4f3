import type { LogEvent, ModuleContext } from '@beer/core'

export interface Logged {
  level: 'info' | 'warn' | 'error'
  message: string
}

export function context(name = 'nagios'): ModuleContext & { logged: Logged[] } {
  const logged: Logged[] = []
  return {
    name,
    instance: 0,
    logged,
    log: {
      info: (message) => logged.push({ level: 'info', message }),
      warn: (message) => logged.push({ level: 'warn', message }),
      error: (message) => logged.push({ level: 'error', message }),
    },
    emit: () => {},
  }
}

export function alert(service: string, risk: number, reason = `risk ${risk}`, host = 'web01'): LogEvent {
  return { event: { kind: 'alert', risk_score: risk, reason }, rule: { name: service }, host: { name: host } }
}
