// Package promrules validates the chart's Prometheus alerting rules and the Grafana dashboard's
// queries with the Prometheus module's own code: rule groups as `promtool check rules` parses
// and lints them, dashboard queries with the PromQL parser.
package promrules

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// promqlParser is configured as promtool's is without feature flags.
var promqlParser = parser.NewParser(parser.Options{})

// CheckRuleGroups validates a PrometheusRule's spec.groups as `promtool check rules` validates a
// rule file holding them: strict parsing (unknown fields are errors), names, durations, labels,
// PromQL expressions and annotation templates, then its default duplicate-rules lint, reported here as an
// error rather than a warning. It returns how many rules the groups hold.
func CheckRuleGroups(groups any) (int, []error) {
	file, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		return 0, []error{fmt.Errorf("cannot write the groups as a rule file: %w", err)}
	}
	// The logger only hears about a second YAML document, which a single Marshal never writes.
	parsed, errs := rulefmt.Parse(file, false, model.UTF8Validation, promqlParser, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		return 0, errs
	}
	count := 0
	for _, group := range parsed.Groups {
		count += len(group.Rules)
	}
	return count, duplicateRules(parsed.Groups)
}

// duplicateRules reports rules with the same alert or record name and the same labels (the
// group's merged with the rule's), as promtool's duplicate-rules lint does: they produce series
// that clash.
func duplicateRules(groups []rulefmt.RuleGroup) []error {
	seen := map[string]bool{}
	var errs []error
	for _, group := range groups {
		for _, rule := range group.Rules {
			name := rule.Alert
			if name == "" {
				name = rule.Record
			}
			labels := maps.Clone(group.Labels)
			if labels == nil {
				labels = map[string]string{}
			}
			maps.Copy(labels, rule.Labels)
			var key strings.Builder
			key.WriteString(name)
			for _, label := range slices.Sorted(maps.Keys(labels)) {
				fmt.Fprintf(&key, "\x00%s=%s", label, labels[label])
			}
			if seen[key.String()] {
				errs = append(errs, fmt.Errorf("duplicate rule %q in group %q: another rule has the same name and labels %v", name, group.Name, labels))
			}
			seen[key.String()] = true
		}
	}
	return errs
}
