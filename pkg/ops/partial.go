package ops

// PartlySent is the error of a message that reached some of its
// recipients and not others (an email some addresses of which the server
// refused): Sent of Of have it. The report and the run's log tell such a
// notification from one nobody got.
type PartlySent struct {
	Sent, Of int
	Err      error
}

func (e *PartlySent) Error() string { return e.Err.Error() }
func (e *PartlySent) Unwrap() error { return e.Err }
