package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The HTTP/2 scenarios: barrage against h2load (nghttp2-client), closed
// loops of 100 streams on each of 1 and 4 connections, over cleartext
// (h2c, prior knowledge) and TLS (ALPN h2), on nginx's HTTP/2 ports.

var (
	h2Conns   = flag.String("h2-conns", "1,4", "h2c and h2: comma-separated connection counts, each a sub-scenario")
	h2Streams = flag.Int("h2-streams", 100, "h2c and h2: concurrent streams per connection")
)

// h2Goal is issue 14's: barrage's successful requests per CPU-second at
// least this share of h2load's.
const h2Goal = 0.8

// h2Scenario runs barrage and h2load, alternating, against url for each
// connection count of -h2-conns; name is "h2c" or "h2" (TLS).
func h2Scenario(b *bench, cfg config, name, url string) section {
	what := map[string]string{"h2c": "HTTP/2 cleartext (prior knowledge)", "h2": "HTTP/2 over TLS (ALPN h2)"}[name]
	barrageFlag := map[string][]string{"h2c": {"--h2c"}, "h2": {"--http2", "--insecure"}}[name]
	var out section
	out.medians = map[string]float64{}
	for _, cs := range strings.Split(*h2Conns, ",") {
		conns, err := strconv.Atoi(strings.TrimSpace(cs))
		if err != nil || conns < 1 {
			fmt.Printf("\n== %s: bad -h2-conns entry %q, skipped\n", name, cs)
			continue
		}
		m, d := *h2Streams, cfg.Duration
		sub := fmt.Sprintf("%s-%dc", name, conns)
		fmt.Printf("\n== %s: %s closed loop, %d connection(s) × %d streams, %s per run, %d rounds\n",
			sub, what, conns, m, d, cfg.Rounds)
		order := []string{"barrage", "h2load"}
		args := append([]string{"--connections", strconv.Itoa(conns)}, barrageFlag...)
		runs, med := b.closedLoop(sub, cfg, order, map[string]runFunc{
			"barrage": func() (measurement, error) { return b.barrageClosed(url, conns*m, d, args...) },
			"h2load":  func() (measurement, error) { return b.h2loadClosed(url, conns, m, d) },
		})
		if b.ctx.Err() != nil {
			return section{}
		}
		r := ratio(med["barrage"], med["h2load"])
		fmt.Printf("  ratio of the medians: barrage/h2load %.2f×\n", r)
		g := goalResult{Name: sub + ": barrage/h2load, ok requests per CPU-second", Want: fmt.Sprintf("≥ %.1f", h2Goal),
			Got: r, Pass: r >= h2Goal}
		if med["barrage"] == 0 || med["h2load"] == 0 {
			g.Pass, g.Notes = false, "no successful run of barrage or h2load"
		}
		fmt.Println("  " + g.String())
		out.runs = append(out.runs, runs...)
		out.goals = append(out.goals, g)
		out.medians[sub+".barrage_ok_per_cpu_s"] = med["barrage"]
		out.medians[sub+".h2load_ok_per_cpu_s"] = med["h2load"]
		out.medians[sub+".barrage_over_h2load"] = r
	}
	return out
}

var (
	h2loadDone   = regexp.MustCompile(`requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded`)
	h2loadStatus = regexp.MustCompile(`status codes: (\d+) 2xx, (\d+) 3xx`)
)

// h2loadClosed is h2load's closed loop: one thread, c connections with m
// streams each, for d (whole seconds, at least 1), pinned to loadCPU.
func (b *bench) h2loadClosed(url string, c, m int, d time.Duration) (measurement, error) {
	secs := max(1, int(math.Ceil(d.Seconds())))
	out, ms, err := b.runOn(loadCPU, time.Duration(secs)*time.Second+killMargin, nil,
		b.h2load, "-t", "1", "-c", strconv.Itoa(c), "-m", strconv.Itoa(m), "-D", strconv.Itoa(secs), url)
	ms.Tool = "h2load"
	if err != nil {
		return ms, err
	}
	s := string(out)
	mm := h2loadDone.FindStringSubmatch(s)
	st := h2loadStatus.FindStringSubmatch(s)
	if mm == nil || st == nil {
		return ms, fmt.Errorf("h2load printed no request counts:\n%s", indent(tail(s, 2000)))
	}
	ms.Requests, _ = strconv.ParseInt(mm[2], 10, 64)
	ok2, _ := strconv.ParseInt(st[1], 10, 64)
	ok3, _ := strconv.ParseInt(st[2], 10, 64)
	ms.Success = ok2 + ok3
	ms.Extra = map[string]float64{}
	return ms, nil
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key
// into dir (cert.pem, key.pem), for nginx's TLS port.
func writeCert(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "barrage bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
}
