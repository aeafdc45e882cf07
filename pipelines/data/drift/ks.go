package drift

import (
	"errors"
	"math"
	"slices"
)

// maxExactN is scipy's MAX_AUTO_N: ks_2samp(method="auto") is exact up to this size.
const maxExactN = 10000

// KSResult is the outcome of a two-sample Kolmogorov–Smirnov test.
type KSResult struct {
	// Statistic is the largest distance between the two empirical CDFs.
	Statistic float64
	// PValue is the two-sided p-value.
	PValue float64
	// Method is "exact" or "asymp", as scipy chose it.
	Method string
}

// Sorted returns a sorted copy of x.
func Sorted(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}

// KS runs the two-sided two-sample Kolmogorov–Smirnov test the way
// scipy.stats.ks_2samp(a, b) does with its default method="auto": the exact
// distribution when neither sample has more than 10,000 values, else the asymptotic
// one (scipy.stats.kstwo.sf at n = round(n1·n2/(n1+n2))). a and b must be sorted
// ascending and hold no NaN.
func KS(a, b []float64) (KSResult, error) {
	n1, n2 := len(a), len(b)
	if n1 == 0 || n2 == 0 {
		return KSResult{}, errors.New("ks: both samples need at least one value")
	}
	d := ksStatistic(a, b)
	if max(n1, n2) <= maxExactN {
		if dd, p, ok := exactKS(n1, n2, d); ok {
			return KSResult{Statistic: dd, PValue: p, Method: "exact"}, nil
		} else {
			d = dd
		}
	}
	m, n := float64(max(n1, n2)), float64(min(n1, n2))
	en := math.RoundToEven(m * n / (m + n))
	return KSResult{Statistic: d, PValue: kolmogornSF(int(en), d), Method: "asymp"}, nil
}

// ksStatistic is max |F_a(v) - F_b(v)| over every value v of either sample.
func ksStatistic(a, b []float64) float64 {
	n1, n2 := float64(len(a)), float64(len(b))
	var lo, hi float64
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var v float64
		if j >= len(b) || (i < len(a) && a[i] <= b[j]) {
			v = a[i]
		} else {
			v = b[j]
		}
		for i < len(a) && a[i] <= v {
			i++
		}
		for j < len(b) && b[j] <= v {
			j++
		}
		diff := float64(i)/n1 - float64(j)/n2
		lo, hi = min(lo, diff), max(hi, diff)
	}
	minS := math.Min(math.Max(-lo, 0), 1)
	if minS > hi {
		return minS
	}
	return hi
}

// exactKS is scipy's _attempt_exact_2kssamp for the two-sided test. It rounds d to
// the lattice h/lcm(n1, n2) and reports ok=false when the computation over- or
// underflows, as scipy then falls back to the asymptotic distribution.
func exactKS(n1, n2 int, d float64) (float64, float64, bool) {
	g := gcd(n1, n2)
	lcm := float64(n1/g) * float64(n2)
	h := int(math.RoundToEven(d * lcm))
	d = float64(h) / lcm
	if h == 0 {
		return d, 1, true
	}
	var p float64
	if n1 == n2 {
		p = probOutsideSquare(n1, h)
	} else {
		p = outerProbInside(n1, n2, g, h)
	}
	if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 || p > 1 {
		return d, math.NaN(), false
	}
	return d, p, true
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// probOutsideSquare is scipy's _compute_prob_outside_square: the share of lattice
// paths that leave the band x-y = ±h, for equal sample sizes n.
func probOutsideSquare(n, h int) float64 {
	p := 0.0
	for k := n / h; k >= 0; k-- {
		p1 := 1.0
		for j := 0; j < h; j++ {
			p1 = float64(n-k*h-j) * p1 / float64(n+k*h+j+1)
		}
		p = p1 * (1 - p)
	}
	return 2 * p
}

// outerProbInside is scipy's _compute_outer_prob_inside_method (Hodges' inside method
// with Viehmann's recursion for 1-p), for unequal sample sizes.
func outerProbInside(m, n, g, h int) float64 {
	if m < n {
		m, n = n, m
	}
	mg, ng := m/g, n/g
	minj, maxj := 0, min(int(math.Ceil(float64(h)/float64(mg))), n+1)
	curlen := maxj - minj
	lenA := min(2*maxj+2, n+1)
	a := make([]float64, lenA)
	for k := range a {
		a[k] = 1
	}
	for k := minj; k < maxj && k < lenA; k++ {
		a[k] = 0
	}
	for i := 1; i <= m; i++ {
		lastminj, lastlen := minj, curlen
		minj = min(max(int(math.Floor(float64(ng*i-h)/float64(mg)))+1, 0), n)
		maxj = min(int(math.Ceil(float64(ng*i+h)/float64(mg))), n+1)
		if maxj <= minj {
			return 1
		}
		val := 0.0
		if minj != 0 {
			val = 1
		}
		for jj := 0; jj < maxj-minj; jj++ {
			j := jj + minj
			src := jj + minj - lastminj
			if src >= lenA || jj >= lenA {
				return math.NaN()
			}
			val = (a[src]*float64(i) + val*float64(j)) / float64(i+j)
			a[jj] = val
		}
		curlen = maxj - minj
		for k := maxj - minj; k < maxj-minj+(lastlen-curlen) && k < lenA; k++ {
			a[k] = 1
		}
	}
	return a[maxj-minj-1]
}
