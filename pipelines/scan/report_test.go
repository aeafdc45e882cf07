package scan

import (
	"strings"
	"testing"
)

func TestReadReport(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     string // error substring, "" for none
	}{
		{"schema 2", `{"SchemaVersion":2,"ArtifactName":"x","Results":[{"Target":"t","Vulnerabilities":[{"VulnerabilityID":"CVE-1","PkgName":"p","Severity":"HIGH","DataSource":{"ID":"debian"}}]}],"Trivy":{"Version":"0.74.0"}}`, ""},
		{"schema 1", `{"SchemaVersion":1}`, "SchemaVersion is 1, ferry reads 2"},
		{"no schema", `[]`, "trivy --format json"},
		{"table output", "serving.tar (debian 12.2)\n=====\nTotal: 1", "trivy --format json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ReadReport(strings.NewReader(tt.in))
			if tt.want == "" {
				if err != nil || len(rep.Results) != 1 || rep.Results[0].Vulnerabilities[0].VulnerabilityID != "CVE-1" {
					t.Errorf("ReadReport() = %+v, %v; want one vulnerability", rep, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadReport() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseSeverity(t *testing.T) {
	for _, in := range []string{"critical", " HIGH ", "Medium", "low", "UNKNOWN"} {
		if _, err := ParseSeverity(in); err != nil {
			t.Errorf("ParseSeverity(%q) = %v", in, err)
		}
	}
	if _, err := ParseSeverity("SEVERE"); err == nil {
		t.Error("ParseSeverity(SEVERE) = nil error, want one")
	}
	if !Critical.AtLeast(High) || High.AtLeast(Critical) || !Unknown.AtLeast(Unknown) || Unknown.AtLeast(Low) {
		t.Error("AtLeast does not order UNKNOWN < LOW < … < CRITICAL")
	}
}
