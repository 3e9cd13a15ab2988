package policy

import (
	"slices"
	"strings"
)

// Check is a compiled check string. It is immutable and safe for concurrent use.
type Check interface {
	// Evaluate reports whether the check passes for the caller creds acting on
	// target. rule:<name> references are resolved in rules; a missing rule is
	// false and a reference cycle denies the whole evaluation.
	Evaluate(target map[string]string, creds Credentials, rules map[string]Check) bool
	// String returns the check in a normalised form, with every and/or group
	// parenthesised, e.g. "(role:admin or (not role:reader and @))".
	String() string

	// root seals the interface: only Parse builds checks.
	root() *node
}

// maxRuleDepth bounds how deeply rule: references may nest during one
// evaluation; deeper chains are denied like cycles.
const maxRuleDepth = 100

// kind tells what a node of a compiled check does.
type kind uint8

const (
	kindTrue    kind = iota // @
	kindFalse               // !
	kindRule                // rule:<name>
	kindRole                // role:<match>
	kindGeneric             // <key>:<match> or <literal>:<match>
	kindNot                 // not <kid>
	kindAnd                 // <kid> and <kid> ...
	kindOr                  // <kid> or <kid> ...
)

// node is one element of a compiled check.
type node struct {
	kind  kind
	kids  []*node  // operands of not/and/or
	name  string   // rule name for kindRule
	left  operand  // credential key or literal for kindGeneric
	match template // right-hand side of role and generic checks
}

// operand is the left side of a generic check: a credential key, or a literal.
type operand struct {
	literal bool
	text    string
}

// segment is a piece of a match template: literal text, or a target key to substitute.
type segment struct {
	text string
	key  bool
}

// template is the right-hand side of a check, such as "admin",
// "%(target.project.id)s" or "%(a)s/%(b)s".
type template struct {
	segs []segment
}

