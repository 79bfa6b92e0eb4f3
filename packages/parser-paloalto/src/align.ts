// Fields are read by position, so one comma too many (a relay that strips PAN-OS's quotes) or a
// stray quote shifts everything after it. Some positions hold values of a known shape (session
// ids, ports, hexadecimal flags, severities): they show where a record went out of step.
import { problem } from './fields.ts'
import type { Ctx } from './fields.ts'
import type { Fields } from './record.ts'

const DIGITS = 0
const FLAGS = 1
const SEVERITY = 2

const SEVERITIES = new Set(['informational', 'low', 'medium', 'high', 'critical'])

/** Whether field i has the shape its position promises. */
function fits(f: Fields, i: number, shape: number): boolean {
  if (shape === DIGITS) return f.digits(i)
  // Action Flags are always written in hexadecimal: a decimal there (the Sequence Number just
  // before it, one field late) is a shift, which the looser `flags` reading would let pass.
  if (shape === FLAGS) return f.flags(i) && (f.empty(i) || f.hexFlags(i))
  const v = f.str(i)
  return v === undefined || SEVERITIES.has(v) || SEVERITIES.has(v.toLowerCase())
}

/** Field positions and the shape they hold, in order (PAN-OS syslog field descriptions). */
type Checkpoints = readonly (readonly [number, number])[]

// TRAFFIC, THREAT and DECRYPTION start with the session fields (ids, ports, flags at 22 to 28),
// checked by the head repair below; the lists hold the positions after them.
const TRAFFIC: Checkpoints = [[34, DIGITS], [40, FLAGS], [45, DIGITS], [50, DIGITS]]
const THREAT: Checkpoints = [[34, SEVERITY], [37, FLAGS], [57, DIGITS]]
const DECRYPTION: Checkpoints = [[90, FLAGS], [94, DIGITS]]
const SYSTEM: Checkpoints = [[13, SEVERITY], [16, FLAGS], [20, DIGITS]]
const USERID: Checkpoints = [[12, DIGITS], [19, FLAGS], [23, DIGITS]]
const HIPMATCH: Checkpoints = [[13, DIGITS], [18, FLAGS], [22, DIGITS]]
const AUTHENTICATION: Checkpoints = [[13, DIGITS], [23, FLAGS], [27, DIGITS]]
const GLOBALPROTECT: Checkpoints = [[24, DIGITS], [34, DIGITS]]

function checkpointsOf(type: string): Checkpoints | undefined {
  switch (type) {
    case 'TRAFFIC':
      return TRAFFIC
    case 'THREAT':
      return THREAT
    case 'DECRYPTION':
      return DECRYPTION
    case 'SYSTEM':
      return SYSTEM
    case 'USERID':
      return USERID
    case 'HIPMATCH':
    case 'HIP-MATCH':
      return HIPMATCH
    case 'AUTHENTICATION':
    case 'AUTH':
      return AUTHENTICATION
    case 'GLOBALPROTECT':
      return GLOBALPROTECT
    default:
      return undefined
  }
}

// Fields 11 to 20 of TRAFFIC, THREAT and DECRYPTION: the free-text ones where a comma can hide.
const HEAD_TEXT = [
  'rule name', 'source user', 'destination user', 'application', 'virtual system',
  'source zone', 'destination zone', 'inbound interface', 'outbound interface', 'log forwarding profile',
]
const APP = /^[a-z0-9][a-z0-9._+-]*$/
const VSYS = /^vsys\d+$/
const IFACE = /^(?:ethernet|ae|tunnel|vlan|loopback|sslvpn|gre|unknown)/

function headAligned(f: Fields, k: number): boolean {
  return f.count > 28 + k && !f.empty(28 + k) && f.flags(28 + k) && f.digits(22 + k) && f.digits(24 + k) && f.digits(25 + k)
}

