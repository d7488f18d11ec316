package awslocal

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
)

// Gateway is API Gateway's REST proxy integration in front of a function:
// every request becomes an APIGatewayProxyRequest (payload format 1.0:
// the path as sent, still escaped; single- and multi-value headers and
// query) for it, and its answer the response. IAM signatures are not checked here; the caller's identity
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
		req := lambdaevents.APIGatewayProxyRequest{HTTPMethod: r.Method, Path: r.URL.EscapedPath(), Body: string(body),
			Headers: map[string]string{}, MultiValueHeaders: r.Header,
			QueryStringParameters: map[string]string{}, MultiValueQueryStringParameters: r.URL.Query(),
			RequestContext: lambdaevents.APIGatewayProxyRequestContext{RequestID: c.id("apigw"),
				Identity: identity(r)}}
		// The single-value maps keep the last value, as API Gateway's do.
		for k, v := range r.Header {
			req.Headers[k] = v[len(v)-1]
		}
		for k, v := range r.URL.Query() {
			req.QueryStringParameters[k] = v[len(v)-1]
		}
		payload, _ := json.Marshal(req)
		out, failed, err := c.Invoke(name, payload, false)
		var resp lambdaevents.APIGatewayProxyResponse
		if err != nil || failed || json.Unmarshal(out, &resp) != nil {
			w.WriteHeader(http.StatusBadGateway)
			w.Write(out)
			return
		}
		// As API Gateway: headers and multiValueHeaders merged (the latter's
		// values win for a name), a base64 body decoded.
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		for k, vs := range resp.MultiValueHeaders {
			w.Header().Del(k)
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		out = []byte(resp.Body)
		if resp.IsBase64Encoded {
			if out, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(out)
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
