package sigv4

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSignAWSExample checks the GET Object example of AWS's Signature Version 4
// documentation ("Example: GET Object"), whose signature AWS publishes.
func TestSignAWSExample(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, "https://examplebucket.s3.amazonaws.com/test.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Range", "bytes=0-9")
	creds := Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	Sign(req, creds, "us-east-1", "s3", EmptyPayload, time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC))
	want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Sign(GET /test.txt) Authorization = %q, want %q", got, want)
	}
}

func TestCredentialsRedacted(t *testing.T) {
	c := Credentials{AccessKeyID: "AKIDSECRET", SecretAccessKey: "verysecret", SessionToken: "tok"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
		if strings.Contains(s, "SECRET") || strings.Contains(s, "verysecret") || strings.Contains(s, "tok") {
			t.Errorf("formatting credentials = %q, want them redacted", s)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/bucket/a b/ü.csv", "/bucket/a%20b/%C3%BC.csv"},
		{"/b/k+1=2&x", "/b/k%2B1%3D2%26x"},
		{"", "/"},
	}
	for _, tt := range tests {
		if got := escapePath(tt.in); got != tt.want {
			t.Errorf("escapePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
