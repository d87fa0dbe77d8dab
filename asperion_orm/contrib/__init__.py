"""Integrations with the frameworks users build on (each imported only when used)."""
