package steps

import "strings"

// boolMeant says which of true and false a word other tools read as a
// boolean (YAML 1.1's yes and on, Ansible's y) means, for a bool input
// given as text; "" for any other word.
func boolMeant(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "on", "enable", "enabled":
		return "; write true"
	case "no", "n", "off", "disable", "disabled":
		return "; write false"
	}
	return ""
}
