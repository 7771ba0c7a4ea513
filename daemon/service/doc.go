// Package service owns the OS-service glue: the service identity, the
// installed unit (systemd) or recovery settings (Windows), the Program that
// runs the daemon under a service manager with a bounded stop, the tee of
// warnings into the system log, and where an installed service finds its
// configuration.
package service
