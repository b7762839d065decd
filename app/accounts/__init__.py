"""Accounts (GitHub users/orgs that installed the App), their installations and repositories."""
