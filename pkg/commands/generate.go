package commands

//go:generate go run ../../internal/gendocs -root ../..

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferry-ci/ferry/pkg/action"
)

// Generated returns the files rendered from the declarations, by path
// relative to the repository root: each actions/<name>/action.yml, the root
// action.yml, each GitLab component templates/<name>.yml, and the
// inputs/outputs tables spliced into each
// actions/<name>/README.md (a new README gets a skeleton around them), and
// the command table spliced into the root README.md.
func Generated(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	specs := Specs()
	for _, s := range specs {
		y, err := action.ActionYAML(s, "../../Dockerfile")
		if err != nil {
			return nil, fmt.Errorf("rendering action.yml of %q: %w", s.Name, err)
		}
		files[filepath.Join("actions", s.Name, "action.yml")] = y

		readmePath := filepath.Join("actions", s.Name, "README.md")
		readme, err := os.ReadFile(filepath.Join(root, readmePath))
		if errors.Is(err, os.ErrNotExist) {
			readme = []byte(fmt.Sprintf("# ferry %s\n\n%s\n\n## Inputs and outputs\n\n%s\n%s\n", s.Name, s.Description, action.TableBegin, action.TableEnd))
		} else if err != nil {
			return nil, err
		}
		spliced, err := action.SpliceTable(string(readme), s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", readmePath, err)
		}
		files[readmePath] = []byte(spliced)

		component, err := action.GitLabComponent(s)
		if err != nil {
			return nil, fmt.Errorf("rendering the GitLab component of %q: %w", s.Name, err)
		}
		files[filepath.Join("templates", s.Name+".yml")] = component
	}
	y, err := action.RootActionYAML(specs, "Dockerfile")
	if err != nil {
		return nil, fmt.Errorf("rendering the root action.yml: %w", err)
	}
	files["action.yml"] = y

	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		return nil, err
	}
	spliced, err := action.SpliceCommandTable(string(readme), specs)
	if err != nil {
		return nil, fmt.Errorf("README.md: %w", err)
	}
	files["README.md"] = []byte(spliced)
	return files, nil
}
