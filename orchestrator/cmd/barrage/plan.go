package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/spec"
)

// cmdPlan prints the plan of a run without sending anything.
func cmdPlan(args []string, stdin io.Reader, stdout io.Writer) error {
	s, f, err := specFromArgs(args, stdin)
	if err != nil {
		return err
	}
	s = s.WithDefaults()
	if err := spec.Check(s, f.specName); err != nil {
		return badInput("%v", err)
	}
	id := orchestrator.NewRunID(time.Now())
	var p *events.Plan
	switch f.backend {
	case "local":
		p, err = orchestrator.PlanLocal(s, id, time.Now())
	case "aws":
		p, err = plan.Make(s, plan.Options{RunID: id, Backend: "aws", Now: time.Now(), Workers: s.Workers, Kind: f.kind})
	default:
		return badInput("unknown backend %q (want local or aws)", f.backend)
	}
	if err != nil {
		return badInput("%v", err)
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	_, err = fmt.Fprint(stdout, plan.Summary(p))
	return err
}
