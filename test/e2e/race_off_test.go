//go:build !race

package e2e

// raceBuild: the tests run without the race detector, and so does the server under test.
const raceBuild = false
