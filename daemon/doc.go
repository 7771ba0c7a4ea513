// Package daemon wires a station together and runs it: New builds the
// sources (devices), the station, the store and the feedback dispatcher from
// the configuration; Run runs them until cancelled and stops them in order
// (sources, station, then store drain and feedback).
package daemon
