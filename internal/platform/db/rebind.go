package db

import (
	"strconv"
	"strings"
)

// Rebind rewrites the "?" placeholders of query into the dialect's own
// form: $1, $2 … for PostgreSQL; SQLite and MySQL keep "?". Question marks
// inside string literals, quoted identifiers and comments are left alone.
func (d Dialect) Rebind(query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); {
		if end := skipQuoted(query, i); end > i {
			b.WriteString(query[i:end])
			i = end
			continue
		}
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		} else {
			b.WriteByte(query[i])
		}
		i++
	}
	return b.String()
}

// skipQuoted returns the index just past the string literal, quoted
// identifier or comment that starts at query[i], or i when none starts there.
// An unterminated one runs to the end of the query.
func skipQuoted(query string, i int) int {
	rest := query[i:]
	switch {
	case rest[0] == '\'' || rest[0] == '"' || rest[0] == '`':
		return closeQuote(query, i+1, rest[0], isEscapeString(query, i))
	case strings.HasPrefix(rest, "--"):
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			return i + nl + 1
		}
		return len(query)
	case strings.HasPrefix(rest, "/*"):
		if end := strings.Index(rest[2:], "*/"); end >= 0 {
			return i + 2 + end + 2
		}
		return len(query)
	}
	return i
}

// closeQuote finds the end of a quoted run whose body starts at query[i].
// A doubled quote character stands for itself; backslash escapes apply only
// to PostgreSQL E'…' strings.
func closeQuote(query string, i int, quote byte, backslash bool) int {
	for i < len(query) {
		switch c := query[i]; {
		case backslash && c == '\\':
			i += 2
		case c == quote && i+1 < len(query) && query[i+1] == quote:
			i += 2
		case c == quote:
			return i + 1
		default:
			i++
		}
	}
	return len(query)
}

// isEscapeString reports whether the quote at query[i] opens a PostgreSQL
// escape string (E'…'), whose body may contain backslash-escaped quotes.
func isEscapeString(query string, i int) bool {
	if query[i] != '\'' || i == 0 || (query[i-1] != 'E' && query[i-1] != 'e') {
		return false
	}
	return i == 1 || !isIdentByte(query[i-2])
}

// isIdentByte reports whether c can be part of an unquoted identifier.
func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// isSelect reports whether query, after leading blanks and comments, starts
// with the SELECT keyword — a statement that only reads.
func isSelect(query string) bool {
	for i := 0; i < len(query); {
		switch c := query[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case strings.HasPrefix(query[i:], "--") || strings.HasPrefix(query[i:], "/*"):
			i = skipQuoted(query, i)
		default:
			const kw = "select"
			rest := query[i:]
			return len(rest) >= len(kw) && strings.EqualFold(rest[:len(kw)], kw) &&
				(len(rest) == len(kw) || !isIdentByte(rest[len(kw)]))
		}
	}
	return false
}
