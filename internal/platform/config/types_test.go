package config

import (
	"errors"
	"reflect"
	"testing"
)

// typeSchema registers one option of every kind in [t].
func typeSchema() *Schema {
	s := NewSchema()
	s.Register("t",
		Opt{Name: "str"},
		Opt{Name: "choice", Choices: []string{"sql", "memcache"}},
		Opt{Name: "int", Type: Int},
		Opt{Name: "bounded", Type: Int, Min: IntBound(1), Max: IntBound(10)},
		Opt{Name: "intchoice", Type: Int, Choices: []string{"1", "2"}},
		Opt{Name: "float", Type: Float},
		Opt{Name: "bool", Type: Bool},
		Opt{Name: "list", Type: List},
		Opt{Name: "listchoice", Type: List, Choices: []string{"a", "b"}},
		Opt{Name: "multi", Type: MultiString},
		Opt{Name: "port", Type: Port},
		Opt{Name: "hiport", Type: Port, Min: IntBound(1024)},
		Opt{Name: "uri", Type: URI},
		Opt{Name: "password", Secret: true, Choices: []string{"x"}},
	)
	return s
}

// typedGet reads an option with the getter matching its type.
func typedGet(c *Config, section string, info *optInfo) any {
	switch info.opt.Type {
	case String, URI:
		return c.String(section, info.opt.Name)
	case Int, Port:
		return c.Int(section, info.opt.Name)
	case Float:
		return c.Float(section, info.opt.Name)
	case Bool:
		return c.Bool(section, info.opt.Name)
	case List:
		return c.List(section, info.opt.Name)
	}
	return c.Multi(section, info.opt.Name)
}

func TestTypes(t *testing.T) {
	s := typeSchema()
	tests := []struct {
		key, val string
		want     any    // when err == ""
		err      string // exact error text
	}{
		{"str", "anything at all", "anything at all", ""},
		{"str", "", "", ""},
		{"choice", "sql", "sql", ""},
		{"choice", "SQL", nil, `t.conf:2: [t] choice = "SQL": must be one of: sql, memcache`},
		{"int", "42", 42, ""},
		{"int", "-7", -7, ""},
		{"int", "+7", 7, ""},
		{"int", "", 0, ""},
		{"int", "abc", nil, `t.conf:2: [t] int = "abc": not an integer`},
		{"int", "1.5", nil, `t.conf:2: [t] int = "1.5": not an integer`},
		{"int", "99999999999999999999", nil, `t.conf:2: [t] int = "99999999999999999999": integer out of range`},
		{"bounded", "1", 1, ""},
		{"bounded", "10", 10, ""},
		{"bounded", "0", nil, `t.conf:2: [t] bounded = "0": must be at least 1`},
		{"bounded", "11", nil, `t.conf:2: [t] bounded = "11": must be at most 10`},
		{"intchoice", "+2", 2, ""},
		{"intchoice", "3", nil, `t.conf:2: [t] intchoice = "3": must be one of: 1, 2`},
		{"float", "1.5", 1.5, ""},
		{"float", "-2e3", -2000.0, ""},
		{"float", "", 0.0, ""},
		{"float", "x", nil, `t.conf:2: [t] float = "x": not a number`},
		{"float", "inf", nil, `t.conf:2: [t] float = "inf": not a number`},
		{"bool", "true", true, ""},
		{"bool", "Yes", true, ""},
		{"bool", "ON", true, ""},
		{"bool", "1", true, ""},
		{"bool", "False", false, ""},
		{"bool", "no", false, ""},
		{"bool", "off", false, ""},
		{"bool", "0", false, ""},
		{"bool", "", nil, `t.conf:2: [t] bool = "": not a boolean (use true/false, yes/no, on/off or 1/0)`},
		{"bool", "maybe", nil, `t.conf:2: [t] bool = "maybe": not a boolean (use true/false, yes/no, on/off or 1/0)`},
		{"list", " a , b,,c ,", []string{"a", "b", "c"}, ""},
		{"list", "", []string(nil), ""},
		{"listchoice", "a,b", []string{"a", "b"}, ""},
		{"listchoice", "a,c", nil, `t.conf:2: [t] listchoice = "a,c": item "c": must be one of: a, b`},
		{"multi", "one", []string{"one"}, ""},
		{"port", "0", 0, ""},
		{"port", "65535", 65535, ""},
		{"port", "65536", nil, `t.conf:2: [t] port = "65536": must be between 0 and 65535`},
		{"port", "-1", nil, `t.conf:2: [t] port = "-1": must be between 0 and 65535`},
		{"port", "http", nil, `t.conf:2: [t] port = "http": not a port number`},
		{"hiport", "80", nil, `t.conf:2: [t] hiport = "80": must be at least 1024`},
		{"uri", "http://controller:5000/v3", "http://controller:5000/v3", ""},
		{"uri", "rabbit://openstack:pass@controller", "rabbit://openstack:pass@controller", ""},
		{"uri", "", "", ""},
		{"uri", "controller:5000", nil, `t.conf:2: [t] uri = "controller:5000": not a URI with a scheme (such as http://host/)`},
		{"uri", "/just/a/path", nil, `t.conf:2: [t] uri = "/just/a/path": not a URI with a scheme (such as http://host/)`},
		{"password", "hunter2", nil, `t.conf:2: [t] password = "****": must be one of: x`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.val, func(t *testing.T) {
			c, _, err := loadText(s, src("t.conf", "[t]\n"+tt.key+" = "+tt.val+"\n"))
			if tt.err != "" {
				var ve *ValueError
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want *ValueError", err)
				}
				if err.Error() != tt.err {
					t.Errorf("err = %s\nwant  %s", err, tt.err)
				}
				if ve.File != "t.conf" || ve.Line != 2 || ve.Section != "t" || ve.Key != tt.key {
					t.Errorf("ValueError fields = %+v", ve)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := typedGet(c, "t", c.layout.lookup("t", tt.key))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			// Set validates exactly like a file.
			if err := c.Set("t", tt.key, tt.val); err != nil {
				t.Errorf("Set(%q): %v", tt.val, err)
			}
		})
	}
}

func TestSetValidates(t *testing.T) {
	c := typeSchema().Defaults()
	err := c.Set("t", "bounded", "0")
	want := `[t] bounded = "0": must be at least 1`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if c.IsSet("t", "bounded") {
		t.Error("a rejected Set changed the Config")
	}
	if err := c.Set("t", "nope", "1"); err == nil {
		t.Error("Set of an unknown option succeeded")
	}
}

func TestZeroValues(t *testing.T) {
	s := typeSchema()
	c := s.Defaults()
	for _, info := range c.layout.opts["t"] {
		got := typedGet(c, "t", info)
		if want := zeroValue(info.opt.Type); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", info.opt.Name, got, want)
		}
		if c.IsSet("t", info.opt.Name) || c.Source("t", info.opt.Name) != "default" {
			t.Errorf("%s: IsSet/Source wrong for an unset option", info.opt.Name)
		}
	}
}

func TestTypeString(t *testing.T) {
	if got := Port.String(); got != "port" {
		t.Errorf("Port.String() = %q", got)
	}
	if got := Type(99).String(); got != "Type(99)" {
		t.Errorf("Type(99).String() = %q", got)
	}
}