// resolve substitutes target values into the template. It reports false when
// a referenced target key is missing. A single-segment template never allocates.
func (t template) resolve(target map[string]string) (string, bool) {
	if len(t.segs) == 1 {
		s := t.segs[0]
		if !s.key {
			return s.text, true
		}
		v, ok := target[s.text]
		return v, ok
	}
	var b strings.Builder
	for _, s := range t.segs {
		if !s.key {
			b.WriteString(s.text)
			continue
		}
		v, ok := target[s.text]
		if !ok {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), true
}

// String renders the template in oslo.policy syntax; a literal that would not
// read back as one word is quoted.
func (t template) String() string {
	if len(t.segs) == 1 && !t.segs[0].key && needsQuote(t.segs[0].text) {
		return quote(t.segs[0].text)
	}
	var b strings.Builder
	for _, s := range t.segs {
		if s.key {
			b.WriteString("%(" + s.text + ")s")
		} else {
			b.WriteString(strings.ReplaceAll(s.text, "%", "%%"))
		}
	}
	return b.String()
}

// env is what one evaluation runs against.
type env struct {
	target map[string]string
	creds  *Credentials
	rules  map[string]Check
	broken bool // a rule cycle or too deep a chain was met: deny
}

// frame is one rule being expanded; frames link up to the outermost rule.
type frame struct {
	name  string
	up    *frame
	depth int
}

// expr is the Check implementation returned by Parse.
type expr struct {
	n *node
}

func (x *expr) root() *node { return x.n }

// String implements Check.
func (x *expr) String() string { return x.n.String() }

// Evaluate implements Check.
func (x *expr) Evaluate(target map[string]string, creds Credentials, rules map[string]Check) bool {
	return evaluate(x.n, nil, target, &creds, rules)
}

// evaluate runs n with top as the outermost rule frame (nil when anonymous).
func evaluate(n *node, top *frame, target map[string]string, creds *Credentials, rules map[string]Check) bool {
	e := env{target: target, creds: creds, rules: rules}
	ok := n.eval(&e, top)
	return ok && !e.broken
}

// eval evaluates the node; path lists the rules being expanded.
func (n *node) eval(e *env, path *frame) bool {
	switch n.kind {
	case kindTrue:
		return true
	case kindNot:
		return !n.kids[0].eval(e, path)
	case kindAnd:
		for _, k := range n.kids {
			if !k.eval(e, path) {
				return false
			}
		}
		return true
	case kindOr:
		for _, k := range n.kids {
			if k.eval(e, path) {
				return true
			}
		}
		return false
	case kindRole:
		want, ok := n.match.resolve(e.target)
		return ok && e.creds.HasRole(want)
	case kindGeneric:
		return n.evalGeneric(e, path)
	case kindRule:
		return n.evalRule(e, path)
	}
	return false
}

// evalRule expands a rule: reference, denying cycles and over-deep chains.
func (n *node) evalRule(e *env, path *frame) bool {
	depth := 0
	if path != nil {
		depth = path.depth + 1
	}
	for f := path; f != nil; f = f.up {
		if f.name == n.name {
			e.broken = true
			return false
		}
	}
	if depth >= maxRuleDepth {
		e.broken = true
		return false
	}
	c, ok := e.rules[n.name]
	if !ok || c == nil {
		return false
	}
	f := frame{name: n.name, up: path, depth: depth}
	return c.root().eval(e, &f)
}

// contextIsAdmin is the rule that decides the is_admin credential, as in
// Nova's and Cinder's request contexts.
var contextIsAdmin = &node{kind: kindRule, name: "context_is_admin"}

// evalGeneric compares the left operand (credential attribute or literal) with
// the substituted match, like oslo.policy's GenericCheck. Besides the keys of
// Credentials.Lookup it knows "roles" (list membership) and "is_admin", which is
// "True" when the rule context_is_admin passes.
func (n *node) evalGeneric(e *env, path *frame) bool {
	want, ok := n.match.resolve(e.target)
	if !ok {
		return false
	}
	if n.left.literal {
		return n.left.text == want
	}
	switch n.left.text {
	case "is_admin":
		return pyBool(contextIsAdmin.evalRule(e, path)) == want
	case "roles":
		return slices.Contains(e.creds.Roles, want)
	}
	have, ok := e.creds.Lookup(n.left.text)
	return ok && have == want
}

// String renders the node in oslo.policy syntax, parenthesising and/or groups.
func (n *node) String() string {
	switch n.kind {
	case kindTrue:
		return "@"
	case kindFalse:
		return "!"
	case kindRule:
		if needsQuote(n.name) {
			return "rule:" + quote(n.name)
		}
		return "rule:" + n.name
	case kindRole:
		return "role:" + n.match.String()
	case kindGeneric:
		left := n.left.text
		if n.left.literal {
			left = quote(left)
		}
		return left + ":" + n.match.String()
	case kindNot:
		return "not " + n.kids[0].String()
	case kindAnd, kindOr:
		op := " and "
		if n.kind == kindOr {
			op = " or "
		}
		parts := make([]string, len(n.kids))
		for i, k := range n.kids {
			parts[i] = k.String()
		}
		return "(" + strings.Join(parts, op) + ")"
	}
	return "!"
}

// ruleRefs calls fn with the name of every rule: reference in n.
func (n *node) ruleRefs(fn func(string)) {
	if n.kind == kindRule {
		fn(n.name)
	}
	for _, k := range n.kids {
		k.ruleRefs(fn)
	}
}

// needsQuote reports whether a literal must be quoted to parse back as itself.
func needsQuote(s string) bool {
	return s == "" || strings.ContainsAny(s, " \t\n\r\v\f()'\"")
}

// quote wraps s in single quotes, or double quotes when it contains a single quote.
// Check strings have no escape sequences, so a literal holding both kinds of
// quote cannot be written back and is returned double-quoted as is.
func quote(s string) string {
	if strings.Contains(s, "'") {
		return `"` + s + `"`
	}
	return "'" + s + "'"
}
