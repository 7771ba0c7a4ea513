package config

import (
	"strings"
	"testing"
)

// TestLocalZoneError: only a TZ that Go could not load (and so replaced by
// UTC) is refused; the ways of asking for the system zone or for UTC, and
// a zone Go loaded, are fine.
func TestLocalZoneError(t *testing.T) {
	tests := []struct {
		name, tz string
		set      bool
		local    string // time.Local.String() as Go left it
		bad      bool
	}{
		{"unset", "", false, "Local", false},
		{"unset, no /etc/localtime", "", false, "UTC", false},
		{"empty is UTC", "", true, "UTC", false},
		{"UTC", "UTC", true, "UTC", false},
		{":UTC", ":UTC", true, "UTC", false},
		{"colon only", ":", true, "UTC", false},
		{":/etc/localtime", ":/etc/localtime", true, "Local", false},
		{"zone name", "Europe/Berlin", true, "Europe/Berlin", false},
		{"zone file", "/usr/share/zoneinfo/Asia/Tokyo", true, "/usr/share/zoneinfo/Asia/Tokyo", false},
		{"unknown name", "Nowhere/Land", true, "UTC", true},
		{"POSIX rule", "CET-1CEST,M3.5.0,M10.5.0/3", true, "UTC", true},
		{"missing file", ":/no/such/zone", true, "UTC", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := LocalZoneError(tt.tz, tt.set, tt.local)
			if (err != nil) != tt.bad {
				t.Fatalf("LocalZoneError(%q, %v, %q) = %v, want an error: %v", tt.tz, tt.set, tt.local, err, tt.bad)
			}
			if err != nil && (!strings.Contains(err.Error(), "TZ environment variable is "+`"`+tt.tz+`"`) || !strings.Contains(err.Error(), "set timezone in the configuration")) {
				t.Errorf("message %q names neither TZ nor the fix", err)
			}
		})
	}
}
