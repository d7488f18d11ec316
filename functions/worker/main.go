// Command worker is the worker Lambda: it wires orchestrator/lambdas.Worker.
package main

import (
	"context"
	"log"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/barrage-load/barrage/orchestrator/lambdas"
)

func main() {
	a, err := lambdas.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	w := &lambdas.Worker{Store: a.Store, Queue: a.LambdaQueue, Log: slog.New(slog.NewJSONHandler(os.Stderr, nil)),
		Guard: a.Limits.Guard(), Secrets: a.Secrets, EMF: os.Stdout}
	lambda.StartHandlerFunc(w.Handle)
}
