// loadgen: the load generator of bench/grpc.bench.mjs. grpc-go drives both servers under test (ours
// and @grpc/grpc-js) the same way from its own process, so the server being measured keeps a core to
// itself. Messages are raw bytes (a pass-through codec), so the numbers measure the gRPC layers, not a
// protobuf library.
//
//	loadgen -target unix:///tmp/s.sock -mode unary  -size 64    -concurrency 16 -warmup 1s -duration 5s
//	loadgen -target unix:///tmp/s.sock -mode stream -size 65536 -streams 1      -warmup 1s -duration 5s
//	loadgen -serve /tmp/s.sock   (a grpc-go echo server for the client round, see serve.go)
//
// It prints one JSON object: unary {"calls","seconds","callsPerSec","p50Us","p99Us","errors"};
// stream {"bytes","seconds","mbPerSec","errors"} (bytes echoed back to the client, 1 MB = 10^6 bytes).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
)

// rawCodec sends a *[]byte as the message itself.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append((*(v.(*[]byte)))[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

const (
	unaryMethod  = "/bench.Bench/Unary"
	streamMethod = "/bench.Bench/Echo"
)

func main() {
	target := flag.String("target", "", "server address (unix:///path or host:port)")
	mode := flag.String("mode", "unary", "unary or stream")
	size := flag.Int("size", 64, "message size in bytes")
	concurrency := flag.Int("concurrency", 16, "unary: concurrent callers")
	streams := flag.Int("streams", 1, "stream: concurrent bidi streams")
	warmup := flag.Duration("warmup", time.Second, "load before measuring")
	duration := flag.Duration("duration", 5*time.Second, "measured time")
	serveOn := flag.String("serve", "", "run a grpc-go echo server on this unix socket path instead")
	flag.Parse()
	if *serveOn != "" {
		serve(*serveOn)
		return
	}

	conn, err := grpc.NewClient(*target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(64<<20)),
		grpc.WithInitialWindowSize(1<<20), grpc.WithInitialConnWindowSize(8<<20))
	if err != nil {
		fail("dial: %v", err)
	}
	defer conn.Close()
	payload := make([]byte, *size)
	for i := range payload {
		payload[i] = byte(i)
	}
	// One call first, so connecting is not measured and a broken server fails fast.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	var reply []byte
	if err := conn.Invoke(ctx, unaryMethod, &payload, &reply); err != nil {
		fail("first call: %v", err)
	}
	cancel()

	var out any
	switch *mode {
	case "unary":
		out = runUnary(conn, payload, *concurrency, *warmup, *duration)
	case "stream":
		out = runStream(conn, payload, *streams, *warmup, *duration)
	default:
		fail("unknown mode %q", *mode)
	}
	line, _ := json.Marshal(out)
	fmt.Println(string(line))
}

type unaryResult struct {
	Calls       int     `json:"calls"`
	Seconds     float64 `json:"seconds"`
	CallsPerSec float64 `json:"callsPerSec"`
	P50Us       float64 `json:"p50Us"`
	P99Us       float64 `json:"p99Us"`
	Errors      int64   `json:"errors"`
}

func runUnary(conn *grpc.ClientConn, payload []byte, concurrency int, warmup, duration time.Duration) unaryResult {
	var errors atomic.Int64
	start := time.Now()
	warmEnd := start.Add(warmup)
	end := warmEnd.Add(duration)
	latencies := make([][]time.Duration, concurrency)
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var reply []byte
			own := make([]time.Duration, 0, 1<<16)
			for {
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				err := conn.Invoke(context.Background(), unaryMethod, &payload, &reply)
				t1 := time.Now()
				if err != nil {
					errors.Add(1)
					continue
				}
				if t0.After(warmEnd) && t1.Before(end) {
					own = append(own, t1.Sub(t0))
				}
			}
			latencies[w] = own
		}(w)
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(p*float64(len(all)-1))].Microseconds())
	}
	secs := duration.Seconds()
	return unaryResult{Calls: len(all), Seconds: secs, CallsPerSec: float64(len(all)) / secs, P50Us: pct(0.50), P99Us: pct(0.99), Errors: errors.Load()}
}

type streamResult struct {
	Bytes    int64   `json:"bytes"`
	Seconds  float64 `json:"seconds"`
	MBPerSec float64 `json:"mbPerSec"`
	Errors   int64   `json:"errors"`
}

func runStream(conn *grpc.ClientConn, payload []byte, streams int, warmup, duration time.Duration) streamResult {
	var received atomic.Int64
	var errors atomic.Int64
	var counting atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	desc := &grpc.StreamDesc{StreamName: "Echo", ServerStreams: true, ClientStreams: true}
	var wg sync.WaitGroup
	for s := 0; s < streams; s++ {
		stream, err := conn.NewStream(ctx, desc, streamMethod)
		if err != nil {
			fail("stream: %v", err)
		}
		wg.Add(2)
		go func() { // sender: as fast as flow control lets it
			defer wg.Done()
			for ctx.Err() == nil {
				if err := stream.SendMsg(&payload); err != nil {
					return
				}
			}
		}()
		go func() { // receiver
			defer wg.Done()
			var reply []byte
			for {
				if err := stream.RecvMsg(&reply); err != nil {
					if ctx.Err() == nil {
						errors.Add(1)
					}
					return
				}
				if counting.Load() {
					received.Add(int64(len(reply)))
				}
			}
		}()
	}
	time.Sleep(warmup)
	counting.Store(true)
	time.Sleep(duration)
	counting.Store(false)
	bytes := received.Load()
	cancel()
	wg.Wait()
	secs := duration.Seconds()
	return streamResult{Bytes: bytes, Seconds: secs, MBPerSec: float64(bytes) / secs / 1e6, Errors: errors.Load()}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
	os.Exit(1)
}
