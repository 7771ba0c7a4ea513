//go:build !linux

// Command guestinit is /init of the Linux e2e guest; it has no meaning elsewhere.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "guestinit: runs only as /init of the Linux e2e guest")
	os.Exit(1)
}
