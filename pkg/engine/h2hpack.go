package engine

import (
	"errors"

	"golang.org/x/net/http2/hpack"
)

// h2status decodes HPACK response header blocks (RFC 7541) only as far as
// the client needs: the :status, and the dynamic table's bookkeeping, which
// every block must go through so that later blocks index it right. It keeps
// of each table entry its size, its name's length and, for a :status entry,
// the status, never the strings: x/net's hpack.Decoder copies every value
// it adds to the table into a new string, an allocation per response from
// a server that indexes a header it changes every second (nginx's date).
type h2status struct {
	ents      [h2TableSize / 32]h2entry // a ring; an entry takes at least 32 bytes
	head, n   int                       // the next slot; entries in the table
	size, max int                       // the table's size, and its limit (RFC 7541 §4)
	w         h2strWriter
	huff      [16]h2huff // Huffman strings decoded lately, by h2huffSlot
}

// h2huff is a Huffman-coded string and what decoding it gave. A server
// sends the same strings in every response (nginx indexes its server,
// date, content type and length anew each time, so the table needs each
// decoded length), and looking one up costs far less than decoding it.
type h2huff struct {
	n   int // the coded length; 0: empty
	enc [h2HuffMax]byte
	w   h2strWriter
}

// h2HuffMax is the longest Huffman-coded string remembered.
const h2HuffMax = 48

// h2huffSlot is where coded string s (1 to h2HuffMax bytes) is remembered.
func h2huffSlot(s []byte) int {
	return (len(s) + int(s[0])*3 + int(s[len(s)-1])*7) & 15
}

// h2TableSize is SETTINGS_HEADER_TABLE_SIZE, which the client leaves at
// its default: the most the server's encoder may use.
const h2TableSize = 4096

type h2entry struct {
	size, nameLen int
	status        int // the value of a :status entry; 0 for other names
}

// h2strWriter receives a decoded Huffman string: its length, and its first
// bytes (enough for ":status" and a status code).
type h2strWriter struct {
	n int
	b [8]byte
}

func (w *h2strWriter) Write(p []byte) (int, error) {
	w.n = len(p)
	copy(w.b[:], p)
	return len(p), nil
}

var errHPACK = errors.New("hpack: malformed header block")

// The static table (RFC 7541 Appendix A): its names, 1 to 61, and its
// :status entries, 8 to 14.
var (
	staticNames = [62]string{"", ":authority", ":method", ":method", ":path", ":path", ":scheme", ":scheme",
		":status", ":status", ":status", ":status", ":status", ":status", ":status", "accept-charset",
		"accept-encoding", "accept-language", "accept-ranges", "accept", "access-control-allow-origin", "age",
		"allow", "authorization", "cache-control", "content-disposition", "content-encoding",
		"content-language", "content-length", "content-location", "content-range", "content-type", "cookie",
		"date", "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match",
		"if-range", "if-unmodified-since", "last-modified", "link", "location", "max-forwards",
		"proxy-authenticate", "proxy-authorization", "range", "referer", "refresh", "retry-after", "server",
		"set-cookie", "strict-transport-security", "transfer-encoding", "user-agent", "vary", "via",
		"www-authenticate"}
	staticStatus = [...]int{8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500}
)

// decode reads one whole header block and returns the :status of its first
// field (a response's first field is its only pseudo-header), 0 if the
// first field is not :status.
func (d *h2status) decode(b []byte) (int, error) {
	status, fields := 0, 0
	for ; len(b) > 0; fields++ {
		first := fields == 0
		c := b[0]
		var idx int
		var err error
		switch {
		case c&0x80 != 0: // indexed field
			if idx, b, err = hpackInt(b, 7); err != nil || idx == 0 {
				return 0, errHPACK
			}
			e, ok := d.at(idx)
			if !ok {
				return 0, errHPACK
			}
			if first {
				status = e.status
			}
			continue
		case c&0xe0 == 0x20: // dynamic table size update
			if idx, b, err = hpackInt(b, 5); err != nil || idx > h2TableSize {
				return 0, errHPACK
			}
			d.max = idx
			d.evict(0)
			fields-- // not a field
			continue
		}
		indexing := c&0xc0 == 0x40 // else without indexing (0000) or never indexed (0001)
		prefix := uint(4)
		if indexing {
			prefix = 6
		}
		if idx, b, err = hpackInt(b, prefix); err != nil {
			return 0, errHPACK
		}
		var nameLen int
		isStatus := false
		if idx == 0 {
			if b, err = d.str(b); err != nil {
				return 0, errHPACK
			}
			nameLen = d.w.n
			isStatus = d.w.n == 7 && string(d.w.b[:7]) == ":status"
		} else {
			e, ok := d.at(idx)
			if !ok {
				return 0, errHPACK
			}
			nameLen, isStatus = e.nameLen, (idx >= 8 && idx <= 14) || (idx > 61 && e.status != 0)
		}
		if !indexing && !isStatus {
			// Neither the table nor the status needs the value.
			if _, _, b, err = splitStr(b); err != nil {
				return 0, errHPACK
			}
			continue
		}
		if b, err = d.str(b); err != nil {
			return 0, errHPACK
		}
		st := 0
		if isStatus && d.w.n == 3 {
			st = int(d.w.b[0]-'0')*100 + int(d.w.b[1]-'0')*10 + int(d.w.b[2]-'0')
		}
		if first {
			status = st
		}
		if indexing {
			d.add(h2entry{size: nameLen + d.w.n + 32, nameLen: nameLen, status: st})
		}
	}
	return status, nil
}

