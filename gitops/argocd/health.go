// Package argocd runs Argo CD resource health checks written in Lua the way Argo CD's
// controller runs a `resource.customizations.health.<group>_<kind>` script from argocd-cm
// (util/lua/lua.go): gopher-lua with only the package, base and table libraries open, the
// object as the global `obj`, a one-second deadline, and the returned table read as
// `{status, message}`.
package argocd

import (
	"context"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Health is what a health script returns, as Argo CD shows it.
type Health struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// Argo CD replaces any other status a script returns with Unknown and this message.
const invalidHealthStatus = "Lua returned an invalid health status"

var validStatuses = map[string]bool{
	"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true,
}

// Evaluate runs a health script against an object decoded from JSON or YAML.
func Evaluate(script string, object map[string]any) (Health, error) {
	state := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer state.Close()
	// argocd-cm scripts run without useOpenLibs: no string, math, io or os library.
	for name, open := range map[string]lua.LGFunction{
		lua.LoadLibName: lua.OpenPackage,
		lua.BaseLibName: lua.OpenBase,
		lua.TabLibName:  lua.OpenTable,
	} {
		if err := state.CallByParam(lua.P{Fn: state.NewFunction(open), Protect: true}, lua.LString(name)); err != nil {
			return Health{}, fmt.Errorf("opening Lua library %q: %w", name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	state.SetContext(ctx)
	state.SetGlobal("obj", toLua(state, object))
	if err := state.DoString(script); err != nil {
		return Health{}, err
	}
	switch returned := state.Get(-1).(type) {
	case *lua.LTable:
		if key, _ := returned.Next(lua.LNil); key == lua.LNil {
			// Argo CD encodes an empty table as a JSON array and reads it as no health.
			return Health{}, nil
		}
		health := Health{Status: field(returned, "status"), Message: field(returned, "message")}
		if !validStatuses[health.Status] {
			return Health{Status: "Unknown", Message: invalidHealthStatus}, nil
		}
		return health, nil
	case *lua.LNilType:
		return Health{}, nil
	default:
		return Health{}, fmt.Errorf("expect table output from Lua script, not %s", returned.Type())
	}
}

func field(table *lua.LTable, name string) string {
	if value, ok := table.RawGetString(name).(lua.LString); ok {
		return string(value)
	}
	return ""
}

// toLua converts a decoded JSON value as Argo CD's decodeValue does: objects and arrays become
// tables, numbers Lua numbers, null nil.
func toLua(state *lua.LState, value any) lua.LValue {
	switch converted := value.(type) {
	case bool:
		return lua.LBool(converted)
	case float64:
		return lua.LNumber(converted)
	case int64:
		return lua.LNumber(converted)
	case string:
		return lua.LString(converted)
	case []any:
		array := state.CreateTable(len(converted), 0)
		for _, item := range converted {
			array.Append(toLua(state, item))
		}
		return array
	case map[string]any:
		table := state.CreateTable(0, len(converted))
		for key, item := range converted {
			table.RawSetH(lua.LString(key), toLua(state, item))
		}
		return table
	}
	return lua.LNil
}
