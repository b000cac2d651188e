// cty-vectors prints cty values encoded by go-cty's own msgpack and json packages, and checks
// encodings made elsewhere against them, for the codec tests in test/terraform.
//
//	cty-vectors            one JSON line per case: {"name","type","msgpack" (hex),"json"}
//	cty-vectors -check     reads {"name","msgpack","json"} lines on stdin and prints, per line,
//	                       {"name","ok","error"}: ok when go-cty decodes both to the case's value
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

type vector struct {
	name string
	ty   cty.Type
	val  cty.Value
}

func mustNumber(s string) cty.Value {
	v, err := cty.ParseNumberVal(s)
	if err != nil {
		panic(err)
	}
	return v
}

func vectors() []vector {
	two64, _ := new(big.Float).SetPrec(512).SetString("18446744073709551616")
	object := cty.Object(map[string]cty.Type{
		"name": cty.String, "size": cty.Number, "tags": cty.Map(cty.String),
		"rules": cty.List(cty.Object(map[string]cty.Type{"port": cty.Number, "open": cty.Bool})),
	})
	optional := cty.ObjectWithOptionalAttrs(map[string]cty.Type{"a": cty.String, "b": cty.Number}, []string{"b"})
	return []vector{
		{"string", cty.String, cty.StringVal("hello")},
		{"string-unicode", cty.String, cty.StringVal("héllo ☃ \U0001F600")},
		{"string-long", cty.String, cty.StringVal(string(make([]byte, 300)))},
		{"string-null", cty.String, cty.NullVal(cty.String)},
		{"bool-true", cty.Bool, cty.True},
		{"bool-false", cty.Bool, cty.False},
		{"number-zero", cty.Number, cty.Zero},
		{"number-small", cty.Number, cty.NumberIntVal(127)},
		{"number-negative", cty.Number, cty.NumberIntVal(-33)},
		{"number-uint16", cty.Number, cty.NumberIntVal(65536)},
		{"number-2p53plus1", cty.Number, cty.NumberIntVal(9007199254740993)},
		{"number-int64-max", cty.Number, cty.NumberIntVal(9223372036854775807)},
		{"number-int64-min", cty.Number, cty.NumberIntVal(-9223372036854775808)},
		{"number-2p64", cty.Number, cty.NumberVal(two64)},
		{"number-1e30", cty.Number, mustNumber("1000000000000000000000000000000")},
		{"number-half", cty.Number, cty.NumberFloatVal(0.5)},
		{"number-minus-2.25", cty.Number, cty.NumberFloatVal(-2.25)},
		{"number-decimal-0.1", cty.Number, mustNumber("0.1")},
		{"number-decimal-precise", cty.Number, mustNumber("0.1000000000000000000001")},
		{"number-small-exponent", cty.Number, mustNumber("0.00000015")},
		{"number-infinity", cty.Number, cty.PositiveInfinity},
		{"unknown-string", cty.String, cty.UnknownVal(cty.String)},
		{"unknown-not-null", cty.String, cty.UnknownVal(cty.String).RefineNotNull()},
		{"unknown-prefix", cty.String, cty.UnknownVal(cty.String).Refine().NotNull().StringPrefixFull("ami-").NewValue()},
		{"unknown-number-range", cty.Number, cty.UnknownVal(cty.Number).Refine().NotNull().NumberRangeLowerBound(cty.Zero, true).NumberRangeUpperBound(cty.NumberIntVal(10), false).NewValue()},
		{"unknown-list-length", cty.List(cty.String), cty.UnknownVal(cty.List(cty.String)).Refine().CollectionLengthLowerBound(1).CollectionLengthUpperBound(3).NewValue()},
		{"list-string", cty.List(cty.String), cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{"list-empty", cty.List(cty.String), cty.ListValEmpty(cty.String)},
		{"list-null", cty.List(cty.String), cty.NullVal(cty.List(cty.String))},
		{"set-number", cty.Set(cty.Number), cty.SetVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2), cty.NumberIntVal(3)})},
		{"map-string", cty.Map(cty.String), cty.MapVal(map[string]cty.Value{"b": cty.StringVal("2"), "a": cty.StringVal("1")})},
		{"tuple", cty.Tuple([]cty.Type{cty.String, cty.Number, cty.Bool}), cty.TupleVal([]cty.Value{cty.StringVal("x"), cty.NumberIntVal(2), cty.True})},
		{"object", object, cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal("web"), "size": cty.NumberIntVal(3),
			"tags":  cty.MapVal(map[string]cty.Value{"env": cty.StringVal("prod")}),
			"rules": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"port": cty.NumberIntVal(443), "open": cty.True})}),
		})},
		{"object-partly-unknown", object, cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal("web"), "size": cty.UnknownVal(cty.Number),
			"tags":  cty.NullVal(cty.Map(cty.String)),
			"rules": cty.ListValEmpty(cty.Object(map[string]cty.Type{"port": cty.Number, "open": cty.Bool})),
		})},
		{"dynamic-string", cty.DynamicPseudoType, cty.StringVal("hi")},
		{"dynamic-list", cty.DynamicPseudoType, cty.ListVal([]cty.Value{cty.StringVal("a")})},
		{"dynamic-object", cty.DynamicPseudoType, cty.ObjectVal(map[string]cty.Value{"n": cty.NumberIntVal(1), "s": cty.SetVal([]cty.Value{cty.True})})},
		{"dynamic-null", cty.DynamicPseudoType, cty.NullVal(cty.DynamicPseudoType)},
		{"dynamic-unknown", cty.DynamicPseudoType, cty.DynamicVal},
		{"object-with-dynamic", cty.Object(map[string]cty.Type{"any": cty.DynamicPseudoType}), cty.ObjectVal(map[string]cty.Value{"any": cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(9007199254740993)})})},
		{"object-optional-type", optional, cty.NullVal(optional)},
	}
}

