package config

import (
	"fmt"
	"io"
	"strings"
)

// sampleWidth is the width help text is wrapped to, "# " included.
const sampleWidth = 70

// WriteSample writes a sample configuration file describing every section and
// option, in the style of oslo-config-generator: sections in registration
// order with DEFAULT first; for each option its help wrapped at 70 columns,
// "# (<type> value)", "# Allowed values: …", "# Minimum value: …",
// "# Maximum value: …" and "# Deprecated group/name - [section]/name" lines
// when they apply, then the default commented out ("#name = <None>" when the
// option has none). Every line is a comment, so the sample loads as an empty file.
func (s *Schema) WriteSample(w io.Writer) error {
	l := s.snapshot()
	var b strings.Builder
	for i, sec := range l.sections {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "[%s]\n", sec)
		for _, info := range l.opts[sec] {
			b.WriteString("\n")
			writeSampleOpt(&b, info)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("config: writing sample: %w", err)
	}
	return nil
}

func writeSampleOpt(b *strings.Builder, info *optInfo) {
	o := &info.opt
	for _, line := range wrapHelp(o.Help, sampleWidth-2) {
		writeComment(b, line)
	}
	writeComment(b, "("+sampleTypes[o.Type]+")")
	if len(o.Choices) > 0 {
		writeComment(b, "Allowed values: "+strings.Join(o.Choices, ", "))
	}
	lo, hi := o.Min, o.Max
	if o.Type == Port {
		lo, hi = tighter(lo, minPort, true), tighter(hi, maxPort, false)
	}
	if lo != nil {
		writeComment(b, fmt.Sprintf("Minimum value: %d", *lo))
	}
	if hi != nil {
		writeComment(b, fmt.Sprintf("Maximum value: %d", *hi))
	}
	for _, k := range aliasKeys(info) {
		writeComment(b, fmt.Sprintf("Deprecated group/name - [%s]/%s", k.section, k.name))
	}
	writeSampleDefault(b, o)
}

// tighter returns the stricter of an optional bound and a fixed one.
func tighter(bound *int64, fixed int64, lower bool) *int64 {
	if bound == nil || (lower && *bound < fixed) || (!lower && *bound > fixed) {
		return IntBound(fixed)
	}
	return bound
}

func writeComment(b *strings.Builder, text string) {
	if text == "" {
		b.WriteString("#\n")
		return
	}
	b.WriteString("# " + text + "\n")
}

// writeSampleDefault writes "#name = default", one line per MultiString value;
// a default spanning several lines is written as continuation lines.
func writeSampleDefault(b *strings.Builder, o *Opt) {
	vals := defaultValues(o)
	if len(vals) == 0 {
		fmt.Fprintf(b, "#%s = <None>\n", o.Name)
		return
	}
	for _, v := range vals {
		lines := strings.Split(v, "\n")
		fmt.Fprintf(b, "#%s = %s\n", o.Name, quoteIfNeeded(lines[0]))
		for _, more := range lines[1:] {
			fmt.Fprintf(b, "#    %s\n", more)
		}
	}
}

// quoteIfNeeded wraps v in double quotes when the parser would otherwise
// change it: leading or trailing spaces, or surrounding quotes.
func quoteIfNeeded(v string) string {
	if v != strings.TrimSpace(v) || unquote(v) != v {
		return `"` + v + `"`
	}
	return v
}

// wrapHelp splits help into lines of at most width characters (longer words
// stay whole). Paragraphs, separated by blank lines, are kept apart by an
// empty line.
func wrapHelp(help string, width int) []string {
	var out []string
	for i, para := range paragraphs(help) {
		if i > 0 {
			out = append(out, "")
		}
		line := ""
		for _, word := range strings.Fields(para) {
			switch {
			case line == "":
				line = word
			case len(line)+1+len(word) <= width:
				line += " " + word
			default:
				out = append(out, line)
				line = word
			}
		}
		out = append(out, line)
	}
	return out
}

// paragraphs splits text on blank lines, dropping empty paragraphs.
func paragraphs(text string) []string {
	var out []string
	var cur []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				out = append(out, strings.Join(cur, " "))
				cur = nil
			}
			continue
		}
		cur = append(cur, line)
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	return out
}
