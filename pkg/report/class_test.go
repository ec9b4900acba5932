package report

import "testing"

func TestStatusOf(t *testing.T) {
	for class, want := range map[string]Status{
		ClassAuthorization: StatusDenied, ClassCancelled: StatusCancelled, ClassDeclined: StatusCancelled,
		ClassExecution: StatusFailed, ClassTimeout: StatusFailed, ClassValidation: StatusFailed, ClassSystem: StatusFailed,
	} {
		if got := StatusOf(class); got != want {
			t.Errorf("StatusOf(%q) = %s, want %s", class, got, want)
		}
	}
}
