// Package commands wires ferry's actions: each command declares its inputs
// and outputs as an [action.Spec], parses them with the runtime, and calls
// the domain packages (awsauth, and one package per action). It is the only
// place where the CI runtime and the domain packages meet.
package commands
