package notify

import (
	"encoding/json"
	"unicode/utf8"
)

// teamsMaxBytes bounds the JSON of a Teams message: Teams refuses a
// message over 28 KB (413), and the card's own keys and the request's
// envelope take the rest.
const teamsMaxBytes = 24 << 10

// teamsFactMax bounds each fact's name and value, in characters, as
// Slack's fields are bounded.
const teamsFactMax = 2000

// teamsBody renders m as an Adaptive Card in a Teams message. A message
// past teamsMaxBytes has its text cut in its middle (midCut), so that a
// long output quoted in it still sends a notification rather than one
// Teams refuses, and keeps the end, where a log's cause is.
func teamsBody(m Message, names []string) ([]byte, error) {
	card := func(text string) ([]byte, error) {
		var body []any
		if m.Title != "" {
			body = append(body, map[string]any{"type": "TextBlock", "text": m.Title, "weight": "Bolder", "size": "Medium", "wrap": true})
		}
		body = append(body, map[string]any{"type": "TextBlock", "text": text, "wrap": true})
		if len(names) > 0 {
			var facts []any
			for _, k := range names {
				facts = append(facts, map[string]string{"title": cut(k, teamsFactMax), "value": midCut(m.Fields[k], teamsFactMax, chars)})
			}
			body = append(body, map[string]any{"type": "FactSet", "facts": facts})
		}
		c := map[string]any{
			"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
			"type":    "AdaptiveCard", "version": "1.4", "body": body,
		}
		if m.Link != "" {
			c["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open", "url": m.Link}}
		}
		return json.Marshal(map[string]any{"type": "message", "attachments": []any{
			map[string]any{"contentType": "application/vnd.microsoft.card.adaptive", "content": c},
		}})
	}
	b, err := card(m.Text)
	if err != nil || len(b) <= teamsMaxBytes {
		return b, err
	}
	// Keep of the text its head and tail, as much as fits in its JSON
	// once the excess is taken off, around a note of the cut.
	return card(midCut(m.Text, jsonLen(m.Text)-(len(b)-teamsMaxBytes), jsonRuneLen))
}

// jsonLen is the length of s in the JSON encoding/json writes, quotes left
// out.
func jsonLen(s string) int {
	n := 0
	for _, r := range s {
		n += jsonRuneLen(r)
	}
	return n
}

// jsonRuneLen is the length of r in the JSON encoding/json writes: HTML's
// characters, control characters, U+2028, U+2029 and invalid bytes as
// six-character \u escapes, quotes and backslashes escaped.
func jsonRuneLen(r rune) int {
	switch {
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t':
		return 2
	case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029' || r == utf8.RuneError:
		return 6
	}
	return utf8.RuneLen(r)
}
