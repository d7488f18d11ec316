// Command api is the REST API's Lambda: it wires orchestrator/lambdas.API.
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
	api := &lambdas.API{AWS: a, Log: a.Log}
	lambda.StartHandlerFunc(api.Handle)
}
