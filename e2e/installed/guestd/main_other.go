//go:build !linux

// Command guestd is the Linux test helper of the installed e2e station; it
// has no meaning elsewhere.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "guestd runs inside the Linux e2e guest only")
	os.Exit(1)
}
