// Command host (legacy-host) is a go-plugin host built on hashicorp/go-plugin v1.0.1 from the Go
// module proxy: the modern host's flags, scenarios and JSON lines, minus what 1.0.1 lacks
// (-multiplex, -sync-stdout, -sync-stderr and the stdio scenario are refused with exit 2).
//
//	legacy-host [flags] -- <plugin command> [args...]
//	legacy-host -scenario reattach -reattach '<json>'
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	grpctest "github.com/hashicorp/go-plugin/test/grpc"

	testplugin "gopluginpeers/legacy/testplugin"
)

type options struct {
	cookieKey, cookieValue string
	versions               []int
	autoMTLS, multiplex    bool
	reattach               string
	detach                 bool
	scenario               string
	n                      int
	startTimeout           time.Duration
	callTimeout            time.Duration
	syncStdout, syncStderr bool
	reportLogs             bool
	command                []string
}

var scenarios = map[string]func(*session) error{
	"start":      func(*session) error { return nil },
	"basic":      basic,
	"bidi":       bidi,
	"concurrent": concurrent,
	"kill":       double,
	"reattach":   reattach,
	"logs":       double,
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r := &reporter{out: os.Stdout}
	run(o, r)
	if r.failed {
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("legacy-host", flag.ContinueOnError)
	fs.StringVar(&o.cookieKey, "cookie-key", testplugin.DefaultCookieKey, "magic cookie key")
	fs.StringVar(&o.cookieValue, "cookie-value", testplugin.DefaultCookieValue, "magic cookie value")
	versions := fs.String("versions", "1,2", "app protocol versions to offer, comma-separated")
	fs.BoolVar(&o.autoMTLS, "automtls", false, "enable AutoMTLS")
	fs.BoolVar(&o.multiplex, "multiplex", false, "enable GRPCBrokerMultiplex")
	fs.StringVar(&o.reattach, "reattach", "", "reattach to this plugin (JSON, see testplugin.Reattach) instead of launching one")
	fs.BoolVar(&o.detach, "detach", false, "exit without killing the plugin")
	fs.StringVar(&o.scenario, "scenario", "basic", "start|basic|bidi|concurrent|kill|reattach|logs")
	fs.IntVar(&o.n, "n", 0, "count for stream (default 5) and concurrent (default 16)")
	fs.DurationVar(&o.startTimeout, "start-timeout", time.Minute, "ClientConfig.StartTimeout")
	fs.DurationVar(&o.callTimeout, "call-timeout", 20*time.Second, "deadline of each RPC")
	fs.BoolVar(&o.syncStdout, "sync-stdout", false, "refused: 1.0.1 has no stdio stream")
	fs.BoolVar(&o.syncStderr, "sync-stderr", false, "refused: 1.0.1 has no stdio stream")
	fs.BoolVar(&o.reportLogs, "logs", false, "report the plugin's re-logged log lines (always on for -scenario logs)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.command = fs.Args()
	if o.scenario == "stdio" || o.multiplex || o.syncStdout || o.syncStderr {
		return o, errors.New("go-plugin 1.0.1 has no stdio stream and no broker multiplexing")
	}
	if _, ok := scenarios[o.scenario]; !ok {
		return o, fmt.Errorf("unknown -scenario %q", o.scenario)
	}
	if (o.reattach == "") == (len(o.command) == 0) {
		return o, errors.New("give either a plugin command after the flags or -reattach, not both")
	}
	for _, v := range strings.Split(*versions, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return o, fmt.Errorf("-versions: %w", err)
		}
		o.versions = append(o.versions, n)
	}
	if o.scenario == "logs" {
		o.reportLogs = true
	}
	return o, nil
}

// session is what a scenario works with once the plugin is dispensed.
type session struct {
	o      options
	r      *reporter
	client *plugin.Client
	rpc    plugin.ClientProtocol
	test   *testplugin.Client
	// pluginStderr is the raw copy of the plugin's stderr (ClientConfig.Stderr).
	pluginStderr *syncBuffer
	// hold is set by a scenario that hands the plugin to another host and keeps it as a child.
	hold bool
}

func (s *session) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.o.callTimeout)
}

