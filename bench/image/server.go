package main

import (
	"os"
	"path/filepath"
)

// imageFile finds the file that holds an image's data under the state directory; "" if none.
func imageFile(state, id string) string {
	var found string
	_ = filepath.WalkDir(state, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == id {
			found = path
			return filepath.SkipAll
		}
		return nil
	})
	return found
}
