package cli

import (
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// proxyFlags are serve's --trusted-proxy and --proxy-header: the reverse
// proxies whose word on the client's address and scheme serve takes.
type proxyFlags struct {
	trusted listFlag
	header  string
}

func (p *proxyFlags) add(fs *flagSet) {
	fs.Var(&p.trusted, "trusted-proxy", "take the client's address and scheme from the headers of requests whose connection comes from `CIDR` (a proxy's address or network; repeatable or comma-separated)")
	fs.StringVar(&p.header, "proxy-header", server.HeaderXForwardedFor, "with --trusted-proxy, read the client's address from `HEADER`: X-Forwarded-For or Forwarded, the one the proxy writes")
}

// proxies checks the flags; a problem is a usage error, whose code it
// returns with ok false.
func (p *proxyFlags) proxies(fs *flagSet) (px server.Proxies, code int, ok bool) {
	header, err := server.CheckProxyHeader(p.header)
	if err != nil {
		return px, fs.usageError("--proxy-header %v", err), false
	}
	if len(p.trusted) == 0 {
		if fs.given("proxy-header") {
			return px, fs.usageError("--proxy-header names the header of trusted proxies, and there are none: add --trusted-proxy CIDR with the proxies' addresses"), false
		}
		return px, 0, true
	}
	px.Header = header
	for _, v := range p.trusted {
		pre, err := server.ParseTrustedProxy(v)
		if err != nil {
			return px, fs.usageError("--trusted-proxy %v", err), false
		}
		px.Trusted = append(px.Trusted, pre)
	}
	return px, 0, true
}

// proxyNote is the start-up line that says whose headers serve reads, and
// a warning when a range holds every address: any client could then write
// its own address.
func proxyNote(px server.Proxies) (info, warn string) {
	if len(px.Trusted) == 0 {
		return "", ""
	}
	var names []string
	for _, p := range px.Trusted {
		names = append(names, p.String())
		if p.Bits() == 0 {
			warn = "--trusted-proxy " + p.String() + " trusts every address: any client reaching serve directly can write its own address into " + px.Header + "; give the proxies' addresses only"
		}
	}
	info = "client addresses from " + px.Header + " of the trusted proxies " + strings.Join(names, ", ")
	return info, warn
}
