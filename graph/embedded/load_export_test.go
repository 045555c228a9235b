package embedded

// SetLoadTxSizes sets the people and friend keys per transaction of Load
// (tests use small ones to cross transaction boundaries, inside a person's
// friends too) and returns a function restoring the defaults.
func SetLoadTxSizes(people, friends int) (restore func()) {
	p, f := loadPeoplePerTx, loadFriendsPerTx
	loadPeoplePerTx, loadFriendsPerTx = people, friends
	return func() { loadPeoplePerTx, loadFriendsPerTx = p, f }
}
