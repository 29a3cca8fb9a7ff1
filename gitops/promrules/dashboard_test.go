package promrules

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDashboardQueries(t *testing.T) {
	cases := []struct {
		name, expr string
		// want is empty for a query that parses.
		want string
	}{
		{"every variable syntax", `sum(rate(m{job="$job", namespace=~"${namespace:regex}", x="[[job]]"}[$__rate_interval])) / label_replace(n, "a", "$1", "b", "(.*)")`, ""},
		{"bad PromQL", `sum(rate(m{job="$job"}[$__rate_interval])`, "unclosed left parenthesis"},
		{"undefined variable", `m{job="$cluster"}`, "variables the dashboard does not define: [$cluster]"},
		{"interval where a value belongs", `m{job="$job"}[$job]`, "unexpected character in duration expression"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A collapsed row's panels are checked too.
			board, err := json.Marshal(map[string]any{
				"panels": []any{map[string]any{"type": "row", "panels": []any{map[string]any{
					"title": "p", "targets": []any{map[string]any{"refId": "A", "expr": c.expr}},
				}}}},
				"templating": map[string]any{"list": []any{map[string]any{"name": "job"}, map[string]any{"name": "namespace"}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			count, errs := CheckDashboard(board)
			if count != 1 {
				t.Fatalf("want 1 query checked, got %d", count)
			}
			switch {
			case c.want == "" && len(errs) > 0:
				t.Errorf("want no error, got %v", errs)
			case c.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want)):
				t.Errorf("want one error containing %q, got %v", c.want, errs)
			}
		})
	}
}
