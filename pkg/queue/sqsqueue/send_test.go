package sqsqueue

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestBatches(t *testing.T) {
	big := bytes.Repeat([]byte("x"), MaxBatchBytes/2+1)
	small := []byte("s")
	rep := func(b []byte, n int) [][]byte {
		var out [][]byte
		for range n {
			out = append(out, b)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		bodies [][]byte
		want   []int // entries per batch
	}{
		{"none", nil, nil},
		{"one", rep(small, 1), []int{1}},
		{"exactly ten", rep(small, 10), []int{10}},
		{"25 in tens", rep(small, 25), []int{10, 10, 5}},
		{"two halves do not fit in one batch", rep(big, 3), []int{1, 1, 1}},
		{"small ones join a big one", append(rep(big, 1), rep(small, 12)...), []int{10, 3}},
		{"a body over the limit goes alone", [][]byte{small, make([]byte, MaxBatchBytes+1), small}, []int{1, 1, 1}},
	} {
		var got []int
		next := 0
		for _, b := range batches(tc.bodies) {
			got = append(got, len(b))
			for _, e := range b {
				if e.index != next {
					t.Errorf("%s: entry %d where %d was due", tc.name, e.index, next)
				}
				next++
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: batches of %v; want %v", tc.name, got, tc.want)
		}
	}
}

func TestRegionOf(t *testing.T) {
	for url, want := range map[string]string{
		"https://sqs.eu-west-1.amazonaws.com/123456789012/shards":     "eu-west-1",
		"https://sqs.cn-north-1.amazonaws.com.cn/123456789012/shards": "cn-north-1",
		"https://ap-south-1.queue.amazonaws.com/123456789012/shards":  "ap-south-1", // legacy form
		"http://127.0.0.1:9324/000000000000/shards":                   DefaultRegion,
		"http://sqs.example.com/q":                                    DefaultRegion,
	} {
		if got := regionOf(url); got != want {
			t.Errorf("regionOf(%s) = %s; want %s", url, got, want)
		}
	}
}

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int32
	}{
		{0, 0}, {-time.Second, 0}, {time.Millisecond, 1}, {time.Second, 1}, {1500 * time.Millisecond, 2},
		{24 * time.Hour, 43200}, // capped at 12 h
	} {
		if got := seconds(tc.d, MaxVisibility); got != tc.want {
			t.Errorf("seconds(%v) = %d; want %d", tc.d, got, tc.want)
		}
	}
}

// fakeSQS answers SendMessageBatch in SQS's JSON protocol, failing entries
// as fail decides.
type fakeSQS struct {
	mu       sync.Mutex
	fail     func(body string, attempt int) (code string, senderFault bool, failed bool)
	attempts map[string]int // by body
	sent     map[string]int
	calls    int
}

