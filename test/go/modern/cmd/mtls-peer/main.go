// Command mtls-peer is the grpc-go side of the certificate interop test (test/interop/mtls-grpc-go.test.ts):
// a real mutual-TLS gRPC call with certificates made by this package, grpc-go in either role, using
// grpc-go's own health service.
//
//	mtls-peer -mode server -cert c.pem -key k.pem -peer p.pem [-unix /path]
//	    Serves grpc.health.v1.Health over TLS on 127.0.0.1 (or a unix socket), requiring and verifying
//	    exactly the client certificate in p.pem. Prints {"address": "..."} once listening; exits when
//	    stdin closes.
//	mtls-peer -mode client -cert c.pem -key k.pem -peer p.pem -addr 127.0.0.1:N|unix:/path
//	    Presents c.pem, trusts exactly p.pem with server name "localhost", calls Health/Check and prints
//	    {"status": "SERVING"}; exits 1 with {"error": "..."} when the call fails.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func main() {
	mode := flag.String("mode", "", "server or client")
	certFile := flag.String("cert", "", "own certificate (PEM)")
	keyFile := flag.String("key", "", "own key (PEM)")
	peerFile := flag.String("peer", "", "the only certificate to trust (PEM)")
	unixPath := flag.String("unix", "", "server: listen on this unix socket")
	addr := flag.String("addr", "", "client: the server's address")
	flag.Parse()

	own, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	must(err)
	peerPEM, err := os.ReadFile(*peerFile)
	must(err)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(peerPEM) {
		must(fmt.Errorf("no certificate in %s", *peerFile))
	}

	switch *mode {
	case "server":
		creds := credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{own},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    pool,
			MinVersion:   tls.VersionTLS12,
		})
		var lis net.Listener
		if *unixPath != "" {
			lis, err = net.Listen("unix", *unixPath)
		} else {
			lis, err = net.Listen("tcp", "127.0.0.1:0")
		}
		must(err)
		server := grpc.NewServer(grpc.Creds(creds))
		healthpb.RegisterHealthServer(server, health.NewServer())
		go func() { _ = server.Serve(lis) }()
		print(map[string]any{"address": lis.Addr().String()})
		_, _ = io.Copy(io.Discard, os.Stdin)
		server.Stop()
	case "client":
		creds := credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{own},
			RootCAs:      pool,
			ServerName:   "localhost",
			MinVersion:   tls.VersionTLS12,
		})
		conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(creds))
		must(err)
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		reply, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: ""}, grpc.WaitForReady(false))
		if err != nil {
			print(map[string]any{"error": err.Error()})
			os.Exit(1)
		}
		print(map[string]any{"status": reply.GetStatus().String()})
	default:
		must(fmt.Errorf("-mode must be server or client"))
	}
}

func print(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func must(err error) {
	if err != nil {
		print(map[string]any{"error": err.Error()})
		os.Exit(2)
	}
}
