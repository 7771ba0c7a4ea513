package config

import (
	"slices"
	"strings"
	"testing"
)

// Access masks as Windows writes them into file-system ACLs.
const (
	maskFull    = 0x001F01FF // F
	maskModify  = 0x001301BF // M
	maskRead    = 0x001200A9 // RX
	maskWrite   = 0x00120116 // FILE_GENERIC_WRITE (Wine's "others may write")
	maskAddFile = 0x00000116 // WD, AD, WEA, WA: ProgramData's "Users may create" entry

	oici        = 0x03 // OBJECT_INHERIT | CONTAINER_INHERIT
	ci          = 0x02
	inherited   = 0x10
	inheritOnly = 0x08

	sidAlice = "S-1-5-21-1111111111-2222222222-3333333333-1001"
	sidBob   = "S-1-5-21-1111111111-2222222222-3333333333-1002"
)

func allow(sid string, mask uint32, flags uint8) ACE {
	return ACE{Allow: true, SID: sid, Mask: mask, Flags: flags}
}

func deny(sid string, mask uint32, flags uint8) ACE {
	return ACE{Allow: false, SID: sid, Mask: mask, Flags: flags}
}

func TestWriters(t *testing.T) {
	tests := []struct {
		name   string
		sec    Security
		folder bool
		want   []string
	}{
		// What the MSI's icacls leaves on C:\ProgramData\offcircd and,
		// inherited, on offcircd.toml.
		{"msi folder", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDSystem, maskFull, oici), allow(SIDAdministrators, maskFull, oici), allow(SIDUsers, maskRead, oici),
		}}, true, nil},
		{"msi file", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDSystem, maskFull, inherited), allow(SIDAdministrators, maskFull, inherited), allow(SIDUsers, maskRead, inherited),
		}}, false, nil},
		// What ProgramData alone passes on (without the icacls step): Users
		// may create files in the folder, which replaces nothing.
		{"programdata folder", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDSystem, maskFull, oici|inherited), allow(SIDAdministrators, maskFull, oici|inherited),
			allow(sidCreatorOwner, maskFull, oici|inheritOnly|inherited),
			allow(SIDUsers, maskRead, oici|inherited), allow(SIDUsers, maskAddFile, ci|inherited),
		}}, true, nil},
		{"programdata file", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDSystem, maskFull, inherited), allow(SIDAdministrators, maskFull, inherited), allow(SIDUsers, maskRead, inherited),
		}}, false, nil},
		// Wine: the owner's Unix bits go to the user's SID, the others' to Everyone.
		{"owner account may write", Security{Owner: sidAlice, DACL: []ACE{
			allow(SIDSystem, maskFull, 0), allow(sidAlice, maskFull, 0), allow(SIDEveryone, maskRead, 0),
		}}, false, nil},
		{"everyone may write (wine, mode 0666)", Security{Owner: sidAlice, DACL: []ACE{
			allow(SIDSystem, maskFull, 0), allow(sidAlice, maskFull, 0), allow(SIDEveryone, maskRead|maskWrite, 0),
		}}, false, []string{SIDEveryone}},
		{"users full control", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDSystem, maskFull, 0), allow(SIDUsers, maskFull, inherited),
		}}, false, []string{SIDUsers}},
		{"authenticated users modify", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(sidAuthenticated, maskModify, inherited),
		}}, false, []string{sidAuthenticated}},
		{"generic write", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(sidInteractive, genericWrite, 0),
		}}, false, []string{sidInteractive}},
		{"delete only", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDUsers, accessDelete, 0),
		}}, false, []string{SIDUsers}},
		{"write ACL only", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDUsers, accessWriteDAC, 0),
		}}, false, []string{SIDUsers}},
		{"another account", Security{Owner: sidAlice, DACL: []ACE{
			allow(sidAlice, maskFull, 0), allow(sidBob, maskModify, 0),
		}}, false, []string{sidBob}},
		{"denied first", Security{Owner: SIDAdministrators, DACL: []ACE{
			deny(SIDUsers, maskWrite|accessDelete|accessWriteDAC|accessWriteOwn, 0), allow(SIDUsers, maskFull, inherited),
		}}, false, nil},
		{"denied after the allow does not count", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDUsers, maskFull, 0), deny(SIDUsers, maskFull, 0),
		}}, false, []string{SIDUsers}},
		{"deny of other rights", Security{Owner: SIDAdministrators, DACL: []ACE{
			deny(SIDUsers, accessDelete, 0), allow(SIDUsers, maskModify, 0),
		}}, false, []string{SIDUsers}},
		{"inherit-only entry applies to children", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDUsers, maskFull, oici|inheritOnly),
		}}, false, nil},
		{"owner is a broad group", Security{Owner: SIDUsers, DACL: []ACE{
			allow(SIDSystem, maskFull, 0),
		}}, false, []string{SIDUsers}},
		{"null dacl", Security{Owner: SIDAdministrators, NullDACL: true}, false, []string{"*"}},
		{"empty dacl", Security{Owner: SIDAdministrators}, false, nil},
		{"unparsed entries", Security{Owner: SIDAdministrators, Unparsed: 1}, false, []string{"?"}},
		{"folder: users may delete children", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDUsers, fileDeleteChild, ci),
		}}, true, []string{SIDUsers}},
		{"folder: users may create files", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDUsers, maskAddFile, ci),
		}}, true, nil},
		{"folder: everyone full (wine, mode 0777)", Security{Owner: sidAlice, DACL: []ACE{
			allow(sidAlice, maskFull, 0), allow(SIDEveryone, maskFull, 0),
		}}, true, []string{SIDEveryone}},
		{"sorted, no duplicates", Security{Owner: SIDAdministrators, DACL: []ACE{
			allow(SIDUsers, maskFull, 0), allow(SIDEveryone, maskFull, 0), allow(SIDUsers, maskWrite, inherited),
		}}, false, []string{SIDEveryone, SIDUsers}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Writers(tt.sec, tt.folder); !slices.Equal(got, tt.want) {
				t.Errorf("Writers = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFixACLCommand(t *testing.T) {
	got := FixACLCommand(`C:\ProgramData\offcircd`)
	// The same grants as the MSI's LockConfigACL action.
	for _, want := range []string{`icacls "C:\ProgramData\offcircd" /inheritance:r /grant:r`, "*S-1-5-18:(OI)(CI)F", "*S-1-5-32-544:(OI)(CI)F", "*S-1-5-32-545:(OI)(CI)RX"} {
		if !strings.Contains(got, want) {
			t.Errorf("FixACLCommand = %q, missing %q", got, want)
		}
	}
}
