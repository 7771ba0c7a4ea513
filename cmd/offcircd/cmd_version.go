package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// versionLine is what both `offcircd version` and `offcircd --version` print.
func versionLine() string {
	return fmt.Sprintf("offcircd %s (commit %s, built %s, %s %s/%s)",
		version, commit, buildDate, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "print version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return nil
		},
	})
	// `offcircd --version` (and -v) is what people type first; cobra adds
	// the flag when Version is set.
	rootCmd.Version = version
	rootCmd.SetVersionTemplate(versionLine() + "\n")
}
