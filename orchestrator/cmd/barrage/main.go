// Command barrage is a distributed HTTP load generator. See the README and
// CONTRACT.md for its commands, flags, report fields and exit codes.
package main

import "os"

func main() { os.Exit(cli(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
