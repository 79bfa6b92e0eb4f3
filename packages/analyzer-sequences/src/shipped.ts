import type { Condition } from './conditions.ts'
import type { Rule } from './types.ts'

/**
 * Groups whose members are administrators: Windows built-in and Active Directory groups, and the
 * Unix groups sudo and polkit grant root to (Debian and Ubuntu `sudo`/`admin`, Red Hat `wheel`).
 */
export const DEFAULT_ADMIN_GROUPS: readonly string[] = [
  'Administrators',
  'Domain Admins',
  'Enterprise Admins',
  'Schema Admins',
  'Account Operators',
  'wheel',
  'sudo',
  'admin',
  'admins',
  'root',
]

const RULESET = 'beer-sequences'

/** Not a failed attempt: `bob failed to add user dave to group admins` is `added-member-to-group` with outcome failure. */
const notFailed: Condition = { not: { 'event.outcome': 'failure' } }

/** The rules the analyzer runs unless told otherwise; the README documents each. */
export function shippedRules(o: { adminGroups?: readonly string[] } = {}): Rule[] {
  const adminGroups = [...(o.adminGroups ?? DEFAULT_ADMIN_GROUPS)]
  const failed: Condition = { 'event.action': ['logon-failed', 'kerberos-preauth-failed'], 'event.outcome': 'failure' }
  const succeeded: Condition = { 'event.action': ['logged-in', 'logged-in-explicit'], 'event.outcome': 'success' }
  return [
    {
      id: 'group-created-admin-deleted',
      type: 'sequence',
      name: 'Group created, given admin rights, then deleted',
      description:
        'A group was created, made an administrators group (nested into one such as Domain Admins, Administrators, wheel or sudo, or given GID 0), and deleted again: admin rights handed out for a while with little left to see afterwards.',
      ruleset: RULESET,
      category: ['iam'],
      tags: ['attack.persistence', 'attack.privilege_escalation', 'attack.t1098'],
      severity: 8,
      risk_score: 73,
      by: 'group.name',
      keysIgnoreCase: true,
      maxspan: '24h',
      steps: [
        { name: 'created', where: { 'event.action': 'added-group-account', ...notFailed } },
        {
          name: 'granted-admin',
          oneOf: [
            // Windows 4728/4732/4756 with the new group as the member: group nesting.
            { where: { 'event.action': 'added-member-to-group', 'group.name': { in: adminGroups, ignoreCase: true }, ...notFailed }, by: 'user.target.name' },
            // groupmod -g 0: the group itself becomes root's group (shadow-utils: "new gid: 0").
            { where: { 'event.action': 'modified-group-account', 'event.reason': { regex: '\\bnew gid: 0\\b', flags: 'i' }, ...notFailed } },
          ],
        },
        { name: 'deleted', where: { 'event.action': 'deleted-group-account', ...notFailed } },
      ],
    },
    {
      id: 'user-created-deleted',
      type: 'sequence',
      name: 'Account created and deleted soon after',
      description:
        'An account was created and deleted again within the hour: a throw-away account used for access and removed to cover it.',
      ruleset: RULESET,
      category: ['iam'],
      tags: ['attack.persistence', 'attack.defense_evasion', 'attack.t1136', 'attack.t1531'],
      severity: 6,
      risk_score: 47,
      by: 'user.target.name',
      keysIgnoreCase: true,
      maxspan: '1h',
      steps: [
        { name: 'created', where: { 'event.action': 'added-user-account', ...notFailed } },
        { name: 'deleted', where: { 'event.action': 'deleted-user-account', ...notFailed } },
      ],
    },
    {
      id: 'failed-logins-then-success-user',
      type: 'sequence',
      name: 'Failed logins, then a success, for one account',
      description: 'Five failed logins for one account, then a successful one, within ten minutes: a guessed or sprayed password that worked.',
      ruleset: RULESET,
      category: ['authentication'],
      tags: ['attack.credential_access', 'attack.t1110'],
      severity: 7,
      risk_score: 73,
      by: 'user.name',
      keysIgnoreCase: true,
      maxspan: '10m',
      steps: [
        { name: 'failed', where: failed, runs: 5 },
        { name: 'succeeded', where: succeeded },
      ],
    },
    {
      id: 'failed-logins-then-success-source',
      type: 'sequence',
      name: 'Failed logins, then a success, from one source',
      description: 'Ten failed logins from one address (any accounts), then a successful one from it, within ten minutes: password spraying or guessing that found a way in.',
      ruleset: RULESET,
      category: ['authentication'],
      tags: ['attack.credential_access', 'attack.t1110.003'],
      severity: 7,
      risk_score: 73,
      by: 'source.ip',
      maxspan: '10m',
      steps: [
        { name: 'failed', where: failed, runs: 10 },
        { name: 'succeeded', where: succeeded },
      ],
    },
    {
      id: 'alerts-from-several-products',
      type: 'distinct',
      name: 'Alerts from several security products about one entity',
      description:
        'Two or more different security products (observer.product) raised alerts about the same host, address or user within 30 minutes. Independent detections agreeing are rarely wrong: the new alert ranks above the alerts it joins.',
      ruleset: RULESET,
      category: ['intrusion_detection'],
      tags: ['correlation'],
      severity: 7,
      risk_score: 73,
      by: {
        any: {
          'host.name': ['host.name', 'source.domain', 'destination.domain'],
          'related.ip': ['source.ip', 'destination.ip'],
          'user.name': ['user.name', 'source.user.name', 'destination.user.name'],
        },
      },
      keysIgnoreCase: true,
      where: { 'event.kind': 'alert', 'observer.product': { exists: true } },
      field: 'observer.product',
      count: 2,
      window: '30m',
      escalate: { severity: 1, risk_score: 10 },
    },
  ]
}
