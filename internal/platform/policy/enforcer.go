package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"gopkg.in/yaml.v3"
)

// statInterval is how often Enforce may look at the policy file for changes.
const statInterval = time.Second

// ErrUnknownRule is wrapped by the error Enforce returns for a rule name that
// is neither a registered default nor defined in the policy file.
var ErrUnknownRule = errors.New("policy rule is not registered")

// Rule is one default policy rule, documented like oslo's DocumentedRuleDefault.
type Rule struct {
	Name        string // "identity:create_user"
	Check       string // "rule:admin_required"
	Description string
	Operations  []Operation
	ScopeTypes  []string // "system", "domain", "project"
}

// Operation is one API call a rule protects, such as POST /v3/users.
type Operation struct{ Method, Path string }

// ForbiddenError is returned by Enforce when the policy denies the call.
type ForbiddenError struct{ Rule string }

// Error implements error with OpenStack's wording.
func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("Policy doesn't allow %s to be performed.", e.Rule)
}

// ruleSet is one immutable generation of effective rules.
type ruleSet struct {
	checks map[string]Check
}

// fileSig identifies a version of the policy file for change detection.
type fileSig struct {
	exists bool
	size   int64
	mtime  int64
}

// Enforcer holds the effective rules of one service: the in-code defaults,
// overridden by the operator's policy file, which is watched for changes.
// It is safe for concurrent use.
type Enforcer struct {
	defaults []Rule
	base     map[string]Check // compiled defaults
	path     string

	rules    atomic.Pointer[ruleSet]
	nextStat atomic.Int64 // unix nanoseconds before which the file is not stat'ed

	mu      sync.Mutex // serialises loading; guards the fields below
	seen    fileSig    // the file version last loaded or rejected
	failKey string     // the last failure logged, to log each failure once
}

// NewEnforcer compiles defaults and applies policyFile (YAML or JSON mapping
// rule names to check strings) on top. It fails on a default that does not
// parse, a duplicate or unnamed default, or a policy file that exists but
// cannot be read or parsed. An empty policyFile or a missing file means
// defaults only; the file is picked up later if it appears.
func NewEnforcer(defaults []Rule, policyFile string) (*Enforcer, error) {
	base := make(map[string]Check, len(defaults))
	for i, r := range defaults {
		if r.Name == "" {
			return nil, fmt.Errorf("policy: default rule #%d has no name", i)
		}
		if _, dup := base[r.Name]; dup {
			return nil, fmt.Errorf("policy: default rule %q registered twice", r.Name)
		}
		c, err := Parse(r.Check)
		if err != nil {
			return nil, fmt.Errorf("policy: default rule %q: %w", r.Name, err)
		}
		base[r.Name] = c
	}
	e := &Enforcer{defaults: cloneRules(defaults), base: base, path: policyFile}
	e.rules.Store(&ruleSet{checks: base})
	if policyFile != "" {
		e.mu.Lock()
		err := e.loadLocked()
		e.mu.Unlock()
		if err != nil {
			return nil, err
		}
	} else {
		lint(base)
	}
	e.nextStat.Store(time.Now().Add(statInterval).UnixNano())
	return e, nil
}

// Enforce returns nil when creds may perform rule on target, and a
// *ForbiddenError when the policy denies it. A rule name that is not known is
// denied with an error wrapping ErrUnknownRule (a programmer error).
func (e *Enforcer) Enforce(rule string, target map[string]string, creds Credentials) error {
	allowed, known := e.evaluate(rule, target, &creds)
	if !known {
		return fmt.Errorf("policy: enforcing %q: %w", rule, ErrUnknownRule)
	}
	if !allowed {
		return &ForbiddenError{Rule: rule}
	}
	return nil
}

// Allowed reports whether Enforce would return nil.
func (e *Enforcer) Allowed(rule string, target map[string]string, creds Credentials) bool {
	allowed, _ := e.evaluate(rule, target, &creds)
	return allowed
}

// Known reports whether a rule exists, in the defaults or the policy file.
func (e *Enforcer) Known(rule string) bool {
	e.maybeRefresh()
	_, ok := e.rules.Load().checks[rule]
	return ok
}

// evaluate runs the effective check of rule, reporting whether it exists.
func (e *Enforcer) evaluate(rule string, target map[string]string, creds *Credentials) (allowed, known bool) {
	e.maybeRefresh()
	rs := e.rules.Load()
	c, ok := rs.checks[rule]
	if !ok {
		return false, false
	}
	top := frame{name: rule}
	return evaluate(c.root(), &top, target, creds, rs.checks), true
}

// Reload re-reads the policy file now. On error the previous rules stay in force.
func (e *Enforcer) Reload() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.loadLocked()
	if err != nil {
		e.failKey = failureKey(e.seen, err)
	}
	return err
}

// Rules returns the defaults, in registration order.
func (e *Enforcer) Rules() []Rule {
	return cloneRules(e.defaults)
}

