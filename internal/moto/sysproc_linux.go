package moto

import "syscall"

// sysProcAttr puts the server in its own session when detached, so it
// outlives the caller, and otherwise in its own process group (so Stop can
// signal moto and any children together) that the kernel kills when the
// caller dies.
func sysProcAttr(detach bool) *syscall.SysProcAttr {
	if detach {
		return &syscall.SysProcAttr{Setsid: true}
	}
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
