"""Refresh live state, compute plans, apply them, and keep aplus.lock."""
