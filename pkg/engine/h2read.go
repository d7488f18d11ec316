package engine

import (
	"encoding/binary"
	"io"

	"golang.org/x/net/http2"

	"github.com/barrage-load/barrage/pkg/errclass"
)

// The reader's side of an h2conn: frames are parsed in place from the
// connection's read buffer (a 9-byte header: 24-bit length, type, flags,
// 31-bit stream id; then the payload), so that reading a response
// allocates nothing. x/net's Framer allocates a frame for every HEADERS it
// reads; it writes the client's frames (h2conn.go).

// h2frame is a frame header and its payload, which points into the read
// buffer until the next frame is read.
type h2frame struct {
	typ     http2.FrameType
	flags   http2.Flags
	id      uint32
	payload []byte
}

// next reads the next frame.
func (c *h2conn) next() (h2frame, error) {
	if err := c.fill(9); err != nil {
		return h2frame{}, err
	}
	h := c.rbuf[c.r : c.r+9]
	n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
	if n > h2MaxRecvFrame {
		return h2frame{}, http2.ErrFrameTooLarge
	}
	if err := c.fill(9 + n); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return h2frame{}, err
	}
	h = c.rbuf[c.r : c.r+9+n]
	c.r += 9 + n
	return h2frame{typ: http2.FrameType(h[3]), flags: http2.Flags(h[4]), id: be32(h[5:9]) & (1<<31 - 1),
		payload: h[9:]}, nil
}

