// Command reducer is the reducer Lambda: it wires orchestrator/lambdas.Reducer.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/barrage-load/barrage/orchestrator/lambdas"
	"github.com/barrage-load/barrage/pkg/reduce"
)

func main() {
	a, err := lambdas.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	reduce.Budget(reduce.BudgetFromEnv()) // the function does nothing but reduce
	r := &lambdas.Reducer{Store: a.Store, Tasks: lambdas.ReducerTasks(a.Tasks)}
	lambda.StartHandlerFunc(r.Handle)
}
