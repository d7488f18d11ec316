//go:build integration

package integration

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/barrage-load/barrage/pkg/store/s3store"
)

// MinIO is an S3 server on 127.0.0.1 with one empty bucket, stopped when
// the test ends.
type MinIO struct {
	Endpoint  string // http://127.0.0.1:PORT
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string
	Dir       string     // its data
	Client    *s3.Client // path-style, retrying as s3store.Retryer
}

// Store returns an s3store.Store in the bucket under prefix.
func (m *MinIO) Store(prefix string) *s3store.Store { return s3store.New(m.Client, m.Bucket, prefix) }

// S3Client returns a client of the S3 server at endpoint (MinIO, or a
// FaultProxy in front of it) with the harness's credentials, path-style
// addressing and s3store.Retryer.
func S3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		Retryer:     s3store.Retryer(), DisableLogOutputChecksumValidationSkipped: true})
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// StartMinIO starts MinIO on a free port of 127.0.0.1 with its data in a
// temporary directory, waits until it serves, and creates the bucket
// "barrage". The binary is $BARRAGE_MINIO, else minio in $(go env GOBIN) or
// $(go env GOPATH)/bin (where integration/install.sh puts it), else on PATH.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	bin := find(t, "MinIO", envOr(MinIOEnv, filepath.Join(goBin(), "minio"), "minio")...)
	m := &MinIO{Bucket: "barrage", AccessKey: AccessKey, SecretKey: SecretKey, Region: Region, Dir: t.TempDir()}
	var p *proc
	for try := 0; ; try++ { // the free port may be taken before MinIO binds it
		port := freePort(t)
		m.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
		cmd := exec.Command(bin, "server", m.Dir, "--quiet", "--address", fmt.Sprintf("127.0.0.1:%d", port),
			"--console-address", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
		cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey,
			"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CALLHOME_ENABLE=off")
		p = startProc(t, "minio", cmd, newTail(""))
		why := waitHTTP(m.Endpoint+"/minio/health/ready", p, 60*time.Second)
		if why == "" {
			break
		}
		if try == 2 || p.exited() == "" {
			p.failed(t, why)
		}
	}
	m.Client = S3Client(m.Endpoint)
	if _, err := m.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &m.Bucket}); err != nil {
		p.failed(t, fmt.Sprintf("did not create bucket %s: %v", m.Bucket, err))
	}
	return m
}

// waitHTTP polls url until it answers 200; it returns "" then, or why not.
func waitHTTP(url string, p *proc, limit time.Duration) string {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: time.Second}
	for {
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return ""
			}
		}
		if why := p.exited(); why != "" {
			return why
		}
		if time.Now().After(deadline) {
			return fmt.Sprintf("did not become ready in %v", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
