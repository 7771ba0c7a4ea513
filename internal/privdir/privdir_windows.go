//go:build windows

package privdir

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// restrict gives dir a protected DACL (nothing inherited from its parent):
// full control for SYSTEM, the Administrators and the account the station
// runs as (LocalSystem for the service, the user for `offcircd run` typed
// at a console), inherited by every folder and file created in it.
func restrict(dir string) error {
	tok := windows.GetCurrentProcessToken()
	u, err := tok.GetTokenUser()
	if err != nil {
		return fmt.Errorf("privdir: the station's account: %w", err)
	}
	sddl := "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" + u.User.Sid.String() + ")"
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return fmt.Errorf("privdir: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("privdir: %w", err)
	}
	err = windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	if err != nil {
		return fmt.Errorf("privdir: setting the ACL of %s: %w", dir, err)
	}
	return nil
}
