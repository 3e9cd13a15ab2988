package config

import (
	"strings"
	"sync"
	"testing"
)

func TestRegisterPanics(t *testing.T) {
	tests := []struct {
		name    string
		section string
		opt     Opt
		want    string // part of the panic message
	}{
		{"duplicate", "DEFAULT", Opt{Name: "debug"}, "duplicate option"},
		{"duplicate, other case section", "default", Opt{Name: "debug"}, "duplicate option"},
		{"empty name", "DEFAULT", Opt{}, "invalid option name"},
		{"name with space", "DEFAULT", Opt{Name: "a b"}, "invalid option name"},
		{"bad section", "a=b", Opt{Name: "x"}, "invalid section name"},
		{"bad type", "DEFAULT", Opt{Name: "x", Type: Type(42)}, "invalid type"},
		{"bad default", "DEFAULT", Opt{Name: "x", Type: Int, Default: "ten"}, `default "ten": not an integer`},
		{"default out of bounds", "DEFAULT", Opt{Name: "x", Type: Int, Default: "0", Min: IntBound(1)}, "must be at least 1"},
		{"default not a choice", "DEFAULT", Opt{Name: "x", Default: "c", Choices: []string{"a", "b"}}, "must be one of"},
		{"min above max", "DEFAULT", Opt{Name: "x", Type: Int, Min: IntBound(5), Max: IntBound(1)}, "greater than Max"},
		{"bounds on string", "DEFAULT", Opt{Name: "x", Min: IntBound(1)}, "Min/Max given for a string option"},
		{"choices on bool", "DEFAULT", Opt{Name: "x", Type: Bool, Choices: []string{"true"}}, "Choices given for a boolean"},
		{"bad int choice", "DEFAULT", Opt{Name: "x", Type: Int, Choices: []string{"one"}}, `choice "one"`},
		{"empty deprecated name", "DEFAULT", Opt{Name: "x", DeprecatedNames: []DeprecatedName{{}}}, "invalid deprecated name"},
		{"deprecated name is itself", "DEFAULT", Opt{Name: "x", DeprecatedNames: []DeprecatedName{{Section: "DEFAULT"}}}, "the option itself"},
		{"deprecated name is an option", "DEFAULT", Opt{Name: "x", DeprecatedNames: []DeprecatedName{{Name: "debug"}}}, "is a registered option"},
		{"deprecated name taken", "DEFAULT", Opt{Name: "x", DeprecatedNames: []DeprecatedName{{Section: "old", Name: "v"}}}, "already a deprecated name"},
		{"name is a deprecated name", "old", Opt{Name: "v"}, "is a deprecated name of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSchema()
			s.Register("DEFAULT", Opt{Name: "debug", Type: Bool})
			s.Register("new", Opt{Name: "v", DeprecatedNames: []DeprecatedName{{Section: "old"}}})
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.want) {
					t.Errorf("panic = %q, want it to contain %q", msg, tt.want)
				}
			}()
			s.Register(tt.section, tt.opt)
		})
	}
}

func TestRegisterAcceptsInterpolatedDefault(t *testing.T) {
	s := NewSchema()
	s.Register("DEFAULT", Opt{Name: "n", Type: Int, Default: "4"}, Opt{Name: "m", Type: Int, Default: "$n"})
	if got := s.Defaults().Int("DEFAULT", "m"); got != 4 {
		t.Errorf("m = %d", got)
	}
}

func TestRegisterCopiesOpt(t *testing.T) {
	s := NewSchema()
	choices := []string{"a", "b"}
	lo := int64(1)
	s.Register("x", Opt{Name: "c", Choices: choices}, Opt{Name: "i", Type: Int, Min: &lo})
	choices[0], lo = "z", 100
	c, _, err := loadText(s, src("t.conf", "[x]\nc = a\ni = 2\n"))
	if err != nil {
		t.Fatalf("caller's later changes leaked into the schema: %v", err)
	}
	_ = c
}

func TestSchemaConcurrentRegisterAndLoad(t *testing.T) {
	s := NewSchema()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 25 {
				s.Register("s", Opt{Name: "o" + string(rune('a'+i)) + string(rune('a'+j))})
			}
		}()
		go func() {
			defer wg.Done()
			for range 25 {
				if _, _, err := loadText(s, src("t.conf", "[s]\noaa = 1\n")); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(s.snapshot().opts["s"]); n != 100 {
		t.Errorf("registered %d options, want 100", n)
	}
}

func TestRegisterShared(t *testing.T) {
	s := NewSchema()
	s.RegisterShared("DEFAULT", Opt{Name: "bind_port", Type: Port, Help: "first"})
	s.RegisterShared("DEFAULT", Opt{Name: "bind_port", Type: Port, Help: "second"}, Opt{Name: "bind_host", Type: String})
	if got := s.Defaults().String("DEFAULT", "bind_host"); got != "" {
		t.Errorf("bind_host = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("a shared option registered with another type did not panic")
		}
	}()
	s.RegisterShared("DEFAULT", Opt{Name: "bind_port", Type: String})
}
