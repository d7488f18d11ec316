package hist

import (
	"math"
	"testing"
)

// refPayload reads the V2 payload p the plain way, one ZigZag number at a
// time (readZigZag), with readPayload's rules: a negative number is a run
// of that many empty buckets, zero one empty bucket, a positive number the
// count of the next; every count lies in buckets 1 to highestIndex and
// their sum fits an int64. ok is false where readPayload must fail.
func refPayload(p []byte) (counts []bucketCount, total int64, ok bool) {
	i := int64(0)
	for j := 0; j < len(p); {
		x, k, ok := readZigZag(p[j:])
		if !ok {
			return nil, 0, false
		}
		j += k
		switch {
		case x < 0:
			if x < -int64(highestIndex)-1 {
				return nil, 0, false
			}
			if i -= x; i > int64(highestIndex)+1 {
				return nil, 0, false
			}
		case x == 0:
			i++
		default:
			if i == 0 || i > int64(highestIndex) || x > math.MaxInt64-total {
				return nil, 0, false
			}
			total += x
			counts = append(counts, bucketCount{int32(i), x})
			i++
		}
	}
	return counts, total, true
}

// sparseCounts lists what s holds, bucket by bucket.
func sparseCounts(s *Sparse) []bucketCount {
	var out []bucketCount
	for pi, pg := range s.pages {
		if pg == nil {
			continue
		}
		for k, n := range pg {
			i := int32(pi*pageLen + k)
			if c := int64(n) + s.carry[i]; c != 0 {
				out = append(out, bucketCount{i, c})
			}
		}
	}
	return out
}

// FuzzReadPayload checks readPayload, both its paths (into a Sparse, and
// listing counts), against refPayload, and that on an error what it added
// to the Sparse is taken back whole.
func FuzzReadPayload(f *testing.F) {
	c := NewCodec()
	for _, h := range []*Histogram{
		record(latencies(100, 1)...),
		record(latencies(2_000, 2)...),
		record(0, 1, 2, 3, 1000, 1001, 1002),
	} {
		_, payload, err := c.inflate(mustMarshal(f, h))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte(nil), payload...))
	}
	f.Add([]byte{0x4f, 0x02, 0xa9, 0x01, 0x02, 0x05, 0x02, 0xbf, 0x02, 0x02})
	f.Add([]byte{0x01, 0x02, 0x81, 0x00, 0x04, 0xff, 0x7f, 0x7e})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte("1100"))                 // a run, then a run where a count would be
	f.Add([]byte{0x81, 0x01, 0x03, 0x02}) // a two-byte run, then a run
	f.Add([]byte{0x81, 0x81, 0x02, 0x02}) // a three-byte run, then a count
	// Runs to one past the last bucket, then two empty buckets: accepted.
	f.Add([]byte{0xff, 0x7f, 0xff, 0x7f, 0xe9, 0x6a, 0x00, 0x00})
	f.Add([]byte{0x03, 0x80, 0x01, 0x02, 0x00}) // a count of 64: two bytes
	f.Fuzz(func(t *testing.T, p []byte) {
		want, wantTotal, wantOK := refPayload(p)
		var got []bucketCount
		total, _, err := readPayload(p, nil, &got)
		if (err == nil) != wantOK {
			t.Fatalf("readPayload(%x, counts) error = %v, want ok %v", p, err, wantOK)
		}
		var s Sparse
		stotal, read, serr := readPayload(p, &s, nil)
		if (serr == nil) != wantOK {
			t.Fatalf("readPayload(%x, sparse) error = %v, want ok %v", p, serr, wantOK)
		}
		if !wantOK {
			var added []bucketCount
			readPayload(p[:read], nil, &added)
			s.takeBack(added)
			if left := sparseCounts(&s); len(left) != 0 {
				t.Fatalf("readPayload(%x, sparse) left %v after an error", p, left)
			}
			return
		}
		if total != wantTotal || stotal != wantTotal {
			t.Fatalf("readPayload(%x) totals %d and %d, want %d", p, total, stotal, wantTotal)
		}
		if !equalCounts(got, want) {
			t.Fatalf("readPayload(%x, counts) = %v, want %v", p, got, want)
		}
		if sc := sparseCounts(&s); !equalCounts(sc, want) {
			t.Fatalf("readPayload(%x, sparse) holds %v, want %v", p, sc, want)
		}
	})
}

func equalCounts(a, b []bucketCount) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}