func main() {
	check := flag.Bool("check", false, "check encodings read from stdin")
	flag.Parse()
	out := json.NewEncoder(os.Stdout)
	byName := map[string]vector{}
	for _, v := range vectors() {
		byName[v.name] = v
	}
	if !*check {
		for _, v := range vectors() {
			ty, err := v.ty.MarshalJSON()
			fail(err)
			mp, err := ctymsgpack.Marshal(v.val, v.ty)
			fail(err)
			line := map[string]any{"name": v.name, "type": json.RawMessage(ty), "msgpack": hex.EncodeToString(mp)}
			// JSON has no unknowns and no infinity: those cases have no "json".
			if js, err := ctyjson.Marshal(v.val, v.ty); err == nil {
				line["json"] = string(js)
			}
			fail(out.Encode(line))
		}
		return
	}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 16<<20)
	for scanner.Scan() {
		var in struct{ Name, Msgpack string; JSON *string }
		fail(json.Unmarshal(scanner.Bytes(), &in))
		v, found := byName[in.Name]
		result := map[string]any{"name": in.Name, "ok": false}
		switch raw, err := hex.DecodeString(in.Msgpack); {
		case !found:
			result["error"] = "no such case"
		case err != nil:
			result["error"] = err.Error()
		default:
			result["ok"], result["error"] = same("msgpack", v, func() (cty.Value, error) { return ctymsgpack.Unmarshal(raw, v.ty) })
			if result["ok"] == true && in.JSON != nil {
				result["ok"], result["error"] = same("json", v, func() (cty.Value, error) { return ctyjson.Unmarshal([]byte(*in.JSON), v.ty) })
			}
		}
		fail(out.Encode(result))
	}
	fail(scanner.Err())
}

func same(what string, v vector, decode func() (cty.Value, error)) (bool, string) {
	got, err := decode()
	if err != nil {
		return false, fmt.Sprintf("%s: %v", what, err)
	}
	if !got.RawEquals(v.val) || got.GoString() != v.val.GoString() {
		return false, fmt.Sprintf("%s: got %#v, want %#v", what, got, v.val)
	}
	return true, ""
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
