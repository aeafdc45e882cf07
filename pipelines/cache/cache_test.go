package cache

import "testing"

func TestDir(t *testing.T) {
	tests := []struct{ ferry, xdg, home, want string }{
		{"/c", "/x", "/h", "/c"},
		{"", "/x", "/h", "/x/ferry"},
		{"", "", "/h", "/h/.cache/ferry"},
	}
	for _, tt := range tests {
		t.Setenv("FERRY_CACHE", tt.ferry)
		t.Setenv("XDG_CACHE_HOME", tt.xdg)
		t.Setenv("HOME", tt.home)
		if got, err := Dir(); err != nil || got != tt.want {
			t.Errorf("Dir() with FERRY_CACHE=%q XDG_CACHE_HOME=%q HOME=%q = %q, %v; want %q", tt.ferry, tt.xdg, tt.home, got, err, tt.want)
		}
	}
}
