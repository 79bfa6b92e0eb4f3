import type { Endpoint } from './cursor.ts'
import { splitUser } from './cursor.ts'

export type Obj = Record<string, unknown>

/** The event being built: one object per ECS field set, assembled when the message is read. */
export class Out {
  /** The event's own `event` object: the message's fields are written into it directly. */
  readonly event: Obj
  readonly source: Obj = {}
  readonly destination: Obj = {}
  readonly client: Obj = {}
  readonly user: Obj = {}
  readonly network: Obj = {}
  readonly observer: Obj
  readonly cisco: Obj = {}
  readonly ip: string[] = []
  readonly users: string[] = []
  readonly hosts: string[] = []
  readonly problems: string[] = []
  ingress: string | undefined
  egress: string | undefined
  reason: string | undefined
  ruleName: string | undefined
  /** An IPv6 address assigned beside the IPv4 one in client.ip (722051): a second event. */
  assignedAlso: string | undefined
  constructor(observer: Obj, event: Obj) {
    this.observer = observer
    this.event = event
  }

  action(action: string, category: readonly string[], type: readonly string[], outcome?: 'success' | 'failure' | 'unknown'): void {
    this.event.action = action
    this.event.category = [...category]
    this.event.type = [...type]
    if (outcome !== undefined) this.event.outcome = outcome
  }

  rule(name: string): void {
    this.ruleName = name
  }

  relateIp(v: string | undefined): void {
    if (v !== undefined && !this.ip.includes(v)) this.ip.push(v)
  }

  relateUser(v: string | undefined): void {
    if (v !== undefined && v !== '' && !this.users.includes(v)) this.users.push(v)
  }

  relateHost(v: string | undefined): void {
    if (v !== undefined && v !== '' && !this.hosts.includes(v)) this.hosts.push(v)
  }

  /** `user.name` (and `user.domain` from `DOMAIN\user`), unless masked. */
  setUser(u: string | undefined, into: Obj = this.user): void {
    if (u === undefined) return
    const t = u.trim()
    if (t === '' || t === '*****' || t === '-') return
    const { name, domain } = splitUser(t)
    into.name = name
    if (domain !== undefined) into.domain = domain
    this.relateUser(name)
  }

  /** An address field pair (`source.ip` or `.domain`), related. */
  address(into: Obj, ip: string | undefined, domain?: string): void {
    if (ip !== undefined) {
      into.ip = ip
      this.relateIp(ip)
    } else if (domain !== undefined) {
      into.domain = domain
      this.relateHost(domain)
    }
  }

  /**
   * One end of a connection: real address and port, the mapped (NAT) address and port when ASA
   * translated them (it writes both even when nothing was translated, as Elastic reads them), and
   * the identity-firewall user.
   */
  endpoint(into: Obj, e: Endpoint): void {
    this.address(into, e.ip, e.domain)
    if (e.port !== undefined) into.port = e.port
    const nat: Obj = {}
    if (e.mappedIp !== undefined && e.mappedIp !== e.ip) {
      nat.ip = e.mappedIp
      this.relateIp(e.mappedIp)
    }
    if (e.mappedPort !== undefined && e.mappedPort !== e.port) nat.port = e.mappedPort
    if (nat.ip !== undefined || nat.port !== undefined) into.nat = nat
    if (e.user !== undefined) {
      const user: Obj = {}
      this.setUser(e.user, user)
      if (user.name !== undefined) into.user = user
    }
  }
}