// fill reads until n unread bytes are buffered.
func (c *h2conn) fill(n int) error {
	if c.w-c.r >= n {
		return nil
	}
	if c.r > 0 {
		c.w = copy(c.rbuf, c.rbuf[c.r:c.w])
		c.r = 0
	}
	for c.w < n {
		m, err := c.nc.Read(c.rbuf[c.w:])
		c.w += m
		if c.w >= n {
			return nil
		}
		if err != nil {
			if err == io.EOF && c.w > 0 {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// handshake reads the server's first frame, which must be SETTINGS.
func (c *h2conn) handshake() error {
	if err := c.fill(9); err != nil {
		if c.w >= len(http1Prefix) && isHTTP1(c.rbuf[:c.w]) {
			return errHTTP1Answer
		}
		return err
	}
	if isHTTP1(c.rbuf[c.r:c.w]) {
		return errHTTP1Answer
	}
	f, err := c.next()
	if err != nil {
		return err
	}
	if f.typ != http2.FrameSettings || f.flags.Has(http2.FlagSettingsAck) {
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settings(f)
}

// readLoop reads frames until the connection ends.
func (c *h2conn) readLoop() {
	for {
		f, err := c.next()
		if err == nil {
			err = c.handle(f)
		}
		if err != nil {
			c.fail(err)
			return
		}
	}
}

// errProtocol is the server breaking the protocol; errNoStatus a response
// without a :status.
var (
	errProtocol = http2.ConnectionError(http2.ErrCodeProtocol)
	errNoStatus = &ProtocolError{What: "http2: a response without :status"}
)

// handle acts on one frame.
func (c *h2conn) handle(f h2frame) error {
	if c.contID != 0 && f.typ != http2.FrameContinuation {
		return errProtocol // a header block must be continued at once
	}
	switch f.typ {
	case http2.FrameData:
		return c.onData(f)
	case http2.FrameHeaders:
		return c.onHeaders(f)
	case http2.FrameContinuation:
		return c.onContinuation(f)
	case http2.FrameRSTStream:
		if len(f.payload) != 4 || f.id == 0 {
			return errProtocol
		}
		c.mu.Lock()
		if s := c.stream(f.id); s != nil {
			c.finish(s, http2.StreamError{StreamID: f.id, Code: http2.ErrCode(be32(f.payload))})
		}
		c.mu.Unlock()
	case http2.FrameSettings:
		if f.id != 0 {
			return errProtocol
		}
		if f.flags.Has(http2.FlagSettingsAck) {
			return nil
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.settings(f)
	case http2.FramePing:
		if len(f.payload) != 8 || f.id != 0 {
			return errProtocol
		}
		if !f.flags.Has(http2.FlagPingAck) {
			var data [8]byte
			copy(data[:], f.payload)
			c.mu.Lock()
			c.fr.WritePing(true, data)
			c.kickLocked()
			c.mu.Unlock()
		}
	case http2.FrameGoAway:
		if len(f.payload) < 8 || f.id != 0 {
			return errProtocol
		}
		c.onGoAway(be32(f.payload[:4])&(1<<31-1), http2.ErrCode(be32(f.payload[4:8])))
	case http2.FrameWindowUpdate:
		if len(f.payload) != 4 {
			return errProtocol
		}
		inc := int64(be32(f.payload) & (1<<31 - 1))
		c.mu.Lock()
		if f.id == 0 {
			c.sendWin += inc
			c.wakeBlocked()
		} else if s := c.stream(f.id); s != nil {
			s.sendWin += inc
			if len(s.body) > 0 {
				s.signal()
			}
		}
		c.mu.Unlock()
	case http2.FramePushPromise:
		return errProtocol // push is disabled in our SETTINGS
	}
	return nil // PRIORITY and unknown frames are ignored
}

// unpad strips a frame's padding (and a HEADERS frame's priority fields).
func unpad(f h2frame, priority bool) ([]byte, error) {
	p := f.payload
	pad := 0
	if f.flags.Has(http2.FlagDataPadded) { // the same bit for HEADERS
		if len(p) < 1 {
			return nil, errProtocol
		}
		pad, p = int(p[0]), p[1:]
	}
	if priority {
		if len(p) < 5 {
			return nil, errProtocol
		}
		p = p[5:]
	}
	if pad > len(p) {
		return nil, errProtocol
	}
	return p[:len(p)-pad], nil
}

// onData counts a DATA frame's body bytes, gives flow-control credit back
// when half a window is used, and ends the stream with END_STREAM. A frame
// of a stream that is no longer open (reset after its timeout) still
// counts for the connection's window.
func (c *h2conn) onData(f h2frame) error {
	if f.id == 0 {
		return errProtocol
	}
	data, err := unpad(f, false)
	if err != nil {
		return err
	}
	n := int64(len(f.payload))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recvUnack += n
	if c.recvUnack >= h2ConnWindow/2 {
		c.fr.WriteWindowUpdate(0, uint32(c.recvUnack))
		c.recvUnack = 0
		c.kickLocked()
	}
	s := c.stream(f.id)
	if s == nil {
		return nil
	}
	s.bytesIn += int64(len(data))
	if f.flags.Has(http2.FlagDataEndStream) {
		c.finish(s, nil)
		return nil
	}
	s.recvUsed += n
	if s.recvUsed >= h2StreamWindow/2 {
		c.fr.WriteWindowUpdate(s.id, uint32(s.recvUsed))
		s.recvUsed = 0
		c.kickLocked()
	}
	return nil
}

// onHeaders takes a HEADERS frame's header block: whole, or its first
// piece when CONTINUATION frames follow.
func (c *h2conn) onHeaders(f h2frame) error {
	if f.id == 0 {
		return errProtocol
	}
	blk, err := unpad(f, f.flags.Has(http2.FlagHeadersPriority))
	if err != nil {
		return err
	}
	end := f.flags.Has(http2.FlagHeadersEndStream)
	if !f.flags.Has(http2.FlagHeadersEndHeaders) {
		c.contID, c.contEnd = f.id, end
		c.hblk = append(c.hblk[:0], blk...)
		return nil
	}
	return c.headerBlock(f.id, blk, end)
}

// onContinuation adds a piece to the header block in progress.
func (c *h2conn) onContinuation(f h2frame) error {
	if f.id != c.contID || c.contID == 0 {
		return errProtocol
	}
	c.hblk = append(c.hblk, f.payload...)
	if !f.flags.Has(http2.FlagContinuationEndHeaders) {
		return nil
	}
	c.contID = 0
	return c.headerBlock(f.id, c.hblk, c.contEnd)
}

// headerBlock decodes a whole header block (every block must be decoded,
// even of a stream no longer open, to keep the HPACK state in step); the
// stream takes its status, a final one (1xx responses are interim), and
// ends if the block ended it. A response whose first block has no status
// fails as malformed.
func (c *h2conn) headerBlock(id uint32, blk []byte, endStream bool) error {
	status, err := c.hp.decode(blk)
	if err != nil {
		return http2.ConnectionError(http2.ErrCodeCompression)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stream(id)
	if s == nil {
		return nil
	}
	switch {
	case s.status == 0 && status >= 200:
		s.status = status
	case s.status == 0 && status < 100:
		c.fr.WriteRSTStream(id, http2.ErrCodeProtocol)
		c.kickLocked()
		c.finish(s, errNoStatus)
		return nil
	}
	if endStream {
		c.finish(s, nil)
	}
	return nil
}

// settings applies the server's SETTINGS and queues the acknowledgement;
// mu is held.
func (c *h2conn) settings(f h2frame) error {
	p := f.payload
	if len(p)%6 != 0 {
		return http2.ConnectionError(http2.ErrCodeFrameSize)
	}
	for ; len(p) > 0; p = p[6:] {
		v := be32(p[2:6])
		switch http2.SettingID(binary.BigEndian.Uint16(p)) {
		case http2.SettingMaxConcurrentStreams:
			c.maxStreams = int(min(v, 1<<20))
			c.setRing(c.maxStreams)
			c.wakeWaiters()
		case http2.SettingInitialWindowSize:
			if v > 1<<31-1 {
				return http2.ConnectionError(http2.ErrCodeFlowControl)
			}
			delta := int64(v) - c.initWin
			c.initWin = int64(v)
			for _, s := range c.ring {
				if s != nil {
					s.sendWin += delta
				}
			}
			c.wakeBlocked()
		case http2.SettingMaxFrameSize:
			if v < 16384 || v > 1<<24-1 {
				return errProtocol
			}
			c.maxFrame = int(v)
		}
	}
	c.fr.WriteSettingsAck()
	c.kickLocked()
	return nil
}

// onGoAway counts a GOAWAY by code and fails the streams above its last
// stream id, which the server did not process; those up to it finish, and
// the connection takes no new streams (the pool replaces it).
func (c *h2conn) onGoAway(last uint32, code http2.ErrCode) {
	c.p.sawGoAway(code)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.goaway, c.goawayCode = true, code
	for _, s := range c.ring {
		if s != nil && s.id > last {
			c.finish(s, &errclass.GoAwayError{Code: code, Err: errGoAwayRefused})
		}
	}
	c.wakeWaiters()
	if c.active == 0 && c.err == nil {
		c.err = errAborted
		go c.closeConn()
	}
}
