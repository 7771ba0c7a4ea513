// Package status owns the status file (state_dir/status.json): what a
// supervisor, `offcircd status` or a monitoring script learns about a running
// station without reading its logs. It never holds a patron ID.
package status
