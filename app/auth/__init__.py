"""Login with GitHub: the OAuth web flow, sessions, and who the viewer of a request is (and may reach)."""
