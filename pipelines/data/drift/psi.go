package drift

import (
	"errors"
	"math"
	"slices"
	"sort"
)

// PSIEpsilon is the share given to an empty bin, so PSI stays finite.
const PSIEpsilon = 1e-4

// PSI is the population stability index of a numeric column, Σ (b−r)·ln(b/r) over
// bins whose edges are the reference's 1/bins … (bins−1)/bins quantiles (numpy's
// default linear method; repeated edges merged). A value equal to an edge falls in
// the lower bin. ref must be sorted ascending; neither sample may hold NaN.
func PSI(ref, batch []float64, bins int) (float64, error) {
	if len(ref) == 0 || len(batch) == 0 {
		return 0, errors.New("psi: both samples need at least one value")
	}
	if bins < 2 {
		return 0, errors.New("psi: need at least 2 bins")
	}
	edges := make([]float64, 0, bins-1)
	for i := 1; i < bins; i++ {
		edges = append(edges, Quantile(ref, float64(i)/float64(bins)))
	}
	slices.Sort(edges)
	edges = slices.Compact(edges)
	count := func(x []float64) []float64 {
		c := make([]float64, len(edges)+1)
		for _, v := range x {
			c[sort.SearchFloat64s(edges, v)]++
		}
		return c
	}
	return PSICounts(count(ref), count(batch))
}

// PSICounts is the population stability index of two aligned count vectors, e.g. the
// counts of each category of a categorical column.
func PSICounts(ref, batch []float64) (float64, error) {
	if len(ref) != len(batch) {
		return 0, errors.New("psi: count slices differ in length")
	}
	var nr, nb float64
	for i := range ref {
		nr += ref[i]
		nb += batch[i]
	}
	if nr == 0 || nb == 0 {
		return 0, errors.New("psi: both samples need at least one value")
	}
	psi := 0.0
	for i := range ref {
		r := math.Max(ref[i]/nr, PSIEpsilon)
		b := math.Max(batch[i]/nb, PSIEpsilon)
		psi += (b - r) * math.Log(b/r)
	}
	return psi, nil
}

// Quantile is numpy.quantile(sorted, q) with the default linear method; sorted must
// be ascending and non-empty.
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	virtual := float64(n-1) * q
	if virtual >= float64(n-1) {
		return sorted[n-1]
	}
	if virtual <= 0 {
		return sorted[0]
	}
	prev := math.Floor(virtual)
	gamma := virtual - prev
	a, b := sorted[int(prev)], sorted[int(prev)+1]
	// numpy's _lerp: interpolate from the nearer end so the result stays monotonic.
	diff := b - a
	if gamma >= 0.5 {
		return b - diff*(1-gamma)
	}
	return a + diff*gamma
}
