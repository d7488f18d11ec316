//go:build linux

package main

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sys/unix"

	"github.com/barrage-load/barrage/events"
)

// openTerminal opens a pseudo-terminal of 24 rows and 100 columns and
// returns its two ends: what is written to tty can be read from ptmx.
func openTerminal(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	fd := int(ptmx.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 100}); err != nil {
		t.Fatal(err)
	}
	return ptmx, tty
}

// TestProgressBarOnTerminal: on a terminal, progress draws a bar whose
// percentage agrees with the time its line shows in every frame, and
// which is full when the schedule ends.
func TestProgressBarOnTerminal(t *testing.T) {
	ptmx, tty := openTerminal(t)
	defer ptmx.Close()
	read := make(chan string)
	go func() { // outside the bubble: it blocks on the terminal
		var b strings.Builder
		_, err := io.Copy(&b, ptmx)
		if err != nil && !errors.Is(err, syscall.EIO) { // EIO: the other end closed
			b.WriteString("\nread: " + err.Error())
		}
		read <- b.String()
	}()
	const length = 10 * time.Second
	synctest.Test(t, func(t *testing.T) {
		show(newProgress(tty, false, submitted(events.Load{Rate: 100}, length)), length)
	})
	tty.Close()
	var out string
	select {
	case out = <-read:
	case <-time.After(30 * time.Second):
		t.Fatal("the terminal's output did not end")
	}
	checkBar(t, out, length)
}
