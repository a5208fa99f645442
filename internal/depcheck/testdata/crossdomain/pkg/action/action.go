// Package action is a fixture runtime package.
package action

// Name is a fixture constant.
const Name = "a"
