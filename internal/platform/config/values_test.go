package config

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestGetterPanics(t *testing.T) {
	c := typeSchema().Defaults()
	tests := []struct {
		name string
		call func()
	}{
		{"unregistered", func() { c.String("t", "missing") }},
		{"unregistered section", func() { c.Int("nope", "int") }},
		{"String on Int", func() { c.String("t", "int") }},
		{"Int on String", func() { c.Int("t", "str") }},
		{"Float on Int", func() { c.Float("t", "int") }},
		{"Bool on String", func() { c.Bool("t", "str") }},
		{"List on Multi", func() { c.List("t", "multi") }},
		{"Multi on List", func() { c.Multi("t", "list") }},
		{"IsSet unregistered", func() { c.IsSet("t", "missing") }},
		{"Source unregistered", func() { c.Source("t", "missing") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.call()
		})
	}
}

func TestGettersAcceptCompatibleTypes(t *testing.T) {
	c, _, err := loadText(typeSchema(), src("t.conf", "[T]\nuri = http://x/\nport = 8080\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String("T", "uri"); got != "http://x/" {
		t.Errorf("String(uri) = %q", got)
	}
	if got := c.Int("t", "port"); got != 8080 {
		t.Errorf("Int(port) = %d", got)
	}
}

func TestReturnedSlicesAreCopies(t *testing.T) {
	c, _, err := loadText(typeSchema(), src("t.conf", "[t]\nlist = a,b\nmulti = x\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.List("t", "list")[0] = "changed"
	c.Multi("t", "multi")[0] = "changed"
	if c.List("t", "list")[0] != "a" || c.Multi("t", "multi")[0] != "x" {
		t.Error("caller modified the Config through a returned slice")
	}
}

func TestIsSetAndSource(t *testing.T) {
	s := NewSchema()
	s.Register("DEFAULT", Opt{Name: "a", Default: "1"}, Opt{Name: "b", Default: "1"}, Opt{Name: "c"})
	c, _, err := loadText(s, src("t.conf", "[DEFAULT]\n\nb = 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("DEFAULT", "c", "x"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key    string
		set    bool
		source string
	}{
		{"a", false, "default"},
		{"b", true, "t.conf:3"},
		{"c", true, "set"},
	}
	for _, tt := range tests {
		if got := c.IsSet("DEFAULT", tt.key); got != tt.set {
			t.Errorf("IsSet(%s) = %v", tt.key, got)
		}
		if got := c.Source("DEFAULT", tt.key); got != tt.source {
			t.Errorf("Source(%s) = %q, want %q", tt.key, got, tt.source)
		}
	}
}

func TestSetMultiReplaces(t *testing.T) {
	c, _, err := loadText(typeSchema(), src("t.conf", "[t]\nmulti = a\nmulti = b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("t", "multi", "c"); err != nil {
		t.Fatal(err)
	}
	if got := c.Multi("t", "multi"); len(got) != 1 || got[0] != "c" {
		t.Errorf("multi = %q", got)
	}
}

func TestDumpRedactsSecrets(t *testing.T) {
	s := NewSchema()
	s.Register("DEFAULT", Opt{Name: "state_path", Default: "/var/lib/gostack"})
	s.Register("database",
		Opt{Name: "connection", Secret: true},
		Opt{Name: "pool", Type: Int},
		Opt{Name: "hosts", Type: MultiString})
	c, _, err := loadText(s, src("t.conf",
		"[database]\nconnection = mysql://nova:s3cret@db/nova\nhosts = a\nhosts = b\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.Dump(&b); err != nil {
		t.Fatal(err)
	}
	want := "[DEFAULT]\nstate_path = /var/lib/gostack\n" +
		"[database]\nconnection = ****\npool = <None>\nhosts = a\nhosts = b\n"
	if b.String() != want {
		t.Errorf("Dump =\n%s\nwant\n%s", b.String(), want)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, c); strings.Contains(out, "s3cret") {
			t.Errorf("fmt %s leaks the secret: %s", verb, out)
		}
	}
}

func TestConcurrentReadsAndSets(t *testing.T) {
	c := typeSchema().Defaults()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 50 {
				if err := c.Set("t", "int", fmt.Sprint(i*100+j)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				_ = c.Int("t", "int")
				_ = c.IsSet("t", "int")
				_ = c.Source("t", "int")
				_ = fmt.Sprint(c)
			}
		}()
	}
	wg.Wait()
}
