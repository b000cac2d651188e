// Command interop-server serves grpc-go's interop TestService (interop.NewTestServer, the
// implementation behind grpc-go's interop/server) on loopback or a unix socket. grpc-go's own
// interop/server binds every interface (":port") and cannot report an ephemeral port, so the
// tests use this one. Once listening it prints one JSON line on stdout:
//
//	{"network":"tcp","address":"127.0.0.1:40123","port":40123}
//
// and serves until SIGTERM or SIGINT.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/testdata"
)

func main() {
	host := flag.String("host", "127.0.0.1", "loopback address to listen on")
	port := flag.Int("port", 0, "TCP port; 0 picks a free one")
	unix := flag.String("unix", "", "listen on this unix socket path instead of TCP")
	useTLS := flag.Bool("use_tls", false, "serve TLS (default cert: grpc-go testdata server1.pem, for *.test.example.com, CA testdata ca.pem)")
	certFile := flag.String("tls_cert_file", "", "TLS certificate (PEM)")
	keyFile := flag.String("tls_key_file", "", "TLS key (PEM)")
	flag.Parse()

	var lis net.Listener
	var err error
	if *unix != "" {
		lis, err = net.Listen("unix", *unix)
	} else {
		lis, err = net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	}
	if err != nil {
		fail("listen: %v", err)
	}

	var opts []grpc.ServerOption
	if *useTLS {
		if *certFile == "" {
			*certFile, *keyFile = testdata.Path("server1.pem"), testdata.Path("server1.key")
		}
		creds, err := credentials.NewServerTLSFromFile(*certFile, *keyFile)
		if err != nil {
			fail("TLS credentials: %v", err)
		}
		opts = append(opts, grpc.Creds(creds))
	}
	server := grpc.NewServer(opts...)
	testgrpc.RegisterTestServiceServer(server, interop.NewTestServer())

	ready := map[string]any{"network": lis.Addr().Network(), "address": lis.Addr().String()}
	if tcp, ok := lis.Addr().(*net.TCPAddr); ok {
		ready["port"] = tcp.Port
	}
	line, _ := json.Marshal(ready)
	fmt.Println(string(line))

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-signals
		server.Stop()
	}()
	if err := server.Serve(lis); err != nil {
		fail("serve: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "interop-server: "+format+"\n", args...)
	os.Exit(1)
}
