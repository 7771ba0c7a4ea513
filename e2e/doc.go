// Package e2e is the virtual scanning station: the real offcircd binary
// runs as a service would inside a QEMU guest (Debian's kernel, a tiny
// initramfs) whose emulated USB keyboard-mode scanner, USB keypad, FTDI
// serial scanner and PC speaker are driven from the host over QMP and
// chardev sockets. The data file and the speaker's WAV capture are compared
// with what the scripted desk session must produce.
//
// The session test needs QEMU and a kernel (e2e/setup.sh) and about a
// minute, so it is behind the build tag e2e: run it with `make e2e`.
// Without the tag only the WAV analysis tests run.
package e2e
