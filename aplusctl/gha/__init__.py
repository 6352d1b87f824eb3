"""What the GitHub Action does, in Python so it can be tested: masks, outputs, step summary,
the sticky pull-request comment and the commit of apply's results. The action's shell steps
only call `aplusctl gha …` (see aplusctl/cli/gha.py and action.yml)."""
