// Package traffic is a fixture leaf domain package.
package traffic

// Weight is a fixture constant.
const Weight = "w"
