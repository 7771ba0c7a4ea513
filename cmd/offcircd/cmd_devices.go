package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/offcircd/offcircd/devices"
)

func init() {
	var asJSON, snippets bool
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "list serial ports and HID devices, with a [[scanner]] snippet for each",
		Long: "devices lists the serial ports and USB HID devices of this machine with their USB\n" +
			"VID:PID, serial number and product, marks those made by known scanner makers, and\n" +
			"prints a ready-to-paste [[scanner]] table for each. A transport that cannot be\n" +
			"listed is reported on stderr; the others are still shown.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ls, errs := devices.List()
			for _, err := range errs {
				fmt.Fprintln(os.Stderr, "offcircd: devices:", err)
			}
			out := c.OutOrStdout()
			if asJSON {
				return writeDevicesJSON(out, ls)
			}
			writeDevices(out, ls, snippets)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the listing as JSON")
	cmd.Flags().BoolVar(&snippets, "snippets", true, "print a [[scanner]] snippet for each device")
	rootCmd.AddCommand(cmd)
}

// writeDevices prints the table, likely scanners first, then the snippets.
func writeDevices(w io.Writer, ls []devices.Listing, snippets bool) {
	if len(ls) == 0 {
		fmt.Fprintln(w, "no serial ports or HID devices found")
		fmt.Fprintln(w, "(check that the scanner is plugged in and in serial/USB-COM or HID POS mode, and that")
		fmt.Fprintln(w, " this user may open it: dialout group for serial, a udev rule for /dev/bus/usb)")
		return
	}
	ordered := make([]devices.Listing, 0, len(ls))
	for _, likely := range []bool{true, false} {
		for _, l := range ls {
			if l.Likely == likely {
				ordered = append(ordered, l)
			}
		}
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tVID:PID\tIF\tSERIAL\tPRODUCT\tSCANNER")
	for _, l := range ordered {
		ids := "-"
		if l.VID != "" {
			ids = l.VID + ":" + l.PID
		}
		iface := "-"
		if l.Interface >= 0 {
			iface = fmt.Sprint(l.Interface)
		}
		product := strings.TrimSpace(strings.TrimSpace(l.Manufacturer) + " " + strings.TrimSpace(l.Product))
		likely := ""
		if l.Likely {
			likely = "likely"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Kind, l.Name, ids, iface,
			orDash(l.SerialNumber), orDash(product), likely)
	}
	tw.Flush()
	if !snippets {
		return
	}
	for _, l := range ordered {
		if l.Snippet == "" {
			continue
		}
		fmt.Fprintf(w, "\n# %s %s\n%s", l.Kind, l.Name, l.Snippet)
		if !strings.HasSuffix(l.Snippet, "\n") {
			fmt.Fprintln(w)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// deviceJSON is the --json form of a listing; field names are part of the
// command's output contract.
type deviceJSON struct {
	Kind         string `json:"kind"`
	Name         string `json:"name"`
	VID          string `json:"vid,omitempty"`
	PID          string `json:"pid,omitempty"`
	SerialNumber string `json:"serial_number,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Product      string `json:"product,omitempty"`
	Interface    *int   `json:"interface,omitempty"`
	Likely       bool   `json:"likely_scanner"`
	Snippet      string `json:"snippet,omitempty"`
}

func writeDevicesJSON(w io.Writer, ls []devices.Listing) error {
	out := make([]deviceJSON, 0, len(ls))
	for _, l := range ls {
		d := deviceJSON{Kind: l.Kind, Name: l.Name, VID: l.VID, PID: l.PID, SerialNumber: l.SerialNumber,
			Manufacturer: l.Manufacturer, Product: l.Product, Likely: l.Likely, Snippet: l.Snippet}
		if l.Interface >= 0 {
			i := l.Interface
			d.Interface = &i
		}
		out = append(out, d)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
