package config

import (
	"errors"
	"fmt"
	"strings"
)

// redacted replaces the value of a secret option wherever it would be printed.
const redacted = "****"

// resolved is the outcome of interpolating and validating every option.
type resolved struct {
	texts map[optKey][]string // interpolated text of each value
	typed map[optKey]any      // typed value, as returned by the getters
}

// resolve interpolates and validates every option of l given its raw entries.
// All value errors are returned, joined, in registration order.
func resolve(l *layout, entries map[optKey]*entry) (*resolved, error) {
	r := &resolver{
		layout:  l,
		entries: entries,
		texts:   map[optKey][]string{},
		errs:    map[optKey]error{},
		active:  map[optKey]bool{},
	}
	out := &resolved{texts: r.texts, typed: map[optKey]any{}}
	var errs []error
	seen := map[string]bool{}
	addErr := func(err error) {
		if msg := err.Error(); !seen[msg] {
			seen[msg] = true
			errs = append(errs, err)
		}
	}
	for _, info := range l.all() {
		texts, err := r.interpolate(info)
		if err != nil {
			addErr(err)
			continue
		}
		v, err := typedValue(info, entries[info.key()], texts)
		if err != nil {
			addErr(err)
			continue
		}
		out.typed[info.key()] = v
	}
	switch len(errs) {
	case 0:
		return out, nil
	case 1:
		return nil, errs[0]
	}
	return nil, errors.Join(errs...)
}

// typedValue converts the interpolated texts of an option to its typed value.
func typedValue(info *optInfo, e *entry, texts []string) (any, error) {
	if info.opt.Type == MultiString {
		var out []string
		for i, t := range texts {
			if _, reason := convert(&info.opt, t); reason != "" {
				return nil, valueError(info, e.vals[i], t, reason)
			}
			out = append(out, t)
		}
		return out, nil
	}
	if len(texts) == 0 {
		return zeroValue(info.opt.Type), nil
	}
	last := len(texts) - 1
	v, reason := convert(&info.opt, texts[last])
	if reason != "" {
		return nil, valueError(info, e.vals[last], texts[last], reason)
	}
	return v, nil
}

// valueError describes a bad value, hiding it for secret options.
func valueError(info *optInfo, v value, expanded, reason string) *ValueError {
	shown := v.text
	switch {
	case info.opt.Secret:
		shown = redacted
	case expanded != v.text:
		reason += fmt.Sprintf(" (expands to %q)", expanded)
	}
	return &ValueError{File: v.file, Line: v.line, Section: info.section, Key: info.opt.Name, Value: shown, Reason: reason}
}

// resolver interpolates option values, memoising results and detecting loops.
type resolver struct {
	layout  *layout
	entries map[optKey]*entry
	texts   map[optKey][]string
	errs    map[optKey]error
	active  map[optKey]bool // options being interpolated, to detect loops
}

// interpolate returns the values of an option with every $name, ${name} and
// ${section.name} replaced by the referenced option's value and $$ by $.
func (r *resolver) interpolate(info *optInfo) ([]string, error) {
	k := info.key()
	if t, ok := r.texts[k]; ok {
		return t, nil
	}
	if err, ok := r.errs[k]; ok {
		return nil, err
	}
	r.active[k] = true
	defer delete(r.active, k)
	vals := r.entries[k].vals
	out := make([]string, len(vals))
	for i, v := range vals {
		s, err := r.expand(info, v)
		if err != nil {
			r.errs[k] = err
			return nil, err
		}
		out[i] = s
	}
	r.texts[k] = out
	return out, nil
}

// expand interpolates one value of an option, following Python's
// string.Template.safe_substitute as oslo.config uses it: a "$" that starts no
// valid placeholder is kept as it is.
func (r *resolver) expand(info *optInfo, v value) (string, error) {
	s := v.text
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		name, rest, ok := placeholder(s[i+1:])
		s = rest
		switch {
		case !ok:
			b.WriteByte('$')
		case name == "$":
			b.WriteByte('$')
		default:
			ref, err := r.reference(info, v, name)
			if err != nil {
				return "", err
			}
			b.WriteString(ref)
		}
	}
}

// reference returns the text of the option a placeholder names.
func (r *resolver) reference(info *optInfo, v value, name string) (string, error) {
	target := r.layout.lookupRef(info.section, name)
	if target == nil {
		return "", valueError(info, v, v.text, fmt.Sprintf("undefined variable $%s", name))
	}
	if r.active[target.key()] {
		return "", valueError(info, v, v.text,
			fmt.Sprintf("circular reference to [%s] %s", target.section, target.opt.Name))
	}
	texts, err := r.interpolate(target)
	if err != nil {
		return "", err
	}
	if target.opt.Type != MultiString && len(texts) > 0 {
		return texts[len(texts)-1], nil
	}
	return strings.Join(texts, ","), nil
}

// lookupRef finds the option a placeholder names: "section.name" first, then
// the option in the referring section, then in DEFAULT (as oslo does).
func (l *layout) lookupRef(section, name string) *optInfo {
	if group, opt, ok := strings.Cut(name, "."); ok {
		if info := l.lookup(group, opt); info != nil {
			return info
		}
		return l.byKey[optKey{defaultSection, name}]
	}
	if info := l.byKey[optKey{section, name}]; info != nil {
		return info
	}
	return l.byKey[optKey{defaultSection, name}]
}

// placeholder parses what follows a "$": "$" (an escaped dollar), an
// identifier, or an identifier in braces. It returns the name ("$" for the
// escape), the text after the placeholder, and false when there is no valid
// placeholder (then rest is s unchanged).
func placeholder(s string) (name, rest string, ok bool) {
	switch {
	case strings.HasPrefix(s, "$"):
		return "$", s[1:], true
	case strings.HasPrefix(s, "{"):
		end := strings.IndexByte(s, '}')
		if end > 1 && identLen(s[1:end]) == end-1 {
			return s[1:end], s[end+1:], true
		}
		return "", s, false
	}
	if n := identLen(s); n > 0 {
		return s[:n], s[n:], true
	}
	return "", s, false
}

// identLen returns the length of the identifier at the start of s, using
// oslo's pattern [_a-z][._a-z0-9]* (ASCII, case-insensitive).
func identLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if letter || (i > 0 && (c == '.' || ('0' <= c && c <= '9'))) {
			continue
		}
		return i
	}
	return len(s)
}
