package health_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/barrage-load/barrage/pkg/health"
)

// A worker samples its own state once per second and checks its port
// budget towards the target. (No Output: the figures depend on the host.)
func ExampleProc() {
	var p health.Proc // the real /proc
	target := netip.MustParseAddrPort("127.0.0.1:8443")

	prev, err := p.Self()
	if err != nil {
		fmt.Println(err)
		return
	}
	time.Sleep(time.Second) // a real sampler waits on a ticker and ctx.Done()
	cur, err := p.Self()
	if err != nil {
		fmt.Println(err)
		return
	}
	cpu := health.CPUPercent(prev, cur, cur.Taken.Sub(prev.Taken), health.AvailableCores())
	fmt.Printf("cpu %.0f%% of a core, %.0f%% of %v; fds %d/%d\n",
		cpu.PercentOfCore, 100*cpu.Fraction, cpu.Cores, cur.OpenFDs, cur.FDLimit)

	ports, err := p.PortRange()
	if err != nil {
		fmt.Println(err)
		return
	}
	tcp, err := p.TCPStatesByDest([]netip.AddrPort{target})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("ports towards %v: %d of %d in use (%d in TIME_WAIT); at most %d new connections/s\n",
		target, tcp[0].Total(), ports.Size(), tcp[0].TimeWait, ports.Size()/60)
}