func (f *fakeSQS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "AmazonSQS.SendMessageBatch" {
		http.Error(w, "unexpected "+r.Header.Get("X-Amz-Target"), http.StatusBadRequest)
		return
	}
	var in struct {
		Entries []struct{ Id, MessageBody string }
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	type ok struct{ Id, MessageId, MD5OfMessageBody string }
	type bad struct {
		Id, Code, Message string
		SenderFault       bool
	}
	var out struct {
		Successful []ok
		Failed     []bad
	}
	f.mu.Lock()
	f.calls++
	for _, e := range in.Entries {
		f.attempts[e.MessageBody]++
		if code, sender, failed := f.fail(e.MessageBody, f.attempts[e.MessageBody]); failed {
			out.Failed = append(out.Failed, bad{e.Id, code, "injected", sender})
			continue
		}
		f.sent[e.MessageBody]++
		sum := md5.Sum([]byte(e.MessageBody))
		out.Successful = append(out.Successful, ok{e.Id, "m-" + e.Id, hex.EncodeToString(sum[:])})
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(out)
}

func fakeQueue(t *testing.T, fail func(body string, attempt int) (string, bool, bool)) (*Queue, *fakeSQS) {
	f := &fakeSQS{fail: fail, attempts: map[string]int{}, sent: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	return New(c, srv.URL+"/000000000000/q"), f
}

func TestSendRetriesFailedEntries(t *testing.T) {
	// Bodies ending in 7 fail twice with a server fault, then go through;
	// b13 always fails as the sender's fault; b42 always fails.
	q, f := fakeQueue(t, func(body string, attempt int) (string, bool, bool) {
		switch {
		case body == "b13":
			return "InvalidMessageContents", true, true
		case body == "b42":
			return "InternalError", false, true
		case strings.HasSuffix(body, "7") && attempt <= 2:
			return "ServiceUnavailable", false, true
		}
		return "", false, false
	})
	var bodies [][]byte
	for i := range 95 {
		bodies = append(bodies, fmt.Appendf(nil, "b%d", i))
	}
	err := q.Send(context.Background(), bodies)
	var se *SendError
	if !errors.As(err, &se) {
		t.Fatalf("Send: %v; want a *SendError", err)
	}
	if se.Total != 95 || len(se.Unsent) != 2 || se.Unsent[0].Index != 13 || se.Unsent[1].Index != 42 {
		t.Fatalf("unsent %+v of %d; want #13 and #42 of 95", se.Unsent, se.Total)
	}
	var ee *EntryError
	if !errors.As(se.Unsent[0].Err, &ee) || !ee.SenderFault || ee.Code != "InvalidMessageContents" {
		t.Errorf("#13 failed with %v; want the sender's InvalidMessageContents", se.Unsent[0].Err)
	}
	if want := "sqs send: 2 of 95 messages not sent: #13: InvalidMessageContents: injected; #42: InternalError: injected"; err.Error() != want {
		t.Errorf("error %q;\nwant  %q", err, want)
	}
	for i := range 95 {
		b := fmt.Sprintf("b%d", i)
		wantSent, wantAttempts := 1, 1
		switch {
		case i == 13:
			wantSent = 0 // not retried: the sender's fault
		case i == 42:
			wantSent, wantAttempts = 0, SendAttempts
		case i%10 == 7:
			wantAttempts = 3
		}
		if f.sent[b] != wantSent || f.attempts[b] != wantAttempts {
			t.Errorf("%s: sent %d times in %d attempts; want %d in %d", b, f.sent[b], f.attempts[b], wantSent, wantAttempts)
		}
	}
}

func TestSendCanceled(t *testing.T) {
	q, f := fakeQueue(t, func(string, int) (string, bool, bool) { return "", false, false })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := q.Send(ctx, [][]byte{[]byte("a"), []byte("b")})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "2 of 2 messages not sent") {
		t.Errorf("Send after cancel: %v; want 2 of 2 not sent, context.Canceled", err)
	}
	if f.calls != 0 {
		t.Errorf("%d calls after cancel; want 0", f.calls)
	}
}

func TestSendErrorMessage(t *testing.T) {
	down := errors.New("queue down")
	e := &SendError{Total: 40}
	for i := range 12 {
		e.Unsent = append(e.Unsent, Unsent{i, down})
	}
	e.Unsent = append(e.Unsent, Unsent{20, &EntryError{Code: "InternalError", Message: "oops"}})
	want := "sqs send: 13 of 40 messages not sent: #0, #1, #2, #3, #4, #5, #6, #7 and 4 more: queue down; #20: InternalError: oops"
	if e.Error() != want {
		t.Errorf("Error() = %q;\nwant       %q", e.Error(), want)
	}
	if !errors.Is(e, down) {
		t.Error("errors.Is(SendError, the cause) = false")
	}
}

func TestNewFromConfig(t *testing.T) {
	const awsURL = "https://sqs.eu-west-1.amazonaws.com/1/shards"
	for _, tc := range []struct {
		name     string
		cfg      aws.Config
		url      string
		endpoint string // WithEndpoint's
		region   string // the client's
	}{
		// An AWS queue URL names the region the configuration leaves out.
		{name: "region from the URL", url: awsURL, region: "eu-west-1"},
		// A configured region wins; so does the configuration over the URL.
		{name: "configured region", cfg: aws.Config{Region: "us-west-2"}, url: awsURL, region: "us-west-2"},
		// An emulator's URL names none: the default.
		{name: "emulator", url: "http://127.0.0.1:9324/000000000000/shards", endpoint: "http://127.0.0.1:9324", region: DefaultRegion},
	} {
		var opts []Option
		if tc.endpoint != "" {
			opts = append(opts, WithEndpoint(tc.endpoint))
		}
		q, err := NewFromConfig(tc.cfg, tc.url, opts...)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		o := q.client.Options()
		if aws.ToString(o.BaseEndpoint) != tc.endpoint || o.Region != tc.region || o.Retryer.MaxAttempts() != MaxAttempts || q.URL() != tc.url {
			t.Errorf("%s: endpoint %q, region %q, %d attempts, URL %s; want %q, %q, %d, %s", tc.name,
				aws.ToString(o.BaseEndpoint), o.Region, o.Retryer.MaxAttempts(), q.URL(), tc.endpoint, tc.region, MaxAttempts, tc.url)
		}
	}
	if _, err := NewFromConfig(aws.Config{}, "shards"); err == nil {
		t.Error("NewFromConfig(shards) succeeded; want an error: not a queue URL")
	}
}
