// Command coldfloor is the least a Go Lambda bootstrap can do: the runtime
// client of aws-lambda-go and a handler that returns at once.
// BenchmarkColdStart measures its init under aws-lambda-rie as the floor
// beneath the functions' own (what the emulator and a Go process cost).
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.StartHandlerFunc(func(context.Context, json.RawMessage) (any, error) { return nil, nil })
}
