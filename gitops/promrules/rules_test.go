package promrules

import (
	"strings"
	"testing"
)

// A rendered rule broken in one way at a time is reported, each with the error promtool gives.
func TestBrokenRulesAreReported(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(groups []any)
		want   string
	}{
		{"bad PromQL", func(g []any) { firstRule(g)["expr"] = "max(palisade_leader{job=\"t\"} ==" }, "could not parse expression"},
		{"bad duration", func(g []any) { firstRule(g)["for"] = "5 minutes" }, "unknown unit \" minutes\" in duration"},
		{"unknown field", func(g []any) { firstRule(g)["fro"] = "5m" }, "field fro not found"},
		{"bad annotation template", func(g []any) {
			firstRule(g)["annotations"].(map[string]any)["summary"] = "{{ $labels.namespace "
		}, "annotation \"summary\""},
		{"bad label name", func(g []any) { firstRule(g)["labels"].(map[string]any)["__name__"] = "x" }, "invalid label name"},
		{"alert and record", func(g []any) { firstRule(g)["record"] = "palisade:drifted" }, "only one of 'record' and 'alert' must be set"},
		{"repeated group name", func(g []any) {
			g[1].(map[string]any)["name"] = g[0].(map[string]any)["name"]
		}, "is repeated in the same file"},
		{"duplicate rule", func(g []any) {
			rules := g[0].(map[string]any)["rules"].([]any)
			g[0].(map[string]any)["rules"] = append(rules, rules[0])
		}, "duplicate rule"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			groups := renderedRuleGroups(t)[0]
			if len(groups) < 2 {
				t.Fatalf("the cases need two rendered groups, got %d", len(groups))
			}
			c.mutate(groups)
			_, errs := CheckRuleGroups(groups)
			for _, err := range errs {
				if strings.Contains(err.Error(), c.want) {
					return
				}
			}
			t.Errorf("want an error containing %q, got %v", c.want, errs)
		})
	}
}

// firstRule is the first rule of the first group, as decoded from the render.
func firstRule(groups []any) map[string]any {
	return groups[0].(map[string]any)["rules"].([]any)[0].(map[string]any)
}
