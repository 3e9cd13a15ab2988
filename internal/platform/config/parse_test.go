package config

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseINI(t *testing.T) {
	type a = assignment
	tests := []struct {
		name string
		in   string
		want []assignment
	}{
		{"equals", "[DEFAULT]\nk = v\n", []a{{"DEFAULT", "k", "v", 2}}},
		{"colon", "[DEFAULT]\nk: v\n", []a{{"DEFAULT", "k", "v", 2}}},
		{"no spaces", "[s]\nk=v", []a{{"s", "k", "v", 2}}},
		{"first separator wins (=)", "[s]\nurl = rabbit://u:p@h:5672/\n", []a{{"s", "url", "rabbit://u:p@h:5672/", 2}}},
		{"first separator wins (:)", "[s]\nk: a=b\n", []a{{"s", "k", "a=b", 2}}},
		{"whitespace trimmed", "[s]\n  \nk   =    v  x   \t\n", []a{{"s", "k", "v  x", 3}}},
		{"empty value", "[s]\nk =\n", []a{{"s", "k", "", 2}}},
		{"double quotes stripped", "[s]\nk = \" v \"\n", []a{{"s", "k", " v ", 2}}},
		{"single quotes stripped", "[s]\nk = 'v'\n", []a{{"s", "k", "v", 2}}},
		{"mismatched quotes kept", "[s]\nk = 'v\"\n", []a{{"s", "k", "'v\"", 2}}},
		{"lone quote", "[s]\nk = \"\n", []a{{"s", "k", "", 2}}},
		{"hash comment", "# c\n[s]\n# k = 1\nk = 2\n", []a{{"s", "k", "2", 4}}},
		{"semicolon comment", "; c\n[s]\n;k = 1\n", nil},
		{"hash inside value kept", "[s]\nk = a # b\n", []a{{"s", "k", "a # b", 2}}},
		{"continuation", "[s]\nk = a\n  b\n\tc\nj = d\n", []a{{"s", "k", "a\nb\nc", 2}, {"s", "j", "d", 5}}},
		{"blank line ends continuation", "[s]\nk = a\n\nj = b\n", []a{{"s", "k", "a", 2}, {"s", "j", "b", 4}}},
		{"indented comment inside value is value", "[s]\nk = a\n  # b\n", []a{{"s", "k", "a\n# b", 2}}},
		{"indented comment outside value", "[s]\n  # note\nk = a\n", []a{{"s", "k", "a", 3}}},
		{"crlf", "[s]\r\nk = v\r\nj = w\r\n", []a{{"s", "k", "v", 2}, {"s", "j", "w", 3}}},
		{"cr only", "[s]\rk = v\r", []a{{"s", "k", "v", 2}}},
		{"bom", "\ufeff[s]\nk = v\n", []a{{"s", "k", "v", 2}}},
		{"keys are case-sensitive", "[s]\nKey = 1\nkey = 2\n", []a{{"s", "Key", "1", 2}, {"s", "key", "2", 3}}},
		{"section names fold", "[Token]\nk = 1\n[default]\nj = 2\n", []a{{"token", "k", "1", 2}, {"DEFAULT", "j", "2", 4}}},
		{"section name trimmed", "[ db ]\nk = 1\n", []a{{"db", "k", "1", 2}}},
		{"repeated keys kept in order", "[s]\nk = 1\nk = 2\n", []a{{"s", "k", "1", 2}, {"s", "k", "2", 3}}},
		{"empty file", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pf, err := parseINI("t.conf", []byte(tt.in))
			if err != nil {
				t.Fatalf("parseINI: %v", err)
			}
			if !reflect.DeepEqual(pf.assigns, tt.want) {
				t.Errorf("assigns = %+v, want %+v", pf.assigns, tt.want)
			}
		})
	}
}

func TestParseINIErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"key before section", "k = v\n", `t.conf:1: key before any [section]: "k = v"`},
		{"no separator", "[s]\n\njust words\n", `t.conf:3: no '=' or ':' in assignment: "just words"`},
		{"empty key", "[s]\n = v\n", `t.conf:2: unexpected continuation line: " = v"`},
		{"empty key unindented", "[s]\n= v\n", `t.conf:2: empty key: "= v"`},
		{"unclosed section", "[s\n", `t.conf:1: invalid section header (must end with ]): "[s"`},
		{"empty section", "[ ]\n", `t.conf:1: empty section name: "[ ]"`},
		{"continuation first", "  x\n", `t.conf:1: unexpected continuation line: "  x"`},
		{"continuation after comment", "[s]\nk = v\n# c\n  x\n", `t.conf:4: unexpected continuation line: "  x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseINI("t.conf", []byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SyntaxError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("err = %s\nwant  %s", err, tt.want)
			}
		})
	}
}

func TestParseINIHeaders(t *testing.T) {
	pf, err := parseINI("t.conf", []byte("[a]\n\n[B]\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []sectionHeader{{"a", 1}, {"b", 3}}
	if !reflect.DeepEqual(pf.headers, want) {
		t.Errorf("headers = %+v, want %+v", pf.headers, want)
	}
}
