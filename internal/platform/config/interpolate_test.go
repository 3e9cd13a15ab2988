package config

import (
	"errors"
	"slices"
	"testing"
)

func interpolationSchema() *Schema {
	s := NewSchema()
	s.Register("DEFAULT",
		Opt{Name: "state_path", Default: "/var/lib/gostack"},
		Opt{Name: "my_ip", Default: "10.0.0.11"},
		Opt{Name: "host", Default: "controller"},
		Opt{Name: "lock_path", Default: "$state_path/lock"},
		Opt{Name: "workers", Type: Int, Default: "2"},
		Opt{Name: "a"}, Opt{Name: "b"},
		Opt{Name: "secret", Secret: true},
	)
	s.Register("api",
		Opt{Name: "host", Default: "api-host"},
		Opt{Name: "url"},
		Opt{Name: "count", Type: Int},
		Opt{Name: "names", Type: MultiString},
	)
	s.Register("db", Opt{Name: "connection"})
	return s
}

func TestInterpolation(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		section string
		key     string
		want    string
	}{
		{"plain default", "", "DEFAULT", "lock_path", "/var/lib/gostack/lock"},
		{"default sees file value", "[DEFAULT]\nstate_path = /srv\n", "DEFAULT", "lock_path", "/srv/lock"},
		{"$name from DEFAULT", "[api]\nurl = http://$my_ip:5000\n", "api", "url", "http://10.0.0.11:5000"},
		{"${name}", "[api]\nurl = http://${my_ip}x\n", "api", "url", "http://10.0.0.11x"},
		{"own section first", "[api]\nurl = http://$host/\n", "api", "url", "http://api-host/"},
		{"DEFAULT when not in section", "[db]\nconnection = mysql://$host/x\n", "db", "connection", "mysql://controller/x"},
		{"${section.name}", "[db]\nconnection = ${api.host}\n", "db", "connection", "api-host"},
		{"$section.name", "[db]\nconnection = $api.host\n", "db", "connection", "api-host"},
		{"$$ is a dollar", "[DEFAULT]\na = pa$$word\n", "DEFAULT", "a", "pa$word"},
		{"$$name is literal", "[DEFAULT]\na = $$my_ip\n", "DEFAULT", "a", "$my_ip"},
		{"lone $ kept", "[DEFAULT]\na = cost $ 5 $\n", "DEFAULT", "a", "cost $ 5 $"},
		{"$digit kept", "[DEFAULT]\na = $1\n", "DEFAULT", "a", "$1"},
		{"unclosed brace kept", "[DEFAULT]\na = ${my_ip\n", "DEFAULT", "a", "${my_ip"},
		{"empty braces kept", "[DEFAULT]\na = ${}\n", "DEFAULT", "a", "${}"},
		{"chain", "[DEFAULT]\na = $b!\nb = <$my_ip>\n", "DEFAULT", "a", "<10.0.0.11>!"},
		{"unset option is empty", "[DEFAULT]\na = [$b]\n", "DEFAULT", "a", "[]"},
		{"set in a later file", "[DEFAULT]\na = $b\n", "DEFAULT", "a", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := []source{src("t.conf", tt.text)}
			if tt.name == "set in a later file" {
				files = append(files, src("u.conf", "[DEFAULT]\nb = x\n"))
			}
			c, _, err := loadText(interpolationSchema(), files...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := c.String(tt.section, tt.key); got != tt.want {
				t.Errorf("[%s] %s = %q, want %q", tt.section, tt.key, got, tt.want)
			}
		})
	}
}

func TestInterpolationTyped(t *testing.T) {
	c, _, err := loadText(interpolationSchema(), src("t.conf",
		"[api]\ncount = $workers\nnames = $host\nnames = ${my_ip}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Int("api", "count"); got != 2 {
		t.Errorf("count = %d", got)
	}
	if got := c.Multi("api", "names"); !slices.Equal(got, []string{"api-host", "10.0.0.11"}) {
		t.Errorf("names = %q", got)
	}
	if err := c.Set("DEFAULT", "workers", "8"); err != nil {
		t.Fatal(err)
	}
	if got := c.Int("api", "count"); got != 8 {
		t.Errorf("after Set, count = %d, want 8", got)
	}
	if err := c.Set("DEFAULT", "my_ip", "$$"); err != nil {
		t.Fatal(err)
	}
	if got := c.Multi("api", "names"); !slices.Equal(got, []string{"api-host", "$"}) {
		t.Errorf("names = %q", got)
	}
}

func TestInterpolationErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{"undefined", "[api]\nurl = http://$nope/\n",
			`t.conf:2: [api] url = "http://$nope/": undefined variable $nope`},
		{"undefined braced", "[api]\nurl = ${nope}\n",
			`t.conf:2: [api] url = "${nope}": undefined variable $nope`},
		{"undefined section", "[api]\nurl = ${zz.host}\n",
			`t.conf:2: [api] url = "${zz.host}": undefined variable $zz.host`},
		{"trailing dot is part of the name", "[api]\nurl = $host.\n",
			`t.conf:2: [api] url = "$host.": undefined variable $host.`},
		{"loop", "[DEFAULT]\na = $b\nb = $a\n",
			`t.conf:3: [DEFAULT] b = "$a": circular reference to [DEFAULT] a`},
		{"self", "[DEFAULT]\na = x$a\n",
			`t.conf:2: [DEFAULT] a = "x$a": circular reference to [DEFAULT] a`},
		{"bad after expansion", "[DEFAULT]\nb = many\n[api]\ncount = $b\n",
			`t.conf:4: [api] count = "$b": not an integer (expands to "many")`},
		{"secret not shown", "[DEFAULT]\nsecret = pa$word\n",
			`t.conf:2: [DEFAULT] secret = "****": undefined variable $word`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadText(interpolationSchema(), src("t.conf", tt.text))
			var ve *ValueError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValueError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("err = %s\nwant  %s", err, tt.want)
			}
		})
	}
}

func TestSetRejectsBreakingReference(t *testing.T) {
	c, _, err := loadText(interpolationSchema(), src("t.conf", "[api]\ncount = $workers\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("DEFAULT", "workers", "lots"); err == nil {
		t.Fatal("Set accepted a value that makes [api] count invalid")
	}
	if got := c.Int("api", "count"); got != 2 {
		t.Errorf("count = %d after a rejected Set", got)
	}
}

func TestDefaultsPanicsOnBadInterpolatedDefault(t *testing.T) {
	s := NewSchema()
	s.Register("DEFAULT", Opt{Name: "a", Default: "$missing"})
	defer func() {
		if recover() == nil {
			t.Error("Defaults did not panic")
		}
	}()
	s.Defaults()
}
