package config

import (
	"fmt"
	"slices"
)

// This file decides, from a Windows security descriptor reduced to plain
// data, who besides the administrators may change a file. It has no Windows
// calls so that its rules are tested on every platform; perm_windows.go
// reads the real descriptor.

// ACE is one access control entry of a DACL.
type ACE struct {
	Allow bool   // ACCESS_ALLOWED_ACE_TYPE; false = ACCESS_DENIED_ACE_TYPE
	Flags uint8  // AceFlags (INHERIT_ONLY_ACE = 0x08: applies to children only)
	Mask  uint32 // access mask
	SID   string // trustee, e.g. "S-1-5-32-545"
}

// Security is what the check needs of a file's security descriptor.
type Security struct {
	Owner    string // owner SID
	NullDACL bool   // no DACL at all, or a NULL DACL: everyone has full access
	DACL     []ACE
	// Unparsed counts allow entries of types the check cannot read (object
	// or callback ACEs, which file systems do not write): refused, since
	// nobody can say whom they let in.
	Unparsed int
}

// Well-known SIDs.
const (
	SIDSystem         = "S-1-5-18"
	SIDAdministrators = "S-1-5-32-544"
	SIDUsers          = "S-1-5-32-545"
	SIDEveryone       = "S-1-1-0"
	sidTrusted        = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464" // NT SERVICE\TrustedInstaller
	sidCreatorOwner   = "S-1-3-0"
	sidOwnerRights    = "S-1-3-4"
	sidAuthenticated  = "S-1-5-11"
	sidInteractive    = "S-1-5-4"
	sidGuests         = "S-1-5-32-546"
	sidAnonymous      = "S-1-5-7"
)

// Access rights that let a trustee change what the service reads: the
// contents, the file itself (delete, then put another in its place), or
// its ACL and owner. On a folder, deleting its children is one more.
const (
	fileWriteData   = 0x0002 // also FILE_ADD_FILE on a folder: creating new files replaces nothing
	fileAppendData  = 0x0004
	fileDeleteChild = 0x0040
	accessDelete    = 0x00010000
	accessWriteDAC  = 0x00040000
	accessWriteOwn  = 0x00080000
	genericAll      = 0x10000000
	genericWrite    = 0x40000000

	fileWriteMask   = fileWriteData | fileAppendData | accessDelete | accessWriteDAC | accessWriteOwn | genericAll | genericWrite
	folderWriteMask = fileDeleteChild | accessDelete | accessWriteDAC | accessWriteOwn | genericAll
	inheritOnlyACE  = 0x08
)

// broadGroups are trustees that stand for "anyone": never a trusted owner.
var broadGroups = []string{SIDEveryone, SIDUsers, sidAuthenticated, sidInteractive, sidGuests, sidAnonymous}

// Writers lists the trustees other than SYSTEM, the Administrators,
// TrustedInstaller and the owner (when the owner is a single account, as on
// Unix) that may change the object: for a file its contents or the file,
// for a folder (folder true) the files in it. "*" stands for a NULL DACL,
// "?" for entries it cannot read. The result is sorted, without duplicates;
// empty means only administrators and the owner can change the object.
//
// Entries are taken in order, as Windows evaluates a canonical DACL: a right
// denied to a SID before it is allowed does not count for that SID. Denies
// for groups the trustee may be in are not credited (membership is not known
// here): the check errs towards refusing.
func Writers(s Security, folder bool) []string {
	if s.NullDACL {
		return []string{"*"}
	}
	mask := uint32(fileWriteMask)
	if folder {
		mask = folderWriteMask
	}
	trusted := []string{SIDSystem, SIDAdministrators, sidTrusted, sidCreatorOwner, sidOwnerRights}
	if s.Owner != "" && !slices.Contains(broadGroups, s.Owner) {
		trusted = append(trusted, s.Owner)
	}
	denied := map[string]uint32{}
	var out []string
	for _, a := range s.DACL {
		if a.Flags&inheritOnlyACE != 0 {
			continue
		}
		if !a.Allow {
			denied[a.SID] |= a.Mask
			continue
		}
		if slices.Contains(trusted, a.SID) {
			continue
		}
		if a.Mask&mask&^denied[a.SID] != 0 {
			out = append(out, a.SID)
		}
	}
	if slices.Contains(broadGroups, s.Owner) {
		// The owner may always rewrite the ACL (implicit WRITE_DAC).
		out = append(out, s.Owner)
	}
	if s.Unparsed > 0 {
		out = append(out, "?")
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// FixACLCommand is the icacls command that gives folder the ACL the MSI sets:
// SYSTEM and Administrators full control, Users read, nothing inherited.
func FixACLCommand(folder string) string {
	return fmt.Sprintf(`icacls "%s" /inheritance:r /grant:r *%s:(OI)(CI)F *%s:(OI)(CI)F *%s:(OI)(CI)RX`,
		folder, SIDSystem, SIDAdministrators, SIDUsers)
}
