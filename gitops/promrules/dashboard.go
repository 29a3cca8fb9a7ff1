package promrules

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// grafanaVariable matches Grafana's variable syntaxes: $name, ${name}, ${name:format},
// [[name]] and [[name:format]]. A name starts with a letter or underscore, so PromQL's own
// $1-style label_replace references are left alone.
var grafanaVariable = regexp.MustCompile(`\$\{([A-Za-z_]\w*)(?::[^}]*)?\}|\[\[([A-Za-z_]\w*)(?::[^\]]*)?\]\]|\$([A-Za-z_]\w*)`)

// builtinIntervals are Grafana's global variables that stand for a duration in a range selector.
var builtinIntervals = map[string]bool{"__rate_interval": true, "__interval": true, "__range": true}

// A variable's stand-in value: a duration for the interval built-ins, otherwise a plain word,
// which is valid both in a label matcher's quoted value and as a regular expression.
const (
	intervalStandIn = "5m"
	valueStandIn    = "palisade"
)

type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string `json:"title"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	// A row panel holds its panels when collapsed.
	Panels []panel `json:"panels"`
}

// CheckDashboard parses every panel target's PromQL expression, with the dashboard's own
// variables and Grafana's interval variables replaced by stand-ins; a variable the dashboard
// does not define is an error. It returns how many expressions it parsed.
func CheckDashboard(data []byte) (int, []error) {
	var board dashboard
	if err := json.Unmarshal(data, &board); err != nil {
		return 0, []error{fmt.Errorf("dashboard: %w", err)}
	}
	defined := map[string]bool{}
	for _, variable := range board.Templating.List {
		defined[variable.Name] = true
	}
	count := 0
	var errs []error
	var walk func([]panel)
	walk = func(panels []panel) {
		for _, p := range panels {
			for _, target := range p.Targets {
				if target.Expr == "" {
					continue
				}
				count++
				if err := checkQuery(target.Expr, defined); err != nil {
					errs = append(errs, fmt.Errorf("panel %q target %s: %w", p.Title, target.RefID, err))
				}
			}
			walk(p.Panels)
		}
	}
	walk(board.Panels)
	return count, errs
}

func checkQuery(expr string, defined map[string]bool) error {
	var unknown []string
	expanded := grafanaVariable.ReplaceAllStringFunc(expr, func(reference string) string {
		groups := grafanaVariable.FindStringSubmatch(reference)
		name := groups[1] + groups[2] + groups[3]
		switch {
		case builtinIntervals[name]:
			return intervalStandIn
		case defined[name]:
			return valueStandIn
		default:
			unknown = append(unknown, reference)
			return reference
		}
	})
	if len(unknown) > 0 {
		return fmt.Errorf("variables the dashboard does not define: %v in %q", unknown, expr)
	}
	if _, err := promqlParser.ParseExpr(expanded); err != nil {
		return fmt.Errorf("%q: %w", expr, err)
	}
	return nil
}
