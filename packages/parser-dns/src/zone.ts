/**
 * Whether `timezone` is a zone the header parser and `zonedTimestamp` understand rather than
 * silently read as UTC: 'UTC', 'local', a fixed offset ('+02:00', '-0530') or an IANA name.
 */
export function isKnownTimezone(name: string): boolean {
  const upper = name.trim().toUpperCase()
  if (upper === '' || upper === 'UTC' || upper === 'Z' || upper === 'GMT' || upper === 'ETC/UTC' || upper === 'LOCAL') return true
  const fixed = /^([+-])(\d{2}):?(\d{2})?$/.exec(upper)
  if (fixed) return Number(fixed[2]) * 60 + Number(fixed[3] ?? 0) <= 24 * 60 && Number(fixed[3] ?? 0) < 60
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name.trim() })
    return true
  } catch {
    return false
  }
}
