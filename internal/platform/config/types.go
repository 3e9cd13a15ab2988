package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Port bounds.
const (
	minPort = 0
	maxPort = 65535
)

// convert parses the (already interpolated) text of a single-valued option and
// validates it. It returns the typed value, or a non-empty reason why the text
// is not acceptable. An empty text means "no value" for Int, Float, Port and
// URI (as in oslo) and yields the zero value.
func convert(opt *Opt, text string) (any, string) {
	switch opt.Type {
	case String:
		return text, checkChoice(opt, text)
	case Int:
		return convertInt(opt, text, "not an integer", math.MinInt64, math.MaxInt64)
	case Port:
		return convertInt(opt, text, "not a port number", minPort, maxPort)
	case Float:
		return convertFloat(opt, text)
	case Bool:
		return convertBool(text)
	case List:
		return convertList(opt, text)
	case MultiString:
		return text, checkChoice(opt, text)
	case URI:
		return convertURI(opt, text)
	}
	return nil, fmt.Sprintf("unknown option type %d", int(opt.Type))
}

// zeroValue is the value of an option that has neither a default nor a setting.
func zeroValue(t Type) any {
	switch t {
	case Int, Port:
		return 0
	case Float:
		return 0.0
	case Bool:
		return false
	case List, MultiString:
		return []string(nil)
	}
	return ""
}

func convertInt(opt *Opt, text, notInt string, lo, hi int64) (any, string) {
	if text == "" {
		return 0, ""
	}
	n, err := strconv.ParseInt(text, 10, strconv.IntSize)
	if errors.Is(err, strconv.ErrRange) {
		return nil, "integer out of range"
	}
	if err != nil {
		return nil, notInt
	}
	if n < lo || n > hi {
		return nil, fmt.Sprintf("must be between %d and %d", lo, hi)
	}
	if opt.Min != nil && n < *opt.Min {
		return nil, fmt.Sprintf("must be at least %d", *opt.Min)
	}
	if opt.Max != nil && n > *opt.Max {
		return nil, fmt.Sprintf("must be at most %d", *opt.Max)
	}
	return int(n), checkChoice(opt, text)
}

func convertFloat(opt *Opt, text string) (any, string) {
	if text == "" {
		return 0.0, ""
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, "not a number"
	}
	return f, checkChoice(opt, text)
}

func convertBool(text string) (any, string) {
	switch strings.ToLower(text) {
	case "true", "yes", "on", "1":
		return true, ""
	case "false", "no", "off", "0":
		return false, ""
	}
	return nil, "not a boolean (use true/false, yes/no, on/off or 1/0)"
}

func convertList(opt *Opt, text string) (any, string) {
	var items []string
	for item := range strings.SplitSeq(text, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if reason := checkChoice(opt, item); reason != "" {
			return nil, fmt.Sprintf("item %q: %s", item, reason)
		}
		items = append(items, item)
	}
	return items, ""
}

func convertURI(opt *Opt, text string) (any, string) {
	if text == "" {
		return "", ""
	}
	u, err := url.Parse(text)
	if err != nil || u.Scheme == "" || !strings.HasPrefix(text[len(u.Scheme)+1:], "//") {
		return nil, "not a URI with a scheme (such as http://host/)"
	}
	return text, checkChoice(opt, text)
}

// checkChoice reports why text is not one of opt.Choices ("" when it is, or
// when there are no choices). Numbers are compared by value, so "+8" matches "8".
func checkChoice(opt *Opt, text string) string {
	if len(opt.Choices) == 0 {
		return ""
	}
	if slices.ContainsFunc(opt.Choices, func(c string) bool { return sameChoice(opt.Type, c, text) }) {
		return ""
	}
	return "must be one of: " + strings.Join(opt.Choices, ", ")
}

func sameChoice(t Type, choice, text string) bool {
	switch t {
	case Int, Port:
		a, errA := strconv.ParseInt(choice, 10, 64)
		b, errB := strconv.ParseInt(text, 10, 64)
		return errA == nil && errB == nil && a == b
	case Float:
		a, errA := strconv.ParseFloat(choice, 64)
		b, errB := strconv.ParseFloat(text, 64)
		return errA == nil && errB == nil && a == b
	}
	return choice == text
}
