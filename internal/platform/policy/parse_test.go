package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseString(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "@"},
		{"   ", "@"},
		{"@", "@"},
		{"!", "!"},
		{"rule:admin_required", "rule:admin_required"},
		{"rule:identity:get_user", "rule:identity:get_user"},
		{"role:admin", "role:admin"},
		{"role:%(target.role.name)s", "role:%(target.role.name)s"},
		{"project_id:%(project_id)s", "project_id:%(project_id)s"},
		{"user_id:'abc def'", "user_id:'abc def'"},
		{`user_id:"it's"`, `user_id:"it's"`},
		{"is_admin_project:True", "is_admin_project:True"},
		{"'member':%(role.name)s", "'member':%(role.name)s"},
		{`"member":%(role.name)s`, "'member':%(role.name)s"},
		{"True:%(enabled)s", "'True':%(enabled)s"},
		{"42:%(n)s", "'42':%(n)s"},
		{"id:%(a)s/%(b)s", "id:%(a)s/%(b)s"},
		{"id:100%%", "id:100%%"},
		// precedence: not > and > or
		{"role:a or role:b and role:c", "(role:a or (role:b and role:c))"},
		{"role:a and role:b or role:c", "((role:a and role:b) or role:c)"},
		{"not role:a and role:b", "(not role:a and role:b)"},
		{"not role:a or role:b", "(not role:a or role:b)"},
		{"not (role:a or role:b)", "not (role:a or role:b)"},
		{"not not role:a", "not not role:a"},
		{"role:a or role:b or role:c", "(role:a or role:b or role:c)"},
		{"role:a and role:b and role:c", "(role:a and role:b and role:c)"},
		{"(role:a or role:b) and role:c", "((role:a or role:b) and role:c)"},
		{"((role:a))", "role:a"},
		{"(role:a)and(role:b)", "(role:a and role:b)"},
		{"role:a AND role:b Or NOT role:c", "((role:a and role:b) or not role:c)"},
		{"\trole:a\n\nor\r\n role:b ", "(role:a or role:b)"},
		{"(rule:x or project_id:%(target.project.id)s)", "(rule:x or project_id:%(target.project.id)s)"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := c.String(); got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			again, err := Parse(c.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", c.String(), err)
			}
			if again.String() != tt.want {
				t.Errorf("reparse gives %q, want %q", again.String(), tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		reason string
	}{
		{"role:a or", 9, "expected a check, found end of input"},
		{"role:a and or role:b", 11, `expected a check, found "or"`},
		{"and role:a", 0, `expected a check, found "and"`},
		{"(role:a", 7, `expected ")"`},
		{"role:a)", 6, `unexpected ")"`},
		{"()", 1, `expected a check, found ")"`},
		{"role:a role:b", 7, `unexpected check "role:b"`},
		{"admin", 0, "is not @, ! or kind:match"},
		{"role:", 5, "empty match"},
		{"rule:''", 5, "names no rule"},
		{":x", 0, "empty kind"},
		{"user_id:'abc", 8, "unterminated quoted string"},
		{"user_id:%(abc", 8, "unterminated %( substitution"},
		{"user_id:%()s", 8, "empty %() substitution"},
		{"user_id:%(a)d", 12, "must end in \"s\""},
		{"user_id:%(a)", 12, "must end in \"s\""},
		{"user_id:50%", 10, "lone %"},
		{"us'er':x'", 8, "unterminated quoted string"},
		{"a%b:x", 1, "unexpected '%' in credential key"},
		{"not", 3, "expected a check"},
		{"role:a not role:b", 7, `unexpected "not"`},
		{strings.Repeat("(", 200) + "@" + strings.Repeat(")", 200), 100, "nesting deeper than"},
		{strings.Repeat("not ", 200) + "@", 400, "nesting deeper than"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *SyntaxError", tt.in, err)
			}
			if se.Offset != tt.offset || !strings.Contains(se.Reason, tt.reason) {
				t.Errorf("Parse(%q) = offset %d %q, want offset %d containing %q", tt.in, se.Offset, se.Reason, tt.offset, tt.reason)
			}
			if se.Check != tt.in || !strings.Contains(err.Error(), "offset") {
				t.Errorf("error %q does not describe the check and position", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "@", "!", "role:admin", "rule:a or not (role:b and user_id:%(target.user.id)s)",
		"'member':%(role.name)s", "is_admin_project:True", "user_id:'a b'", "x:%(a)s-%(b)s%%",
		"((role:a)", "not not not @", `a:"x'y"`, "role:a)or(role:b",
	} {
		f.Add(s)
	}
	creds := Credentials{UserID: "u", ProjectID: "p", Roles: []string{"admin", "member"}}
	target := map[string]string{"a": "x", "b": "y", "role.name": "member", "target.user.id": "u"}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		rules := map[string]Check{"a": c, "b": c}
		c.Evaluate(target, creds, rules)
		if strings.ContainsAny(s, `'"`) {
			return // literals holding both quote kinds cannot always be written back
		}
		again, err := Parse(c.String())
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", s, c.String(), err)
		}
		if again.String() != c.String() {
			t.Fatalf("round trip of %q: %q != %q", s, again.String(), c.String())
		}
	})
}
