package config

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
)

// Sources names the configuration files and directories to load, as given by
// --config-file and --config-dir.
type Sources struct {
	Files []string
	Dirs  []string
}

// RegisterFlags adds the repeatable --config-file and --config-dir flags to fs;
// each use appends to s.Files or s.Dirs.
func (s *Sources) RegisterFlags(fs *flag.FlagSet) {
	fs.Func("config-file", "path to a configuration file (repeatable; later files override earlier ones)",
		func(v string) error { s.Files = append(s.Files, v); return nil })
	fs.Func("config-dir", "directory whose *.conf files are read, sorted, after the config files (repeatable)",
		func(v string) error { s.Dirs = append(s.Dirs, v); return nil })
}

// Empty reports whether no file or directory was given.
func (s Sources) Empty() bool { return len(s.Files) == 0 && len(s.Dirs) == 0 }

// Load loads the sources with the schema; see Schema.Load.
func (s Sources) Load(schema *Schema) (*Config, []Warning, error) {
	return schema.Load(s.Files, s.Dirs)
}

// DefaultSources finds the configuration oslo.config would use for a project
// when none is given: the first existing <project>.conf and the first existing
// <project>.conf.d directory in ~/.<project>/, ~/, /etc/<project>/ and /etc/.
func DefaultSources(project string) Sources {
	var dirs []string
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "."+project), home)
	}
	dirs = append(dirs, filepath.Join("/etc", project), "/etc")
	return searchSources(dirs, project)
}

// searchSources looks for <project>.conf (a file) and <project>.conf.d (a
// directory) in dirs, keeping the first of each that exists.
func searchSources(dirs []string, project string) Sources {
	var s Sources
	if p := firstExisting(dirs, project+".conf", false); p != "" {
		s.Files = []string{p}
	}
	if p := firstExisting(dirs, project+".conf.d", true); p != "" {
		s.Dirs = []string{p}
	}
	return s
}

func firstExisting(dirs []string, name string, wantDir bool) string {
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() == wantDir {
			return p
		}
	}
	return ""
}

// WithServiceFile returns the sources plus one service's own file, such as glance-api.conf,
// wherever it exists beside the sources' files (so beside /etc/gostack/gostack.conf when
// the default sources found that). A service file is read after the shared ones, so what it
// sets wins: that is where options two services spell the same way, such as [DEFAULT]
// bind_port or enabled_backends, get their per-service values, as in OpenStack's own files.
func (s Sources) WithServiceFile(name string) Sources {
	out := Sources{Files: slices.Clone(s.Files), Dirs: slices.Clone(s.Dirs)}
	seen := map[string]bool{}
	for _, f := range s.Files {
		p := filepath.Join(filepath.Dir(f), name)
		if seen[p] || slices.Contains(s.Files, p) {
			continue
		}
		seen[p] = true
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			out.Files = append(out.Files, p)
		}
	}
	return out
}
