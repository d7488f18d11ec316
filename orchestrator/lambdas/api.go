package lambdas

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/orchestrator/api"
)

// API is the REST API's Lambda: orchestrator/api's handler over the AWS
// backend, behind API Gateway's REST API (Lambda proxy integration, whose
// events are payload format 1.0: APIGatewayProxyRequest; IAM
// authorization). aws-lambda-go-api-proxy's httpadapter turns each event
// into an *http.Request and the handler's answer into the response.
type API struct {
	AWS *orchestrator.AWS
	Now func() time.Time
	// Log receives a line per run submitted, with who submitted it; nil
	// discards.
	Log *slog.Logger

	once  sync.Once
	proxy *httpadapter.HandlerAdapter
}

// Handle implements the function.
func (a *API) Handle(ctx context.Context, req lambdaevents.APIGatewayProxyRequest) (lambdaevents.APIGatewayProxyResponse, error) {
	a.once.Do(func() {
		a.proxy = httpadapter.New(&api.Handler{Backend: a.AWS, Store: a.AWS.Store, Identify: identify, Now: a.Now, Log: a.Log})
	})
	return a.proxy.ProxyWithContext(ctx, req)
}

// identify tells who signed a request from the API Gateway request context
// the adapter puts in the request's context.
func identify(r *http.Request) api.Caller {
	rc, _ := core.GetAPIGatewayContextFromContext(r.Context())
	return api.Caller{Name: caller(rc.Identity), SourceIP: rc.Identity.SourceIP, RequestID: rc.RequestID}
}

// caller names who signed a request: the IAM user or role ARN API
// Gateway's IAM authorization verified, else the account and caller id.
func caller(id lambdaevents.APIGatewayRequestIdentity) string {
	switch {
	case id.UserArn != "":
		return id.UserArn
	case id.Caller != "":
		return id.AccountID + ":" + id.Caller
	}
	return "unknown (no IAM identity in the request)"
}
