package report

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMarkdownAndJSON(t *testing.T) {
	r := &Report{Title: "run"}
	r.Add("data", Passed, "ok", 1500*time.Millisecond)
	if !r.Passed() {
		t.Fatal("Passed() = false with no failed stage")
	}
	r.Add("train", Failed, "accuracy 0.8 < 0.9 | see\nmetrics.json", time.Second)
	if r.Passed() {
		t.Fatal("Passed() = true with a failed stage")
	}
	md := r.Markdown()
	for _, want := range []string{"| data | passed | 1.5s | ok |", `accuracy 0.8 < 0.9 \| see<br>metrics.json`, "Result: **FAILED** (2 stages)"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown() lacks %q:\n%s", want, md)
		}
	}
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil || len(back.Stages) != 2 || back.Stages[1].Status != Failed {
		t.Errorf("JSON round trip = %+v, %v", back, err)
	}
}
