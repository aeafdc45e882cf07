package kubetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// PodHandler returns the handler that plays the container of pod: what a real
// container at that address would answer.
type PodHandler func(pod *corev1.Pod) http.Handler

// PodServer plays the containers of every pod on one port of the pod network.
type PodServer struct {
	srv  *http.Server
	done chan error
}

// ServePods answers HTTP on port of every pod address until Close: a request sent to a
// pod's IP (by the API server's service or pod proxy) is served by handler(pod), where pod
// is the running pod holding that IP; an address no pod holds gets 502. It needs the
// namespace Main made. One PodServer can listen on a port at a time.
func (c *Cluster) ServePods(port int, handler PodHandler) (*PodServer, error) {
	if !isolated {
		return nil, errNoNetns
	}
	// Every address of PodNetwork is local in this namespace: one listener serves them all.
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("listening on the pod network port %d: %w", port, err)
	}
	ps := &PodServer{done: make(chan error, 1), srv: &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.servePod(w, r, handler) }),
		ReadHeaderTimeout: 10 * time.Second,
	}}
	go func() { ps.done <- ps.srv.Serve(ln) }()
	return ps, nil
}

// Close stops the server.
func (ps *PodServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := ps.srv.Shutdown(ctx)
	if serr := <-ps.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

func (c *Cluster) servePod(w http.ResponseWriter, r *http.Request, handler PodHandler) {
	addr, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		http.Error(w, "kubetest: no local address", http.StatusBadGateway)
		return
	}
	pod, err := c.podAt(r.Context(), tcp.IP.String())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	handler(pod).ServeHTTP(w, r)
}

// podAt returns the pod that holds ip: a running one, else one that is terminating (its
// container still serves until it is gone, as a real one does during its grace period).
func (c *Cluster) podAt(ctx context.Context, ip string) (*corev1.Pod, error) {
	pods, err := c.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("status.podIP", ip).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("kubetest: finding the pod at %s: %w", ip, err)
	}
	var terminating *corev1.Pod
	for i := range pods.Items {
		p := &pods.Items[i]
		switch {
		case p.Status.Phase != corev1.PodRunning:
		case p.DeletionTimestamp == nil:
			return p, nil
		case terminating == nil:
			terminating = p
		}
	}
	if terminating != nil {
		return terminating, nil
	}
	return nil, fmt.Errorf("kubetest: no running pod at %s", ip)
}

// Fault values of the pod label FaultLabel that kwok's stages act on (see stages.yaml).
const (
	FaultLabel      = "ferry.dev/fault"
	ReadyAfter      = "ferry.dev/ready-after" // annotation: a Go duration, for FaultSlow
	FaultNeverReady = "never-ready"
	FaultCrashLoop  = "crash-loop"
	FaultImagePull  = "image-pull"
	FaultSlow       = "slow"
)