// maybeRefresh stats the policy file at most once per statInterval and reloads
// it when it appeared, disappeared or changed.
func (e *Enforcer) maybeRefresh() {
	if e.path == "" {
		return
	}
	now := time.Now().UnixNano()
	next := e.nextStat.Load()
	if now < next || !e.nextStat.CompareAndSwap(next, now+int64(statInterval)) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	sig, err := statFile(e.path)
	if err != nil {
		e.logFailure(failureKey(e.seen, err), err)
		return
	}
	if sig == e.seen {
		return
	}
	if err := e.loadLocked(); err != nil {
		e.logFailure(failureKey(e.seen, err), err)
	}
}

// logFailure logs err unless the same failure was logged last.
func (e *Enforcer) logFailure(key string, err error) {
	if key == e.failKey {
		return
	}
	e.failKey = key
	slog.Error("policy file unusable; keeping the previous rules", "file", e.path, "err", err)
}

// failureKey identifies a failure so that it is logged once.
func failureKey(sig fileSig, err error) string {
	return fmt.Sprintf("%v %v", sig, err)
}

// loadLocked reads the policy file and installs defaults plus its overrides.
// The caller holds e.mu. On error the installed rules are left alone.
func (e *Enforcer) loadLocked() error {
	overrides, sig, err := readPolicyFile(e.path)
	if err == nil || sig.exists {
		e.seen = sig // a rejected version is not retried until it changes
	}
	if err != nil {
		return err
	}
	checks, err := e.merge(overrides)
	if err != nil {
		return err
	}
	lint(checks)
	e.rules.Store(&ruleSet{checks: checks})
	e.failKey = ""
	return nil
}

// merge compiles overrides on top of the defaults.
func (e *Enforcer) merge(overrides map[string]string) (map[string]Check, error) {
	if len(overrides) == 0 {
		return e.base, nil
	}
	checks := make(map[string]Check, len(e.base)+len(overrides))
	for name, c := range e.base {
		checks[name] = c
	}
	names := make([]string, 0, len(overrides))
	for name := range overrides {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "" {
			return nil, fmt.Errorf("policy: file %s: rule with an empty name", e.path)
		}
		c, err := Parse(overrides[name])
		if err != nil {
			return nil, fmt.Errorf("policy: file %s: rule %q: %w", e.path, name, err)
		}
		checks[name] = c
	}
	return checks, nil
}

// statFile returns the signature of path; a missing file is not an error.
func statFile(path string) (fileSig, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fileSig{}, nil
	}
	if err != nil {
		return fileSig{}, fmt.Errorf("policy: stat %s: %w", path, err)
	}
	return sigOf(fi), nil
}

func sigOf(fi fs.FileInfo) fileSig {
	return fileSig{exists: true, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

// readPolicyFile reads and decodes the policy file; a missing file yields no overrides.
func readPolicyFile(path string) (map[string]string, fileSig, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fileSig{}, nil
	}
	if err != nil {
		return nil, fileSig{}, fmt.Errorf("policy: open policy file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileSig{}, fmt.Errorf("policy: stat policy file: %w", err)
	}
	sig := sigOf(fi)
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, sig, fmt.Errorf("policy: read policy file: %w", err)
	}
	rules, err := decodePolicy(data)
	if err != nil {
		return nil, sig, fmt.Errorf("policy: parse policy file %s: %w", path, err)
	}
	return rules, sig, nil
}

// decodePolicy decodes a mapping of rule name to check string. Like
// oslo.policy it tries JSON first, then YAML (which also reads most JSON).
func decodePolicy(data []byte) (map[string]string, error) {
	var rules map[string]string
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if err := json.Unmarshal(trimmed, &rules); err == nil {
			return rules, nil
		}
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		return nil, err
	}
	return rules, nil
}

// lint logs references to undefined rules and rule cycles, as oslo.policy's
// check_rules does; both evaluate as denied.
func lint(checks map[string]Check) {
	names := make([]string, 0, len(checks))
	for name := range checks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		checks[name].root().ruleRefs(func(ref string) {
			if _, ok := checks[ref]; !ok {
				slog.Warn("policy rule references an undefined rule", "rule", name, "undefined", ref)
			}
		})
		if onCycle(checks, name) {
			slog.Warn("policy rule is part of a rule: cycle and will be denied", "rule", name)
		}
	}
}

// onCycle reports whether rule can reach itself through rule: references.
func onCycle(checks map[string]Check, rule string) bool {
	visited := map[string]bool{}
	stack := []string{rule}
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c, ok := checks[name]
		if !ok {
			continue
		}
		found := false
		c.root().ruleRefs(func(ref string) {
			if ref == rule {
				found = true
			}
			if !visited[ref] {
				visited[ref] = true
				stack = append(stack, ref)
			}
		})
		if found {
			return true
		}
	}
	return false
}

// cloneRules deep-copies rules so callers cannot alter the enforcer's defaults.
func cloneRules(rules []Rule) []Rule {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		r.Operations = slices.Clone(r.Operations)
		r.ScopeTypes = slices.Clone(r.ScopeTypes)
		out[i] = r
	}
	return out
}
