// Package testplugin is the "test" plugin of hashicorp/go-plugin's own test suite (service
// grpctest.Test from go-plugin's test/grpc package), shared by cmd/host and cmd/plugin so both
// sides of the interop tests speak exactly the schema in test/fixtures/goplugin/test.proto.
package testplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	grpctest "github.com/hashicorp/go-plugin/test/grpc"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Name is the key the plugin is registered and dispensed under.
const Name = "test"

// Default cookie: the values go-plugin's own tests use.
const (
	DefaultCookieKey   = "TEST_PLUGIN_MAGIC_COOKIE"
	DefaultCookieValue = "test"
)

// Plugin serves and dispenses grpctest.Test. Logger is where the plugin side logs PrintKV.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	Logger hclog.Logger
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)

func (p *Plugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	logger := p.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	grpctest.RegisterTestServer(s, &server{broker: broker, logger: logger})
	return nil
}

func (p *Plugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &Client{Broker: broker, Test: grpctest.NewTestClient(c)}, nil
}

// Client is what the host gets from Dispense(Name).
type Client struct {
	Broker *plugin.GRPCBroker
	Test   grpctest.TestClient
}

// Bidirectional runs the broker round trip of go-plugin's grpc tests from the host side: serve
// PingPong on a new host broker id, send the id, let the plugin call Ping on it, then dial the id
// the plugin answers with and call Ping there. It returns both ids.
func (c *Client) Bidirectional(ctx context.Context) (hostID, pluginID uint32, err error) {
	hostID = c.Broker.NextId()
	go c.Broker.AcceptAndServe(hostID, NewPingPongServer)
	resp, err := c.Test.Bidirectional(ctx, &grpctest.BidirectionalRequest{Id: hostID})
	if err != nil {
		return hostID, 0, fmt.Errorf("Bidirectional(%d): %w", hostID, err)
	}
	pluginID = resp.Id
	conn, err := c.Broker.Dial(pluginID)
	if err != nil {
		return hostID, pluginID, fmt.Errorf("dial plugin broker id %d: %w", pluginID, err)
	}
	defer conn.Close()
	pong, err := grpctest.NewPingPongClient(conn).Ping(ctx, &grpctest.PingRequest{})
	if err != nil {
		return hostID, pluginID, fmt.Errorf("Ping on plugin broker id %d: %w", pluginID, err)
	}
	if pong.Msg != "pong" {
		return hostID, pluginID, fmt.Errorf("Ping on plugin broker id %d answered %q, want \"pong\"", pluginID, pong.Msg)
	}
	return hostID, pluginID, nil
}

// NewPingPongServer builds the gRPC server a broker id serves PingPong on.
func NewPingPongServer(opts []grpc.ServerOption) *grpc.Server {
	s := grpc.NewServer(opts...)
	grpctest.RegisterPingPongServer(s, pingPong{})
	return s
}

type pingPong struct {
	grpctest.UnimplementedPingPongServer
}

func (pingPong) Ping(context.Context, *grpctest.PingRequest) (*grpctest.PongResponse, error) {
	return &grpctest.PongResponse{Msg: "pong"}, nil
}

type server struct {
	grpctest.UnimplementedTestServer
	broker *plugin.GRPCBroker
	logger hclog.Logger
}

func (s *server) Double(_ context.Context, req *grpctest.TestRequest) (*grpctest.TestResponse, error) {
	return &grpctest.TestResponse{Output: req.Input * 2}, nil
}

func (s *server) PrintKV(_ context.Context, req *grpctest.PrintKVRequest) (*grpctest.PrintKVResponse, error) {
	switch v := req.Value.(type) {
	case *grpctest.PrintKVRequest_ValueString:
		s.logger.Info("PrintKV called", req.Key, v.ValueString)
	case *grpctest.PrintKVRequest_ValueInt:
		s.logger.Info("PrintKV called", req.Key, v.ValueInt)
	default:
		return nil, errors.New("PrintKV needs ValueString or ValueInt")
	}
	return &grpctest.PrintKVResponse{}, nil
}

