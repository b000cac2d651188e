// tlspeer is the Go side of the AutoMTLS interop tests (test/unit/tls/go-peer.test.ts). It uses only
// the standard library, so what it checks is Go's own crypto/x509 and crypto/tls: the same code that
// go-plugin hosts and plugins run.
//
//	tlspeer -mode server -cert c.pem -key k.pem -peer p.pem -listen unix:/path|127.0.0.1:0
//	    Serves HTTP/2 over TLS, requiring and verifying exactly the client certificate in p.pem.
//	    Prints "LISTENING <address>" once ready; exits when stdin closes.
//	tlspeer -mode client -cert c.pem -key k.pem -peer p.pem -addr unix:/path|host:port -body text
//	    Presents c.pem, trusts exactly p.pem with server name "localhost", sends one HTTP/2 POST
//	    and prints "<status> <proto> <body>". Exits 1 with the error on stderr if anything fails.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	mode := flag.String("mode", "", "server or client")
	certFile := flag.String("cert", "", "own certificate (PEM)")
	keyFile := flag.String("key", "", "own private key (PEM)")
	peerFile := flag.String("peer", "", "the only certificate to trust (PEM)")
	listenAddr := flag.String("listen", "", "server: unix:/path or host:port")
	dialAddr := flag.String("addr", "", "client: unix:/path or host:port")
	body := flag.String("body", "ping", "client: request body")
	flag.Parse()

	own, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	check("load own certificate and key", err)
	peerPEM, err := os.ReadFile(*peerFile)
	check("read peer certificate", err)
	// Parsed explicitly first so a certificate Go cannot read fails with x509's own message.
	peerCert, err := parseOnePEM(peerPEM)
	check("parse peer certificate", err)
	pool := x509.NewCertPool()
	pool.AddCert(peerCert)

	switch *mode {
	case "server":
		serve(own, pool, *listenAddr)
	case "client":
		call(own, pool, *dialAddr, *body)
	default:
		check("mode", errors.New("-mode must be server or client"))
	}
}

func serve(own tls.Certificate, pool *x509.CertPool, address string) {
	config := &tls.Config{
		Certificates: []tls.Certificate{own},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}
	network, where := splitAddress(address)
	ln, err := net.Listen(network, where)
	check("listen", err)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		fingerprint := ""
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
			fingerprint = strings.ToUpper(hex.EncodeToString(sum[:]))
		}
		fmt.Fprintf(w, "go:%s:%s:%s", r.Proto, fingerprint, data)
	})
	server := &http.Server{Handler: handler, TLSConfig: config}
	// ServeTLS adds "h2" to the ALPN list, so net/http speaks HTTP/2 over TLS without extra modules.
	go func() {
		err := server.ServeTLS(ln, "", "")
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			check("serve", err)
		}
	}()
	bound := ln.Addr().String()
	if network == "unix" {
		bound = "unix:" + bound
	}
	fmt.Printf("LISTENING %s\n", bound)
	// The test ends the server by closing stdin, so no signal handling is needed.
	io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	server.Shutdown(ctx)
}

func call(own tls.Certificate, pool *x509.CertPool, address string, body string) {
	network, where := splitAddress(address)
	transport := &http.Transport{
		TLSClientConfig: &tls.Config{
			Certificates: []tls.Certificate{own},
			RootCAs:      pool,
			ServerName:   "localhost",
			MinVersion:   tls.VersionTLS12,
		},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, where)
		},
	}
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	response, err := client.Post("https://localhost/echo", "text/plain", bytes.NewBufferString(body))
	check("POST", err)
	defer response.Body.Close()
	data, err := io.ReadAll(response.Body)
	check("read response", err)
	fmt.Printf("%d %s %s\n", response.StatusCode, response.Proto, data)
}

func parseOnePEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return x509.ParseCertificate(block.Bytes)
}

func splitAddress(address string) (string, string) {
	if strings.HasPrefix(address, "unix:") {
		return "unix", strings.TrimPrefix(address, "unix:")
	}
	return "tcp", address
}

func check(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "tlspeer: %s: %v\n", what, err)
		os.Exit(1)
	}
}
