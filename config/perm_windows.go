//go:build windows

package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
)

// CheckPermissions refuses a config file that non-administrators can change:
// the service runs as LocalSystem and takes commands (beeper command lines,
// file locations) from it. The file's DACL must give write access only to
// SYSTEM, the Administrators, TrustedInstaller and its owner, and its
// folder must not let anyone else delete or replace it (Writers has the
// rules). This is the Windows form of the Unix world-writable check.
func CheckPermissions(path string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dir := filepath.Dir(real)
	for _, obj := range []struct {
		path   string
		folder bool
	}{{real, false}, {dir, true}} {
		sec, err := readSecurity(obj.path)
		if err != nil {
			return fmt.Errorf("config: reading the ACL of %s: %w", obj.path, err)
		}
		if w := Writers(sec, obj.folder); len(w) > 0 {
			what := "can be changed"
			if obj.folder {
				what = "is in " + dir + ", where its file can be replaced"
			}
			return fmt.Errorf("config: %s %s by %s: anyone in that group could make the service run their commands; fix with: %s",
				path, what, accountNames(w), FixACLCommand(dir))
		}
	}
	return nil
}

// Allow entries whose SID is not where ACCESS_ALLOWED_ACE has it (winnt.h).
const (
	aceAllowedObject         = 5
	aceAllowedCallback       = 9
	aceAllowedCallbackObject = 11
)

// readSecurity reads the owner and DACL of path.
func readSecurity(path string) (Security, error) {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return Security{}, err
	}
	var s Security
	if owner, _, err := sd.Owner(); err == nil && owner != nil {
		s.Owner = owner.String()
	}
	dacl, _, err := sd.DACL()
	if err == windows.ERROR_OBJECT_NOT_FOUND || (err == nil && dacl == nil) {
		s.NullDACL = true
		return s, nil
	}
	if err != nil {
		return Security{}, err
	}
	for i := 0; i < int(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, uint32(i), &ace); err != nil {
			return Security{}, err
		}
		switch ace.Header.AceType {
		case windows.ACCESS_ALLOWED_ACE_TYPE, windows.ACCESS_DENIED_ACE_TYPE:
			sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
			s.DACL = append(s.DACL, ACE{
				Allow: ace.Header.AceType == windows.ACCESS_ALLOWED_ACE_TYPE,
				Flags: ace.Header.AceFlags,
				Mask:  uint32(ace.Mask),
				SID:   sid.String(),
			})
		case aceAllowedObject, aceAllowedCallback, aceAllowedCallbackObject:
			s.Unparsed++
		}
	}
	return s, nil
}

// accountNames turns SIDs into "DOMAIN\name (SID)" for the message.
func accountNames(sids []string) string {
	var names []string
	for _, s := range sids {
		switch s {
		case "*":
			names = append(names, "everyone (the file has no DACL)")
			continue
		case "?":
			names = append(names, "entries of an unknown kind")
			continue
		}
		name := s
		if sid, err := windows.StringToSid(s); err == nil {
			if acc, dom, _, err := sid.LookupAccount(""); err == nil {
				if dom != "" {
					acc = dom + `\` + acc
				}
				name = acc + " (" + s + ")"
			}
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}
