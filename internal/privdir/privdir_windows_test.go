//go:build windows

package privdir

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// allowed reads path's DACL: the SIDs of its allow entries, and whether it
// is protected from inheritance.
func allowed(t *testing.T, path string) (sids []string, protected bool) {
	t.Helper()
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	ctl, _, err := sd.Control()
	if err != nil {
		t.Fatal(err)
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		t.Fatalf("%s: no DACL (%v): everyone has full access", path, err)
	}
	for i := 0; i < int(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, uint32(i), &ace); err != nil {
			t.Fatal(err)
		}
		if ace.Header.AceType == windows.ACCESS_ALLOWED_ACE_TYPE {
			sids = append(sids, (*windows.SID)(unsafe.Pointer(&ace.SidStart)).String())
		}
	}
	sort.Strings(sids)
	return sids, ctl&windows.SE_DACL_PROTECTED != 0
}

// underWine is whether the test runs under Wine, which keeps no ACLs of
// its own on files: it derives them from the Unix mode bits, and its
// NtSetSecurityObject changes neither (measured with Wine 8.0: the call
// succeeds, the folder stays 0775, no security xattr is written).
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

func me(t *testing.T) string {
	t.Helper()
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	return u.User.Sid.String()
}

// Everything created in a folder MkdirAll made is reachable only by
// SYSTEM, the Administrators and the station's own account: not by Users,
// Authenticated Users or Everyone, whatever the parent allows.
func TestMkdirAllPrivateACL(t *testing.T) {
	if underWine() {
		t.Skip("Wine keeps no file ACLs: it derives them from the Unix mode bits and ignores a DACL set on a file (measured with Wine 8.0)")
	}
	root := tempDir(t)
	top := filepath.Join(root, "Alma Offline Circulation")
	dir := filepath.Join(top, "OffCirc", "files")
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "OffCirc.dat")
	if err := os.WriteFile(file, []byte("x\r\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"S-1-5-18": true, "S-1-5-32-544": true, me(t): true}
	if _, protected := allowed(t, top); !protected {
		t.Errorf("%s inherits its parent's ACL", top)
	}
	for _, p := range []string{top, dir, file} {
		sids, _ := allowed(t, p)
		for _, s := range sids {
			if !want[s] {
				t.Errorf("%s allows %s (want only SYSTEM, Administrators and %s): %s", p, s, me(t), strings.Join(sids, " "))
			}
		}
		if len(sids) == 0 {
			t.Errorf("%s allows nobody", p)
		}
	}
}

// A folder that exists (the Offline Circulation Utility's) keeps its ACL.
func TestMkdirAllKeepsExisting(t *testing.T) {
	dir := tempDir(t)
	before, _ := allowed(t, dir)
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	after, _ := allowed(t, dir)
	if strings.Join(before, " ") != strings.Join(after, " ") {
		t.Errorf("ACL of an existing folder changed: %v -> %v", before, after)
	}
}
