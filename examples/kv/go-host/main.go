// Command kvhost is a Go host for the KV example: it launches the TypeScript plugin
// examples/kv/plugin.ts with HashiCorp go-plugin (gRPC, AutoMTLS) and drives the kv.KV service,
// showing that a plugin written with this library is an ordinary go-plugin plugin to Go.
//
// Run it from the repository (after `npm install` in the repository root, which brings tsx):
//
//	cd examples/kv/go-host && go run .
//
// It needs Go and `node` on PATH. The repository root is found by walking up from the working
// directory, then from the executable; -repo sets it, -node picks another node binary.
//
// There is no generated Go code: kv.proto is parsed at run time (bufbuild/protocompile, no protoc)
// and the calls carry dynamicpb messages, so the .proto file stays the one description of the service.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/bufbuild/protocompile"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// What host and plugin agree on (examples/kv/handshake.ts).
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "KV_PLUGIN",
	MagicCookieValue: "hello-kv",
}

const (
	pluginName  = "kv"
	pluginFile  = "examples/kv/plugin.ts"
	protoDir    = "examples/kv"
	protoFile   = "kv.proto"
	serviceName = "kv.KV"
	callTimeout = 20 * time.Second
)

func main() {
	repo := flag.String("repo", "", "repository root (default: found by walking up from the working directory, then from the executable)")
	node := flag.String("node", "node", "node binary that runs the TypeScript plugin")
	flag.Parse()
	if err := run(*repo, *node); err != nil {
		fmt.Fprintf(os.Stderr, "kvhost: %v\n", err)
		os.Exit(1)
	}
}

func run(repo, node string) error {
	if repo == "" {
		found, err := findRepo()
		if err != nil {
			return err
		}
		repo = found
	}
	service, err := loadService(filepath.Join(repo, protoDir))
	if err != nil {
		return err
	}

	cmd := exec.Command(node, "--import", "tsx", filepath.Join(repo, pluginFile))
	// tsx is resolved from the working directory's node_modules.
	cmd.Dir = repo
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          plugin.PluginSet{pluginName: &kvPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SyncStdout:       &linePrefixer{prefix: "  [plugin stdout] ", out: os.Stdout},
		SyncStderr:       &linePrefixer{prefix: "  [plugin stderr] ", out: os.Stderr},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "kvhost",
			Level:  hclog.Debug,
			Output: os.Stderr,
		}),
	})
	// Kill is idempotent: the deferred call only matters when a step below fails.
	defer client.Kill()

	rpc, err := client.Client()
	if err != nil {
		return fmt.Errorf("could not start the plugin (%s in %s; did you run `npm install` in the repository root?): %w", cmd, repo, err)
	}
	fmt.Printf("launched plugin pid %d, protocol %d, AutoMTLS on\n", cmd.Process.Pid, client.NegotiatedVersion())
	if err := rpc.Ping(); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	fmt.Println("ping: plugin is SERVING")

	raw, err := rpc.Dispense(pluginName)
	if err != nil {
		return fmt.Errorf("dispense %s: %w", pluginName, err)
	}
	kv := kvClient{conn: raw.(*grpc.ClientConn), service: service}

	for _, entry := range [][2]string{{"greeting", "hello from the Go host"}, {"answer", "42"}} {
		if err := kv.put(entry[0], []byte(entry[1])); err != nil {
			return err
		}
		fmt.Printf("put %s = %q\n", entry[0], entry[1])
	}
	for _, key := range []string{"greeting", "nope"} {
		value, found, err := kv.get(key)
		if err != nil {
			return err
		}
		if found {
			fmt.Printf("get %s -> %q (found: true)\n", key, value)
		} else {
			fmt.Printf("get %s -> found: false\n", key)
		}
	}
	err = kv.list(func(key string, value []byte) {
		fmt.Printf("list: %s = %s\n", key, value)
	})
	if err != nil {
		return err
	}

	client.Kill()
	// Kill returns after go-plugin has reaped the process, so ProcessState is set. A plugin that
	// missed go-plugin's 2 s grace period was SIGKILLed and reports -1.
	code := cmd.ProcessState.ExitCode()
	fmt.Printf("plugin exited with code %d\n", code)
	if code != 0 {
		return fmt.Errorf("the plugin did not exit cleanly (%s)", cmd.ProcessState)
	}
	return nil
}

// kvPlugin hands the host go-plugin's connection to the plugin; kvClient makes the calls on it.
type kvPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (*kvPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("kvhost only hosts the KV plugin; it does not serve it")
}

