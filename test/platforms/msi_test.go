//go:build platforms

package platforms

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Windows installer: its tables (msiinfo) and, under Wine's service
// manager, the whole life of an installed station: install, service
// running, scans into C:\Alma Offline Circulation\OffCirc\files, status,
// stop, major upgrade, uninstall.

// msiPackage is the MSI of `make dist`.
func msiPackage(t testing.TB) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(*distDir, "offcircd-*-windows-amd64.msi"))
	if len(m) != 1 {
		t.Fatalf("want one offcircd-*-windows-amd64.msi in %s (make dist), found %v", *distDir, m)
	}
	p, err := filepath.Abs(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// msiTable reads one table with `msiinfo export`: one map per row, keyed by
// column name.
func msiTable(t testing.TB, msi, table string) []map[string]string {
	t.Helper()
	out, err := exec.Command("msiinfo", "export", msi, table).Output()
	if err != nil {
		t.Fatalf("msiinfo export %s %s: %v (Debian: msitools)", filepath.Base(msi), table, err)
	}
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(out), "\r", ""), "\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("msiinfo export %s: %d lines, want a header of 3", table, len(lines))
	}
	cols := strings.Split(lines[0], "\t")
	var rows []map[string]string
	for _, l := range lines[3:] {
		f := strings.Split(l, "\t")
		row := map[string]string{}
		for i, c := range cols {
			if i < len(f) {
				row[c] = f[i]
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// msiRow is the row of table whose column key equals value.
func msiRow(t testing.TB, msi, table, key, value string) map[string]string {
	t.Helper()
	for _, r := range msiTable(t, msi, table) {
		if r[key] == value {
			return r
		}
	}
	t.Fatalf("%s: no %s row with %s = %q", filepath.Base(msi), table, key, value)
	return nil
}

// TestMSITables checks what the installer will do from its tables alone.
func TestMSITables(t *testing.T) {
	msi := msiPackage(t)
	out, err := exec.Command("msiinfo", "tables", msi).Output()
	if err != nil {
		t.Fatalf("msiinfo tables: %v", err)
	}
	tables := strings.Fields(string(out))
	for _, want := range []string{"ServiceInstall", "ServiceControl", "CustomAction", "Registry", "Upgrade", "Component", "File", "Directory"} {
		if !strings.Contains(" "+strings.Join(tables, " ")+" ", " "+want+" ") {
			t.Errorf("msiinfo tables: no %s table in %v", want, tables)
		}
	}

	si := msiRow(t, msi, "ServiceInstall", "Name", "offcircd")
	for col, want := range map[string]string{
		"ServiceType": "16", // SERVICE_WIN32_OWN_PROCESS
		"StartType":   "2",  // SERVICE_AUTO_START
		"StartName":   "LocalSystem",
		"Arguments":   `run --config "[CONFIGDIR]offcircd.toml"`,
		"Component_":  "Binary",
	} {
		if si[col] != want {
			t.Errorf("ServiceInstall.%s = %q, want %q", col, si[col], want)
		}
	}
	sc := msiRow(t, msi, "ServiceControl", "Name", "offcircd")
	// msidbServiceControlEvent: Start 0x1 and Stop 0x2 on install, Stop
	// 0x20 and Delete 0x80 on uninstall.
	if ev, _ := strconv.Atoi(sc["Event"]); ev != 0x1|0x2|0x20|0x80 || sc["Wait"] != "1" {
		t.Errorf("ServiceControl Event=%s Wait=%s, want %d (start on install, stop always, delete on uninstall) and 1", sc["Event"], sc["Wait"], 0x1|0x2|0x20|0x80)
	}

	// The configuration: ProgramData, never overwritten, never removed.
	cfg := msiRow(t, msi, "Component", "Component", "Config")
	if a, _ := strconv.Atoi(cfg["Attributes"]); a&0x10 == 0 || a&0x80 == 0 || cfg["Directory_"] != "CONFIGDIR" {
		t.Errorf("Config component: Attributes=%s Directory=%s, want Permanent (0x10), NeverOverwrite (0x80) in CONFIGDIR", cfg["Attributes"], cfg["Directory_"])
	}
	if f := msiRow(t, msi, "File", "File", "offcircd.toml"); f["Component_"] != "Config" {
		t.Errorf("offcircd.toml belongs to component %q, want Config", f["Component_"])
	}
	for dir, want := range map[string][2]string{"CONFIGDIR": {"CommonAppDataFolder", "offcircd"}, "INSTALLDIR": {"ProgramFiles64Folder", "offcircd"}} {
		d := msiRow(t, msi, "Directory", "Directory", dir)
		if d["Directory_Parent"] != want[0] || d["DefaultDir"] != want[1] {
			t.Errorf("Directory %s = %s\\%s, want %s\\%s", dir, d["Directory_Parent"], d["DefaultDir"], want[0], want[1])
		}
	}

	// Upgrades: an equal version counts as older too (a rebuild replaces).
	up := msiRow(t, msi, "Upgrade", "ActionProperty", "WIX_UPGRADE_DETECTED")
	if a, _ := strconv.Atoi(up["Attributes"]); a&0x200 == 0 {
		t.Errorf("Upgrade WIX_UPGRADE_DETECTED Attributes=%s, want VersionMaxInclusive (0x200)", up["Attributes"])
	}
	pv := msiRow(t, msi, "Property", "Property", "ProductVersion")["Value"]
	if !regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`).MatchString(pv) || up["VersionMax"] != pv {
		t.Errorf("ProductVersion %q (upgrade VersionMax %q): want numeric a.b.c.d, the same in both", pv, up["VersionMax"])
	}

	// Sequence: old product out before anything is installed; ACL after the
	// files; recovery actions between service install and start.
	seq := map[string]int{}
	for _, r := range msiTable(t, msi, "InstallExecuteSequence") {
		seq[r["Action"]], _ = strconv.Atoi(r["Sequence"])
	}
	for _, o := range [][3]string{
		{"InstallValidate", "RemoveExistingProducts", "InstallInitialize"},
		{"InstallFiles", "LockConfigACL", "StartServices"},
		{"InstallServices", "ServiceRecovery", "StartServices"},
		{"CostFinalize", "SetIcaclsExe", "InstallInitialize"},
	} {
		if !(seq[o[0]] < seq[o[1]] && seq[o[1]] < seq[o[2]]) || seq[o[1]] == 0 {
			t.Errorf("InstallExecuteSequence: want %s (%d) < %s (%d) < %s (%d)", o[0], seq[o[0]], o[1], seq[o[1]], o[2], seq[o[2]])
		}
	}
	acl := msiRow(t, msi, "CustomAction", "Action", "LockConfigACL")["Target"]
	for _, want := range []string{`"[CONFIGDIR]."`, "/inheritance:r", "*S-1-5-18:(OI)(CI)F", "*S-1-5-32-544:(OI)(CI)F", "*S-1-5-32-545:(OI)(CI)RX"} {
		if !strings.Contains(acl, want) {
			t.Errorf("LockConfigACL %q lacks %q", acl, want)
		}
	}
	if rec := msiRow(t, msi, "CustomAction", "Action", "ServiceRecovery")["Target"]; !strings.Contains(rec, "failure offcircd reset= 60 actions= restart/2000") {
		t.Errorf("ServiceRecovery = %q, want sc failure with restart/2000", rec)
	}

	// The Event Log source, as eventlog.InstallAsEventCreate registers it.
	reg := map[string]string{}
	for _, r := range msiTable(t, msi, "Registry") {
		if r["Key"] == `SYSTEM\CurrentControlSet\Services\EventLog\Application\offcircd` && r["Root"] == "2" {
			reg[r["Name"]] = r["Value"]
		}
	}
	if reg["EventMessageFile"] != `#%%SystemRoot%\System32\EventCreate.exe` || reg["TypesSupported"] != "#7" {
		t.Errorf("Event Log source values = %v, want EventMessageFile REG_EXPAND_SZ EventCreate.exe and TypesSupported 7", reg)
	}
}

// zPath is the Wine (Z:) path of a Unix path outside the prefix.
func zPath(p string) string { return "Z:" + strings.ReplaceAll(p, "/", `\`) }

// wineTool runs a program of the prefix (msiexec, sc, reg) or offcircd.exe.
func wineTool(t testing.TB, timeout time.Duration, args ...string) result {
	t.Helper()
	w := wineSetup(t)
	return run(t, w.driveC(), w.env, timeout, "wine", args...)
}

// scState is the service's state word in `sc query` ("RUNNING",
// "STOPPED", …), "" when the service does not exist.
func scState(t testing.TB) string {
	t.Helper()
	r := wineTool(t, time.Minute, "sc", "query", "offcircd")
	m := regexp.MustCompile(`STATE\s*:\s*\d+\s+(\w+)`).FindSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		return ""
	}
	return string(m[1])
}

// waitState polls sc query until the service is in state; it returns how
// long that took.
func waitState(t testing.TB, state string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	last := ""
	for {
		if last = scState(t); last == state {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("service offcircd is %q after %v, want %s", last, limit, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// regQuery returns `reg query KEY` output, "" when the key is missing.
func regQuery(t testing.TB, key string, args ...string) string {
	t.Helper()
	r := wineTool(t, time.Minute, append([]string{"reg", "query", key}, args...)...)
	if r.code != 0 {
		return ""
	}
	return strings.ReplaceAll(string(r.stdout), "\r", "")
}

// msiexec runs msiexec with a verbose log and fails with its tail; it
// returns how long msiexec took and its log.
func msiexec(t testing.TB, args ...string) (time.Duration, string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "msiexec.log")
	start := time.Now()
	r := wineTool(t, 5*time.Minute, append(append([]string{"msiexec"}, args...), "/qn", "/l*v", zPath(logPath))...)
	took := time.Since(start)
	if r.code != 0 {
		b, _ := os.ReadFile(logPath)
		var why []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "StartServices") || strings.Contains(l, "Return value 3") || strings.Contains(strings.ToLower(l), "error") {
				why = append(why, strings.TrimSpace(l))
			}
		}
		svc, _ := os.ReadFile(wineSetup(t).services)
		if len(svc) > 3000 {
			svc = svc[len(svc)-3000:]
		}
		t.Fatalf("msiexec %s: %s\n--- msiexec log: failed actions ---\n%s\n--- services.exe output (tail) ---\n%s",
			strings.Join(args, " "), r, strings.Join(why, "\n"), svc)
	}
	b, _ := os.ReadFile(logPath)
	return took, string(b)
}

// productVersions lists DisplayVersion of every installed product named
// offcircd in the Uninstall key.
func productVersions(t testing.TB) []string {
	t.Helper()
	out := regQuery(t, `HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall`, "/s")
	var versions []string
	for _, block := range strings.Split(out, "\nHKEY_") {
		if regexp.MustCompile(`DisplayName\s+REG_SZ\s+offcircd\n`).MatchString(block + "\n") {
			if m := regexp.MustCompile(`DisplayVersion\s+REG_SZ\s+(\S+)`).FindStringSubmatch(block); m != nil {
				versions = append(versions, m[1])
			} else {
				versions = append(versions, "?")
			}
		}
	}
	return versions
}

// buildUpgradeMSI builds the same product with the revision field of its
// ProductVersion raised: a newer package, as the next release would be.
func buildUpgradeMSI(t testing.TB, msi string) (string, string) {
	t.Helper()
	pv := msiRow(t, msi, "Property", "Property", "ProductVersion")["Value"]
	f := strings.Split(pv, ".")
	rev, _ := strconv.Atoi(f[3])
	next := fmt.Sprintf("%s.%s.%s.%d", f[0], f[1], f[2], rev+1)
	dist := t.TempDir()
	copyFiles(t, filepath.Join(filepath.Dir(msi), "windows_amd64"), filepath.Join(dist, "windows_amd64"))
	cmd := exec.Command(filepath.Join(repoRoot(t), "packaging", "msi.sh"))
	cmd.Env = append(os.Environ(), "VERSION=upgrade", "MSI_VERSION="+next, "DIST="+dist)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("packaging/msi.sh for the upgrade: %v\n%s", err, out)
	}
	return filepath.Join(dist, "offcircd-upgrade-windows-amd64.msi"), next
}

// TestWineMSI installs the MSI in the Wine prefix and runs the station as a
// service under Wine's service manager (services.exe), then upgrades and
// uninstalls it. Where Wine does not do what Windows does, the test logs
// the measured behaviour (FINDING lines) instead of passing over it.
func TestWineMSI(t *testing.T) {
	w := wineSetup(t)
	msi := msiPackage(t)
	root := repoRoot(t)
	programData := filepath.Join(w.driveC(), "ProgramData", "offcircd")
	programFiles := filepath.Join(w.driveC(), "Program Files", "offcircd")
	alma := filepath.Join(w.driveC(), "Alma Offline Circulation", "OffCirc")
	dat := filepath.Join(alma, "files", "OffCirc.dat")
	configFile := filepath.Join(programData, "offcircd.toml")
	installed := `C:\Program Files\offcircd\offcircd.exe`

	// A clean slate: a product, configuration or data left by an earlier run.
	if scState(t) != "" {
		wineTool(t, 5*time.Minute, "msiexec", "/x", zPath(msi), "/qn")
		wineTool(t, time.Minute, "sc", "stop", "offcircd")
		wineTool(t, time.Minute, "sc", "delete", "offcircd")
	}
	for _, d := range []string{programData, programFiles, alma} {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		// Never leave a running service in the shared prefix.
		if scState(t) != "" {
			wineTool(t, time.Minute, "sc", "stop", "offcircd")
			wineTool(t, time.Minute, "sc", "delete", "offcircd")
		}
	}()

	// 1. Install, silently, as Group Policy and Intune do.
	took, _ := msiexec(t, "/i", zPath(msi))
	running := waitState(t, "RUNNING", 30*time.Second)
	t.Logf("msiexec /i /qn took %v; service RUNNING %v after it returned", took.Round(time.Millisecond), running.Round(time.Millisecond))
	if _, err := os.Stat(filepath.Join(programFiles, "offcircd.exe")); err != nil {
		t.Errorf("offcircd.exe not installed: %v", err)
	}
	wantCfg, err := os.ReadFile(artifact(t, "windows_amd64/config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(configFile); err != nil || !bytes.Equal(got, wantCfg) {
		t.Errorf("C:\\ProgramData\\offcircd\\offcircd.toml is not the commented default config (CRLF): %v", err)
	}
	svcKey := regQuery(t, `HKLM\SYSTEM\CurrentControlSet\Services\offcircd`)
	for _, want := range []string{`offcircd.exe run --config "C:\ProgramData\offcircd\offcircd.toml"`, "Start    REG_DWORD    0x2", "ObjectName    REG_SZ    LocalSystem"} {
		if !strings.Contains(svcKey, want) {
			t.Errorf("service key lacks %q:\n%s", want, svcKey)
		}
	}
	if strings.Contains(svcKey, "ImagePath    REG_SZ    C:\\Program Files") {
		t.Logf("FINDING: Wine 8.0's msi writes ImagePath unquoted (%s); its CreateProcess still finds the program. "+
			"On Windows an unquoted path with spaces would be the unquoted-service-path weakness; Windows Installer "+
			"is expected to quote the key file it builds ImagePath from, which cannot be checked here.", installed)
	}
	if !strings.Contains(svcKey, "FailureActions") {
		t.Logf("FINDING: Wine 8.0's sc.exe accepts `failure offcircd reset= 60 actions= restart/2000/…` with exit 0 but stores no " +
			"FailureActions value, and its services.exe has no recovery: restart-on-failure (the MSI's ServiceRecovery action) " +
			"cannot be shown under Wine; the MSI table check covers what it asks Windows for.")
	}
	src := regQuery(t, `HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\offcircd`)
	if !strings.Contains(src, `EventMessageFile    REG_EXPAND_SZ    %SystemRoot%\System32\EventCreate.exe`) || !strings.Contains(src, "TypesSupported    REG_DWORD    0x7") {
		t.Errorf("Event Log source not registered:\n%s", src)
	}
	t.Log("FINDING: Wine 8.0's icacls.exe is a stub (\"This is dummy icacls, not performing ACL manipulations\", exit 0): " +
		"the ACL step runs but Wine keeps the DACL it derives from the Unix mode bits; the DACL check itself is shown under Wine in TestWineConfigACL.")

	// The default configuration has no scanner: running, with a warning in
	// the service's log file.
	logFile := filepath.Join(alma, "state", "offcircd.log")
	if !waitFor(20*time.Second, func() bool {
		b, _ := os.ReadFile(logFile)
		return bytes.Contains(b, []byte("no scanners configured"))
	}) {
		b, _ := os.ReadFile(logFile)
		t.Errorf("service log %s lacks the no-scanner warning:\n%s", logFile, b)
	}

	// The same warning in the Event Log: Wine's ReportEventW (a stub that
	// stores nothing) prints it on its eventlog debug channel, which the
	// harness sends to a file for services.exe and its services.
	if !waitFor(10*time.Second, func() bool {
		b, _ := os.ReadFile(w.services)
		return regexp.MustCompile(`warn:eventlog:.*no scanners configured`).Match(b)
	}) {
		b, _ := os.ReadFile(w.services)
		t.Errorf("the no-scanner warning never reached ReportEventW (Wine's eventlog channel, %s):\n%s", w.services, b)
	} else {
		t.Log("FINDING: Wine 8.0 keeps no Event Log (ReportEventW only prints to its eventlog debug channel); the service's warning reached it there")
	}

	// 2. A replay scanner in the installed configuration, the service
	// restarted to read it: the records must be the Linux build's, byte
	// for byte, in C:\Alma Offline Circulation\OffCirc\files.
	scenario := filepath.Join(root, "testdata", "scenarios", "desk-two-patrons")
	cfg, err := os.ReadFile(filepath.Join(scenario, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	lin := t.TempDir()
	copyFiles(t, scenario, lin)
	writeConfig(t, filepath.Join(lin, "config.toml"), cfg, filepath.Join(lin, "OffCirc"))
	if lr := linux(t, lin, "run", "--config", "config.toml", "--until-done"); lr.code != 0 {
		t.Fatalf("linux run: %s", lr)
	}
	linDat, err := os.ReadFile(filepath.Join(lin, "OffCirc", "files", "OffCirc.dat"))
	if err != nil {
		t.Fatal(err)
	}
	copyFiles(t, scenario, programData) // the capture, beside the config
	os.Remove(filepath.Join(programData, "config.toml"))
	writeConfig(t, configFile, cfg, `C:\Alma Offline Circulation\OffCirc`)
	// state_dir away from its default, so that `offcircd status` below
	// shows it found the MSI's configuration.
	replay := stateDirLine.ReplaceAll(mustRead(t, configFile), []byte(`state_dir = 'C:\ProgramData\offcircd\state'`))
	if err := os.WriteFile(configFile, replay, 0o644); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(programData, "state")
	if r := wineTool(t, time.Minute, installed, "config", "check", `C:\ProgramData\offcircd\offcircd.toml`); r.code != 0 {
		t.Errorf("config check of the installed configuration (Wine's ACL of the MSI's folder): %s", r)
	}
	wineTool(t, time.Minute, "sc", "stop", "offcircd")
	waitState(t, "STOPPED", 10*time.Second)
	wineTool(t, time.Minute, "sc", "start", "offcircd")
	waitState(t, "RUNNING", 30*time.Second)
	if !waitFor(60*time.Second, func() bool {
		b, _ := os.ReadFile(dat)
		return bytes.Equal(b, linDat)
	}) {
		b, _ := os.ReadFile(dat)
		lg, _ := os.ReadFile(filepath.Join(stateDir, "offcircd.log"))
		t.Fatalf("the service's OffCirc.dat is not the Linux build's\n--- windows ---\n%q\n--- linux ---\n%q\n--- service log ---\n%s", b, linDat, lg)
	}
	compareFiles(t, dat, filepath.Join(scenario, "expected.dat"))
	records := bytes.Count(linDat, []byte("\r\n"))

	// 3. offcircd status, as an administrator types it. The status file is
	// written after the record is acknowledged, so the last record's count
	// may reach it a moment after the record reached OffCirc.dat: ask again
	// for a while before calling a line missing.
	wants := []string{"running [windows-service]", `C:\ProgramData\offcircd\state\status.json`, `C:\Alma Offline Circulation\OffCirc\files\OffCirc.dat`, fmt.Sprintf(", %d in total", records)}
	var st result
	var missing []string
	waitFor(15*time.Second, func() bool {
		st = wineTool(t, time.Minute, installed, "status")
		missing = missing[:0]
		for _, want := range wants {
			if !strings.Contains(string(st.stdout), want) {
				missing = append(missing, want)
			}
		}
		return len(missing) == 0
	})
	for _, want := range missing {
		t.Errorf("offcircd status lacks %q:\n%s", want, st)
	}
	if st.code != 0 {
		t.Errorf("offcircd status of a running service: %s", st)
	}

	// 4. sc stop: stopped within StopTimeout (5 s).
	start := time.Now()
	wineTool(t, time.Minute, "sc", "stop", "offcircd")
	waitState(t, "STOPPED", 20*time.Second)
	stopped := time.Since(start) // from the sc stop call, Wine's start-up included
	t.Logf("sc stop -> STOPPED in %v", stopped.Round(time.Millisecond))
	if stopped > 5*time.Second {
		t.Errorf("sc stop took %v, want within 5 s", stopped)
	}
	if st := wineTool(t, time.Minute, installed, "status"); st.code != 3 || !strings.Contains(string(st.stdout), "stopped at") {
		t.Errorf("offcircd status of a stopped service, want exit 3 and \"stopped at\": %s", st)
	}

	// 5. Major upgrade over a running service with an edited configuration
	// (the default one plus a line: a replay scanner would replay its
	// capture again at each start and add records).
	edited := append(bytes.Clone(wantCfg), []byte("# edited at the desk\r\n")...)
	if err := os.WriteFile(configFile, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	wineTool(t, time.Minute, "sc", "start", "offcircd")
	waitState(t, "RUNNING", 30*time.Second)
	before := mustRead(t, dat)
	upgrade, next := buildUpgradeMSI(t, msi)
	took, _ = msiexec(t, "/i", zPath(upgrade))
	waitState(t, "RUNNING", 30*time.Second)
	t.Logf("major upgrade to %s took %v", next, took.Round(time.Millisecond))
	if v := productVersions(t); len(v) != 1 || v[0] != next {
		t.Errorf("installed offcircd products after the upgrade: %v, want only %s", v, next)
	}
	if got := mustRead(t, configFile); !bytes.Equal(got, edited) {
		t.Errorf("the upgrade changed the edited configuration")
	}
	if got := mustRead(t, dat); !bytes.Equal(got, before) {
		t.Errorf("the upgrade changed OffCirc.dat (%d bytes before, %d after)", len(before), len(got))
	}

	// 6. Uninstall: the service goes, the configuration and data stay.
	took, xlog := msiexec(t, "/x", zPath(upgrade))
	t.Logf("msiexec /x /qn took %v", took.Round(time.Millisecond))
	if s := scState(t); s != "" {
		t.Errorf("service still registered after uninstall (state %s)", s)
	}
	if _, err := os.Stat(filepath.Join(programFiles, "offcircd.exe")); err == nil {
		// Seen in 2 of about 10 runs on a loaded machine, cause not
		// pinned down: likely the stopped service's process had not yet
		// exited when RemoveFiles ran (StopServices waits only for the
		// STOPPED state) and the image was still mapped. The service itself
		// is gone either way (checked above); the process list and the
		// log's lines on the file go into the finding.
		var lines []string
		for _, l := range strings.Split(xlog, "\n") {
			if strings.Contains(l, "offcircd.exe") || strings.Contains(strings.ToLower(l), "reboot") || strings.Contains(l, "in use") {
				lines = append(lines, strings.TrimSpace(l))
			}
		}
		ps := wineTool(t, time.Minute, "tasklist")
		t.Logf("FINDING: offcircd.exe still in Program Files after msiexec /x; processes now:\n%s\nmsiexec log on it:\n%s",
			ps.stdout, strings.Join(lines, "\n"))
	}
	if got, err := os.ReadFile(configFile); err != nil || !bytes.Equal(got, edited) {
		t.Errorf("uninstall removed or changed the configuration: %v", err)
	}
	if got := mustRead(t, dat); !bytes.Equal(got, before) {
		t.Errorf("uninstall changed OffCirc.dat")
	}
	if _, err := os.Stat(filepath.Join(stateDir, "status.json")); err != nil {
		t.Errorf("uninstall removed the state folder: %v", err)
	}
	if v := productVersions(t); len(v) != 0 {
		t.Errorf("products still registered after uninstall: %v", v)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWineConfigACL runs the Windows DACL check on Wine's descriptors. Wine
// (measured, 8.0) derives a file's DACL from its Unix mode when no Windows
// descriptor was stored: the owner's bits go to the user's SID, the
// others' bits to Everyone. So a file or folder writable by others on the
// Unix side is one Everyone may change on the Windows side, and the check
// must refuse it as the Unix build does.
func TestWineConfigACL(t *testing.T) {
	w := wineSetup(t)
	base := filepath.Join(w.driveC(), "offcircd-smoke", "acl")
	os.RemoveAll(base)
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(base, "offcircd.toml")
	if err := os.WriteFile(cfg, []byte("station = \"acl\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	winCfg := `C:\offcircd-smoke\acl\offcircd.toml`
	tests := []struct {
		name              string
		fileMode, dirMode os.FileMode
		refused           string // "" = accepted
	}{
		{"0644 in 0755", 0o644, 0o755, ""},
		{"0666 in 0755", 0o666, 0o755, "can be changed by"},
		{"0644 in 0777", 0o644, 0o777, "where its file can be replaced"},
		{"0664 in 0775", 0o664, 0o775, ""}, // group bits have no Windows counterpart in Wine's mapping
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.Chmod(cfg, tt.fileMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(base, tt.dirMode); err != nil {
				t.Fatal(err)
			}
			r := wine(t, base, "config", "check", winCfg)
			msg := string(r.stderr) + string(r.stdout)
			if tt.refused == "" {
				if r.code != 0 {
					t.Errorf("config check refused a file only its owner may change: %s", r)
				}
				return
			}
			if r.code == 0 || !strings.Contains(msg, tt.refused) || !strings.Contains(msg, "S-1-1-0") || !strings.Contains(msg, "icacls") {
				t.Errorf("config check of a file Everyone may change: want a refusal naming Everyone (S-1-1-0), %q and the icacls fix: %s", tt.refused, r)
			}
			// run refuses it too: the service would never start with it.
			if rr := wine(t, base, "run", "--config", winCfg, "--until-done"); rr.code == 0 || !strings.Contains(string(rr.stderr), tt.refused) {
				t.Errorf("run accepted a config Everyone may change: %s", rr)
			}
		})
	}
	os.Chmod(base, 0o755)
}

// TestWineManualInstall is the README's second route: `offcircd install`
// (kardianos/service through the SCM API) with offcircd.toml beside the
// executable, then start, status, stop, uninstall.
func TestWineManualInstall(t *testing.T) {
	w := wineSetup(t)
	if s := scState(t); s != "" {
		t.Fatalf("a service offcircd is already registered (state %s): TestWineMSI did not clean up", s)
	}
	dir := filepath.Join(w.driveC(), "offcircd-smoke", "manual")
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "offcircd.exe")
	if err := os.WriteFile(exe, mustRead(t, windowsBinary(t)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "offcircd.toml"), mustRead(t, artifact(t, "windows_amd64/config.example.toml")), 0o644); err != nil {
		t.Fatal(err)
	}
	winExe := `C:\offcircd-smoke\manual\offcircd.exe`
	defer func() {
		if scState(t) != "" {
			wineTool(t, time.Minute, "sc", "stop", "offcircd")
			wineTool(t, time.Minute, "sc", "delete", "offcircd")
		}
	}()
	inst := wineTool(t, time.Minute, winExe, "install")
	if inst.code != 0 {
		if strings.Contains(string(inst.stderr), "Invalid level") && scState(t) == "" {
			t.Skipf("FINDING: under Wine 8.0 `offcircd install` fails with %q and registers nothing: x/sys mgr.CreateService "+
				"sets the delayed automatic start (ChangeServiceConfig2, SERVICE_CONFIG_DELAYED_AUTO_START_INFO), a level "+
				"Wine's services.exe refuses, and deletes the new service again. Measured with the delayed start switched "+
				"off: install then stops at the Event Log source (Wine ships no EventCreate.exe). Windows has both; the MSI "+
				"route (TestWineMSI) runs under Wine.", strings.TrimSpace(string(inst.stderr)))
		}
		t.Fatalf("offcircd install: %s", inst)
	}
	if r := wineTool(t, time.Minute, winExe, "start"); r.code != 0 {
		t.Fatalf("offcircd start: %s", r)
	}
	waitState(t, "RUNNING", 30*time.Second)
	if st := wineTool(t, time.Minute, winExe, "status"); st.code != 0 || !strings.Contains(string(st.stdout), "running [windows-service]") {
		t.Errorf("offcircd status: %s", st)
	}
	if r := wineTool(t, time.Minute, winExe, "stop"); r.code != 0 {
		t.Errorf("offcircd stop: %s", r)
	}
	if r := wineTool(t, time.Minute, winExe, "uninstall"); r.code != 0 || scState(t) != "" {
		t.Errorf("offcircd uninstall: %s (service state now %q)", r, scState(t))
	}
}
