package drift

import "math"

// This file ports scipy.stats._ksstats (scipy 1.14): the distribution of the two-sided
// one-sample Kolmogorov–Smirnov statistic D_n, after Simard & L'Ecuyer (2011).

var (
	ep128 = math.Ldexp(1, 128)
	em128 = math.Ldexp(1, -128)
)

// stirling holds the coefficients of scipy's _log_nfactorial_div_n_pow_n, highest power first.
var stirling = []float64{-2.955065359477124183e-2, 6.4102564102564102564e-3,
	-1.9175269175269175269e-3, 8.4175084175084175084e-4,
	-5.952380952380952381e-4, 7.9365079365079365079e-4,
	-2.7777777777777777778e-3, 8.3333333333333333333e-2}

func clip01(p float64) float64 { return math.Min(math.Max(p, 0), 1) }

func pick(cdf bool, cdfProb, sfProb float64) float64 {
	if cdf {
		return clip01(cdfProb)
	}
	return clip01(sfProb)
}

// kolmogornSF is scipy.stats.kstwo.sf(x, n): Pr(D_n > x).
func kolmogornSF(n int, x float64) float64 {
	if n <= 0 || math.IsNaN(x) {
		return math.NaN()
	}
	return kolmogorn(n, x, false)
}

// kolmogorn is scipy's _kolmogn: the CDF (or SF) of D_n at x.
func kolmogorn(n int, x float64, cdf bool) float64 {
	if x >= 1 {
		return pick(cdf, 1, 0)
	}
	if x <= 0 {
		return pick(cdf, 0, 1)
	}
	fn := float64(n)
	t := fn * x
	if t <= 1 { // Ruben-Gambino: 1/2n <= x <= 1/n
		if t <= 0.5 {
			return pick(cdf, 0, 1)
		}
		var p float64
		if n <= 140 {
			p = 1
			for i := 1; i <= n; i++ {
				p *= float64(i) * (1 / fn) * (2*t - 1)
			}
		} else {
			p = math.Exp(logNFactorialDivNPowN(fn) + fn*math.Log(2*t-1))
		}
		return pick(cdf, p, 1-p)
	}
	if t >= fn-1 { // Ruben-Gambino
		p := 2 * math.Pow(1-x, fn)
		return pick(cdf, 1-p, p)
	}
	if x >= 0.5 { // exact: 2 * smirnov
		p := 2 * smirnovSF(n, x)
		return pick(cdf, 1-p, p)
	}
	nxsq := t * x
	if n <= 140 {
		if nxsq <= 0.754693 {
			p := kolmogornDMTW(n, x)
			return pick(cdf, p, 1-p)
		}
		if nxsq <= 4 {
			p := kolmogornPomeranz(n, x)
			return pick(cdf, p, 1-p)
		}
		p := 2 * smirnovSF(n, x)
		return pick(cdf, 1-p, p)
	}
	if !cdf {
		if nxsq >= 370 {
			return 0
		}
		if nxsq >= 2.2 {
			return clip01(2 * smirnovSF(n, x))
		}
	}
	var p float64
	switch {
	case nxsq >= 18:
		p = 1
	case n <= 100000 && fn*math.Pow(x, 1.5) <= 1.4:
		p = kolmogornDMTW(n, x)
	default:
		p = kolmogornPelzGood(n, x)
	}
	return pick(cdf, p, 1-p)
}

func logNFactorialDivNPowN(n float64) float64 {
	rn := 1 / n
	poly := 0.0
	for _, c := range stirling {
		poly = poly*(rn/n) + c
	}
	return math.Log(n)/2 - n + math.Log(2*math.Pi)/2 + rn*poly
}

// kolmogornDMTW is the Durbin matrix algorithm as Marsaglia, Tsang and Wang (2003)
// compute it: Pr(D_n <= d).
func kolmogornDMTW(n int, d float64) float64 {
	if d >= 1 {
		return 1
	}
	nd := float64(n) * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1

	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		v[j-1] = 1 - math.Pow(h, float64(j))
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] *= fac
	}
	tt := math.Pow(math.Max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac

	H := newMatrix(m)
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H.set(r, i, w[r-(i-1)])
		}
	}
	for r := 0; r < m; r++ {
		H.set(r, 0, v[r])
	}
	for c := 0; c < m; c++ {
		H.set(m-1, c, v[m-1-c])
	}

	pwr := identity(m)
	expnt, hexpnt := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			pwr = pwr.mul(H)
			expnt += hexpnt
		}
		H = H.mul(H)
		hexpnt *= 2
		if math.Abs(H.at(k-1, k-1)) > ep128 {
			H.scale(em128)
			hexpnt += 128
		}
	}
	p := pwr.at(k-1, k-1)
	for i := 1; i <= n; i++ {
		p = float64(i) * p / float64(n)
		if math.Abs(p) < em128 {
			p *= ep128
			expnt -= 128
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return clip01(p)
}

type matrix struct {
	n int
	a []float64
}

func newMatrix(n int) matrix { return matrix{n: n, a: make([]float64, n*n)} }

func identity(n int) matrix {
	m := newMatrix(n)
	for i := 0; i < n; i++ {
		m.set(i, i, 1)
	}
	return m
}

func (m matrix) at(r, c int) float64     { return m.a[r*m.n+c] }
func (m matrix) set(r, c int, v float64) { m.a[r*m.n+c] = v }

func (m matrix) scale(f float64) {
	for i := range m.a {
		m.a[i] *= f
	}
}

func (m matrix) mul(o matrix) matrix {
	out := newMatrix(m.n)
	for i := 0; i < m.n; i++ {
		row := out.a[i*m.n : (i+1)*m.n]
		for k := 0; k < m.n; k++ {
			f := m.a[i*m.n+k]
			if f == 0 {
				continue
			}
			orow := o.a[k*m.n : (k+1)*m.n]
			for j, x := range orow {
				row[j] += f * x
			}
		}
	}
	return out
}
