package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// maxNesting bounds parentheses and not-chains so hostile input cannot exhaust the stack.
const maxNesting = 100

// SyntaxError reports a check string that does not parse.
type SyntaxError struct {
	Check  string // the whole check string
	Offset int    // byte offset of the problem in Check
	Reason string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid check string %q at offset %d: %s", e.Check, e.Offset, e.Reason)
}

// Parse compiles a check string written in the oslo.policy language:
// "@", "!", "rule:<name>", "role:<name>", "<key>:<match>", "'<literal>':<match>",
// combined with not, and, or (in decreasing precedence) and parentheses.
// The empty string always passes, as in oslo.policy.
func Parse(check string) (Check, error) {
	toks, err := lex(check)
	if err != nil {
		return nil, err
	}
	if len(toks) == 1 {
		return &expr{n: &node{kind: kindTrue}}, nil
	}
	p := parser{src: check, toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.errorf(t.pos, "unexpected %s", t)
	}
	return &expr{n: n}, nil
}

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokAnd
	tokOr
	tokNot
	tokCheck
)

// token is one lexical token of a check string.
type token struct {
	kind tokKind
	text string
	pos  int
}

// String describes the token for error messages.
func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokCheck:
		return fmt.Sprintf("check %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// lex splits a check string into tokens. Words end at white space or a
// parenthesis, except inside quotes and %(...) substitutions.
func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '(':
			toks = append(toks, token{kind: tokLParen, text: "(", pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tokRParen, text: ")", pos: i})
			i++
		default:
			end, err := scanWord(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, wordToken(s[i:end], i))
			i = end
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(s)}), nil
}

// wordToken classifies a word as an operator or a check.
func wordToken(w string, pos int) token {
	k := tokCheck
	switch strings.ToLower(w) {
	case "and":
		k = tokAnd
	case "or":
		k = tokOr
	case "not":
		k = tokNot
	}
	return token{kind: k, text: w, pos: pos}
}

// scanWord returns the end of the word starting at i.
func scanWord(s string, i int) (int, error) {
	for i < len(s) {
		c := s[i]
		if isSpace(c) || c == '(' || c == ')' {
			break
		}
		next, err := skipUnit(s, i)
		if err != nil {
			return 0, err
		}
		i = next
	}
	return i, nil
}

// skipUnit returns the index after the unit starting at i: a quoted string,
// a %(key) substitution, or a single byte.
func skipUnit(s string, i int) (int, error) {
	switch c := s[i]; {
	case c == '\'' || c == '"':
		j := strings.IndexByte(s[i+1:], c)
		if j < 0 {
			return 0, &SyntaxError{Check: s, Offset: i, Reason: "unterminated quoted string"}
		}
		return i + 1 + j + 1, nil
	case c == '%' && i+1 < len(s) && s[i+1] == '(':
		j := strings.IndexByte(s[i+2:], ')')
		if j < 0 {
			return 0, &SyntaxError{Check: s, Offset: i, Reason: "unterminated %( substitution"}
		}
		return i + 2 + j + 1, nil
	}
	return i + 1, nil
}

// isSpace reports whether c is ASCII white space.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// parser is a recursive-descent parser over the tokens of one check string.
type parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(pos int, format string, args ...any) error {
	return &SyntaxError{Check: p.src, Offset: pos, Reason: fmt.Sprintf(format, args...)}
}

// or parses: and { "or" and }.
func (p *parser) or() (*node, error) {
	return p.chain(tokOr, kindOr, p.and)
}

// and parses: not { "and" not }.
func (p *parser) and() (*node, error) {
	return p.chain(tokAnd, kindAnd, p.not)
}

