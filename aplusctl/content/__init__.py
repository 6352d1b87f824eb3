"""Desired state: the content files, loaded, expanded to the SP-API shape and checked."""
