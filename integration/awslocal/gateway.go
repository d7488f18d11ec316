package awslocal

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
)

// Gateway is API Gateway's REST proxy integration in front of a function:
// every request becomes an APIGatewayProxyRequest for it, and its answer
// the response. IAM signatures are not checked here; the caller's identity
// is taken from the signature's access key.
type Gateway struct {
	URL string
	srv *http.Server
}

// NewGateway serves the function name of c.
func (c *Cloud) NewGateway(name string) (*Gateway, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g := &Gateway{URL: "http://" + ln.Addr().String()}
	g.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := lambdaevents.APIGatewayProxyRequest{HTTPMethod: r.Method, Path: r.URL.Path, Body: string(body),
			Headers: map[string]string{}, QueryStringParameters: map[string]string{},
			RequestContext: lambdaevents.APIGatewayProxyRequestContext{RequestID: c.id("apigw"),
				Identity: identity(r)}}
		for k, v := range r.Header {
			req.Headers[k] = strings.Join(v, ",")
		}
		for k, v := range r.URL.Query() {
			req.QueryStringParameters[k] = v[0]
		}
		payload, _ := json.Marshal(req)
		out, failed, err := c.Invoke(name, payload, false)
		var resp lambdaevents.APIGatewayProxyResponse
		if err != nil || failed || json.Unmarshal(out, &resp) != nil {
			w.WriteHeader(http.StatusBadGateway)
			w.Write(out)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		io.WriteString(w, resp.Body)
	})}
	go g.srv.Serve(ln)
	return g, nil
}

// identity is what IAM authorization would tell the function of the
// caller: here, from the signature's access key (it is not verified), an
// IAM user named after it.
func identity(r *http.Request) lambdaevents.APIGatewayRequestIdentity {
	id := lambdaevents.APIGatewayRequestIdentity{SourceIP: "127.0.0.1", UserAgent: r.UserAgent()}
	_, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return id
	}
	key, _, _ := strings.Cut(cred, "/")
	id.AccountID, id.Caller, id.AccessKey = "000000000000", key, key
	id.UserArn = "arn:aws:iam::000000000000:user/" + key
	return id
}

// Close stops the gateway.
func (g *Gateway) Close() { g.srv.Close() }
