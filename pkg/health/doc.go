// Package health reads the load generator's own host and process state,
// cheaply enough to do once per second, so that a report can say when the
// generator, not the target, was the bottleneck.
//
// Everything comes from procfs (Proc.Root, "/proc" by default) or from a
// system call that gives the same figure more precisely. The package has no
// AWS import and works the same on a laptop, in a Lambda microVM and in a
// Fargate task.
//
// # Process figures (Proc.Self)
//
//   - CPUTime, SysCPUTime: user plus system CPU time of all threads so far.
//     On the real /proc it comes from getrusage(RUSAGE_SELF), in
//     microseconds. Under a fake Root it comes from fields 14 (utime) and 15
//     (stime) of self/stat, in clock ticks of 1/USER_HZ s; USER_HZ is read
//     from the ELF auxiliary vector (AT_CLKTCK, what sysconf(_SC_CLK_TCK)
//     returns) and is 100 on every Linux architecture Go supports.
//   - RSSBytes, PeakRSSBytes: VmRSS and VmHWM of self/status, in kB × 1024.
//   - Threads: the Threads line of self/status.
//   - OpenFDs: the entries of self/fd, counted with getdents64 into a reused
//     buffer; the descriptor opened to count them is not counted.
//   - FDLimit: the soft RLIMIT_NOFILE, from getrlimit (or the "Max open
//     files" line of self/limits under a fake Root). Since Go 1.19 the os
//     package raises the soft limit to the hard limit at start-up, so this
//     is usually the hard limit: 1,024 on Lambda.
//
// # CPU use (CPUPercent)
//
// Between two snapshots taken wall apart:
//
//	PercentOfCore = 100 × ΔCPUTime / wall         (can exceed 100)
//	Fraction      = ΔCPUTime / (wall × cores)     (1 = saturated)
//
// AvailableCores gives min(runtime.NumCPU(), GOMAXPROCS). That is not the
// capacity the generator really has when a hypervisor or cgroup gives it
// less than whole CPUs: GOMAXPROCS rounds a cgroup limit up and never goes
// below 2, so a Fargate task of 0.25 vCPU reports 2 cores, and a small
// Lambda sees whole vCPUs while its share is proportional to its memory
// (1,769 MB = 1 vCPU). A worker that knows its size should pass it as
// cores; otherwise a saturated generator can look a quarter busy.
//
// # Port budget (Proc.PortRange, Proc.TCPStates)
//
// PortRange reads sys/net/ipv4/ip_local_port_range: the local ports the
// kernel picks from for outgoing connections, IPv4 and IPv6 alike. The
// default, 32768–60999, holds 28,232 ports. A closed connection keeps its
// port in TIME_WAIT for 60 s (fixed in the kernel), and each (source IP,
// destination IP:port) pair has its own ports, so one worker can sustain
//
//	new connections per second to one destination ≤ PortRange.Size() / 60 s
//
// which is about 470 with the default range; and at any moment
//
//	ports free towards d ≈ PortRange.Size() − (d's TCPStatesByDest counts).Total()
//
// TCPStates counts the sockets of net/tcp and net/tcp6 whose remote address
// is one of the destinations, by state: Established, SynSent, TimeWait and
// Other. The kernel prints each address as hex digits of 32-bit words in
// its own byte order: 127.0.0.1 is 0100007F on x86-64 and arm64, ::1 is
// 00000000000000000000000001000000, and ::ffff:127.0.0.1 (an AF_INET6
// socket connected to an IPv4 address) is 0000000000000000FFFF00000100007F
// in net/tcp6. Ports are printed as plain numbers. TCPStates converts the
// destinations to that form once, then compares numbers; an IPv4
// destination matches both its net/tcp and its net/tcp6 form.
//
// # Cost
//
// Parsing allocates nothing per line: about 100 ns per line, 3 ms for
// 30,000 sockets. Producing the file costs the kernel far more, and it is
// charged to this process as system CPU time: the kernel hands it out about
// 4 KiB (some 27 lines) per read whatever the buffer size, and on a
// Firecracker VM it took about 2 µs per socket (36 ms for 18,000), plus
// about 1.5 ms per file for walking an empty 262,144-bucket hash table. A
// generator holding 30,000 sockets that samples once per second thus
// spends some 6 % of a core on TCPStates; sample it less often than Self
// when that matters, and ask for every destination in one
// TCPStatesByDest call. Self costs about 20 µs.
//
// # One reading per process (Host)
//
// The shards a process runs (barrage run --workers 8 runs eight) report
// the same process and host figures, so they share them: a Host reads Self
// and the host's CPU at most every half second whoever asks, and counts
// TIME_WAIT for the union of the destinations its samplers watch in one
// TCPStatesByDest pass, at most every 50 × what the last pass cost. Eight
// shards reading on their own, each at its whole second, used to line up
// eight /proc/net/tcp passes at the same instant and hold up the load's
// schedulers (issue 15). SharedHost gives the one Host of a Proc.
package health
