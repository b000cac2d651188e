package main

// serve: `loadgen -serve /tmp/s.sock` runs a grpc-go server instead of loading one, for the client round
// of bench/grpc.bench.mjs (our client and @grpc/grpc-js's client drive it in turn). Every method echoes
// its raw request bytes; it prints "ready" once listening and stops when killed.

import (
	"fmt"
	"net"
	"os"

	"google.golang.org/grpc"
)

func serve(path string) {
	_ = os.Remove(path)
	lis, err := net.Listen("unix", path)
	if err != nil {
		fail("listen: %v", err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		var msg []byte
		for {
			if err := stream.RecvMsg(&msg); err != nil {
				return nil
			}
			if err := stream.SendMsg(&msg); err != nil {
				return err
			}
		}
	}))
	fmt.Println("ready")
	if err := srv.Serve(lis); err != nil {
		fail("serve: %v", err)
	}
}
