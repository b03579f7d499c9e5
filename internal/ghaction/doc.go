// Package ghaction holds the tests of pgtwin's GitHub Action (action.yml at
// the repository root) and of the example workflows in examples/github. It
// has no code of its own.
//
// The tests run the action's shell steps exactly as they are written in
// action.yml — with the env: mappings it declares, GITHUB_OUTPUT,
// GITHUB_STEP_SUMMARY and GITHUB_PATH files, and bash as GitHub starts it —
// against throwaway PostgreSQL servers, and lint the example workflows (and
// the action's steps, as a workflow) with actionlint. Of the actions
// action.yml uses, actions/setup-go is never run (the tests want the
// machine's Go), and actions/upload-artifact and download-artifact are
// stood in for by copies to and from a local directory, since GitHub's
// artifact storage is out of reach.
package ghaction
