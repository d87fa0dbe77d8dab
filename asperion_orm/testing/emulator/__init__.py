"""The sandbox emulator: a WSGI app serving the API and its identity server over TLS 1.3."""
