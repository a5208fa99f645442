// Package iampolicy reads the IAM policy documented in an action's README
// and answers which actions it allows, so that a test can compare the calls
// an action made (as internal/faultproxy names them) with the policy users
// are told to grant: nothing used that is not allowed, nothing allowed that
// is never used.
//
// Only what that comparison needs is modelled: Allow statements, Action as a
// string or a list, and IAM's case-insensitive wildcards (* and ?) in action
// names. Resources and conditions are kept as written but not evaluated.
package iampolicy
