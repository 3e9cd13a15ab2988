package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// origin says where an option's current value came from.
type origin int

const (
	fromDefault origin = iota
	fromFile
	fromSet
)

// value is one textual value and where it was written.
type value struct {
	text string
	file string // "" for defaults and Set
	line int
}

// entry is the raw state of one option: its values before interpolation.
// Single-valued options use the last value; MultiString uses all of them.
// Entries are never modified once a Config holds them.
type entry struct {
	vals   []value
	origin origin
}

// source is the content of one configuration file.
type source struct {
	name string
	data []byte
}

// Load reads the given files, then every *.conf file of each directory (sorted
// by name, hidden files skipped), later values overriding earlier ones, and
// returns the validated configuration. A file or directory that cannot be read,
// a syntax error or an invalid value is an error (*SyntaxError and *ValueError
// can be extracted with errors.As; several value errors are joined). Unknown
// sections and options and deprecated names are reported as warnings, which are
// returned even when there is an error.
func (s *Schema) Load(files, dirs []string) (*Config, []Warning, error) {
	srcs, err := readSources(files, dirs)
	if err != nil {
		return nil, nil, err
	}
	return s.snapshot().load(srcs)
}

// readSources reads the files and the *.conf files of the directories, in order.
func readSources(files, dirs []string) ([]source, error) {
	var paths []string
	paths = append(paths, files...)
	for _, dir := range dirs {
		names, err := confFiles(dir)
		if err != nil {
			return nil, err
		}
		paths = append(paths, names...)
	}
	srcs := make([]source, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		srcs = append(srcs, source{name: p, data: data})
	}
	return srcs, nil
}

// confFiles lists the *.conf files of dir, sorted by name.
func confFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("config dir: %w", err)
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".conf") {
			continue
		}
		out = append(out, filepath.Join(dir, name))
	}
	return out, nil
}

// load applies the sources, in order, over the defaults.
func (l *layout) load(srcs []source) (*Config, []Warning, error) {
	entries := defaultEntries(l)
	var warns []Warning
	for _, src := range srcs {
		pf, err := parseINI(src.name, src.data)
		if err != nil {
			return nil, warns, err
		}
		warns = append(warns, l.apply(entries, pf)...)
	}
	c, err := newConfig(l, entries)
	if err != nil {
		return nil, warns, err
	}
	return c, warns, nil
}

// defaultEntries returns an entry holding the default of every option.
func defaultEntries(l *layout) map[optKey]*entry {
	entries := make(map[optKey]*entry, len(l.byKey))
	for k, info := range l.byKey {
		e := &entry{origin: fromDefault}
		for _, d := range defaultValues(&info.opt) {
			e.vals = append(e.vals, value{text: d})
		}
		entries[k] = e
	}
	return entries
}

// found collects the values one file gives for one option.
type found struct {
	all    []value // direct and deprecated, in file order
	direct int     // index in all of the last value under the option's own name, or -1
}

// apply records the assignments of one file in entries and returns its
// warnings. Within a file, the option's own name wins over deprecated names
// (as in oslo); a later file wins over an earlier one, except that
// MultiString values accumulate.
func (l *layout) apply(entries map[optKey]*entry, pf *parsedFile) []Warning {
	var warns []Warning
	for _, h := range pf.headers {
		if !l.known[h.name] {
			warns = append(warns, Warning{File: pf.name, Line: h.line, Section: h.name, Message: "unknown section"})
		}
	}
	perOpt := map[*optInfo]*found{}
	var order []*optInfo
	for _, a := range pf.assigns {
		if !l.known[a.section] {
			continue // reported once, at its header
		}
		info, deprecated := l.resolveName(a.section, a.key)
		if info == nil {
			warns = append(warns, Warning{File: pf.name, Line: a.line, Section: a.section, Key: a.key, Message: "unknown option"})
			continue
		}
		if deprecated {
			warns = append(warns, Warning{File: pf.name, Line: a.line, Section: a.section, Key: a.key,
				Message: fmt.Sprintf("deprecated name; use [%s] %s", info.section, info.opt.Name)})
		}
		f := perOpt[info]
		if f == nil {
			f = &found{direct: -1}
			perOpt[info] = f
			order = append(order, info)
		}
		f.all = append(f.all, value{text: a.value, file: pf.name, line: a.line})
		if !deprecated {
			f.direct = len(f.all) - 1
		}
	}
	for _, info := range order {
		entries[info.key()] = merged(info, entries[info.key()], perOpt[info])
	}
	return warns
}

// resolveName finds the option a file's key refers to, and whether the key is
// one of its deprecated names.
func (l *layout) resolveName(section, key string) (*optInfo, bool) {
	k := optKey{section, key}
	if info := l.byKey[k]; info != nil {
		return info, false
	}
	if info := l.aliases[k]; info != nil {
		return info, true
	}
	return nil, false
}

// merged returns the entry of an option after a file gave it the values in f.
func merged(info *optInfo, old *entry, f *found) *entry {
	if info.opt.Type == MultiString {
		e := &entry{origin: fromFile}
		if old.origin == fromFile {
			e.vals = append(e.vals, old.vals...)
		}
		e.vals = append(e.vals, f.all...)
		return e
	}
	last := f.all[len(f.all)-1]
	if f.direct >= 0 {
		last = f.all[f.direct]
	}
	return &entry{vals: []value{last}, origin: fromFile}
}