func run(o options, r *reporter) {
	hostLog := &syncBuffer{}
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       "host",
		Level:      hclog.Trace,
		JSONFormat: true,
		Output:     io.MultiWriter(hostLog, os.Stderr),
	})
	s := &session{o: o, r: r, pluginStderr: &syncBuffer{}}
	set := plugin.PluginSet{testplugin.Name: &testplugin.Plugin{}}
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  plugin.HandshakeConfig{MagicCookieKey: o.cookieKey, MagicCookieValue: o.cookieValue},
		VersionedPlugins: map[int]plugin.PluginSet{},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		AutoMTLS:         o.autoMTLS,
		StartTimeout:     o.startTimeout,
		Stderr:           s.pluginStderr,
	}
	for _, v := range o.versions {
		cfg.VersionedPlugins[v] = set
	}
	if o.reattach != "" {
		rc, err := testplugin.ReattachFromJSON(o.reattach)
		if err != nil {
			r.fail("start", err, nil)
			return
		}
		cfg.Reattach = rc
		// A reattached client never negotiates, so it dispenses from Plugins.
		cfg.Plugins = set
	} else {
		cfg.Cmd = exec.Command(o.command[0], o.command[1:]...)
	}

	s.client = plugin.NewClient(cfg)
	if !start(s) {
		s.client.Kill()
		return
	}
	if err := scenarios[o.scenario](s); err != nil {
		r.fail(o.scenario, err, nil)
	}
	if s.hold {
		holdUntilStdinCloses(s)
		return
	}
	if o.detach {
		return
	}
	pid := pluginPid(s.client)
	kill(s, pid, hostLog)
	if o.reportLogs {
		r.ok("logs", map[string]any{"entries": pluginLogEntries(hostLog.Bytes(), o.command)})
	}
}

// start runs Start, Client and Dispense, reporting each failure under its own step.
func start(s *session) bool {
	addr, err := s.client.Start()
	if err != nil {
		// Kill waits for go-plugin's stderr reader, which may still be copying when Start returns: only
		// then is the plugin's stderr complete.
		s.client.Kill()
		s.r.fail("start", err, map[string]any{"stderr": s.pluginStderr.String()})
		return false
	}
	s.r.ok("start", map[string]any{
		"version": s.client.NegotiatedVersion(),
		"network": addr.Network(),
		"address": addr.String(),
		"pid":     pluginPid(s.client),
	})
	rpc, err := s.client.Client()
	if err != nil {
		s.r.fail("client", err, nil)
		return false
	}
	raw, err := rpc.Dispense(testplugin.Name)
	if err != nil {
		s.r.fail("dispense", err, nil)
		return false
	}
	s.rpc, s.test = rpc, raw.(*testplugin.Client)
	return true
}

func basic(s *session) error {
	if err := s.rpc.Ping(); err != nil {
		s.r.fail("ping", err, nil)
	} else {
		s.r.ok("ping", nil)
	}
	_ = double(s)
	printKV(s)
	stream(s)
	s.r.ok("version", map[string]any{"value": s.client.NegotiatedVersion()})
	return nil
}

func double(s *session) error {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.test.Test.Double(ctx, &grpctest.TestRequest{Input: 21})
	if err != nil {
		s.r.fail("double", err, map[string]any{"input": 21})
		return nil
	}
	s.r.check("double", resp.Output == 42, map[string]any{"input": 21, "value": resp.Output})
	return nil
}

func printKV(s *session) {
	ctx, cancel := s.ctx()
	defer cancel()
	_, err := s.test.Test.PrintKV(ctx, &grpctest.PrintKVRequest{Key: "hello", Value: &grpctest.PrintKVRequest_ValueString{ValueString: "world"}})
	if err == nil {
		_, err = s.test.Test.PrintKV(ctx, &grpctest.PrintKVRequest{Key: "answer", Value: &grpctest.PrintKVRequest_ValueInt{ValueInt: 42}})
	}
	if err != nil {
		s.r.fail("printkv", err, nil)
		return
	}
	s.r.ok("printkv", nil)
}

func stream(s *session) {
	n := s.o.n
	if n <= 0 {
		n = 5
	}
	ctx, cancel := s.ctx()
	defer cancel()
	inputs, values := []int32{}, []int32{}
	st, err := s.test.Test.Stream(ctx)
	for i := int32(1); err == nil && i <= int32(n); i++ {
		inputs = append(inputs, i)
		if err = st.Send(&grpctest.TestRequest{Input: i}); err != nil {
			break
		}
		var resp *grpctest.TestResponse
		if resp, err = st.Recv(); err == nil {
			values = append(values, resp.Output)
		}
	}
	if err == nil {
		err = st.CloseSend()
	}
	if err == nil {
		if _, end := st.Recv(); !errors.Is(end, io.EOF) {
			err = fmt.Errorf("stream did not end cleanly after CloseSend: %v", end)
		}
	}
	fields := map[string]any{"inputs": inputs, "values": values}
	if err != nil {
		s.r.fail("stream", err, fields)
		return
	}
	ok := len(values) == len(inputs)
	for i := range values {
		ok = ok && values[i] == inputs[i]*2
	}
	s.r.check("stream", ok, fields)
}

func bidi(s *session) error {
	ctx, cancel := s.ctx()
	defer cancel()
	hostID, pluginID, err := s.test.Bidirectional(ctx)
	fields := map[string]any{"hostId": hostID, "pluginId": pluginID}
	if err != nil {
		s.r.fail("bidi", err, fields)
		return nil
	}
	s.r.ok("bidi", fields)
	return nil
}

