//go:build linux

package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// powerCutMark in the initramfs selects the power-cut station.
const powerCutMark = "/powercut"

// mountDataDisk mounts the virtio disk (/dev/vda, made on the host with
// mkfs.ext4 -d) at /data so that a write nobody fsynced is reliably lost
// when the host kills QEMU: a 10-minute journal commit interval, and no
// periodic or background writeback of dirty pages. Only fsync (and sync,
// which this init never calls in this mode) puts data on the disk.
func mountDataDisk() {
	for _, kv := range [][2]string{
		{"vm/dirty_expire_centisecs", "360000"}, // dirty pages count as old after an hour
		{"vm/dirty_writeback_centisecs", "0"},   // no periodic writeback at all
		{"vm/dirty_background_ratio", "90"},
		{"vm/dirty_ratio", "90"},
	} {
		if err := os.WriteFile("/proc/sys/"+kv[0], []byte(kv[1]), 0); err != nil {
			say("FAIL sysctl %s: %v", kv[0], err)
		}
	}
	for i := 0; i < 200 && !exists("/dev/vda"); i++ {
		time.Sleep(25 * time.Millisecond)
	}
	os.MkdirAll("/data", 0o755)
	if err := unix.Mount("/dev/vda", "/data", "ext4", unix.MS_NOATIME, "commit=600"); err != nil {
		say("FAIL mount /dev/vda: %v", err)
		poweroff()
	}
	say("DISK_MOUNTED uptime=%s options=commit=600 dirty_writeback=0", uptime())
}

// fileAnswer is the control answer with the data file: "FILE <size>
// <base64>", or "NOFILE" when there is none yet.
func fileAnswer() string {
	b, err := os.ReadFile(dataFile)
	if os.IsNotExist(err) {
		return "NOFILE"
	}
	if err != nil {
		return fmt.Sprintf("ERR RAW: %v", err)
	}
	return fmt.Sprintf("FILE %d %s", len(b), base64.StdEncoding.EncodeToString(b))
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
