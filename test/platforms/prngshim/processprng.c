/*
 * bcryptprimitives.dll stand-in for the Wine smoke test only; never shipped.
 *
 * Go 1.22+ Windows binaries take their random bytes from ProcessPrng in
 * bcryptprimitives.dll and abort at start when it is missing, which it is in
 * Debian 12's Wine 8.0. This DLL exports ProcessPrng on top of RtlGenRandom
 * (advapi32's SystemFunction036), which Wine has had for a long time, so the
 * real offcircd.exe can be exercised under Wine unchanged.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng fills data with len random bytes. Like the real one it is
 * documented to always succeed; it reports FALSE only if Wine's generator
 * fails, which the Go runtime turns into a loud abort rather than weak
 * randomness. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
