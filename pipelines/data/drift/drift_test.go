package drift

import (
	"math"
	"testing"
)

// The expected values below were printed by scipy 1.14.1; TestAgreesWithScipy checks
// many more against a live scipy when python3 is there.

func TestKS(t *testing.T) {
	tests := []struct {
		name       string
		a, b       []float64
		stat, p    float64
		wantMethod string
	}{
		{"disjoint", []float64{1, 2, 3}, []float64{4, 5, 6}, 1, 0.09999999999999999, "exact"},
		{"overlap", []float64{1, 2, 3, 4, 5}, []float64{3, 4, 5, 6, 7, 8, 9}, 0.5714285714285714, 0.23737373737373738, "exact"},
		{"identical", []float64{1, 2, 2, 3}, []float64{1, 2, 2, 3}, 0, 1, "exact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := KS(tt.a, tt.b)
			if err != nil {
				t.Fatalf("KS(%v, %v) error %v", tt.a, tt.b, err)
			}
			if math.Abs(got.Statistic-tt.stat) > 1e-12 || math.Abs(got.PValue-tt.p) > 1e-12 || got.Method != tt.wantMethod {
				t.Errorf("KS(%v, %v) = %+v, want {%v %v %s}", tt.a, tt.b, got, tt.stat, tt.p, tt.wantMethod)
			}
		})
	}
	if _, err := KS(nil, []float64{1}); err == nil {
		t.Error("KS(nil, [1]) error = nil, want an error")
	}
}

func TestKSLargeIsAsymptotic(t *testing.T) {
	a, b := make([]float64, 10001), make([]float64, 50)
	for i := range a {
		a[i] = float64(i)
	}
	for i := range b {
		b[i] = float64(i * 200)
	}
	got, err := KS(a, b)
	if err != nil || got.Method != "asymp" || got.PValue <= 0 || got.PValue > 1 {
		t.Errorf("KS(10001 values, 50 values) = %+v, %v, want an asymptotic p-value in (0, 1]", got, err)
	}
}

func TestChiSquare(t *testing.T) {
	tests := []struct {
		name       string
		ref, batch []float64
		stat, p    float64
		dof        int
	}{
		{"3 categories", []float64{10, 20, 30}, []float64{20, 20, 20}, 5.333333333333334, 0.0694834512228015, 2},
		{"yates", []float64{30, 70}, []float64{45, 55}, 4.181333333333333, 0.04087153408900628, 1},
		{"one category", []float64{5, 0}, []float64{7, 0}, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChiSquare(tt.ref, tt.batch)
			if err != nil {
				t.Fatalf("ChiSquare(%v, %v) error %v", tt.ref, tt.batch, err)
			}
			if math.Abs(got.Statistic-tt.stat) > 1e-9 || math.Abs(got.PValue-tt.p) > 1e-9 || got.DOF != tt.dof {
				t.Errorf("ChiSquare(%v, %v) = %+v, want {%v %v %d}", tt.ref, tt.batch, got, tt.stat, tt.p, tt.dof)
			}
		})
	}
	if _, err := ChiSquare([]float64{1}, []float64{1, 2}); err == nil {
		t.Error("ChiSquare(lengths 1 and 2) error = nil, want an error")
	}
}

func TestPSI(t *testing.T) {
	ref := Sorted([]float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10})
	same, err := PSI(ref, []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 5)
	if err != nil || same != 0 {
		t.Errorf("PSI(same data) = %v, %v, want 0", same, err)
	}
	shifted, err := PSI(ref, []float64{20, 21, 22, 23}, 5)
	if err != nil || shifted < 1 {
		t.Errorf("PSI(shifted data) = %v, %v, want > 1", shifted, err)
	}
	if _, err := PSI(ref, nil, 5); err == nil {
		t.Error("PSI(ref, nil) error = nil, want an error")
	}
}

func TestQuantile(t *testing.T) {
	x := []float64{1, 2, 3, 4, 10}
	for q, want := range map[float64]float64{0: 1, 0.1: 1.4, 0.5: 3, 0.9: 7.6, 1: 10} {
		if got := Quantile(x, q); math.Abs(got-want) > 1e-12 {
			t.Errorf("Quantile(%v, %v) = %v, want %v", x, q, got, want)
		}
	}
}
