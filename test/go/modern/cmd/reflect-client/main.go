// reflect-client: grpc-go's raw server reflection client (v1 or v1alpha) against a server under test.
// It lists the services, fetches every file by symbol and by name, builds them with protodesc (the
// validation grpcurl relies on), probes the not-found answers, and optionally makes one unary call
// with dynamicpb messages built from the reflected descriptors. Prints one JSON report on stdout.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	rpbalpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

type method struct {
	Name         string `json:"name"`
	Input        string `json:"input"`
	Output       string `json:"output"`
	ClientStream bool   `json:"clientStream"`
	ServerStream bool   `json:"serverStream"`
}

type report struct {
	Services      []string            `json:"services"`
	Methods       map[string][]method `json:"methods"`
	Files         []string            `json:"files"`
	Messages      map[string][]string `json:"messages"`
	Errors        map[string]string   `json:"errors"`
	ExtensionFile string              `json:"extensionFile,omitempty"`
	ExtNumbers    []int32             `json:"extensionNumbers,omitempty"`
	CallResponse  json.RawMessage     `json:"callResponse,omitempty"`
}

// stream is what v1 and v1alpha share once converted to v1 messages.
type stream interface {
	Send(*rpb.ServerReflectionRequest) error
	Recv() (*rpb.ServerReflectionResponse, error)
}

type alphaStream struct {
	s rpbalpha.ServerReflection_ServerReflectionInfoClient
}

func (a alphaStream) Send(r *rpb.ServerReflectionRequest) error {
	b, _ := proto.Marshal(r)
	var out rpbalpha.ServerReflectionRequest
	if err := proto.Unmarshal(b, &out); err != nil {
		return err
	}
	return a.s.Send(&out)
}

func (a alphaStream) Recv() (*rpb.ServerReflectionResponse, error) {
	r, err := a.s.Recv()
	if err != nil {
		return nil, err
	}
	b, _ := proto.Marshal(r)
	var out rpb.ServerReflectionResponse
	return &out, proto.Unmarshal(b, &out)
}

func main() {
	addr := flag.String("addr", "", "unix:/path or host:port")
	version := flag.String("version", "v1", "v1 or v1alpha")
	extType := flag.String("ext-type", "", "a message to ask the extension numbers of")
	extNumber := flag.Int("ext-number", 0, "an extension number of -ext-type to ask the file of")
	call := flag.String("call", "", "Service/Method to call (unary)")
	body := flag.String("json", "{}", "request message as JSON")
	flag.Parse()
	if err := run(*addr, *version, *extType, int32(*extNumber), *call, *body); err != nil {
		fmt.Fprintln(os.Stderr, "reflect-client:", err)
		os.Exit(1)
	}
}

