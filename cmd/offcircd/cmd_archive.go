package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/daemon/store"
	"github.com/offcircd/offcircd/encoder"
)

func init() {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "archive [--config FILE]",
		Short: "move the data file aside after uploading it to Alma (safe while the daemon runs)",
		Long: `archive moves <data_dir>/<file_name> to <data_dir>/archive/OffCirc-YYYYMMDD-HHMMSS-NNN.dat
(NNN numbers the archives of one second, so the names sort in the order they
were made) with one atomic rename, then checks the archived file and prints its summary.

This is step 5 of Alma's offline circulation procedure ("delete the file after
upload") done without losing records: the daemon opens the data file for each
record, so a record written meanwhile is either whole in the archived file or
starts a new data file. Upload the archived file, or archive first and upload
what archive printed.

Without --config it uses the same trial folders as 'offcircd run' (./OffCirc/files).

Exit status: 0 archived and clean (or nothing to archive), 1 failure or the
archived file has errors, 2 usage error.`,
		Example: "  offcircd archive --config /etc/offcircd/offcircd.toml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			loc, err := cfg.Location()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			dst, err := store.Archive(cfg.DataDir, cfg.FileName, time.Now().In(loc))
			if errors.Is(err, store.ErrNothingToArchive) {
				fmt.Fprintf(out, "nothing to archive: %s is missing or empty\n", cfg.DataPath())
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "moved %s -> %s\n", cfg.DataPath(), dst)
			sum, _, err := encoder.CheckFile(dst, encoder.Options{Location: loc, Report: func(p encoder.Problem) {
				fmt.Fprintf(out, "%s:%s\n", dst, p)
			}})
			if err != nil {
				return fmt.Errorf("archive: checking %s: %w", dst, err)
			}
			fmt.Fprintln(out, sum)
			if !sum.OK(false) {
				fmt.Fprintf(out, "the archived file has errors: fix them (offcircd check) before uploading it\n")
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (TOML)")
	rootCmd.AddCommand(cmd)
}
