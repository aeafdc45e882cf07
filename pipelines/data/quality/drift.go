package quality

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/ferryml/ferry/pipelines/data/drift"
	"github.com/ferryml/ferry/pipelines/data/report"
	"github.com/ferryml/ferry/pipelines/data/schema"
	"github.com/ferryml/ferry/pipelines/data/table"
)

// Drift rules.
const (
	RulePSI             = "drift.psi"
	RuleKSStatistic     = "drift.ks.statistic"
	RuleKSPValue        = "drift.ks.p_value"
	RuleChiSquarePValue = "drift.chi_square.p_value"
)

// defaultBins is the number of PSI bins when the spec gives none.
const defaultBins = 10

// threshold is one drift limit and the spec key it came from.
type threshold struct {
	value *float64
	key   string
}

// resolved holds a column's drift limits after per-column overrides.
type resolved struct {
	skip                   bool
	bins                   int
	psi, ksStat, ksP, chiP threshold
}

func (s *Spec) driftFor(name string) resolved {
	r := resolved{bins: defaultBins}
	apply := func(d *Drift, prefix string) {
		if d == nil {
			return
		}
		r.skip = r.skip || d.Skip
		if d.PSI != nil {
			if d.PSI.Bins > 0 {
				r.bins = d.PSI.Bins
			}
			if d.PSI.Max != nil {
				r.psi = threshold{d.PSI.Max, prefix + "psi.max"}
			}
		}
		if d.KS != nil {
			if d.KS.MaxStatistic != nil {
				r.ksStat = threshold{d.KS.MaxStatistic, prefix + "ks.max_statistic"}
			}
			if d.KS.MinPValue != nil {
				r.ksP = threshold{d.KS.MinPValue, prefix + "ks.min_p_value"}
			}
		}
		if d.ChiSquare != nil && d.ChiSquare.MinPValue != nil {
			r.chiP = threshold{d.ChiSquare.MinPValue, prefix + "chi_square.min_p_value"}
		}
	}
	apply(&s.Drift, "drift.")
	apply(s.Columns[name].Drift, "columns."+name+".drift.")
	return r
}

// CheckDrift compares every schema column present in both tables, batch against
// reference: PSI and the KS test for numeric columns, PSI and the chi-square test for
// categorical ones. Columns are computed in parallel. It returns the statistics, the
// violations and the number of rules checked.
func (s *Spec) CheckDrift(ref, batch *table.Table, sch *schema.Schema) ([]report.Drift, []report.Violation, int) {
	type result struct {
		stats   *report.Drift
		out     []report.Violation
		checked int
	}
	results := make([]result, len(sch.Columns))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, sc := range sch.Columns {
		rc, bc := ref.Column(sc.Name), batch.Column(sc.Name)
		lim := s.driftFor(sc.Name)
		if rc == nil || bc == nil || rc.Kind != bc.Kind || lim.skip {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			d, out, n, ok := s.columnDrift(rc, bc, lim)
			if ok {
				results[i] = result{&d, out, n}
			}
		}()
	}
	wg.Wait()
	var stats []report.Drift
	var out []report.Violation
	checked := 0
	for _, r := range results {
		if r.stats != nil {
			stats = append(stats, *r.stats)
			out = append(out, r.out...)
			checked += r.checked
		}
	}
	return stats, out, checked
}

// columnDrift computes one column's statistics and checks them; ok is false when a
// side has no values (the null rules report that).
func (s *Spec) columnDrift(rc, bc *table.Column, lim resolved) (report.Drift, []report.Violation, int, bool) {
	var out []report.Violation
	checked := 0
	add := func(rule, observed, op string, t threshold) {
		out = append(out, report.Violation{Table: "batch", Column: rc.Name, Rule: rule,
			Observed: observed, Limit: op + " " + report.Format(*t.value), Source: s.Source(t.key)})
	}
	var d report.Drift
	var err error
	if rc.Kind == table.String {
		d, err = categorical(rc, bc)
	} else {
		d, err = numeric(rc, bc, lim.bins)
	}
	if err != nil {
		return d, nil, 0, false
	}
	if lim.psi.value != nil {
		checked++
		if float64(d.PSI) > *lim.psi.value {
			add(RulePSI, report.Format(float64(d.PSI)), "<=", lim.psi)
		}
	}
	if d.KSStatistic != nil {
		if lim.ksStat.value != nil {
			checked++
			if float64(*d.KSStatistic) > *lim.ksStat.value {
				add(RuleKSStatistic, report.Format(float64(*d.KSStatistic)), "<=", lim.ksStat)
			}
		}
		if lim.ksP.value != nil {
			checked++
			if float64(*d.KSPValue) < *lim.ksP.value {
				add(RuleKSPValue, fmt.Sprintf("%s (%s)", report.Format(float64(*d.KSPValue)), d.KSMethod), ">=", lim.ksP)
			}
		}
	}
	if d.ChiSquarePValue != nil && lim.chiP.value != nil {
		checked++
		if float64(*d.ChiSquarePValue) < *lim.chiP.value {
			add(RuleChiSquarePValue, fmt.Sprintf("%s (χ² %s, %d dof)", report.Format(float64(*d.ChiSquarePValue)),
				report.Format(float64(*d.ChiSquare)), d.ChiSquareDOF), ">=", lim.chiP)
		}
	}
	return d, out, checked, true
}

func numeric(rc, bc *table.Column, bins int) (report.Drift, error) {
	r, b := rc.Present(), bc.Present() // fresh copies: sort them in place
	slices.Sort(r)
	slices.Sort(b)
	psi, err := drift.PSI(r, b, bins)
	if err != nil {
		return report.Drift{}, err
	}
	ks, err := drift.KS(r, b)
	if err != nil {
		return report.Drift{}, err
	}
	return report.Drift{Column: rc.Name, Kind: "numeric", PSI: report.Number(psi),
		KSStatistic: report.NumberPtr(ks.Statistic), KSPValue: report.NumberPtr(ks.PValue), KSMethod: ks.Method}, nil
}

func categorical(rc, bc *table.Column) (report.Drift, error) {
	rcount, bcount := rc.Counts(), bc.Counts()
	var cats []string
	for k, n := range rcount {
		if n > 0 {
			cats = append(cats, k)
		}
	}
	for k, n := range bcount {
		if _, seen := rcount[k]; (!seen || rcount[k] == 0) && n > 0 {
			cats = append(cats, k)
		}
	}
	slices.Sort(cats)
	r, b := make([]float64, len(cats)), make([]float64, len(cats))
	for i, c := range cats {
		r[i], b[i] = float64(rcount[c]), float64(bcount[c])
	}
	psi, err := drift.PSICounts(r, b)
	if err != nil {
		return report.Drift{}, err
	}
	chi, err := drift.ChiSquare(r, b)
	if err != nil {
		return report.Drift{}, err
	}
	return report.Drift{Column: rc.Name, Kind: "categorical", PSI: report.Number(psi),
		ChiSquare: report.NumberPtr(chi.Statistic), ChiSquarePValue: report.NumberPtr(chi.PValue), ChiSquareDOF: chi.DOF}, nil
}