func (*kvPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return conn, nil
}

type kvClient struct {
	conn    *grpc.ClientConn
	service protoreflect.ServiceDescriptor
}

func (c kvClient) put(key string, value []byte) error {
	request := c.request("Put", map[string]any{"key": key, "value": value})
	_, err := c.unary("Put", request)
	return err
}

func (c kvClient) get(key string) (value []byte, found bool, err error) {
	response, err := c.unary("Get", c.request("Get", map[string]any{"key": key}))
	if err != nil {
		return nil, false, err
	}
	return field(response, "value").Bytes(), field(response, "found").Bool(), nil
}

func (c kvClient) list(each func(key string, value []byte)) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	stream, err := c.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, c.path("List"))
	if err != nil {
		return fmt.Errorf("List: %w", err)
	}
	if err := stream.SendMsg(c.request("List", nil)); err != nil {
		return fmt.Errorf("List: %w", err)
	}
	if err := stream.CloseSend(); err != nil {
		return fmt.Errorf("List: %w", err)
	}
	for {
		entry := dynamicpb.NewMessage(c.method("List").Output())
		err := stream.RecvMsg(entry)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("List: %w", err)
		}
		each(field(entry, "key").String(), field(entry, "value").Bytes())
	}
}

func (c kvClient) unary(method string, request *dynamicpb.Message) (*dynamicpb.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	response := dynamicpb.NewMessage(c.method(method).Output())
	if err := c.conn.Invoke(ctx, c.path(method), request, response); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	return response, nil
}

func (c kvClient) method(name string) protoreflect.MethodDescriptor {
	return c.service.Methods().ByName(protoreflect.Name(name))
}

func (c kvClient) path(method string) string {
	return fmt.Sprintf("/%s/%s", c.service.FullName(), method)
}

// request builds the method's input message; values are string or []byte, as the fields are.
func (c kvClient) request(method string, values map[string]any) *dynamicpb.Message {
	message := dynamicpb.NewMessage(c.method(method).Input())
	for name, value := range values {
		message.Set(message.Descriptor().Fields().ByName(protoreflect.Name(name)), protoreflect.ValueOf(value))
	}
	return message
}

func field(message *dynamicpb.Message, name string) protoreflect.Value {
	return message.Get(message.Descriptor().Fields().ByName(protoreflect.Name(name)))
}

// loadService compiles kv.proto and checks that it declares what this host calls, so a changed
// .proto fails here with a clear message rather than as a nil descriptor mid-run.
func loadService(dir string) (protoreflect.ServiceDescriptor, error) {
	compiler := protocompile.Compiler{Resolver: &protocompile.SourceResolver{ImportPaths: []string{dir}}}
	files, err := compiler.Compile(context.Background(), protoFile)
	if err != nil {
		return nil, fmt.Errorf("could not parse %s: %w", filepath.Join(dir, protoFile), err)
	}
	descriptor, err := files.AsResolver().FindDescriptorByName(serviceName)
	if err != nil {
		return nil, fmt.Errorf("%s does not declare service %s: %w", filepath.Join(dir, protoFile), serviceName, err)
	}
	service, ok := descriptor.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s in %s is not a service", serviceName, filepath.Join(dir, protoFile))
	}
	for _, method := range []string{"Get", "Put", "List"} {
		if service.Methods().ByName(protoreflect.Name(method)) == nil {
			return nil, fmt.Errorf("service %s in %s has no method %s", serviceName, filepath.Join(dir, protoFile), method)
		}
	}
	return service, nil
}

// findRepo walks up from the working directory (go run .), then from the executable (a built
// binary anywhere in the checkout), to the directory holding the plugin.
func findRepo() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, start := range starts {
		for dir := start; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, pluginFile)); err == nil {
				return dir, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return "", fmt.Errorf("could not find %s above %v; run from inside the repository or pass -repo <repository root>", pluginFile, starts)
}

// linePrefixer marks each line the plugin writes through go-plugin's stdio stream as the plugin's.
type linePrefixer struct {
	mu      sync.Mutex
	prefix  string
	out     io.Writer
	midLine bool
}

func (w *linePrefixer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var buf bytes.Buffer
	for _, line := range bytes.SplitAfter(p, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !w.midLine {
			buf.WriteString(w.prefix)
		}
		buf.Write(line)
		w.midLine = line[len(line)-1] != '\n'
	}
	if _, err := w.out.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}
