package drift

import (
	"errors"
	"math"
)

// ChiResult is the outcome of a chi-square test of independence.
type ChiResult struct {
	Statistic float64
	PValue    float64
	// DOF is the degrees of freedom: the number of categories seen, less one.
	DOF int
}

// ChiSquare tests whether two samples of a categorical column share one distribution,
// as scipy.stats.chi2_contingency does on the 2×k table of counts (with Yates'
// correction when k = 2). ref[i] and batch[i] count category i; categories absent from
// both are left out.
func ChiSquare(ref, batch []float64) (ChiResult, error) {
	if len(ref) != len(batch) {
		return ChiResult{}, errors.New("chi-square: count slices differ in length")
	}
	var r, b, cols []float64
	var rowR, rowB float64
	for i := range ref {
		if ref[i] < 0 || batch[i] < 0 {
			return ChiResult{}, errors.New("chi-square: negative count")
		}
		if ref[i]+batch[i] == 0 {
			continue
		}
		r, b = append(r, ref[i]), append(b, batch[i])
		cols = append(cols, ref[i]+batch[i])
		rowR += ref[i]
		rowB += batch[i]
	}
	if rowR == 0 || rowB == 0 {
		return ChiResult{}, errors.New("chi-square: both samples need at least one value")
	}
	dof := len(cols) - 1
	if dof == 0 {
		return ChiResult{Statistic: 0, PValue: 1}, nil
	}
	total := rowR + rowB
	stat := 0.0
	for i, c := range cols {
		for _, cell := range [2][2]float64{{r[i], rowR}, {b[i], rowB}} {
			obs, exp := cell[0], cell[1]*c/total
			if dof == 1 { // Yates: move each count toward its expectation by at most 0.5
				diff := exp - obs
				obs += math.Copysign(math.Min(0.5, math.Abs(diff)), diff)
			}
			stat += (obs - exp) * (obs - exp) / exp
		}
	}
	return ChiResult{Statistic: stat, PValue: chi2SF(stat, float64(dof)), DOF: dof}, nil
}

// chi2SF is the chi-square survival function, scipy.stats.chi2.sf(x, dof): the
// regularised upper incomplete gamma function Q(dof/2, x/2).
func chi2SF(x, dof float64) float64 {
	if x <= 0 {
		return 1
	}
	return gammaQ(dof/2, x/2)
}

// gammaQ is the regularised upper incomplete gamma function Q(a, x): by the series for
// P when x < a+1 (where Q is not small, so 1-P loses nothing), else by the continued
// fraction for Q (modified Lentz), which keeps full relative precision in the tail.
func gammaQ(a, x float64) float64 {
	const eps, tiny = 1e-16, 1e-300
	if x <= 0 {
		return 1
	}
	lga, _ := math.Lgamma(a)
	front := a*math.Log(x) - x - lga
	if x < a+1 {
		ap, del := a, 1/a
		sum := del
		for i := 0; i < 100000; i++ {
			ap++
			del *= x / ap
			sum += del
			if math.Abs(del) < math.Abs(sum)*eps {
				break
			}
		}
		return clip01(1 - sum*math.Exp(front))
	}
	b := x + 1 - a
	c, d := 1/tiny, 1/b
	h := d
	for i := 1; i < 100000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return clip01(math.Exp(front) * h)
}
