package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "print version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "offcircd %s (commit %s, built %s, %s %s/%s)\n",
				version, commit, buildDate, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	})
}