// Bidirectional is the plugin half of the broker round trip (go-plugin plugin_test.go).
func (s *server) Bidirectional(ctx context.Context, req *grpctest.BidirectionalRequest) (*grpctest.BidirectionalResponse, error) {
	conn, err := s.broker.Dial(req.Id)
	if err != nil {
		return nil, fmt.Errorf("plugin could not dial host broker id %d: %w", req.Id, err)
	}
	defer conn.Close()
	pong, err := grpctest.NewPingPongClient(conn).Ping(ctx, &grpctest.PingRequest{})
	if err != nil {
		return nil, fmt.Errorf("plugin Ping on host broker id %d: %w", req.Id, err)
	}
	if pong.Msg != "pong" {
		return nil, fmt.Errorf("host PingPong answered %q, want \"pong\"", pong.Msg)
	}
	next := s.broker.NextId()
	go s.broker.AcceptAndServe(next, NewPingPongServer)
	return &grpctest.BidirectionalResponse{Id: next}, nil
}

// Stream answers every request with its input doubled, in order.
func (s *server) Stream(stream grpctest.Test_StreamServer) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&grpctest.TestResponse{Output: req.Input * 2}); err != nil {
			return err
		}
	}
}

// PrintStdio writes to os.Stdout and os.Stderr as they are at call time: go-plugin has redirected
// both into the GRPCStdio stream by then.
func (s *server) PrintStdio(_ context.Context, req *grpctest.PrintStdioRequest) (*emptypb.Empty, error) {
	if len(req.Stdout) > 0 {
		_, _ = os.Stdout.Write(req.Stdout)
		_ = os.Stdout.Sync()
	}
	if len(req.Stderr) > 0 {
		_, _ = os.Stderr.Write(req.Stderr)
		_ = os.Stderr.Sync()
	}
	return &emptypb.Empty{}, nil
}

func (s *server) Panic(_ context.Context, req *grpctest.PanicRequest) (*emptypb.Empty, error) {
	panic(req.Message)
}

// Reattach is the JSON form of a ReattachConfig, the shape Terraform uses in TF_REATTACH_PROVIDERS.
type Reattach struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            ReattachAddr
}

type ReattachAddr struct {
	Network string
	String  string
}

func ReattachToJSON(c *plugin.ReattachConfig) Reattach {
	r := Reattach{Protocol: string(c.Protocol), ProtocolVersion: c.ProtocolVersion, Pid: c.Pid, Test: c.Test}
	if c.Addr != nil {
		r.Addr = ReattachAddr{Network: c.Addr.Network(), String: c.Addr.String()}
	}
	return r
}

func ReattachFromJSON(text string) (*plugin.ReattachConfig, error) {
	var r Reattach
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		return nil, fmt.Errorf("-reattach wants JSON like {\"Protocol\":\"grpc\",\"ProtocolVersion\":1,\"Pid\":123,\"Addr\":{\"Network\":\"unix\",\"String\":\"/tmp/plugin1\"}}: %w", err)
	}
	var addr net.Addr
	var err error
	switch r.Addr.Network {
	case "unix":
		addr, err = net.ResolveUnixAddr("unix", r.Addr.String)
	case "tcp":
		addr, err = net.ResolveTCPAddr("tcp", r.Addr.String)
	default:
		err = fmt.Errorf("reattach Addr.Network must be unix or tcp, got %q", r.Addr.Network)
	}
	if err != nil {
		return nil, err
	}
	return &plugin.ReattachConfig{
		Protocol:        plugin.Protocol(r.Protocol),
		ProtocolVersion: r.ProtocolVersion,
		Pid:             r.Pid,
		Test:            r.Test,
		Addr:            addr,
	}, nil
}
