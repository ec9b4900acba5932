// Command bigbody serves large answers on loopback, for measuring what
// http.request holds while it reads them (bench/README.md): /big, 64 MiB
// with a Content-Length; /chunked, the same without one; /json, 16 MiB of
// [{"a":1},…], which takes about forty times its text decoded. It prints
// its address and serves until killed.
package main

import (
	"bytes"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
)

func main() {
	big := bytes.Repeat([]byte("x"), 64<<20)
	var js bytes.Buffer
	js.WriteByte('[')
	for i := 0; js.Len() < 16<<20-10; i++ {
		if i > 0 {
			js.WriteByte(',')
		}
		js.WriteString(`{"a":1}`)
	}
	js.WriteByte(']')
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.Addr().String())
	log.Fatal(http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			w.Write(big)
		case "/chunked":
			for range 64 {
				w.Write(big[:1<<20])
				w.(http.Flusher).Flush()
			}
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			w.Write(js.Bytes())
		default:
			http.NotFound(w, r)
		}
	})))
}