/** How well fields 14 to 21 look like what they should be once the comma at p is undone. */
function headScore(f: Fields, p: number, k: number): number {
  const at = (i: number): string => {
    if (i < p) return f.at(i)
    if (i > p) return f.at(i + k)
    const parts: string[] = []
    for (let j = p; j <= p + k; j++) parts.push(f.at(j))
    return parts.join(',')
  }
  let s = 0
  if (at(14) === '' || APP.test(at(14))) s++
  if (at(15) === '' || VSYS.test(at(15))) s++
  if (at(18) === '' || IFACE.test(at(18))) s++
  if (at(19) === '' || IFACE.test(at(19))) s++
  return s
}

/**
 * TRAFFIC, THREAT and DECRYPTION: when the session fields (ids, ports, flags) sit k places late,
 * k unquoted commas hide in fields 11 to 20. The field holding them is found by how the fields
 * after it then look, and its parts joined; when several fields could hold them, those are left out.
 * False when the head is out of step beyond repair (the record was cut after field 11).
 */
function repairHead(ctx: Ctx): boolean {
  const f = ctx.f
  if (f.count <= 28 || headAligned(f, 0)) return true
  for (let k = 1; k <= 6; k++) {
    if (!headAligned(f, k)) continue
    let best = 0
    const tied: number[] = []
    for (let p = 11; p <= 20; p++) {
      const s = headScore(f, p, k)
      if (s > best) {
        best = s
        tied.length = 0
      }
      if (s === best) tied.push(p)
    }
    const first = tied[0]!
    const last = tied[tied.length - 1]!
    f.join(first, k)
    const commas = k === 1 ? 'an unquoted comma' : `${k} unquoted commas`
    if (first === last) {
      problem(ctx, `${HEAD_TEXT[first - 11]} held ${commas}: its parts were joined`)
    } else {
      for (let i = first; i <= last; i++) f.clear(i)
      problem(ctx, `one of ${HEAD_TEXT.slice(first - 11, last - 10).join(', ')} held ${commas}: those fields were left out`)
    }
    return true
  }
  // No shift explains it. One odd value (a port that is no number, empty flags) is just that; more
  // put every field from the rule name on in doubt.
  const fitting = (f.digits(22) ? 1 : 0) + (f.digits(24) ? 1 : 0) + (f.digits(25) ? 1 : 0) + (f.flags(28) ? 1 : 0)
  if (fitting >= 3) return true
  problem(ctx, `the session fields (session id, ports, flags) are out of place: the fields after field 11 were left out`)
  f.cut(11)
  return false
}

/** The first anchor out of step (with the next one too), or -1; `good` the last one in step before it. */
function firstMisfit(f: Fields, checkpoints: Checkpoints, out: { good: number }): number {
  for (let c = 0; c < checkpoints.length; c++) {
    const [i, shape] = checkpoints[c]!
    if (i >= f.count) return -1
    if (fits(f, i, shape)) {
      out.good = i
      continue
    }
    // One odd value is just that; a shift puts the next anchor out of step too (an empty field
    // there proves nothing).
    const next = checkpoints[c + 1]
    if (next === undefined || next[0] >= f.count) continue
    if (!f.empty(next[0]) && fits(f, next[0], next[1])) continue
    return i
  }
  return -1
}

const position = { good: 6 }

/**
 * Checks a record's anchor positions and cuts it after the last one in step: what follows an
 * anchor out of step cannot be read by position. Notes the cut; the event becomes partial.
 */
export function align(ctx: Ctx, type: string): void {
  const checkpoints = checkpointsOf(type)
  if (checkpoints === undefined) return
  const f = ctx.f
  position.good = 6
  if (checkpoints === TRAFFIC || checkpoints === THREAT || checkpoints === DECRYPTION) {
    if (!repairHead(ctx)) return
    position.good = 28
  }
  const misfit = firstMisfit(f, checkpoints, position)
  if (misfit === -1) return
  problem(
    ctx,
    `field ${misfit + 1} (${JSON.stringify(f.at(misfit).slice(0, 40))}) is out of place, shifted by an unquoted comma or a stray quote: the fields after field ${position.good + 1} were left out`,
  )
  f.cut(position.good + 1)
}
