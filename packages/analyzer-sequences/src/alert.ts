import type { LogEvent } from '@beer/core'
import { formatDuration } from './duration.ts'
import { hashText } from './hash.ts'
import type { CompiledRule } from './rules.ts'

/** What the analyzer keeps of an event it may name as a cause: enough for the alert, not the event. */
export interface Ref {
  /** `event.id`. */
  id: string
  /** Event time, ms since the epoch. */
  t: number
  /** `beer.hops` of the event (0 for a received one). */
  h: number
  sev?: number
  risk?: number
  rel?: { ip?: string[]; user?: string[]; hosts?: string[] }
  /** For distinct counts: the value counted. */
  v?: string
}

const iso = (t: number): string => new Date(t).toISOString()

/**
 * The ECS alert for a match. Everything in it comes from the rule and the events' own times, so
 * the same events always give the same alert, `event.id` included.
 */
export function buildAlert(rule: CompiledRule, entities: readonly [string, string][], refs: readonly Ref[], steps: readonly number[]): LogEvent {
  let first = Infinity
  let last = -Infinity
  for (const r of refs) {
    if (r.t < first) first = r.t
    if (r.t > last) last = r.t
  }
  const entity: [string, string][] = []
  for (const [f, v] of entities) if (!entity.some(([g, w]) => g === f && w === v)) entity.push([f, v])
  const entityText = entity.length === 0 ? '' : entity.map(([f, v]) => `${f} '${v}'`).join(', ') + ': '
  let severity = rule.severity
  let risk = rule.riskScore
  let reason: string
  const sequence: Record<string, unknown> = { type: rule.type }
  if (entity.length > 0) {
    // One value a field; a list when the match named several (an alert about two addresses).
    const key: Record<string, string | string[]> = {}
    for (const [f, v] of entity) {
      const had = key[f]
      key[f] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v]
    }
    sequence.key = key
  }
  if (rule.type === 'sequence') {
    const stepRows = refs.map((r, i) => ({ name: rule.steps[steps[i]!]!.name, '@timestamp': iso(r.t), id: r.id }))
    sequence.steps = stepRows
    // Runs of one step read as one phrase: "5 × failed (10:00:01 to 10:02:00)".
    const phrases: string[] = []
    for (let i = 0; i < stepRows.length; ) {
      let j = i
      while (j + 1 < stepRows.length && steps[j + 1] === steps[i]) j++
      const name = stepRows[i]!.name
      phrases.push(j === i ? `${name} at ${stepRows[i]!['@timestamp']}` : `${j - i + 1} × ${name} from ${stepRows[i]!['@timestamp']} to ${stepRows[j]!['@timestamp']}`)
      i = j + 1
    }
    reason = `${rule.name}: ${entityText}${phrases.join(', then ')} (within ${formatDuration(rule.spanMs)})`
  } else if (rule.type === 'threshold') {
    sequence.count = refs.length
    sequence.events = refs.map((r) => ({ '@timestamp': iso(r.t), id: r.id }))
    reason = `${rule.name}: ${entityText}${refs.length} matching events from ${iso(first)} to ${iso(last)} (threshold ${rule.count} within ${formatDuration(rule.spanMs)})`
  } else {
    const values = [...new Set(refs.map((r) => r.v ?? ''))]
    sequence.distinct = { field: rule.distinctField, values }
    sequence.events = refs.map((r) => ({ '@timestamp': iso(r.t), id: r.id, value: r.v ?? '' }))
    reason = `${rule.name}: ${entityText}${values.length} different ${rule.distinctField} (${values.join(', ')}) from ${iso(first)} to ${iso(last)} (within ${formatDuration(rule.spanMs)})`
    if (rule.escalate) {
      let topSev: number | undefined
      let topRisk: number | undefined
      for (const r of refs) {
        if (r.sev !== undefined && (topSev === undefined || r.sev > topSev)) topSev = r.sev
        if (r.risk !== undefined && (topRisk === undefined || r.risk > topRisk)) topRisk = r.risk
      }
      if (topSev !== undefined) severity = Math.max(severity, topSev + rule.escalate.severity)
      if (topRisk !== undefined) risk = Math.max(risk, Math.min(100, topRisk + rule.escalate.riskScore * (values.length - 1)))
    }
  }
  const ruleFields: Record<string, unknown> = { id: rule.id, name: rule.name, ruleset: rule.ruleset }
  if (rule.description !== '') ruleFields.description = rule.description
  for (const [k, v] of Object.entries(rule.meta)) if (v !== undefined) ruleFields[k] = v
  const alert: LogEvent = {
    '@timestamp': iso(last),
    message: reason,
    event: {
      kind: 'alert',
      id: `seq-${hashText(rule.id + '\n' + refs.map((r) => r.id).join('\n'))}`,
      category: [...rule.category],
      type: ['indicator'],
      action: rule.id,
      module: 'sequences',
      dataset: 'sequences.alert',
      severity,
      risk_score: risk,
      reason,
      start: iso(first),
      end: iso(last),
      // ECS: event.duration is in nanoseconds.
      duration: (last - first) * 1_000_000,
    },
    rule: ruleFields,
  }
  const related: { ip: string[]; user: string[]; hosts: string[] } = { ip: [], user: [], hosts: [] }
  const add = (list: string[], v: unknown): void => {
    if (typeof v === 'string' && v !== '' && !list.includes(v)) list.push(v)
  }
  for (const r of refs) {
    for (const v of r.rel?.ip ?? []) add(related.ip, v)
    for (const v of r.rel?.user ?? []) add(related.user, v)
    for (const v of r.rel?.hosts ?? []) add(related.hosts, v)
  }
  const set = new Set<string>()
  for (const [field, value] of entity) {
    if (set.has(field) && !field.startsWith('related.')) continue
    set.add(field)
    if (field.startsWith('related.')) {
      const list = related[field.slice(8) as 'ip' | 'user' | 'hosts']
      if (list) add(list, value)
    } else setPath(alert, field, value)
  }
  const rel: Record<string, string[]> = {}
  for (const k of ['ip', 'user', 'hosts'] as const) if (related[k].length > 0) rel[k] = related[k]
  if (Object.keys(rel).length > 0) alert.related = rel
  if (rule.tags.length > 0) alert.tags = [...rule.tags]
  alert.beer = { sequence }
  return alert
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.')
  let o = target
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!
    const next = o[p]
    if (next === null || typeof next !== 'object' || Array.isArray(next)) o[p] = {}
    o = o[p] as Record<string, unknown>
  }
  o[parts[parts.length - 1]!] = value
}
