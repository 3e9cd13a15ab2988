package config

import (
	"errors"
	"fmt"
	"testing"
)

// fuzzSchema has an option of every type, interpolated defaults and
// deprecated names, so fuzzed files reach every code path.
func fuzzSchema() *Schema {
	s := typeSchema()
	s.Register("DEFAULT",
		Opt{Name: "a", Default: "$b"},
		Opt{Name: "b", Default: "x"},
		Opt{Name: "n", Type: Int, Default: "1", DeprecatedNames: []DeprecatedName{{Section: "old", Name: "num"}}},
	)
	return s
}

func FuzzLoad(f *testing.F) {
	seeds := []string{
		"",
		"[DEFAULT]\na = $b\nb = ${a}\n",
		"[t]\nint = 5\nport: 80\nlist = a, b\nmulti = 1\nmulti = 2\n  continued\n",
		"[t]\nuri = http://h/\nbool = yes\nfloat = 1e3\nbounded = 99\n",
		"[old]\nnum = 7\n[unknown]\nx = 1\n",
		"k = v\n",
		"[t\n",
		"[DEFAULT]\na = \"\n",
		"[DEFAULT]\na = $$${b}$\n\r\n\t# c\n; d\n",
		"[t]\nstr = ${t.str}\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	schema := fuzzSchema()
	f.Fuzz(func(t *testing.T, text string) {
		c, warns, err := loadText(schema, src("f.conf", text))
		for _, w := range warns {
			_ = w.String()
		}
		if err != nil {
			var se *SyntaxError
			var ve *ValueError
			if !errors.As(err, &se) && !errors.As(err, &ve) {
				t.Fatalf("error of unexpected type %T: %v", err, err)
			}
			return
		}
		for _, info := range c.layout.all() {
			_ = typedGet(c, info.section, info)
			_ = c.Source(info.section, info.opt.Name)
		}
		_ = fmt.Sprint(c)
		// Setting any option to the text must not panic either.
		_ = c.Set("t", "int", text)
		_ = c.Set("DEFAULT", "a", text)
	})
}
