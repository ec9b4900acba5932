// Package jsoncost reckons the memory a JSON text takes once decoded, for
// the process's output memory (ops.OutputMemory): an http.request's JSON
// body, a plugin's answer.
package jsoncost

// Of estimates, from above, the bytes that decoding data (one JSON
// value) holds at once: the decoder's copy of data, and Go's maps,
// slices, strings and numbers of the value, which take up to forty
// times the bytes of their text (an array of {"a":1}). It is counted
// before decoding, in the process's output memory, so that a body a
// server made of small objects cannot take gigabytes. It reads data once,
// without allocating.
func Of(data []byte) int64 {
	const (
		object   = 64  // a map's header, boxed
		group    = 272 // its first group of eight slots, once it holds a key
		array    = 48  // a slice's header, boxed
		element  = 24  // a list's slot, with room to grow into
		key      = 48  // a map's slot (key and value) at its load, grown
		str      = 16  // a string's header, boxed
		number   = 24  // a json.Number, then its int or float
		perBytes = 2   // the decoder's copy, and the strings' bytes
	)
	cost := int64(len(data)) * perBytes
	inString, escaped := false, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			cost += str
		case '{':
			cost += object
			if j := nextByte(data, i+1); j < len(data) && data[j] != '}' {
				cost += group + element
			}
		case '[':
			cost += array
			if j := nextByte(data, i+1); j < len(data) && data[j] != ']' {
				cost += element
			}
		case ',':
			cost += element
		case ':':
			cost += key
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			if i == 0 || !isNumberByte(data[i-1]) {
				cost += number
			}
		}
	}
	return cost
}

// nextByte is the index of the first byte from i on that is not JSON
// white space.
func nextByte(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}
