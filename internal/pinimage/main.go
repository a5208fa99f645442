package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/ferry-ci/ferry/pkg/action"
	"github.com/ferry-ci/ferry/pkg/commands"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "pinimage:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pinimage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ref := fs.String("image", "", "the image by digest, e.g. ghcr.io/ferry-ci/ferry@sha256:…")
	root := fs.String("root", ".", "the repository root")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *ref == "" {
		return errors.New("-image: want an image by digest, have none")
	}
	return pin(*root, *ref, commands.Specs(), stdout)
}

// pin rewrites every action.yml below root to run ref and checks each
// against its declaration. Nothing is written unless every file pins and
// checks.
func pin(root, ref string, specs []action.Spec, stdout io.Writer) error {
	// Every action directory must be a declared command: a stray one would
	// be left building the Dockerfile.
	found, err := filepath.Glob(filepath.Join(root, "actions", "*", "action.yml"))
	if err != nil {
		return err
	}
	var files []string
	check := map[string]func([]byte) error{}
	for _, s := range specs {
		p := filepath.Join(root, "actions", s.Name, "action.yml")
		files = append(files, p)
		check[p] = func(b []byte) error { return action.CheckActionYAML(b, s) }
	}
	var errs []error
	for _, p := range found {
		if !slices.Contains(files, p) {
			errs = append(errs, fmt.Errorf("%s: no command declares it", p))
		}
	}
	rootFile := filepath.Join(root, "action.yml")
	files = append(files, rootFile)
	check[rootFile] = func(b []byte) error { return action.CheckRootActionYAML(b, specs) }

	pinned := map[string][]byte{}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out, err := action.PinImage(data, ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		if err := check[p](out); err != nil {
			errs = append(errs, fmt.Errorf("%s after pinning: %w", p, err))
			continue
		}
		pinned[p] = out
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, p := range files {
		if err := os.WriteFile(p, pinned[p], 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: runs.image docker://%s\n", p, ref)
	}
	return nil
}
