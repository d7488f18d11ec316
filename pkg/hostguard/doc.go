// Package hostguard decides which hosts a run may contact, and refuses the
// rest before a packet is sent.
//
// A Guard holds allow-lists (a deployment's, a spec's allow_hosts) and a
// rule for addresses. A host name must match a pattern of every list:
//
//	api.example.com   that host exactly (letters in any case)
//	*.example.com     example.com and every subdomain of it
//	*                 every host
//
// Whatever the lists say, link-local and instance-metadata addresses
// (169.254.0.0/16, 169.254.169.254 among them, fe80::/10, fd00:ec2::254) are
// never contacted, nor their IPv4-mapped and NAT64 (64:ff9b::/96) forms;
// with DenyLoopback (workers on AWS) loopback (127.0.0.0/8, ::1) and
// unspecified addresses (0.0.0.0/8, ::, which reach the host itself) are
// refused too.
//
// The checks run twice: before anything is sent, on the host names a spec
// names (pkg/journey.CheckHosts and Preflight), and when a connection is
// dialed (Dialer, and the engine's own dialer), on the host name being
// dialed and on every address it resolves to. A Dialer dials only an
// address it checked, so a name cannot resolve to one address for the check
// and to another for the dial.
//
// A refusal is an *Error; its class is errclass.ForbiddenHost.
package hostguard
