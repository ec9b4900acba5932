package cache

// SetHostID makes the key name another host until the returned func
// restores it.
func SetHostID(id string) (restore func()) {
	old := hostID
	hostID = func() string { return id }
	return func() { hostID = old }
}
