package yamlx

import (
	"bytes"
	"unicode/utf8"
)

// A file that is not text at all (a program, an archive, an image, text
// saved as UTF-16) fails on its first odd byte; telling the author to
// remove that byte, or to save the file as UTF-8, misleads: the path
// names the wrong file, or the editor the wrong encoding.

// sniffLen is how much of the file is looked at to tell.
const sniffLen = 1024

// notTextMsg is the problem of data, which holds a byte YAML text
// cannot, when the file is plainly not text: UTF-16, or a tenth or more
// of its start control characters and bytes that are not UTF-8; "" when
// it looks like text with a stray byte.
func notTextMsg(data []byte) string {
	head := data[:min(len(data), sniffLen)]
	if utf16(head) {
		return "the file is saved as UTF-16 (as Windows PowerShell's > and Out-File write text); save it as UTF-8"
	}
	odd := 0
	for j := 0; j < len(head); {
		r, size := utf8.DecodeRune(head[j:])
		switch {
		case r == utf8.RuneError && size <= 1 && len(head)-j >= utf8.UTFMax:
			odd++ // a sequence cut by the end of head is not counted
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f', r == 0x7f:
			odd++
		}
		j += size
	}
	if odd < 3 || odd*10 < len(head) {
		return "" // a stray byte or two in text
	}
	return "the file is not text but binary (a program, an archive or an image?); give the path of the YAML file"
}

// utf16 tells text saved as UTF-16: a byte order mark FF FE or FE FF, or
// mostly ASCII, one byte of each pair NUL and the other not, as a binary
// file with its runs of NULs is not.
func utf16(head []byte) bool {
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return true
	}
	pairs := len(head) / 2
	if pairs < 2 {
		return false
	}
	for _, off := range []int{0, 1} {
		ascii := 0
		for j := 0; j < pairs; j++ {
			if head[2*j+off] == 0 && head[2*j+1-off] != 0 && head[2*j+1-off] < 0x80 {
				ascii++
			}
		}
		if ascii*10 >= pairs*9 {
			return true
		}
	}
	return false
}