func run(addr, version, extType string, extNumber int32, call, body string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	var s stream
	if version == "v1alpha" {
		c, err := rpbalpha.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
		if err != nil {
			return err
		}
		s = alphaStream{c}
	} else {
		c, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
		if err != nil {
			return err
		}
		s = c
	}
	ask := func(r *rpb.ServerReflectionRequest) (*rpb.ServerReflectionResponse, error) {
		if err := s.Send(r); err != nil {
			return nil, err
		}
		return s.Recv()
	}

	rep := report{Methods: map[string][]method{}, Messages: map[string][]string{}, Errors: map[string]string{}}
	res, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}})
	if err != nil {
		return err
	}
	for _, svc := range res.GetListServicesResponse().GetService() {
		rep.Services = append(rep.Services, svc.GetName())
	}

	files := map[string]*descriptorpb.FileDescriptorProto{}
	keep := func(r *rpb.ServerReflectionResponse) error {
		if e := r.GetErrorResponse(); e != nil {
			return fmt.Errorf("error response %d: %s", e.GetErrorCode(), e.GetErrorMessage())
		}
		for _, b := range r.GetFileDescriptorResponse().GetFileDescriptorProto() {
			var fd descriptorpb.FileDescriptorProto
			if err := proto.Unmarshal(b, &fd); err != nil {
				return err
			}
			files[fd.GetName()] = &fd
		}
		return nil
	}
	for _, name := range rep.Services {
		r, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: name}})
		if err != nil {
			return err
		}
		if err := keep(r); err != nil {
			rep.Errors[name] = err.Error()
		}
	}
	// Dependencies sent earlier on this stream are not sent again; ask for any still missing by name.
	for changed := true; changed; {
		changed = false
		for _, fd := range files {
			for _, dep := range fd.GetDependency() {
				if files[dep] != nil {
					continue
				}
				r, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: dep}})
				if err != nil {
					return err
				}
				if err := keep(r); err != nil {
					return fmt.Errorf("file %s: %w", dep, err)
				}
				changed = true
			}
		}
	}
	set := &descriptorpb.FileDescriptorSet{}
	for _, fd := range files {
		set.File = append(set.File, fd)
	}
	registry, err := protodesc.NewFiles(set)
	if err != nil {
		return fmt.Errorf("protodesc rejects the reflected files: %w", err)
	}
	registry.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		rep.Files = append(rep.Files, fd.Path())
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				md := sd.Methods().Get(j)
				rep.Methods[string(sd.FullName())] = append(rep.Methods[string(sd.FullName())], method{
					Name: string(md.Name()), Input: string(md.Input().FullName()), Output: string(md.Output().FullName()),
					ClientStream: md.IsStreamingClient(), ServerStream: md.IsStreamingServer(),
				})
			}
		}
		var walk func(ms protoreflect.MessageDescriptors)
		walk = func(ms protoreflect.MessageDescriptors) {
			for i := 0; i < ms.Len(); i++ {
				m := ms.Get(i)
				var fields []string
				for j := 0; j < m.Fields().Len(); j++ {
					f := m.Fields().Get(j)
					kind := f.Kind().String()
					if f.Message() != nil {
						kind = string(f.Message().FullName())
					} else if f.Enum() != nil {
						kind = string(f.Enum().FullName())
					}
					desc := fmt.Sprintf("%s %s=%d", f.Cardinality(), kind, f.Number())
					if f.IsMap() {
						desc = fmt.Sprintf("map<%s,%s>=%d", f.MapKey().Kind(), f.MapValue().Kind(), f.Number())
					}
					if f.ContainingOneof() != nil {
						desc += " oneof " + string(f.ContainingOneof().Name())
					}
					if f.HasPresence() {
						desc += " presence"
					}
					fields = append(fields, string(f.Name())+": "+desc)
				}
				rep.Messages[string(m.FullName())] = fields
				walk(m.Messages())
			}
		}
		walk(fd.Messages())
		return true
	})
	sort.Strings(rep.Files)

	// Names the server does not know: an ErrorResponse with NOT_FOUND each.
	probes := map[string]*rpb.ServerReflectionRequest{
		"fileByFilename":          {MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: "no/such.proto"}},
		"fileContainingSymbol":    {MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "no.such.Symbol"}},
		"fileContainingExtension": {MessageRequest: &rpb.ServerReflectionRequest_FileContainingExtension{FileContainingExtension: &rpb.ExtensionRequest{ContainingType: "no.such.Message", ExtensionNumber: 7}}},
	}
	for name, req := range probes {
		r, err := ask(req)
		if err != nil {
			return err
		}
		if e := r.GetErrorResponse(); e != nil {
			rep.Errors["probe:"+name] = fmt.Sprintf("%d %s", e.GetErrorCode(), e.GetErrorMessage())
		} else {
			rep.Errors["probe:"+name] = "answered without an error"
		}
	}
	if extType != "" {
		r, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_AllExtensionNumbersOfType{AllExtensionNumbersOfType: extType}})
		if err != nil {
			return err
		}
		rep.ExtNumbers = r.GetAllExtensionNumbersResponse().GetExtensionNumber()
		r, err = ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingExtension{FileContainingExtension: &rpb.ExtensionRequest{ContainingType: extType, ExtensionNumber: extNumber}}})
		if err != nil {
			return err
		}
		for _, b := range r.GetFileDescriptorResponse().GetFileDescriptorProto() {
			var fd descriptorpb.FileDescriptorProto
			if err := proto.Unmarshal(b, &fd); err == nil && rep.ExtensionFile == "" {
				rep.ExtensionFile = fd.GetName()
			}
		}
	}

	if call != "" {
		out, err := invoke(ctx, conn, registry, call, body)
		if err != nil {
			return fmt.Errorf("call %s: %w", call, err)
		}
		rep.CallResponse = out
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// invoke makes one unary call with request and response types taken from the reflected registry.
func invoke(ctx context.Context, conn *grpc.ClientConn, registry *protoregistry.Files, call, body string) (json.RawMessage, error) {
	slash := strings.LastIndex(call, "/")
	d, err := registry.FindDescriptorByName(protoreflect.FullName(call[:slash] + "." + call[slash+1:]))
	if err != nil {
		return nil, err
	}
	md := d.(protoreflect.MethodDescriptor)
	req := dynamicpb.NewMessage(md.Input())
	if err := protojson.Unmarshal([]byte(body), req); err != nil {
		return nil, err
	}
	res := dynamicpb.NewMessage(md.Output())
	if err := conn.Invoke(ctx, "/"+call, req, res); err != nil {
		return nil, err
	}
	return protojson.Marshal(res)
}
