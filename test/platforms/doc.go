// Package platforms holds the release checks that need the cross-built
// artifacts of `make dist` and `make deb`: the Windows smoke test under Wine
// (byte-for-byte against the Linux build) and the Debian package checks.
//
// They are behind the build tag "platforms" because they need Wine, mingw
// and dpkg-deb and take minutes; `make test-platforms` builds the artifacts
// and runs them:
//
//	go test -tags platforms ./test/platforms/ -dist $PWD/dist
//
// prngshim/ is a test-only bcryptprimitives.dll: Go 1.22+ Windows binaries
// need its ProcessPrng, which Debian 12's Wine 8.0 lacks. It is built with
// mingw into the Wine prefix at test time and never shipped.
package platforms
