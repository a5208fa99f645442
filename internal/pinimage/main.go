package main

import (
	"bytes"
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
	ref := fs.String("image", "", "the action image by digest, e.g. ghcr.io/ferry-ci/ferry@sha256:…")
	gitlabRef := fs.String("gitlab-image", "", "the GitLab job image by digest, for the components in templates/")
	root := fs.String("root", ".", "the repository root")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var errs []error
	if *ref == "" {
		errs = append(errs, errors.New("-image: want an image by digest, have none"))
	}
	if *gitlabRef == "" {
		errs = append(errs, errors.New("-gitlab-image: want an image by digest, have none"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return pin(*root, *ref, *gitlabRef, commands.Specs(), stdout)
}

// pin rewrites every action.yml below root to run ref, and every GitLab
// component in templates/ to run gitlabRef, and checks each against its
// declaration (a generated file) or its unpinned self (a hand-written
// flow: only the image default changes). Nothing is written unless every
// file pins and checks.
func pin(root, ref, gitlabRef string, specs []action.Spec, stdout io.Writer) error {
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
	components, err := pinComponents(root, gitlabRef, specs, pinned)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, p := range files {
		if err := os.WriteFile(p, pinned[p], 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: runs.image docker://%s\n", p, ref)
	}
	for _, p := range components {
		if err := os.WriteFile(p, pinned[p], 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: spec:inputs:image:default %s\n", p, gitlabRef)
	}
	return nil
}

// pinComponents pins every templates/*.yml below root to ref into pinned
// and returns their paths. A component generated from a command must be
// the generated one, pinned; a hand-written one (a flow) must change in
// its image default only, which PinGitLabImage guarantees.
func pinComponents(root, ref string, specs []action.Spec, pinned map[string][]byte) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "templates", "*.yml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no GitLab component to pin", filepath.Join(root, "templates"))
	}
	generated := map[string]action.Spec{}
	for _, s := range specs {
		generated[filepath.Join(root, "templates", s.Name+".yml")] = s
	}
	var errs []error
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out, err := action.PinGitLabImage(data, ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		if s, ok := generated[p]; ok {
			want, err := action.GitLabComponent(s)
			if err == nil {
				want, err = action.PinGitLabImage(want, ref)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: rendering: %w", p, err))
				continue
			}
			if !bytes.Equal(out, want) {
				errs = append(errs, fmt.Errorf("%s after pinning: not the component generated from the %q command (run go generate ./...)", p, s.Name))
				continue
			}
		}
		pinned[p] = out
	}
	return files, errors.Join(errs...)
}
