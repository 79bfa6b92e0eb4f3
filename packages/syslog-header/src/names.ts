// RFC 5424 §6.2.1 Table 1, with the names ECS and the common syslog daemons use for the codes the
// RFC leaves unnamed (13 log audit, 14 log alert, 15 clock daemon).
const FACILITIES: readonly string[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news',
  'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'solaris-cron',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
]

// RFC 5424 §6.2.1 Table 2, spelled as ECS `log.syslog.severity.name` expects.
const SEVERITIES: readonly string[] = [
  'emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug',
]

/** The name of a syslog facility code (0..23), or '' for any other number. */
export function facilityName(code: number): string {
  return FACILITIES[code] ?? ''
}

/** The ECS name of a syslog severity code (0..7), or '' for any other number. */
export function severityName(code: number): string {
  return SEVERITIES[code] ?? ''
}
