package drift

import (
	"encoding/json"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ferryml/ferry/pipelines/data/table"
)

// tolerance is how close every statistic and p-value must be to scipy's.
const tolerance = 1e-6

type ksCase struct {
	Name string    `json:"name"`
	A    []float64 `json:"a"`
	B    []float64 `json:"b"`
}

type countCase struct {
	Name  string    `json:"name"`
	Ref   []float64 `json:"ref"`
	Batch []float64 `json:"batch"`
	Bins  int       `json:"bins,omitempty"`
}

type cases struct {
	KS      []ksCase     `json:"ks"`
	Chi     []countCase  `json:"chi"`
	PSI     []countCase  `json:"psi"`
	KStwo   [][2]float64 `json:"kstwo"`
	Smirnov [][2]float64 `json:"smirnov"`
	Chi2SF  [][2]float64 `json:"chi2sf"`
}

type scipyOut struct {
	Versions map[string]string `json:"versions"`
	KS       []struct {
		Statistic float64 `json:"statistic"`
		PValue    float64 `json:"pvalue"`
	} `json:"ks"`
	Chi []struct {
		Statistic float64 `json:"statistic"`
		PValue    float64 `json:"pvalue"`
		DOF       int     `json:"dof"`
	} `json:"chi"`
	PSI     []float64 `json:"psi"`
	KStwo   []float64 `json:"kstwo"`
	Smirnov []float64 `json:"smirnov"`
	Chi2SF  []float64 `json:"chi2sf"`
}

// TestAgreesWithScipy runs the same data through this package and through the pinned
// scipy, and wants every statistic and p-value within 1e-6.
func TestAgreesWithScipy(t *testing.T) {
	if testing.Short() {
		t.Skip("needs python3 and the scipy venv")
	}
	python := scipyPython(t)
	c := buildCases(t)
	in := filepath.Join(t.TempDir(), "cases.json")
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "testdata/scipy_stats.py", in)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("running scipy: %v", err)
	}
	var want scipyOut
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("decoding scipy output: %v\n%s", err, raw)
	}
	t.Logf("scipy %s, numpy %s", want.Versions["scipy"], want.Versions["numpy"])

	var worst float64
	check := func(what string, got, want float64) {
		t.Helper()
		diff := math.Abs(got - want)
		worst = math.Max(worst, diff)
		if !(diff <= tolerance) {
			t.Errorf("%s = %.12g, scipy %.12g (diff %.3g)", what, got, want, diff)
		}
	}
	for i, k := range c.KS {
		got, err := KS(Sorted(k.A), Sorted(k.B))
		if err != nil {
			t.Fatalf("KS(%s): %v", k.Name, err)
		}
		check("KS("+k.Name+").Statistic", got.Statistic, want.KS[i].Statistic)
		check("KS("+k.Name+").PValue ["+got.Method+"]", got.PValue, want.KS[i].PValue)
	}
	for i, k := range c.Chi {
		got, err := ChiSquare(k.Ref, k.Batch)
		if err != nil {
			t.Fatalf("ChiSquare(%s): %v", k.Name, err)
		}
		check("ChiSquare("+k.Name+").Statistic", got.Statistic, want.Chi[i].Statistic)
		check("ChiSquare("+k.Name+").PValue", got.PValue, want.Chi[i].PValue)
		if got.DOF != want.Chi[i].DOF {
			t.Errorf("ChiSquare(%s).DOF = %d, scipy %d", k.Name, got.DOF, want.Chi[i].DOF)
		}
	}
	for i, k := range c.PSI {
		got, err := PSI(Sorted(k.Ref), k.Batch, k.Bins)
		if err != nil {
			t.Fatalf("PSI(%s): %v", k.Name, err)
		}
		check("PSI("+k.Name+")", got, want.PSI[i])
	}
	for i, nx := range c.KStwo {
		check("kolmogornSF("+fmtPair(nx)+")", kolmogornSF(int(nx[0]), nx[1]), want.KStwo[i])
	}
	for i, nx := range c.Smirnov {
		check("smirnovSF("+fmtPair(nx)+")", smirnovSF(int(nx[0]), nx[1]), want.Smirnov[i])
	}
	for i, xd := range c.Chi2SF {
		check("chi2SF("+fmtPair(xd)+")", chi2SF(xd[0], xd[1]), want.Chi2SF[i])
	}
	t.Logf("%d KS, %d chi-square, %d PSI, %d kstwo, %d smirnov, %d chi2.sf comparisons; largest difference %.3g",
		len(c.KS), len(c.Chi), len(c.PSI), len(c.KStwo), len(c.Smirnov), len(c.Chi2SF), worst)
}

