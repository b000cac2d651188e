// A hashicorp/yamux peer for the yamux interop tests (test/yamux). It dials the unix socket given
// with -addr, runs one yamux session as -role client or server, and plays one -scenario, reporting
// on stdout one JSON line per event the test checks ({"step":"ready"}, ...).
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"
)

func main() {
	addr := flag.String("addr", "", "unix socket to dial")
	role := flag.String("role", "server", "yamux role of this peer: client or server")
	scenario := flag.String("scenario", "echo", "echo | open | slow-read | slow-write | backlog | goaway | ping | accept-reset | hold")
	streams := flag.Int("streams", 10, "streams to open (open)")
	size := flag.Int("size", 300000, "bytes per stream (open, slow-write)")
	backlog := flag.Int("backlog", 256, "accept backlog")
	flag.Parse()

	conn, err := net.Dial("unix", *addr)
	if err != nil {
		fail("dial: %v", err)
	}
	cfg := yamux.DefaultConfig()
	cfg.AcceptBacklog = *backlog
	cfg.LogOutput = os.Stderr
	var sess *yamux.Session
	if *role == "client" {
		sess, err = yamux.Client(conn, cfg)
	} else {
		sess, err = yamux.Server(conn, cfg)
	}
	if err != nil {
		fail("session: %v", err)
	}
	say("ready")

	switch *scenario {
	case "echo":
		// Echo every stream the test opens until the session ends.
		for {
			s, err := sess.AcceptStream()
			if err != nil {
				say("session ended", "error", err.Error())
				return
			}
			go func(s *yamux.Stream) {
				n, err := io.Copy(s, s)
				if err != nil {
					say("echo error", "stream", s.StreamID(), "bytes", n, "error", err.Error())
					return
				}
				s.Close()
				say("echoed", "stream", s.StreamID(), "bytes", n)
			}(s)
		}
	case "open":
		// Open streams to the test, send a pattern, half-close, and check its echo.
		var wg sync.WaitGroup
		var bad atomic.Int32
		for i := 0; i < *streams; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				s, err := sess.OpenStream()
				if err != nil {
					say("open error", "error", err.Error())
					bad.Add(1)
					return
				}
				want := pattern(*size, byte(i))
				go func() {
					// Odd-sized writes, so frames never line up with anything.
					for at := 0; at < len(want); at += 7001 {
						end := min(at+7001, len(want))
						if _, err := s.Write(want[at:end]); err != nil {
							say("write error", "error", err.Error())
							return
						}
					}
					s.Close() // yamux Close is a half-close: FIN, reads go on
				}()
				got, err := io.ReadAll(s)
				if err != nil || string(got) != string(want) {
					say("echo mismatch", "stream", s.StreamID(), "bytes", len(got), "error", fmt.Sprint(err))
					bad.Add(1)
				}
				s.Close()
			}(i)
		}
		wg.Wait()
		say("open done", "streams", *streams, "bad", bad.Load())
		waitEnd(sess)
	case "slow-read":
		// Accept one stream, read nothing for 700 ms, then read it all and report its hash.
		s, err := sess.AcceptStream()
		if err != nil {
			fail("accept: %v", err)
		}
		time.Sleep(700 * time.Millisecond)
		say("reading")
		h := sha256.New()
		n, err := io.Copy(h, s)
		say("read", "bytes", n, "sha256", hex.EncodeToString(h.Sum(nil)), "error", fmt.Sprint(err))
		s.Close()
		waitEnd(sess)
	case "slow-write":
		// Open one stream and write -size bytes; report how far the writes got before the test read.
		s, err := sess.OpenStream()
		if err != nil {
			fail("open: %v", err)
		}
		var written atomic.Int64
		done := make(chan error, 1)
		go func() {
			data := pattern(*size, 3)
			for at := 0; at < len(data); at += 4096 {
				n, err := s.Write(data[at:min(at+4096, len(data))])
				written.Add(int64(n))
				if err != nil {
					done <- err
					return
				}
			}
			done <- s.Close() // yamux Close is a half-close: FIN, reads go on
		}()
		time.Sleep(700 * time.Millisecond)
		say("blocked", "written", written.Load())
		err = <-done
		say("write done", "written", written.Load(), "error", fmt.Sprint(err))
		waitEnd(sess)
	case "backlog":
		// Never accept: streams beyond the backlog are reset by this side.
		waitEnd(sess)
	case "goaway":
		// Accept one stream, then tell the test to open no more.
		s, err := sess.AcceptStream()
		if err != nil {
			fail("accept: %v", err)
		}
		s.Close()
		if err := sess.GoAway(); err != nil {
			fail("goaway: %v", err)
		}
		say("goaway sent")
		waitEnd(sess)
	case "ping":
		rtt, err := sess.Ping()
		if err != nil {
			say("ping", "ok", false, "error", err.Error())
		} else {
			say("ping", "ok", rtt > 0)
		}
		waitEnd(sess)
	case "accept-reset":
		// Accept one stream and read until it fails: the test resets it mid-stream.
		s, err := sess.AcceptStream()
		if err != nil {
			fail("accept: %v", err)
		}
		n, err := io.Copy(io.Discard, s)
		say("read", "bytes", n, "error", fmt.Sprint(err))
		// After a reset the session still works: open a stream back.
		s2, err := sess.OpenStream()
		if err != nil {
			fail("open after reset: %v", err)
		}
		s2.Write([]byte("still here"))
		s2.Close()
		waitEnd(sess)
	case "hold":
		// Open a stream, send a little, then wait to be killed.
		s, err := sess.OpenStream()
		if err != nil {
			fail("open: %v", err)
		}
		s.Write([]byte("partial"))
		say("holding")
		waitEnd(sess)
	default:
		fail("unknown scenario %q", *scenario)
	}
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed
	}
	return b
}

func waitEnd(sess *yamux.Session) {
	select {
	case <-sess.CloseChan():
		say("session closed")
	case <-time.After(60 * time.Second):
		say("timeout")
	}
}

func fail(format string, args ...any) {
	say("fatal", "error", fmt.Sprintf(format, args...))
	os.Exit(1)
}

var sayLock sync.Mutex

// say prints one JSON line: step, then key/value pairs.
func say(step string, kv ...any) {
	line := map[string]any{"step": step}
	for i := 0; i+1 < len(kv); i += 2 {
		line[kv[i].(string)] = kv[i+1]
	}
	b, _ := json.Marshal(line)
	sayLock.Lock()
	defer sayLock.Unlock()
	os.Stdout.Write(append(b, '\n'))
}