// at returns the entry at index i of the static (1 to 61) and dynamic
// (62 on, newest first) tables.
func (d *h2status) at(i int) (h2entry, bool) {
	if i <= 61 {
		e := h2entry{nameLen: len(staticNames[i])}
		if i < len(staticStatus) {
			e.status = staticStatus[i]
		}
		return e, i > 0
	}
	k := i - 62
	if k >= d.n {
		return h2entry{}, false
	}
	return d.ents[(d.head-1-k+2*len(d.ents))%len(d.ents)], true
}

// add puts e into the dynamic table, evicting the oldest entries to make
// room; an entry larger than the table empties it (RFC 7541 §4.4).
func (d *h2status) add(e h2entry) {
	if e.size > d.max {
		d.n, d.size = 0, 0
		return
	}
	d.evict(e.size)
	d.ents[d.head] = e
	d.head = (d.head + 1) % len(d.ents)
	d.n++
	d.size += e.size
}

// evict drops the oldest entries until room more bytes fit.
func (d *h2status) evict(room int) {
	for d.n > 0 && d.size+room > d.max {
		old := (d.head - d.n + len(d.ents)) % len(d.ents)
		d.size -= d.ents[old].size
		d.n--
	}
}

// str reads a string literal into d.w (its decoded length and first
// bytes) and returns what follows it.
func (d *h2status) str(b []byte) ([]byte, error) {
	s, huff, rest, err := splitStr(b)
	switch {
	case err != nil:
		return nil, err
	case !huff:
		d.w.Write(s)
	case len(s) == 0 || len(s) > h2HuffMax:
		err = d.huffman(s)
	default:
		c := &d.huff[h2huffSlot(s)]
		if c.n == len(s) && string(c.enc[:c.n]) == string(s) {
			d.w = c.w
			break
		}
		if err = d.huffman(s); err == nil {
			c.n, c.w = len(s), d.w
			copy(c.enc[:], s)
		}
	}
	return rest, err
}

// splitStr splits the string literal at the start of b from what follows
// it; huff: the string is Huffman-coded.
func splitStr(b []byte) (s []byte, huff bool, rest []byte, err error) {
	if len(b) == 0 {
		return nil, false, nil, errHPACK
	}
	huff = b[0]&0x80 != 0
	n, b, err := hpackInt(b, 7)
	if err != nil || n > len(b) {
		return nil, false, nil, errHPACK
	}
	return b[:n], huff, b[n:], nil
}

// huffman decodes Huffman-coded string s into d.w.
func (d *h2status) huffman(s []byte) error {
	d.w.n = 0
	if _, err := hpack.HuffmanDecode(&d.w, s); err != nil {
		return errHPACK
	}
	return nil
}

// hpackInt reads an integer with an n-bit prefix (RFC 7541 §5.1).
func hpackInt(b []byte, n uint) (int, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errHPACK
	}
	mask := byte(1<<n - 1)
	v := int(b[0] & mask)
	b = b[1:]
	if v < int(mask) {
		return v, b, nil
	}
	for shift := uint(0); shift < 28; shift += 7 {
		if len(b) == 0 {
			return 0, nil, errHPACK
		}
		c := b[0]
		b = b[1:]
		v += int(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, b, nil
		}
	}
	return 0, nil, errHPACK
}
