package policy

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// sampleWidth is the width oslopolicy-sample-generator wraps descriptions at.
const sampleWidth = 70

// WriteSample writes the defaults as oslopolicy-sample-generator does: YAML where each rule is
// preceded by its description and operations as comments and the rule itself commented out:
//
//	# Create a user.
//	# POST  /v3/users
//	# Intended scope(s): system, domain
//	#"identity:create_user": "rule:admin_required"
//
// Rules are separated by a blank line.
func WriteSample(w io.Writer, rules []Rule) error {
	for _, r := range rules {
		if _, err := io.WriteString(w, sampleEntry(r)); err != nil {
			return fmt.Errorf("policy: write sample rule %q: %w", r.Name, err)
		}
	}
	return nil
}

// sampleEntry renders one rule with its comments and a trailing blank line.
func sampleEntry(r Rule) string {
	var b strings.Builder
	b.WriteString(helpComment(r.Description))
	b.WriteByte('\n')
	for _, op := range r.Operations {
		if op.Method != "" && op.Path != "" {
			fmt.Fprintf(&b, "# %s  %s\n", op.Method, op.Path)
		}
	}
	if len(r.ScopeTypes) > 0 {
		fmt.Fprintf(&b, "# Intended scope(s): %s\n", strings.Join(r.ScopeTypes, ", "))
	}
	fmt.Fprintf(&b, "#%s: %s\n\n", strconv.Quote(r.Name), strconv.Quote(r.Check))
	return b.String()
}

// helpComment formats a description as wrapped "# " comment lines, keeping
// paragraphs (blank lines) and indented literal lines, like oslo.policy.
// An empty description gives a bare "#".
func helpComment(desc string) string {
	desc = strings.TrimSpace(desc)
	if desc == "" {
		return "#"
	}
	var out, para []string
	flush := func() {
		out = append(out, wrapComment(strings.Join(para, " "))...)
		para = nil
	}
	for _, line := range strings.Split(desc, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
			out = append(out, "#")
		case line != strings.TrimLeft(line, " \t"):
			flush()
			out = append(out, "#"+strings.TrimRight(line, " \t\r"))
		default:
			para = append(para, strings.TrimRight(line, " \t\r"))
		}
	}
	flush()
	return strings.Join(out, "\n")
}

// wrapComment greedily wraps text into "# "-prefixed lines of at most
// sampleWidth bytes; a word longer than a line gets a line of its own.
func wrapComment(text string) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = "# " + word
		case len(line)+1+len(word) <= sampleWidth:
			line += " " + word
		default:
			lines = append(lines, line)
			line = "# " + word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
