"""Views: turn plans, apply results and diagnostics into text, markdown, JSON or annotations."""
