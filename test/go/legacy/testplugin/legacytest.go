// Package testplugin is go-plugin's "test" plugin for hashicorp/go-plugin v1.0.1, using the grpctest
// package that 1.0.1 ships (no PrintStdio, no Panic).
package testplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	grpctest "github.com/hashicorp/go-plugin/test/grpc"
	"google.golang.org/grpc"
)

const Name = "test"

const (
	DefaultCookieKey   = "TEST_PLUGIN_MAGIC_COOKIE"
	DefaultCookieValue = "test"
)

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

type Client struct {
	Broker *plugin.GRPCBroker
	Test   grpctest.TestClient
}

// Bidirectional: see the modern testplugin; the same round trip on 1.0.1's broker.
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

func NewPingPongServer(opts []grpc.ServerOption) *grpc.Server {
	s := grpc.NewServer(opts...)
	grpctest.RegisterPingPongServer(s, pingPong{})
	return s
}

type pingPong struct{}

func (pingPong) Ping(context.Context, *grpctest.PingRequest) (*grpctest.PongResponse, error) {
	return &grpctest.PongResponse{Msg: "pong"}, nil
}

// 1.0.1's generated test.pb.go predates Unimplemented*Server: server implements every method.
type server struct {
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

// Reattach is the JSON form of a ReattachConfig (1.0.1 has no ProtocolVersion or Test fields;
// they are kept in the JSON for the same shape as the modern host's).
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

func ReattachToJSON(c *plugin.ReattachConfig, version int) Reattach {
	r := Reattach{Protocol: string(c.Protocol), ProtocolVersion: version, Pid: c.Pid}
	if c.Addr != nil {
		r.Addr = ReattachAddr{Network: c.Addr.Network(), String: c.Addr.String()}
	}
	return r
}

func ReattachFromJSON(text string) (*plugin.ReattachConfig, error) {
	var r Reattach
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		return nil, fmt.Errorf("-reattach wants JSON like {\"Protocol\":\"grpc\",\"Pid\":123,\"Addr\":{\"Network\":\"unix\",\"String\":\"/tmp/plugin1\"}}: %w", err)
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
	return &plugin.ReattachConfig{Protocol: plugin.Protocol(r.Protocol), Pid: r.Pid, Addr: addr}, nil
}