func fmtPair(p [2]float64) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// buildCases takes columns of the real data (models/data) and adds synthetic cases that
// reach every branch of the p-value code: exact and asymptotic, equal and unequal sizes,
// ties, tiny samples, and strong drift.
func buildCases(t *testing.T) cases {
	ref, batch := readData(t, "reference.csv"), readData(t, "batch-001.csv")
	var c cases
	for _, name := range []string{"carat", "depth", "table", "price", "x", "y", "z"} {
		r, b := ref.Column(name).Present(), batch.Column(name).Present()
		shifted := make([]float64, len(b))
		for i, v := range b {
			shifted[i] = v * 1.02
		}
		c.KS = append(c.KS,
			ksCase{name + "/full", r, b},                            // asymptotic, 43152 vs 10788
			ksCase{name + "/exact", r[:9000], b[:2400]},             // exact, unequal
			ksCase{name + "/equal", r[:3000], b[:3000]},             // exact, equal sizes
			ksCase{name + "/small", r[:37], b[:23]},                 // exact, tiny
			ksCase{name + "/tiny-batch", r, b[:120]},                // asymptotic, n <= 140 branches
			ksCase{name + "/drift", r, shifted},                     // asymptotic, tiny p (smirnov)
			ksCase{name + "/drift-exact", r[:5000], shifted[:1000]}, // exact, tiny p
		)
		c.PSI = append(c.PSI, countCase{Name: name, Ref: r, Batch: b, Bins: 10},
			countCase{Name: name + "/drift", Ref: r, Batch: shifted, Bins: 10})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][2]int{{200, 150}, {1000, 1000}, {50000, 300}, {20000, 20000}, {10001, 7}} {
		a, b := make([]float64, size[0]), make([]float64, size[1])
		for i := range a {
			a[i] = math.Round(rng.NormFloat64()*10) / 10 // ties
		}
		for i := range b {
			b[i] = math.Round((rng.NormFloat64()+0.1)*10) / 10
		}
		c.KS = append(c.KS, ksCase{"synthetic", a, b})
	}
	for _, name := range []string{"cut", "color", "clarity"} {
		rc, bc := ref.Column(name).Counts(), batch.Column(name).Counts()
		var r, b, skew []float64
		for _, k := range slices.Sorted(maps.Keys(rc)) {
			r, b = append(r, float64(rc[k])), append(b, float64(bc[k]))
			skew = append(skew, float64(bc[k])*(1+0.3*float64(len(skew)%2)))
		}
		c.Chi = append(c.Chi, countCase{Name: name, Ref: r, Batch: b}, countCase{Name: name + "/drift", Ref: r, Batch: skew})
	}
	c.Chi = append(c.Chi,
		countCase{Name: "2x2-yates", Ref: []float64{30, 70}, Batch: []float64{45, 55}},
		countCase{Name: "2x2-small-diff", Ref: []float64{50, 50}, Batch: []float64{50.2, 49.8}},
		countCase{Name: "empty-category", Ref: []float64{10, 0, 5}, Batch: []float64{7, 0, 9}},
		countCase{Name: "many", Ref: seq(60, 3), Batch: seq(60, 4)},
	)
	for _, n := range []float64{1, 2, 5, 10, 37, 100, 140, 141, 500, 1000, 8630, 50000, 100000, 150000, 2000000} {
		for _, x := range []float64{0.0004, 0.002, 0.004, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.5, 0.7, 0.95} {
			c.KStwo = append(c.KStwo, [2]float64{n, x})
			c.Smirnov = append(c.Smirnov, [2]float64{n, x})
		}
	}
	for _, dof := range []float64{1, 2, 3, 6, 7, 30, 200} {
		for _, x := range []float64{0.01, 0.5, 1, 3, 6.5, 12, 40, 150, 400} {
			c.Chi2SF = append(c.Chi2SF, [2]float64{x, dof})
		}
	}
	return c
}

func seq(n int, step float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 5 + math.Mod(float64(i)*step, 17)
	}
	return out
}

func readData(t *testing.T, name string) *table.Table {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "models", "data", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fields := []table.Field{{Name: "cut", Kind: table.String}, {Name: "color", Kind: table.String}, {Name: "clarity", Kind: table.String}}
	for _, n := range []string{"carat", "depth", "table", "price", "x", "y", "z"} {
		fields = append(fields, table.Field{Name: n, Kind: table.Float})
	}
	tb, err := table.ReadCSV(f, table.WithName(name), table.WithFields(fields...))
	if err != nil {
		t.Fatal(err)
	}
	return tb
}
