// Package policy implements oslo.policy for gostack services: the rule
// language ("role:admin or project_id:%(target.project.id)s"), in-code
// default rules documented like oslo's DocumentedRuleDefault, and an Enforcer
// that applies an operator's policy.yaml (or JSON) over the defaults and picks
// up changes to that file without a restart.
//
// A service registers its defaults once:
//
//	enf, err := policy.NewEnforcer(rules, cfg.PolicyFile)
//	...
//	if err := enf.Enforce("identity:create_user", target, creds); err != nil {
//		// *policy.ForbiddenError → 403
//	}
//
// WriteSample produces the commented YAML that oslopolicy-sample-generator
// would, for `gostack` sample-generation commands and the docs.
package policy
