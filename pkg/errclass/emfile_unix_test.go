//go:build unix

// This test needs setrlimit(2); the constraint is the platform's, not a way to
// hide the test.

package errclass

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

const emfileChildEnv = "ERRCLASS_EMFILE_CHILD"

// TestTooManyOpenFilesLive runs the test binary again with a low
// RLIMIT_NOFILE and dials until socket(2) fails, so that the limit never
// touches this process.
func TestTooManyOpenFilesLive(t *testing.T) {
	if os.Getenv(emfileChildEnv) == "1" {
		emfileChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTooManyOpenFilesLive$")
	cmd.Env = append(os.Environ(), emfileChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := "RESULT too_many_open_files EMFILE\n"
	if !strings.Contains(string(out), want) {
		t.Errorf("child output:\n%s\nwant a line %q", out, want)
	}
}

// emfileChild prints "RESULT <class> <detail>" for the first failed dial.
func emfileChild() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("RESULT listen", err)
		return
	}
	lim := syscall.Rlimit{Cur: 16, Max: 16}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Max > 16 {
		lim.Cur = 16
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Println("RESULT setrlimit", err)
		return
	}
	var conns []net.Conn // kept open until the limit is hit
	for range 64 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			class, detail := Classify(err)
			fmt.Printf("RESULT %s %s\nerror: %#v: %v\n", class, detail, err, err)
			return
		}
		conns = append(conns, c)
	}
	fmt.Println("RESULT none: 64 dials succeeded", len(conns))
}
