package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

func defineVersion(fs *flagSet) runner {
	return func(pos []string, std stdio) error {
		if len(pos) > 0 {
			return badInput("version takes no arguments, got %s", strings.Join(pos, " "))
		}
		bi, _ := debug.ReadBuildInfo()
		_, err := fmt.Fprintln(std.out, versionLine(bi))
		return err
	}
}

// versionLine says which barrage this is: the module's version ("(devel)"
// when built from a checkout without version control information), the
// commit it was built from and whether the tree had changes (go build in a
// clone records them), and the Go version.
func versionLine(bi *debug.BuildInfo) string {
	if bi == nil {
		return "barrage (unknown version)"
	}
	parts := []string{"barrage " + bi.Main.Version}
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	if rev := vcs["vcs.revision"]; rev != "" {
		if vcs["vcs.modified"] == "true" {
			rev += " (modified)"
		}
		parts = append(parts, "commit "+rev)
	}
	return strings.Join(append(parts, bi.GoVersion), ", ")
}