func concurrent(s *session) error {
	n := s.o.n
	if n <= 0 {
		n = 16
	}
	ctx, cancel := s.ctx()
	defer cancel()
	values := make([]int32, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := s.test.Test.Double(ctx, &grpctest.TestRequest{Input: int32(i)})
			if err != nil {
				errs[i] = err
				return
			}
			values[i] = resp.Output
		}(i)
	}
	wg.Wait()
	fields := map[string]any{"n": n, "values": values}
	if err := joinErrors(errs); err != nil {
		s.r.fail("concurrent", err, fields)
		return nil
	}
	ok := true
	for i, v := range values {
		ok = ok && v == int32(2*i)
	}
	s.r.check("concurrent", ok, fields)
	return nil
}

// reattach either reports the running plugin's ReattachConfig (launch mode) and keeps the plugin
// as a child until stdin closes, or (with -reattach) has already attached and calls Double.
func reattach(s *session) error {
	if s.o.reattach != "" {
		return double(s)
	}
	_ = double(s)
	rc := s.client.ReattachConfig()
	if rc == nil {
		return errors.New("client has no ReattachConfig")
	}
	s.r.ok("reattach", map[string]any{"config": testplugin.ReattachToJSON(rc, s.client.NegotiatedVersion())})
	s.hold = !s.o.detach
	return nil
}

// holdUntilStdinCloses keeps the launched plugin a child of this process while another host uses
// it, so that it is reaped when it exits (no zombie), then kills it if it is still running.
func holdUntilStdinCloses(s *session) {
	_, _ = io.Copy(io.Discard, os.Stdin)
	pid := pluginPid(s.client)
	if s.client.Exited() || !alive(pid) {
		s.r.ok("hold", map[string]any{"pluginExited": true})
		return
	}
	s.r.ok("hold", map[string]any{"pluginExited": false})
	s.client.Kill()
}

func kill(s *session, pid int, hostLog *syncBuffer) {
	before := len(logEntries(hostLog.Bytes(), ""))
	began := time.Now()
	s.client.Kill()
	ms := time.Since(began).Milliseconds()
	exited := waitExit(pid, 3*time.Second)
	warnings := []string{}
	graceful := true
	for _, e := range logEntries(hostLog.Bytes(), "")[before:] {
		if e.Level == "warn" || e.Level == "error" {
			warnings = append(warnings, e.Message)
		}
		if e.Message == "plugin failed to exit gracefully" {
			graceful = false
		}
	}
	s.r.check("kill", exited && graceful, map[string]any{"exited": exited, "graceful": graceful, "ms": ms, "warnings": warnings, "pid": pid})
}

func pluginPid(c *plugin.Client) int {
	if rc := c.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// alive reports whether pid is a running process; a zombie counts as gone.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

func waitExit(pid int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// pluginLogEntries keeps the entries the host re-logged from the plugin's stderr: go-plugin logs
// them under "host.<plugin basename>", but a JSON line's own @module replaces that name, so every
// module outside the host's own ("host", "host.stdio", ...) counts too.
func pluginLogEntries(text []byte, command []string) []logEntry {
	named := ""
	if len(command) > 0 {
		named = "host." + filepath.Base(command[0])
	}
	out := []logEntry{}
	for _, e := range logEntries(text, "") {
		if e.Module == named || (e.Module != "host" && !strings.HasPrefix(e.Module, "host.")) {
			out = append(out, e)
		}
	}
	return out
}

type logEntry struct {
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Module  string         `json:"module"`
	Fields  map[string]any `json:"fields"`
}

// logEntries parses the host's hclog JSON output; module "" keeps every entry.
func logEntries(text []byte, module string) []logEntry {
	entries := []logEntry{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		var raw map[string]any
		if json.Unmarshal(sc.Bytes(), &raw) != nil {
			continue
		}
		e := logEntry{Fields: map[string]any{}}
		e.Level, _ = raw["@level"].(string)
		e.Message, _ = raw["@message"].(string)
		e.Module, _ = raw["@module"].(string)
		if module != "" && e.Module != module {
			continue
		}
		for k, v := range raw {
			if !strings.HasPrefix(k, "@") {
				e.Fields[k] = v
			}
		}
		entries = append(entries, e)
	}
	return entries
}

type reporter struct {
	mu     sync.Mutex
	out    io.Writer
	failed bool
}

func (r *reporter) line(step string, ok bool, fields map[string]any) {
	m := map[string]any{"step": step, "ok": ok}
	for k, v := range fields {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"step":%q,"ok":false,"error":%q}`, step, err.Error()))
		ok = false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = r.failed || !ok
	_, _ = r.out.Write(append(b, '\n'))
}

func (r *reporter) ok(step string, fields map[string]any) { r.line(step, true, fields) }

func (r *reporter) check(step string, ok bool, fields map[string]any) { r.line(step, ok, fields) }

func (r *reporter) fail(step string, err error, fields map[string]any) {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["error"] = err.Error()
	r.line(step, false, fields)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func joinErrors(errs []error) error {
	var texts []string
	for _, err := range errs {
		if err != nil {
			texts = append(texts, err.Error())
		}
	}
	if len(texts) == 0 {
		return nil
	}
	return errors.New(strings.Join(texts, "\n"))
}
