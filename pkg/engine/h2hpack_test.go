package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// xnetStatus decodes blk with x/net's decoder and returns its first
// field's value if that field is :status.
func xnetStatus(d *hpack.Decoder, blk []byte) (string, error) {
	var status string
	n := 0
	d.SetEmitFunc(func(f hpack.HeaderField) {
		if n == 0 && f.Name == ":status" {
			status = f.Value
		}
		n++
	})
	_, err := d.Write(blk)
	if err == nil {
		err = d.Close()
	}
	return status, err
}

// TestH2StatusAgainstXnet encodes 2,000 responses with x/net's encoder,
// which indexes fields in the dynamic table (and evicts them: the fields
// vary, like a date), with Huffman coding and table size updates, and
// checks that h2status reads every block's :status as x/net's decoder does.
func TestH2StatusAgainstXnet(t *testing.T) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	dec := hpack.NewDecoder(h2TableSize, nil)
	d := &h2status{max: h2TableSize}
	rng := rand.New(rand.NewPCG(1, 2))
	statuses := []string{"200", "204", "404", "418", "503", "302", "101", "299"}
	for i := range 2000 {
		buf.Reset()
		if i%500 == 250 { // the encoder shrinks and regrows its table
			enc.SetMaxDynamicTableSize(uint32(rng.IntN(h2TableSize)))
		}
		if i%500 == 251 {
			enc.SetMaxDynamicTableSize(h2TableSize)
		}
		st := statuses[rng.IntN(len(statuses))]
		enc.WriteField(hpack.HeaderField{Name: ":status", Value: st})
		enc.WriteField(hpack.HeaderField{Name: "date", Value: fmt.Sprintf("Thu, 03 Dec 2026 15:%02d:%02d GMT", i/60%60, i%60)})
		enc.WriteField(hpack.HeaderField{Name: "server", Value: "nginx/1.22.1"})
		enc.WriteField(hpack.HeaderField{Name: fmt.Sprintf("x-n-%d", rng.IntN(50)), Value: fmt.Sprint(rng.IntN(1000))})
		enc.WriteField(hpack.HeaderField{Name: "set-cookie", Value: fmt.Sprint(i), Sensitive: i%3 == 0})
		blk := bytes.Clone(buf.Bytes())
		want, err := xnetStatus(dec, blk)
		if err != nil {
			t.Fatalf("block %d: x/net: %v", i, err)
		}
		got, err := d.decode(blk)
		if err != nil || fmt.Sprint(got) != want {
			t.Fatalf("block %d: status %d, %v; want %s", i, got, err, want)
		}
	}
}

// FuzzH2Status: h2status never panics, and reads the status x/net reads
// from every block x/net accepts.
func FuzzH2Status(f *testing.F) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	enc.WriteField(hpack.HeaderField{Name: ":status", Value: "404"})
	enc.WriteField(hpack.HeaderField{Name: "date", Value: "Thu, 03 Dec 2026 15:00:00 GMT"})
	f.Add(bytes.Clone(buf.Bytes()))
	f.Add([]byte{0x88})
	f.Add([]byte{0x3f, 0xe1, 0x1f, 0x48, 0x03, '2', '0', '1'})
	f.Fuzz(func(t *testing.T, blk []byte) {
		d := &h2status{max: h2TableSize}
		got, err := d.decode(blk)
		want, xerr := xnetStatus(hpack.NewDecoder(h2TableSize, nil), blk)
		if xerr != nil {
			return
		}
		if err != nil {
			t.Fatalf("decode(%x): %v; x/net reads it", blk, err)
		}
		if len(want) == 3 && want[0] >= '0' && want[0] <= '9' && want[1] >= '0' && want[1] <= '9' && want[2] >= '0' && want[2] <= '9' {
			if fmt.Sprint(got) != want {
				t.Fatalf("decode(%x) = %d; x/net reads %s", blk, got, want)
			}
		}
	})
}
