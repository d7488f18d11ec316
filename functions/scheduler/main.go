// Command scheduler is the scheduler Lambda (stored specs on EventBridge
// schedules, and the dispatch of runs and windows): it wires
// orchestrator/lambdas.Scheduler.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/barrage-load/barrage/orchestrator/lambdas"
)

func main() {
	a, err := lambdas.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	s := &lambdas.Scheduler{AWS: a}
	lambda.StartHandlerFunc(s.Handle)
}
