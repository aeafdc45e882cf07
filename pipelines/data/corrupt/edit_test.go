package corrupt

import (
	"os"
	"path/filepath"
	"testing"
)

const src = "a,b,c\n1,x,p\n2,y,q\n3,x,r\n4,x,s\n"

func TestEdits(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		apply func(src, dst string) error
		want  string
	}{
		{"drop", func(s, d string) error { return DropColumn(s, d, "b") }, "a,c\n1,p\n2,q\n3,r\n4,s\n"},
		{"add", func(s, d string) error { return AddColumn(s, d, "z", "0") }, "a,b,c,z\n1,x,p,0\n2,y,q,0\n3,x,r,0\n4,x,s,0\n"},
		{"set", func(s, d string) error { return SetCells(s, d, "a", "", 2) }, "a,b,c\n,x,p\n2,y,q\n,x,r\n4,x,s\n"},
		{"duplicate", func(s, d string) error { return Duplicate(s, d, 0.5) }, src + "1,x,p\n2,y,q\n"},
		{"thin", func(s, d string) error { return Thin(s, d, "b", "x", 2) }, "a,b,c\n1,x,p\n2,y,q\n4,x,s\n"},
		{"shift", func(s, d string) error { return Shift(s, d, "a", 0.5) }, "a,b,c\n1.5,x,p\n2.5,y,q\n3.5,x,r\n4.5,x,s\n"},
		{"head", func(s, d string) error { return Head(s, d, 1) }, "a,b,c\n1,x,p\n"},
		{"delimiter", func(s, d string) error { return Delimiter(s, d, ';') }, "a;b;c\n1;x;p\n2;y;q\n3;x;r\n4;x;s\n"},
		{"non-utf8", func(s, d string) error { return NonUTF8(s, d, "b", 2) }, "a,b,c\n1,x,p\n2,y\xff,q\n3,x,r\n4,x,s\n"},
		{"ragged", func(s, d string) error { return Ragged(s, d, 1) }, "a,b,c\n1,x\n2,y,q\n3,x,r\n4,x,s\n"},
		{"header only", HeaderOnly, "a,b,c\n"},
		{"empty", Empty, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, tt.name+".csv")
			if err := tt.apply(in, out); err != nil {
				t.Fatalf("%s error %v", tt.name, err)
			}
			got, _ := os.ReadFile(out)
			if string(got) != tt.want {
				t.Errorf("%s wrote %q, want %q", tt.name, got, tt.want)
			}
		})
	}
	if err := DropColumn(in, filepath.Join(dir, "x.csv"), "nope"); err == nil {
		t.Error("DropColumn(no such column) error = nil, want one")
	}
}
