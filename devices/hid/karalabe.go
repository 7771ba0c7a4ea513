package hid

import (
	"runtime"

	khid "github.com/karalabe/hid"
)

// hostOS is runtime.GOOS, a variable so tests exercise the Windows paths.
var hostOS = runtime.GOOS

// karalabeBackend is hidBackend over github.com/karalabe/hid. Without cgo
// that package compiles to stubs that find nothing; Supported tells us so
// and sources fail with ErrHIDNeedsCgo instead of waiting forever.
type karalabeBackend struct{}

func (karalabeBackend) Supported() bool { return khid.Supported() }

func (karalabeBackend) Enumerate(vid, pid uint16) ([]hidInfo, error) {
	infos, err := khid.Enumerate(vid, pid)
	if err != nil {
		return nil, err
	}
	out := make([]hidInfo, 0, len(infos))
	for _, i := range infos {
		out = append(out, hidInfo{Path: i.Path, VID: i.VendorID, PID: i.ProductID, Serial: i.Serial,
			Manufacturer: i.Manufacturer, Product: i.Product, UsagePage: i.UsagePage, Usage: i.Usage,
			Interface: i.Interface})
	}
	return out, nil
}

func (karalabeBackend) Open(i hidInfo) (hidDevice, error) {
	info := khid.DeviceInfo{Path: i.Path, VendorID: i.VID, ProductID: i.PID, Serial: i.Serial,
		Manufacturer: i.Manufacturer, Product: i.Product, UsagePage: i.UsagePage, Usage: i.Usage,
		Interface: i.Interface}
	d, err := info.Open()
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (karalabeBackend) Descriptor(i hidInfo) ([]byte, error) { return hidReportDescriptor(i.Path) }
