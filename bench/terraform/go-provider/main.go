// The example provider (examples/terraform-provider's localfile_file resource) written with
// terraform-plugin-framework: the Go reference of bench/terraform.bench.mjs.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type localfile struct{}

func (localfile) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "localfile"
}

func (localfile) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = pschema.Schema{Attributes: map[string]pschema.Attribute{"root": pschema.StringAttribute{Optional: true}}}
}

func (localfile) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config struct {
		Root types.String `tfsdk:"root"`
	}
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	root := config.Root.ValueString()
	if root == "" {
		root, _ = os.Getwd()
	}
	resp.ResourceData = root
}

func (localfile) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return &file{} }}
}

func (localfile) DataSources(context.Context) []func() datasource.DataSource { return nil }

type file struct{ root string }

type fileModel struct {
	Path    types.String `tfsdk:"path"`
	Content types.String `tfsdk:"content"`
	Mode    types.String `tfsdk:"mode"`
	ID      types.String `tfsdk:"id"`
	Sha256  types.String `tfsdk:"sha256"`
	Size    types.Int64  `tfsdk:"size"`
}

func hash(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }

func (f *file) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_file"
}

func (f *file) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if root, ok := req.ProviderData.(string); ok {
		f.root = root
	}
}

func (f *file) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = rschema.Schema{Attributes: map[string]rschema.Attribute{
		"path":    rschema.StringAttribute{Required: true, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
		"content": rschema.StringAttribute{Required: true},
		"mode":    rschema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("0644")},
		"id":      rschema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"sha256":  rschema.StringAttribute{Computed: true},
		"size":    rschema.Int64Attribute{Computed: true},
	}}
}

func (f *file) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var m fileModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if m.Content.IsUnknown() || resp.Diagnostics.HasError() {
		return
	}
	m.Sha256 = types.StringValue(hash(m.Content.ValueString()))
	m.Size = types.Int64Value(int64(len(m.Content.ValueString())))
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)
}

func (f *file) write(path string, m *fileModel) error {
	mode, err := strconv.ParseUint(m.Mode.ValueString(), 8, 32)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(m.Content.ValueString()), fs.FileMode(mode)); err != nil {
		return err
	}
	return os.Chmod(path, fs.FileMode(mode))
}

func (f *file) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m fileModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	path := m.Path.ValueString()
	if !filepath.IsAbs(path) {
		path = filepath.Join(f.root, path)
	}
	if err := f.write(path, &m); err != nil {
		resp.Diagnostics.AddError("Cannot write the file", err.Error())
		return
	}
	m.ID = types.StringValue(path)
	m.Sha256 = types.StringValue(hash(m.Content.ValueString()))
	m.Size = types.Int64Value(int64(len(m.Content.ValueString())))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (f *file) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m fileModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	content, err := os.ReadFile(m.ID.ValueString())
	if errors.Is(err, fs.ErrNotExist) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the file", err.Error())
		return
	}
	info, err := os.Stat(m.ID.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Cannot stat the file", err.Error())
		return
	}
	m.Content = types.StringValue(string(content))
	m.Sha256 = types.StringValue(hash(string(content)))
	m.Size = types.Int64Value(info.Size())
	m.Mode = types.StringValue("0" + strconv.FormatUint(uint64(info.Mode().Perm()), 8))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (f *file) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m, prior fileModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if err := f.write(prior.ID.ValueString(), &m); err != nil {
		resp.Diagnostics.AddError("Cannot write the file", err.Error())
		return
	}
	m.ID = prior.ID
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (f *file) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m fileModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if err := os.Remove(m.ID.ValueString()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		resp.Diagnostics.AddError("Cannot delete the file", err.Error())
	}
}

func main() {
	err := providerserver.Serve(context.Background(), func() provider.Provider { return localfile{} }, providerserver.ServeOpts{Address: "example.com/test/localfile"})
	if err != nil {
		log.Fatal(err)
	}
}
