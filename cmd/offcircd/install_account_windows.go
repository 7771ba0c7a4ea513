package main

// needsPrivilege leaves the Administrator check to the service manager,
// whose "access is denied" privilegeHint explains.
func needsPrivilege() error { return nil }

// checkAsAccount is not done on Windows: the service runs as LocalSystem,
// which may open every folder and device the configuration names.
func checkAsAccount(exe, cfgPath, name string) ([]string, error) { return nil, nil }
