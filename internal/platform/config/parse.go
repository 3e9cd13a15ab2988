package config

import (
	"strings"
	"unicode"
)

// assignment is one "key = value" found in a file; continuation lines are
// already joined to the value with "\n".
type assignment struct {
	section string
	key     string
	value   string
	line    int
}

// sectionHeader records where a section header appeared, for warnings.
type sectionHeader struct {
	name string
	line int
}

// parsedFile is the syntax of one configuration file, in file order.
type parsedFile struct {
	name    string
	headers []sectionHeader
	assigns []assignment
}

// parseINI parses data the way oslo.config's iniparser does:
//   - lines are split on \n, \r\n or \r and trailing whitespace is dropped;
//   - a blank line ends a multi-line value;
//   - a line starting with a space or tab continues the previous value;
//   - "[name]" starts a section; "#" and ";" start comment lines;
//   - "key = value" or "key: value" (whichever separator comes first), with
//     key and value trimmed and one pair of matching surrounding quotes removed.
//
// Unlike oslo, an indented comment line outside a value is accepted as a comment.
func parseINI(name string, data []byte) (*parsedFile, error) {
	text := strings.TrimPrefix(string(data), "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	p := &iniParser{out: &parsedFile{name: name}}
	for i, line := range strings.Split(text, "\n") {
		if err := p.parseLine(i+1, line); err != nil {
			return nil, err
		}
	}
	p.flush()
	return p.out, nil
}

// iniParser holds the state of parseINI between lines.
type iniParser struct {
	out     *parsedFile
	section string
	pending *assignment // the assignment still collecting continuation lines
	parts   []string    // the pending value, one element per line
}

func (p *iniParser) parseLine(n int, raw string) error {
	line := strings.TrimRightFunc(raw, unicode.IsSpace)
	if line == "" {
		p.flush()
		return nil
	}
	if line[0] == ' ' || line[0] == '\t' {
		return p.continuation(n, line)
	}
	p.flush()
	switch line[0] {
	case '[':
		return p.sectionHeader(n, line)
	case '#', ';':
		return nil
	}
	return p.keyValue(n, line)
}

func (p *iniParser) continuation(n int, line string) error {
	trimmed := strings.TrimLeftFunc(line, unicode.IsSpace)
	if p.pending == nil {
		if trimmed[0] == '#' || trimmed[0] == ';' {
			return nil
		}
		return p.errorf(n, line, "unexpected continuation line")
	}
	p.parts = append(p.parts, trimmed)
	return nil
}

func (p *iniParser) sectionHeader(n int, line string) error {
	if !strings.HasSuffix(line, "]") {
		return p.errorf(n, line, "invalid section header (must end with ])")
	}
	name := strings.TrimSpace(line[1 : len(line)-1])
	if name == "" {
		return p.errorf(n, line, "empty section name")
	}
	p.section = normSection(name)
	p.out.headers = append(p.out.headers, sectionHeader{name: p.section, line: n})
	return nil
}

func (p *iniParser) keyValue(n int, line string) error {
	sep := strings.IndexAny(line, "=:")
	if sep < 0 {
		return p.errorf(n, line, "no '=' or ':' in assignment")
	}
	key := strings.TrimSpace(line[:sep])
	if key == "" {
		return p.errorf(n, line, "empty key")
	}
	if p.section == "" {
		return p.errorf(n, line, "key before any [section]")
	}
	p.pending = &assignment{section: p.section, key: key, line: n}
	p.parts = append(p.parts[:0], unquote(strings.TrimSpace(line[sep+1:])))
	return nil
}

// flush records the pending assignment, if any.
func (p *iniParser) flush() {
	if p.pending == nil {
		return
	}
	p.pending.value = strings.Join(p.parts, "\n")
	p.out.assigns = append(p.out.assigns, *p.pending)
	p.pending, p.parts = nil, p.parts[:0]
}

func (p *iniParser) errorf(n int, line, reason string) error {
	return &SyntaxError{File: p.out.name, Line: n, Text: line, Reason: reason}
}

// unquote removes one pair of matching surrounding quotes, as oslo does
// (a lone quote character becomes the empty string).
func unquote(v string) string {
	if v == "" || (v[0] != '"' && v[0] != '\'') || v[len(v)-1] != v[0] {
		return v
	}
	if len(v) == 1 {
		return ""
	}
	return v[1 : len(v)-1]
}

// normSection canonicalises a section name: "DEFAULT" in any case becomes
// "DEFAULT", other names are lower-cased (oslo group names are case-insensitive).
func normSection(s string) string {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, defaultSection) {
		return defaultSection
	}
	return strings.ToLower(s)
}

// defaultSection is the name of the section every service shares.
const defaultSection = "DEFAULT"