// chain parses operands separated by op into one flat node of kind k.
func (p *parser) chain(op tokKind, k kind, operand func() (*node, error)) (*node, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	kids := []*node{first}
	for p.peek().kind == op {
		p.next()
		n, err := operand()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &node{kind: k, kids: kids}, nil
}

// not parses: "not" not | primary.
func (p *parser) not() (*node, error) {
	t := p.peek()
	if t.kind != tokNot {
		return p.primary()
	}
	p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	n, err := p.not()
	if err != nil {
		return nil, err
	}
	return &node{kind: kindNot, kids: []*node{n}}, nil
}

// primary parses: "(" or ")" | check.
func (p *parser) primary() (*node, error) {
	t := p.next()
	switch t.kind {
	case tokCheck:
		return p.check(t)
	case tokLParen:
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer p.leave()
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, p.errorf(c.pos, "expected \")\" to close \"(\" at offset %d, found %s", t.pos, c)
		}
		return n, nil
	}
	return nil, p.errorf(t.pos, "expected a check, found %s", t)
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > maxNesting {
		return p.errorf(pos, "nesting deeper than %d", maxNesting)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// check compiles one check word such as role:admin or project_id:%(project_id)s.
func (p *parser) check(t token) (*node, error) {
	w := t.text
	switch w {
	case "@":
		return &node{kind: kindTrue}, nil
	case "!":
		return &node{kind: kindFalse}, nil
	}
	colon := findColon(w)
	if colon < 0 {
		return nil, p.errorf(t.pos, "check %q is not @, ! or kind:match", w)
	}
	kindText, matchText := w[:colon], w[colon+1:]
	matchPos := t.pos + colon + 1
	if matchText == "" {
		return nil, p.errorf(matchPos, "check %q has an empty match", w)
	}
	if kindText == "rule" {
		name := unquote(matchText)
		if name == "" {
			return nil, p.errorf(matchPos, "check %q names no rule", w)
		}
		return &node{kind: kindRule, name: name}, nil
	}
	match, err := p.template(matchText, matchPos)
	if err != nil {
		return nil, err
	}
	if kindText == "role" {
		return &node{kind: kindRole, match: match}, nil
	}
	left, err := p.operand(kindText, t.pos)
	if err != nil {
		return nil, err
	}
	return &node{kind: kindGeneric, left: left, match: match}, nil
}

// operand compiles the left side of a generic check.
func (p *parser) operand(s string, pos int) (operand, error) {
	if s == "" {
		return operand{}, p.errorf(pos, "check has an empty kind before \":\"")
	}
	if isQuoted(s) {
		return operand{literal: true, text: s[1 : len(s)-1]}, nil
	}
	if s == "True" || s == "False" {
		return operand{literal: true, text: s}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return operand{literal: true, text: strconv.FormatInt(n, 10)}, nil
	}
	if i := strings.IndexAny(s, "'\"%"); i >= 0 {
		return operand{}, p.errorf(pos+i, "unexpected %q in credential key %q", s[i], s)
	}
	return operand{text: s}, nil
}

// template compiles the right side of a check: a quoted literal, or text in
// which %(key)s is replaced by target[key] and %% stands for %.
func (p *parser) template(s string, pos int) (template, error) {
	if isQuoted(s) {
		return template{segs: []segment{{text: s[1 : len(s)-1]}}}, nil
	}
	var segs []segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '%':
			lit.WriteByte('%')
			i++
		case i+1 < len(s) && s[i+1] == '(':
			rel := strings.IndexByte(s[i:], ')')
			if rel < 0 {
				return template{}, p.errorf(pos+i, "unterminated %%( substitution")
			}
			end := i + rel
			key := s[i+2 : end]
			if key == "" {
				return template{}, p.errorf(pos+i, "empty %%() substitution")
			}
			if end+1 >= len(s) || s[end+1] != 's' {
				return template{}, p.errorf(pos+end+1, "substitution %%(%s) must end in \"s\"", key)
			}
			flush()
			segs = append(segs, segment{text: key, key: true})
			i = end + 1
		default:
			return template{}, p.errorf(pos+i, "lone %% (write %%%% for a literal %%)")
		}
	}
	flush()
	return template{segs: segs}, nil
}

// findColon returns the index of the first ':' outside quotes and %(...), or -1.
func findColon(w string) int {
	for i := 0; i < len(w); {
		if w[i] == ':' {
			return i
		}
		next, err := skipUnit(w, i)
		if err != nil {
			return -1
		}
		i = next
	}
	return -1
}

// isQuoted reports whether s is one string wrapped in matching quotes.
func isQuoted(s string) bool {
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return false
	}
	return strings.IndexByte(s[1:len(s)-1], s[0]) < 0
}

// unquote strips matching quotes around s, if any.
func unquote(s string) string {
	if isQuoted(s) {
		return s[1 : len(s)-1]
	}
	return s
}
