# make docs: writes the tracked docs that come from test results, from the
# last results in build/: docs/interop.md from build/interop/results/ (the
# interop matrix, TestService and conformance tests leave their verdicts there
# and render build/interop.md; tools/interop_doc.sh). A test run never writes
# into the checkout (tests/run.sh fails "clean-checkout" if one does), so this
# is the one step that does, to be committed with the results it shows.
# make size (docs/footprint.md) and make bench (docs/benchmarks.md) write
# their own pages: they build and measure first.
.PHONY: docs
docs:
	@ls build/interop/results/*.tsv >/dev/null 2>&1 || { echo "make docs: no results in" \
	  "build/interop/results/ (make test, or: bash tests/run.sh interop)" >&2; exit 1; }
	bash tools/interop_doc.sh docs/interop.md
	@git diff --stat -- docs/ 2>/dev/null || true
